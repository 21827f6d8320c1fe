/* SPDX-License-Identifier: GPL-2.0 */
/* Opening, configuring, loading and attaching the BPF side, per backend. */
#ifndef FINRST_LOADER_H
#define FINRST_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "args.h"

struct finrst_bpf;
struct bpf_link;
struct bpf_map;

struct fr_loader {
	struct finrst_bpf *skel;
	struct bpf_link *iter;		/* count_live on socks */
	enum fr_hooks hooks;		/* the backend that attached */
	unsigned int hz;
	bool send_reset_reason;
};

/*
 * Load and attach with env->hooks, or for FR_HOOKS_AUTO try fentry, kprobe
 * and tracepoint in that order, for real, keeping the first that attaches.
 * On failure returns a negative errno and a one-line reason in err.
 */
int fr_loader_start(struct fr_loader *l, const struct env *env,
		    bool send_reset_reason, char *err, size_t errlen);
void fr_loader_stop(struct fr_loader *l);

/* Sum over the CPUs of element idx of a per-CPU array of __u64. */
unsigned long long fr_loader_percpu_sum(const struct bpf_map *map, __u32 idx);

/* Sum of a per-CPU counter (enum fr_counter, bpf/finrst.h). */
unsigned long long fr_loader_counter(struct fr_loader *l, unsigned int idx);

/*
 * Events the kernel may not have delivered: runs it skipped because the
 * program was already running on that CPU (recursion_misses), summed over
 * the programs but the primaries that have a twin (bpf/finrst.bpf.c,
 * struct fr_event). An upper bound: a twin's skip loses nothing when its
 * primary ran.
 */
unsigned long long fr_loader_missed(struct fr_loader *l);

/*
 * At exit, before fr_loader_stop: stop starting records, then count the
 * records started but neither finished nor belonging to a live socket:
 * sockets that ended while the kernel ran none of the programs for their
 * last events. *lost gets that count; verbose prints the counts on stderr.
 * 0, or a negative errno when the count could not be made.
 */
int fr_loader_unaccounted(struct fr_loader *l, bool verbose,
			  unsigned long long *lost);


/* Records go to the ring buffer unless --metrics runs alone. */
static inline bool fr_records_wanted(const struct env *env)
{
	return !env->metrics || env->json || env->text || env->summary_s;
}

#endif
