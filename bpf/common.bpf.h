/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.bpf.h - the configuration userspace sets before load, the ring
 * buffer, the counters, and the globals shared with userspace.
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_COMMON_BPF_H
#define FINRST_COMMON_BPF_H

/* Configuration, set by userspace before load. */
const volatile __u32 mode = FR_HOOKS_TRACEPOINT; /* enum fr_hooks */
const volatile __u32 hz = 250; /* kernel CONFIG_HZ, for sk_lingertime */
const volatile __u32 filter_netns;
const volatile __u32 filter_pid;
const volatile __u16 filter_family;
const volatile __u16 nr_filter_ports;
const volatile __u16 filter_ports[FR_MAX_PORTS];
const volatile bool records_on = true; /* records to the ring buffer */
const volatile bool metrics_on;	       /* aggregate for --metrics */
const volatile bool rst_only;	       /* --rst-only: no "fin" records */
const volatile bool stacks_on;	       /* --stack */
const volatile __u64 filter_cgroup;    /* --cgroup: cgroup v2 id, 0 = any */
/* --test-stale-entries (testing only): leave a socket's entry behind at
 * tcp_destroy_sock, as when the kernel runs no program there, so that the
 * sweep has dead entries to find. */
const volatile bool test_stale_entries;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by userspace */
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FR_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Set by userspace at exit, before the reconciliation: start no new
 * records, so that every started record is either finished, or live in
 * `socks` (counted by sock_liveness), or lost.
 */
__u32 tracking_off;
/* Written by sock_liveness: started, unfinished records of live sockets. */
__u64 live_unended;
/*
 * Set by userspace once sock_liveness runs (the sweep works): a socket's
 * entry is left at tcp_destroy_sock, marked dead, for the next socket at
 * the same address to take over, instead of being deleted (sock_done).
 */
__u32 recycle_entries;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	/* Atomic although per-CPU: a program in a softirq can interrupt
	 * another between its load and its store (the twins exist for
	 * that), and a lost CNT_ENDED would count a delivered record as
	 * lost in the exit reconciliation. */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

#endif
