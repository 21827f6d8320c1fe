// SPDX-License-Identifier: GPL-2.0
/*
 * finrst.bpf.c - the programs of the one BPF object, as thin wrappers.
 *
 * The record under construction lives in a hash map keyed by the socket's
 * address (`socks`, sock.bpf.h) and crosses to userspace once, when the
 * socket's life ends (emit.bpf.h). The state machine (state.bpf.h) runs
 * in tp_btf handlers on sock:inet_sock_set_state, tcp:tcp_send_reset,
 * tcp:tcp_receive_reset and tcp:tcp_destroy_sock, in every backend. The
 * backends differ only in how they learn the call context (context.bpf.h):
 * which local call runs on which socket, when close() returned, what
 * shutdown() asked for, whether a RST is an active one:
 *
 *   fentry:     fentry/fexit tcp_close, tcp_shutdown, tcp_disconnect,
 *               tcp_send_active_reset; fexit inet_accept
 *   kprobe:     the same through kprobes and kretprobes
 *   tracepoint: the syscall number of the current task, and syscall
 *               tracepoints for shutdown(), accept() and the end of close()
 *
 * Why the order of the programs matters: programs on one hook run in the
 * order they were attached. A twin must run after its primary (twins.bpf.h)
 * and stack_send_reset before the tp_send_reset* programs that send the
 * record its stacks go with. The attach order is the order of
 * user/loader.c's table of roles, which also decides which programs load
 * (backend, kernel, options), never from their names.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "finrst.h"
#include "kernel_defs.bpf.h"
#include "common.bpf.h"
#include "compat.bpf.h"
#include "twins.bpf.h"
#include "sock.bpf.h"
#include "context.bpf.h"
#include "stack.bpf.h"
#include "emit.bpf.h"
#include "nosock.bpf.h"
#include "state.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- tracepoints, in every backend ---- */

/*
 * --stack: its own program, so that a kernel refusing its helpers
 * (bpf_get_stack, bpf_task_pt_regs) refuses --stack and nothing else.
 * Attached before tp_send_reset*: the record that this RST ends goes out
 * there, with these stacks. Only the first two arguments: the program fits
 * kernels with and without the reason argument.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(stack_send_reset, const struct sock *csk,
	     const struct sk_buff *skb)
{
	struct sock *sk = (struct sock *)csk;
	struct fr_sock *s;
	__u64 key = (__u64)sk;

	if (!sk || !bpf_skc_to_tcp_sock(sk) || !sk_wanted(sk))
		return 0;
	if (sk->__sk_common.skc_state != FR_TCP_CLOSE && !rst_active(sk, skb))
		return 0;
	s = bpf_map_lookup_elem(&socks, &key);
	take_stack(ctx, sk, s && s->pending && s->local_rst);
	return 0;
}

/* No twin: state.bpf.h (catch_up) re-derives the transitions the kernel
 * skips. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_set_state, const struct sock *sk, const int old, const int new)
{
	handle_set_state((struct sock *)sk, old, new);
	return 0;
}

/* >= 6.10: the tracepoint carries enum sk_rst_reason (commit 5cb2cb3cb271). */
FR_TWINS(send_reset_reason, "tcp_send_reset", TWIN_SEND_RESET, sk, skb, reason,
	 handle_send_reset(sk, skb, reason, true), const struct sock *sk,
	 const struct sk_buff *skb, int reason)

/* < 6.10: no reason argument. */
FR_TWINS(send_reset, "tcp_send_reset", TWIN_SEND_RESET, sk, skb, 0,
	 handle_send_reset(sk, skb, 0, false), const struct sock *sk,
	 const struct sk_buff *skb)

FR_TWINS(receive_reset, "tcp_receive_reset", TWIN_RECEIVE_RESET, sk, 0, 0,
	 handle_receive_reset(sk), struct sock *sk)

/* No twin: it runs in softirq or with BHs off (__tcp_close,
 * inet_csk_listen_stop), so another socket's destroy cannot nest in it;
 * a skip would leave an entry, which the next socket at the address
 * takes over or the sweep deletes (sock.bpf.h). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_destroy_sock, struct sock *sk)
{
	handle_destroy(sk);
	return 0;
}

/* Tracepoint backend, < 6.10: tcp_v4_rcv()/tcp_v6_rcv() free a segment
 * for a closed port with SKB_DROP_REASON_NO_SOCKET right after
 * tcp_v{4,6}_send_reset(NULL, skb). The reason argument exists since 5.17
 * and its numbering changes between versions (CO-RE enum value). TIME_WAIT
 * and request-socket RSTs leave no trace here. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	struct fr_seg g;

	if (reason == bpf_core_enum_value(enum skb_drop_reason,
					  SKB_DROP_REASON_NOT_SPECIFIED)) {
		if (tw_emulate)
			tw_segment(ctx, skb, (__u64)location);
		return 0;
	}
	if (reason != bpf_core_enum_value(enum skb_drop_reason,
					  SKB_DROP_REASON_NO_SOCKET))
		return 0;
	if (seg_parse(skb, &g) && reply_rst_sent(NULL, skb, &g))
		handle_nosock_rst(NULL, skb, &g, 0, false, false);
	return 0;
}

/* Before 5.17 (kfree_skb_reason() added the reason) a segment for a
 * closed port cannot be told from other drops in tcp_v4_rcv(): only the
 * timewait sockets' RSTs are repeated, and the loader says what is not
 * reported. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb_tw, struct sk_buff *skb, void *location)
{
	if (tw_emulate)
		tw_segment(ctx, skb, (__u64)location);
	return 0;
}

/* ---- fentry backend ---- */

/* inet_accept(sock, newsock, ...): the arguments after these two changed
 * in 6.10 (flags/kern -> struct proto_accept_arg), so read only these. */
SEC("fexit/inet_accept")
int BPF_PROG(fexit_inet_accept, struct socket *sock, struct socket *newsock)
{
	accepted((__u64)BPF_CORE_READ(newsock, sk), false);
	return 0;
}

SEC("fentry/tcp_close")
int BPF_PROG(fentry_tcp_close, struct sock *sk, long timeout)
{
	call_enter((__u64)sk, CALL_CLOSE);
	return 0;
}

SEC("fexit/tcp_close")
int BPF_PROG(fexit_tcp_close, struct sock *sk, long timeout)
{
	call_exit(CALL_CLOSE);
	return 0;
}

/* tcp_shutdown() gets how + 1 (inet_shutdown: how++), SHUT_RD included. */
SEC("fentry/tcp_shutdown")
int BPF_PROG(fentry_tcp_shutdown, struct sock *sk, int how)
{
	shutdown_called((__u64)sk, how - 1, sk->__sk_common.skc_state);
	call_enter((__u64)sk, CALL_SHUTDOWN);
	return 0;
}

SEC("fexit/tcp_shutdown")
int BPF_PROG(fexit_tcp_shutdown, struct sock *sk, int how)
{
	call_exit(CALL_SHUTDOWN);
	return 0;
}

SEC("fentry/tcp_disconnect")
int BPF_PROG(fentry_tcp_disconnect, struct sock *sk, int flags)
{
	call_enter((__u64)sk, CALL_DISCONNECT);
	return 0;
}

SEC("fexit/tcp_disconnect")
int BPF_PROG(fexit_tcp_disconnect, struct sock *sk, int flags, int ret)
{
	call_exit(CALL_DISCONNECT);
	return 0;
}

/* (sk, priority); 6.10 added enum sk_rst_reason. Only sk is read. */
SEC("fentry/tcp_send_active_reset")
int BPF_PROG(fentry_tcp_send_active_reset, struct sock *sk)
{
	active_reset_enter((__u64)sk);
	return 0;
}

SEC("fexit/tcp_send_active_reset")
int BPF_PROG(fexit_tcp_send_active_reset, struct sock *sk)
{
	active_reset_exit();
	return 0;
}

/* < 6.10 only (see reply_rst_untraced); 6.10 added a reason argument */
SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(fentry_tcp_v4_send_reset, const struct sock *sk,
	     struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(fentry_tcp_v6_send_reset, const struct sock *sk,
	     struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

/* ---- kprobe backend ---- */

/* (sk, flags, err, kern) until 6.10, then (sk, arg): only the return
 * value is read. */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(kretprobe_inet_csk_accept, struct sock *newsk)
{
	accepted((__u64)newsk, false);
	return 0;
}

SEC("kprobe/tcp_close")
int BPF_KPROBE(kprobe_tcp_close, struct sock *sk)
{
	call_enter((__u64)sk, CALL_CLOSE);
	return 0;
}

SEC("kretprobe/tcp_close")
int BPF_KRETPROBE(kretprobe_tcp_close)
{
	call_exit(CALL_CLOSE);
	return 0;
}

SEC("kprobe/tcp_shutdown")
int BPF_KPROBE(kprobe_tcp_shutdown, struct sock *sk, int how)
{
	shutdown_called((__u64)sk, how - 1,
			BPF_CORE_READ(sk, __sk_common.skc_state));
	call_enter((__u64)sk, CALL_SHUTDOWN);
	return 0;
}

SEC("kretprobe/tcp_shutdown")
int BPF_KRETPROBE(kretprobe_tcp_shutdown)
{
	call_exit(CALL_SHUTDOWN);
	return 0;
}

SEC("kprobe/tcp_disconnect")
int BPF_KPROBE(kprobe_tcp_disconnect, struct sock *sk)
{
	call_enter((__u64)sk, CALL_DISCONNECT);
	return 0;
}

SEC("kretprobe/tcp_disconnect")
int BPF_KRETPROBE(kretprobe_tcp_disconnect)
{
	call_exit(CALL_DISCONNECT);
	return 0;
}

SEC("kprobe/tcp_send_active_reset")
int BPF_KPROBE(kprobe_tcp_send_active_reset, struct sock *sk)
{
	active_reset_enter((__u64)sk);
	return 0;
}

SEC("kretprobe/tcp_send_active_reset")
int BPF_KRETPROBE(kretprobe_tcp_send_active_reset)
{
	active_reset_exit();
	return 0;
}

/* < 6.10 only, as the fentry pair above */
SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(kprobe_tcp_v4_send_reset, const struct sock *sk,
	       struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(kprobe_tcp_v6_send_reset, const struct sock *sk,
	       struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

/* ---- tracepoint backend: syscalls ---- */

SEC("tracepoint/syscalls/sys_enter_shutdown")
int tps_shutdown(struct fr_sys_enter *ctx)
{
	__u64 sk = fd_to_sock(current_task(), (int)ctx->args[0]);
	struct sock *skp = (struct sock *)sk;

	if (!sk || BPF_CORE_READ(skp, sk_protocol) != IPPROTO_TCP ||
	    BPF_CORE_READ(skp, sk_type) != SOCK_STREAM)
		return 0;
	shutdown_called(sk, (int)ctx->args[1],
			BPF_CORE_READ(skp, __sk_common.skc_state));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tps_accept(struct fr_sys_exit *ctx)
{
	accept_returned(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tps_accept4(struct fr_sys_exit *ctx)
{
	accept_returned(ctx->ret);
	return 0;
}

/* io_uring_complete: (ctx, req, user_data, res, cflags, extra1, extra2)
 * from 5.19; (ctx, req, struct io_uring_cqe *) on 6.18. The loader picks
 * by the tracepoint's prototype in BTF (fr_uring_complete_args). */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(tpu_complete, void *ring, void *req, __u64 user_data, int res)
{
	uring_completed(req, res);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(tpu_complete_cqe, void *ring, void *req, struct io_uring_cqe *cqe)
{
	uring_completed(req, cqe ? BPF_CORE_READ(cqe, res) : -1);
	return 0;
}

/* Before 5.19 the tracepoint is (ctx, user_data, res[, cflags]): no
 * request, so no opcode. Any completion's res that is a descriptor of a
 * socket in the completing task's table names that socket's holder, which
 * is what an accept's owner is: taken for an entry with no owner yet and
 * no record finished. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(tpu_complete_noreq, void *ring, __u64 user_data, long res)
{
	if (res >= 0)
		accepted(fd_to_sock(current_task(), (int)res), true);
	return 0;
}

/* close(2) runs __fput_sync() since commit 021a160abf62 (Aug 2023; the
 * loader probes it in BTF, fr_close_is_sync): tcp_close has returned here. */
SEC("tracepoint/syscalls/sys_exit_close")
int tps_close(struct fr_sys_exit *ctx)
{
	if (nr_lingering)
		close_returned();
	return 0;
}

/* Before it, close(2) left fput to task_work after the syscall's exit, so
 * the end of a lingering close shows only at the thread's next syscall
 * (tracepoint backend). Before bpf_task_pt_regs() (5.15), this also
 * learns where a task's registers are (learn_regs_off), for the
 * tracepoint backend and --stack. The loader attaches this on those
 * kernels only: it runs for every syscall. */
SEC("tp_btf/sys_enter")
int BPF_PROG(tpold_sys_enter, struct pt_regs *regs, long id)
{
	learn_regs_off(ctx);
	if (mode == FR_HOOKS_TRACEPOINT && nr_lingering)
		close_returned();
	return 0;
}

/* Run by userspace through BPF_PROG_TEST_RUN, never attached (sock.bpf.h,
 * live_one). */
SEC("raw_tp")
int sock_liveness(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 op = ctx->args[0];

#pragma unroll
	for (int i = 1; i <= FR_LIVE_BATCH; i++)
		if (!live_one(op, ctx->args[i]))
			break;
	return 0;
}
