/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twins.bpf.h - the twin programs that handle the events their primaries
 * were skipped for.
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_TWINS_BPF_H
#define FINRST_TWINS_BPF_H

/*
 * The kernel runs a tracing program at most once per CPU at a time
 * (__bpf_trace_run(): prog->active; the skips are counted as the program's
 * recursion_misses). A softirq that interrupts tp_send_reset in process
 * context (an active RST from close()) and resets another socket would go
 * unseen, and that record would lack its RST, a fact nothing later shows.
 * So the two RST tracepoints have a twin, attached after the primary
 * (probes run in attach order): the twin handles what its primary did not.
 * (inet_sock_set_state and tcp_destroy_sock have none: state.bpf.h,
 * catch_up, re-derives what a skip there hides.) The primary stores the arguments of the event it
 * handled in its slot; the twin, running next for the same event, finds
 * them and clears the slot, while for an event nested in the primary the
 * slot holds other arguments (a socket cannot change state inside its own
 * change) and the twin handles it.
 */
enum fr_twin { TWIN_SEND_RESET, TWIN_RECEIVE_RESET, TWIN__MAX };

struct fr_event {
	__u64 a, b, c;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TWIN__MAX);
	__type(key, __u32);
	__type(value, struct fr_event);
} twins SEC(".maps");

static __always_inline void twin_done(__u32 slot, __u64 a, __u64 b, __u64 c)
{
	struct fr_event *e = bpf_map_lookup_elem(&twins, &slot);

	if (e) {
		e->a = a;
		e->b = b;
		e->c = c;
	}
}

/* In a twin: did the primary handle this event? */
static __always_inline bool twin_handled(__u32 slot, __u64 a, __u64 b, __u64 c)
{
	struct fr_event *e = bpf_map_lookup_elem(&twins, &slot);

	if (!e)
		return false;
	if (e->a == a && e->b == b && e->c == c) {
		e->a = e->b = e->c = 0;
		return true;
	}
	return false;
}

/*
 * A primary and its twin on one tp_btf tracepoint, as tp_NAME and
 * twin_NAME: the primary runs HANDLE and stores (A, B, C), the event's
 * arguments, in SLOT; the twin, attached after it, runs HANDLE only when
 * the slot does not hold them. The rest are the tracepoint's arguments.
 */
#define FR_TWINS(name, tp, slot, a, b, c, handle, ...)                       \
	SEC("tp_btf/" tp)                                                    \
	int BPF_PROG(tp_##name, __VA_ARGS__)                                 \
	{                                                                    \
		handle;                                                      \
		twin_done(slot, (__u64)(a), (__u64)(b), (__u64)(c));         \
		return 0;                                                    \
	}                                                                    \
                                                                             \
	SEC("tp_btf/" tp)                                                    \
	int BPF_PROG(twin_##name, __VA_ARGS__)                               \
	{                                                                    \
		if (!twin_handled(slot, (__u64)(a), (__u64)(b), (__u64)(c))) \
			handle;                                              \
		return 0;                                                    \
	}

#endif
