/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - SPEC §4: the kernel's per-CPU aggregates in the Prometheus text
 * exposition format (http.h serves them).
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

#endif
