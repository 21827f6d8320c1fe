/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - SPEC §4: the kernel's per-CPU aggregates in the Prometheus text
 * exposition format, and the HTTP endpoint that serves them.
 */
#ifndef FINRST_METRICS_H
#define FINRST_METRICS_H

#include "args.h"
#include "loader.h"
#include "sb.h"

/*
 * Render every metric into *b (appended), a growing builder
 * (sb_init_grow()). 0, or -ENOMEM: out of memory (or out of room, for a
 * bounded one).
 */
int fr_metrics_render(struct fr_loader *l, struct sb *b);

struct fr_http;

/*
 * Serve GET /metrics on env->metrics_addr:metrics_port from a thread of its
 * own; anything else gets 404 or 405. NULL on failure, with a reason in err.
 */
struct fr_http *fr_http_start(const struct env *env, struct fr_loader *l,
			      char *err, size_t errlen);
void fr_http_stop(struct fr_http *h);

#endif
