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
 * (bpf_task_pt_regs(), 5.15), or -1 outside any; kernel_defs.bpf.h has
 * the numbers of the same architecture.
 */
static __always_inline long task_syscall_nr(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

#if defined(__TARGET_ARCH_x86)
	/* arch/x86/entry/common.c: do_syscall_64() keeps nr in orig_ax */
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	/* arch/arm64/kernel/syscall.c: el0_svc_common() sets syscallno
	 * (an s32; NO_SYSCALL, -1, outside a syscall) */
	return regs->syscallno;
#else
#error "compat.bpf.h: task_syscall_nr() needs this architecture's pt_regs"
#endif
}

/* struct file before file_ref_t (6.13, "fs: add file_ref"): a plain
 * atomic_long_t count */
struct file___fcount {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* struct file since 6.13: file_ref_t f_ref. Flavoured too, so that the
 * object builds against a vmlinux.h from before it (arm64's is 6.12's). */
struct file_ref___x {
	atomic_long_t refcnt;
};

struct file___fref {
	struct file_ref___x f_ref;
} __attribute__((preserve_access_index));

/*
 * Is @f in its final release (__fput, where a socket's last close runs)?
 * Its count is then down to 0 (f_count), or FILE_REF_DEAD, a negative
 * value (f_ref); a live file holds at least one reference.
 */
static __always_inline bool file_released(struct file *f)
{
	if (bpf_core_field_exists(struct file___fcount, f_count))
		return BPF_CORE_READ((struct file___fcount *)f,
				     f_count.counter) == 0;
	return (long)BPF_CORE_READ((struct file___fref *)f,
				   f_ref.refcnt.counter) < 0;
}

#endif
