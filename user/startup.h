/* SPDX-License-Identifier: GPL-2.0 */
/*
 * startup.h - what finrst needs before it loads, and the one line that
 * says what is missing and how to get it (SPEC §3) when it cannot start.
 */
#ifndef FINRST_STARTUP_H
#define FINRST_STARTUP_H

#include <stddef.h>

#include "args.h"
#include "loader.h"
#include "sysinfo.h"

/*
 * Read what the kernel offers before any load: its BTF (the RST reason
 * names, the features probed in it) and CONFIG_HZ, into l and reasons.
 * 0, or -1 with the line to print in err.
 */
int fr_startup_probe(const struct env *env, struct fr_loader *l,
		     struct fr_reasons *reasons, char *err, size_t errlen);

/*
 * fr_loader_start() failed with ret and err: the line to print, with its
 * remedy (capabilities, tracefs, --stack, the backend asked for).
 */
void fr_startup_why(const struct env *env, const struct fr_loader *l, int ret,
		    const char *err, char *out, size_t outlen);

/* One line per optional part refused, and what it costs; with -v every
 * part's state. */
void fr_startup_report_parts(const struct fr_loader *l, const struct env *env);

#endif
