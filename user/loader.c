// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "finrst.h"
#include "finrst.skel.h"
#include "loader.h"
#include "sysinfo.h"

/* Must match enum fr_mode in bpf/finrst.bpf.c. */
enum { MODE_FENTRY = 1, MODE_KPROBE, MODE_TRACEPOINT };

static void choose_programs(struct finrst_bpf *s, enum fr_hooks h,
			    bool reason, bool sync_close, bool owners)
{
	struct bpf_program *p;
	const char *name;

	bpf_object__for_each_program(p, s->obj) {
		name = bpf_program__name(p);
		bool on;

		if (!strncmp(name, "fentry_", 7) || !strncmp(name, "fexit_", 6))
			on = h == FR_HOOKS_FENTRY;
		else if (!strncmp(name, "kprobe_", 7) ||
			 !strncmp(name, "kretprobe_", 10))
			on = h == FR_HOOKS_KPROBE;
		else if (!strncmp(name, "tps_", 4) ||
			 !strcmp(name, "tp_kfree_skb"))
			on = h == FR_HOOKS_TRACEPOINT;
		else if (!strncmp(name, "tpold_", 6))
			on = h == FR_HOOKS_TRACEPOINT && !sync_close;
		else if (!strcmp(name, "tp_send_reset_reason") ||
			 !strcmp(name, "twin_send_reset_reason"))
			on = reason;
		else if (!strcmp(name, "tp_send_reset") ||
			 !strcmp(name, "twin_send_reset"))
			on = !reason;
		else
			on = true;
		/* The tracepoint gained its reason argument in 6.10, together
		 * with RSTs sent without a full socket: before that, these
		 * programs see those RSTs instead. */
		if (strstr(name, "_tcp_v4_send_reset") ||
		    strstr(name, "_tcp_v6_send_reset") ||
		    !strcmp(name, "tp_kfree_skb"))
			on = on && !reason;
		/* accept() only tells a server socket's owner (pid, comm):
		 * --metrics alone counts without them, unless --pid filters */
		if (strstr(name, "accept"))
			on = on && owners;
		bpf_program__set_autoload(p, on);
		/* the iterator runs on demand (fr_loader_unaccounted) */
		if (!strcmp(name, "count_live"))
			bpf_program__set_autoattach(p, false);
	}
}

/* The running kernel's version, from uname(2). */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	long ma, mi;
	char *p;

	/* "6.1.0-26-amd64"; strtol(), as sscanf() cannot report overflow */
	if (uname(&u) || !isdigit((unsigned char)u.release[0]))
		return false;
	errno = 0;
	ma = strtol(u.release, &p, 10);
	if (*p != '.' || !isdigit((unsigned char)p[1]))
		return false;
	mi = strtol(p + 1, NULL, 10);
	if (errno)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static int try_backend(struct fr_loader *l, const struct env *env,
		       enum fr_hooks h, char *err, size_t errlen)
{
	struct finrst_bpf *s;
	int ret;

	s = finrst_bpf__open();
	if (!s) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(-ret));
		return ret;
	}
	s->rodata->mode = h == FR_HOOKS_FENTRY ? MODE_FENTRY :
			  h == FR_HOOKS_KPROBE ? MODE_KPROBE : MODE_TRACEPOINT;
	s->rodata->hz = l->hz;
	s->rodata->filter_netns = env->netns;
	s->rodata->filter_pid = env->pid;
	s->rodata->filter_family = (__u16)env->family;
	s->rodata->nr_filter_ports = (__u16)env->nr_ports;
	for (int i = 0; i < env->nr_ports && i < FR_MAX_PORTS; i++)
		s->rodata->filter_ports[i] = env->ports[i];
	s->rodata->records_on = fr_records_wanted(env);
	s->rodata->metrics_on = env->metrics;
	s->rodata->rst_only = env->rst_only;
	s->rodata->stacks_on = env->stack;
	s->rodata->filter_cgroup = env->cgroup_id;
	/* the bound on port label values: --metrics-ports + the first seen */
	ret = bpf_map__set_max_entries(s->maps.svc_ports,
				       FR_METRICS_DYN_PORTS +
					       (unsigned)env->nr_metrics_ports);
	if (ret) {
		snprintf(err, errlen, "svc_ports: %s", strerror(-ret));
		goto fail;
	}
	/* --metrics alone: nothing crosses the ring buffer, keep it small */
	ret = bpf_map__set_max_entries(s->maps.records,
				       fr_records_wanted(env) ?
					       env->ringbuf_kb * 1024u :
					       16384u);
	if (ret) {
		snprintf(err, errlen, "--ringbuf-kb %u: %s", env->ringbuf_kb,
			 strerror(-ret));
		goto fail;
	}
	choose_programs(s, h, l->send_reset_reason, kernel_at_least(6, 7),
			fr_records_wanted(env) || env->pid);

	ret = finrst_bpf__load(s);
	if (ret) {
		snprintf(err, errlen, "%s backend: loading failed: %s",
			 fr_hooks_name(h), strerror(-ret));
		goto fail;
	}
	for (int i = 0; i < env->nr_metrics_ports; i++) {
		__u16 port = env->metrics_ports[i];
		__u8 one = 1;

		ret = bpf_map__update_elem(s->maps.svc_ports, &port,
					   sizeof(port), &one, sizeof(one),
					   BPF_ANY);
		if (ret) {
			snprintf(err, errlen, "--metrics-ports: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	ret = finrst_bpf__attach(s);
	if (ret) {
		snprintf(err, errlen, "%s backend: attaching failed: %s",
			 fr_hooks_name(h), strerror(-ret));
		goto fail;
	}
	/* The exit reconciliation's iterator, linked now: creating the link
	 * later would need the capabilities finrst drops once running. */
	{
		union bpf_iter_link_info linfo;
		struct bpf_iter_attach_opts opts;

		memset(&linfo, 0, sizeof(linfo));
		linfo.map.map_fd = bpf_map__fd(s->maps.socks);
		/* Not LIBBPF_OPTS: libbpf 1.1's compound literal can leave the
		 * struct's tail padding non-zero, which the attach refuses
		 * ("non-zero extra bytes"), seen in the -O0 build. */
		memset(&opts, 0, sizeof(opts));
		opts.sz = sizeof(opts);
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
		l->iter = bpf_program__attach_iter(s->progs.count_live, &opts);
		if (!l->iter) {
			ret = -errno;
			snprintf(err, errlen,
				 "%s backend: cannot link the socket map "
				 "iterator: %s",
				 fr_hooks_name(h), strerror(-ret));
			goto fail;
		}
	}
	l->skel = s;
	l->hooks = h;
	return 0;
fail:
	finrst_bpf__destroy(s);
	return ret ? ret : -EINVAL;
}

int fr_loader_start(struct fr_loader *l, const struct env *env,
		    bool send_reset_reason, char *err, size_t errlen)
{
	static const enum fr_hooks order[] = {
		FR_HOOKS_FENTRY, FR_HOOKS_KPROBE, FR_HOOKS_TRACEPOINT,
	};
	char why[3][256];
	int ret = -ENOENT;

	l->skel = NULL;
	l->iter = NULL;
	l->send_reset_reason = send_reset_reason;
	if (env->hooks != FR_HOOKS_AUTO)
		return try_backend(l, env, env->hooks, err, errlen);

	for (size_t i = 0; i < 3; i++) {
		ret = try_backend(l, env, order[i], why[i], sizeof(why[i]));
		if (!ret) {
			if (env->verbose)
				for (size_t j = 0; j < i; j++)
					fprintf(stderr, "finrst: %s\n", why[j]);
			return 0;
		}
	}
	snprintf(err, errlen, "no usable hook backend (%s; %s; %s)", why[0],
		 why[1], why[2]);
	return ret;
}

void fr_loader_stop(struct fr_loader *l)
{
	bpf_link__destroy(l->iter);
	l->iter = NULL;
	finrst_bpf__destroy(l->skel);
	l->skel = NULL;
}

unsigned long long fr_loader_percpu_sum(const struct bpf_map *map, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 *vals;

	if (!map || ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map__lookup_elem(map, &idx, sizeof(idx), vals,
				  sizeof(*vals) * (size_t)ncpu, 0))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

unsigned long long fr_loader_counter(struct fr_loader *l, unsigned int idx)
{
	return l->skel ? fr_loader_percpu_sum(l->skel->maps.counters, idx) : 0;
}

int fr_loader_unaccounted(struct fr_loader *l, bool verbose,
			  unsigned long long *lost)
{
	unsigned long long tracked, ended, marked, live;
	struct timespec settle = { 0, 10000000 };	/* 10 ms */
	char buf[64];
	ssize_t n;
	int fd;

	*lost = 0;
	if (!l->skel || !l->iter)
		return -ENOENT;
	/* No new records from here on; let programs already past the check
	 * finish (they run in microseconds). */
	__atomic_store_n(&l->skel->bss->tracking_off, 1, __ATOMIC_SEQ_CST);
	nanosleep(&settle, NULL);

	fd = bpf_iter_create(bpf_link__fd(l->iter));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (n < 0)
		return -errno;
	live = __atomic_load_n(&l->skel->bss->live_unended, __ATOMIC_SEQ_CST);
	/* Marked records finish on both counters: read that one first. */
	marked = fr_loader_counter(l, FR_CNT_MARKED_ENDED);
	ended = fr_loader_counter(l, FR_CNT_ENDED);
	tracked = fr_loader_counter(l, FR_CNT_TRACKED);
	if (verbose)
		fprintf(stderr, "finrst: reconciliation: records started=%llu "
				"finished=%llu (after the count: %llu) "
				"live=%llu\n", tracked, ended, marked, live);
	ended -= marked;
	if (tracked > ended + live)
		*lost = tracked - ended - live;
	return 0;
}

unsigned long long fr_loader_missed(struct fr_loader *l)
{
	struct bpf_program *p;
	unsigned long long sum = 0;

	if (!l->skel)
		return 0;
	bpf_object__for_each_program(p, l->skel->obj) {
		const char *name = bpf_program__name(p);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		bool twinned = false;
		int fd = bpf_program__fd(p);

		/* A primary with a twin: the twin runs what it skips. The
		 * twin's own skips bound the events both skipped (nested two
		 * deep, seen a few times per 100,000 connections at full
		 * churn), so they count, though most of them lost nothing. */
		if (!strncmp(name, "tp_", 3)) {
			char twin[64];

			snprintf(twin, sizeof(twin), "twin_%s", name + 3);
			twinned = bpf_object__find_program_by_name(l->skel->obj,
								   twin);
		}
		if (twinned || fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}
