/* SPDX-License-Identifier: GPL-2.0 */
/* Opening, configuring, loading and attaching the BPF side, per backend. */
#ifndef FINRST_LOADER_H
#define FINRST_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include "args.h"
#include "parts.h"

struct finrst_bpf;
struct bpf_link;
struct bpf_map;

enum fr_part_state {
	FR_PART_UNUSED,	 /* not asked for, or not needed on this kernel */
	FR_PART_ON,	 /* loaded and attached */
	FR_PART_REFUSED, /* the kernel refused it (or --test-refuse) */
};

struct fr_part_status {
	enum fr_part_state state;
	int err;	  /* negative errno, when refused */
	char prog[64];	  /* the refused program, or what was refused */
	const char *step; /* "load", "attach", "test run"; NULL: forced */
};

#define FR_MAX_LINKS 64

struct fr_loader {
	struct finrst_bpf *skel;
	struct bpf_link *links[FR_MAX_LINKS];
	int nr_links;
	enum fr_hooks hooks; /* the backend that attached */
	unsigned int hz;
	bool send_reset_reason; /* tcp:tcp_send_reset has its reason */
	bool close_sync;	/* close(2) releases before it returns */
	bool kfree_reason;	/* skb:kfree_skb has its reason (5.17) */
	int uring_args;		/* enum fr_uring_args */
	unsigned int helpers;	/* FR_HELPER_* (sysinfo.h) */
	struct fr_part_status parts[FR_PART__MAX];
	/* Why the last backend tried failed: its part and program. */
	enum fr_part fail_part;
	char fail_prog[64];
	bool fail_fentry; /* the program was an fentry/fexit one */
	bool fail_kprobe; /* ... a kprobe/kretprobe one */
};

/*
 * Load and attach with env->hooks, or for FR_HOOKS_AUTO try fentry, kprobe
 * and tracepoint in that order, for real, keeping the first that attaches.
 * On failure returns a negative errno and a one-line reason in err, naming
 * the program the kernel refused and its answer; l->fail_* say which.
 */
int fr_loader_start(struct fr_loader *l, const struct env *env, char *err,
		    size_t errlen);
void fr_loader_stop(struct fr_loader *l);

/* Sum over the CPUs of element idx of a per-CPU array of __u64. */
unsigned long long fr_loader_percpu_sum(const struct bpf_map *map, __u32 idx);

/* Sum of a per-CPU counter (enum fr_counter, bpf/finrst.h). */
unsigned long long fr_loader_counter(struct fr_loader *l, unsigned int idx);

/*
 * Records lost so far, the one definition the exit line, --summary and
 * the metrics share: the ring buffer was full, the socket map was full, or
 * the sweep found the socket dead with its record unfinished. At exit the
 * reconciliation (fr_loader_unaccounted) adds the records of sockets whose
 * last events went unseen and are not swept yet.
 */
unsigned long long fr_loader_lost(struct fr_loader *l);

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
 * last events, and that no sweep has counted (fr_loader_lost). *lost gets
 * that count; verbose prints the counts on stderr.
 * 0, or a negative errno when the count could not be made (-EOPNOTSUPP:
 * the kernel refused FR_PART_LIVENESS).
 */
int fr_loader_unaccounted(struct fr_loader *l, bool verbose,
			  unsigned long long *lost);

/*
 * Delete the socket map's entries of sockets that are gone (their
 * tcp_destroy_sock ran no program), so that they cannot fill the map over
 * weeks. Returns how many were deleted, or a negative errno.
 */
long fr_loader_sweep(struct fr_loader *l);

/* Records go to the ring buffer unless --metrics runs alone. */
static inline bool fr_records_wanted(const struct env *env)
{
	return !env->metrics || env->json || env->text || env->summary_s;
}

#endif
