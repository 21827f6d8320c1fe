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

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit)
{
	return 0;
}
