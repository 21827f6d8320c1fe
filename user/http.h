/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the --metrics endpoint (SPEC §4): GET /metrics over HTTP, or
 * HTTPS and basic auth as --web-config says (webconfig.h).
 */
#ifndef FINRST_HTTP_H
#define FINRST_HTTP_H

#include <stddef.h>

#include "args.h"
#include "loader.h"
#include "webconfig.h"

struct fr_http;

/*
 * Serve GET /metrics on env->metrics_addr:metrics_port from a thread of its
 * own; anything else gets 404 or 405. web (NULL: none) adds TLS and basic
 * auth; it must outlive the endpoint. NULL on failure, with a reason in err.
 */
struct fr_http *fr_http_start(const struct env *env,
			      const struct fr_webconfig *web,
			      struct fr_loader *l, char *err, size_t errlen);
void fr_http_stop(struct fr_http *h);

#endif
