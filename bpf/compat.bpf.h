/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.bpf.h - kernel differences, each with the change that made it:
 * flavoured structs for CO-RE and the helpers that hide them.
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_COMPAT_BPF_H
#define FINRST_COMPAT_BPF_H

/* Before 6.1 (commit e9bd0cca09d1) netns_ipv4 held a pointer to the
 * death row; since then it is embedded. */
struct netns_ipv4___dr_ptr {
	struct inet_timewait_death_row *tcp_death_row;
};

struct net___dr_ptr {
	struct netns_ipv4___dr_ptr ipv4;
};

/*
 * Was the TIME_WAIT socket refused because the table is full?
 * inet_twsk_alloc() refuses when tw_refcount - 1 >= sysctl_max_tw_buckets
 * (TCPTimeWaitOverflow); after a success the count is at most the maximum.
 * So at the CLOSE that follows, a count at or above it means no timewait
 * socket was kept (wrong only for the one that filled the last slot).
 */
static __always_inline bool tw_table_full(struct sock *sk)
{
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	struct inet_timewait_death_row *dr;
	int refs, max;

	if (!bpf_core_field_exists(struct inet_timewait_death_row, tw_refcount))
		return false; /* < 5.19: atomic tw_count */
	if (bpf_core_field_size(net->ipv4.tcp_death_row) == sizeof(void *))
		dr = BPF_CORE_READ((struct net___dr_ptr *)net,
				   ipv4.tcp_death_row);
	else
		dr = &net->ipv4.tcp_death_row;
	refs = BPF_CORE_READ(dr, tw_refcount.refs.counter);
	max = BPF_CORE_READ(dr, sysctl_max_tw_buckets);
	return refs - 1 >= max;
}

/*
 * The system call @task is in, from the registers the entry code saved
 * (bpf_task_pt_regs(), 5.15). x86_64 keeps its number in orig_ax, and
 * kernel_defs.bpf.h has x86_64's numbers: other architectures need theirs.
 */
static __always_inline long task_syscall_nr(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return regs->orig_ax;
}

#endif
