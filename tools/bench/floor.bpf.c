// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: empty programs on the hooks finrst's tracepoint
 * backend attaches, so the cost of merely running a BPF program there can
 * be told apart from the cost of what finrst does in it. With records_on
 * (finrst-floor -r), the least a per-socket tracer can send: a 48-byte
 * record per socket that reaches CLOSE, submitted without a wakeup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile bool records_on;

struct floor_record {
	__u64 sk;
	__u64 ns;
	__u8 saddr[4];
	__u8 daddr[4];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 old;
	__u8 pad[17];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} records SEC(".maps");

/* failed reserves: never a silent loss, here either */
__u64 lost;

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_set_state, const struct sock *sk, const int old,
	     const int new)
{
	struct floor_record *r;

	if (!records_on || new != 7 /* TCP_CLOSE */ ||
	    sk->sk_protocol != IPPROTO_TCP)
		return 0;
	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	r->sk = (__u64)sk;
	r->ns = bpf_ktime_get_ns();
	__builtin_memcpy(r->saddr, &sk->__sk_common.skc_rcv_saddr, 4);
	__builtin_memcpy(r->daddr, &sk->__sk_common.skc_daddr, 4);
	r->sport = sk->__sk_common.skc_num;
	r->dport = sk->__sk_common.skc_dport;
	r->family = sk->__sk_common.skc_family;
	r->old = old;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(floor_send_reset)
{
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(floor_receive_reset)
{
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(floor_destroy_sock)
{
	return 0;
}

/* The syscall tracepoints of finrst's tracepoint backend (>= 6.7: no raw
 * sys_enter). Each runs for its own syscall only, but enabling any of
 * them sends every syscall of the host through the tracing slow path
 * (syscall_trace_enter: SYSCALL_WORK_SYSCALL_TRACEPOINT). */
SEC("tracepoint/syscalls/sys_enter_shutdown")
int floor_shutdown(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int floor_accept(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int floor_accept4(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_close")
int floor_close(void *ctx)
{
	return 0;
}
