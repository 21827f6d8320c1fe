// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's floor: empty programs on the hooks finrst's tracepoint
 * backend attaches, so the cost of merely running a BPF program there can
 * be told apart from the cost of what finrst does in it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_set_state)
{
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
