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
 * Helpers that tracing programs get only on newer kernels. The loader
 * test-loads a program calling each (fr_tracing_helpers) and sets these
 * before the load; the verifier then walks only the branch the kernel
 * has (read-only map values are known scalars, 5.2), and drops the other
 * before it resolves helper calls (opt_remove_dead_code).
 *
 * bpf_get_socket_cookie() of a BTF socket (bpf_get_socket_ptr_cookie):
 * 5.12. bpf_get_current_task_btf(): 5.11. bpf_task_pt_regs(): 5.15.
 */
const volatile bool have_sk_cookie;
const volatile bool have_task_btf;
const volatile bool have_task_pt_regs;

/*
 * The socket's cookie, which tells an entry's socket from a later one at
 * the same address. Without the helper, the cookie is read where the
 * kernel already made one (sock_gen_cookie(): sock_diag, SO_COOKIE), and
 * is 0 otherwise: the entry is then the address's, and a birth starts it
 * afresh (sock_entry, birth).
 */
static __always_inline __u64 sk_cookie(struct sock *sk)
{
	if (have_sk_cookie)
		return bpf_get_socket_cookie(sk);
	return sk->__sk_common.skc_cookie.counter;
}

/* The current task: a BTF pointer, or before 5.11 a plain address whose
 * fields are read through the task_*() accessors below. */
static __always_inline struct task_struct *current_task(void)
{
	if (have_task_btf)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline unsigned int task_flags(struct task_struct *t)
{
	if (have_task_btf)
		return t->flags;
	return BPF_CORE_READ(t, flags);
}

static __always_inline struct fdtable *task_fdt(struct task_struct *t)
{
	if (have_task_btf)
		return t->files->fdt;
	return BPF_CORE_READ(t, files, fdt);
}

/*
 * Before bpf_task_pt_regs(), a task's saved user registers are found where
 * task_pt_regs() puts them, at a fixed offset from the base of its kernel
 * stack (the top, THREAD_SIZE, less the registers and any padding). That
 * offset is learned from the first raw_syscalls:sys_enter seen, whose
 * first argument is the current task's task_pt_regs() (tpold_sys_enter):
 * 0 until then.
 */
__u64 regs_off;

static __always_inline void learn_regs_off(__u64 *ctx)
{
	struct task_struct *t;
	__u64 regs;

	if (have_task_pt_regs || regs_off)
		return;
	/* read as a number: the verifier allows no arithmetic on the BTF
	 * pointer that ctx[0] is */
	if (bpf_probe_read_kernel(&regs, sizeof(regs), ctx))
		return;
	t = current_task();
	regs_off = regs - (__u64)BPF_CORE_READ(t, stack);
}

/* The registers @task entered the kernel with: a BTF pointer, or before
 * 5.15 a plain address (NULL until regs_off is known), read through
 * REGS_READ. */
static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	if (have_task_pt_regs)
		return (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs_off)
		return NULL;
	return (struct pt_regs *)((__u64)BPF_CORE_READ(task, stack) + regs_off);
}

#define REGS_READ(regs, field) \
	(have_task_pt_regs ? (regs)->field : BPF_CORE_READ(regs, field))

/*
 * The system call @task is in, from the registers the entry code saved,
 * or -1 outside any (or before regs_off is known); kernel_defs.bpf.h has
 * the numbers of the same architecture.
 */
static __always_inline long task_syscall_nr(struct task_struct *task)
{
	struct pt_regs *regs = task_regs(task);

	if (!regs)
		return -1;
#if defined(__TARGET_ARCH_x86)
	/* arch/x86/entry/common.c: do_syscall_64() keeps nr in orig_ax */
	return REGS_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	/* arch/arm64/kernel/syscall.c: el0_svc_common() sets syscallno
	 * (an s32; NO_SYSCALL, -1, outside a syscall) */
	return REGS_READ(regs, syscallno);
#else
#error "compat.bpf.h: task_syscall_nr() needs this architecture's pt_regs"
#endif
}

/* struct sock_cgroup_data before 5.15 (some 5.10 stable builds keep it):
 * a union whose u64 is the cgroup pointer when its low bit (is_data) is
 * clear, and net_prio/net_cls ids when set (cgroup v1 in use; the socket
 * then counts as in the root cgroup). */
struct sock_cgroup_data___val {
	__u64 val;
};

/* The cgroup (v2) a socket belongs to, or NULL when not known. */
static __always_inline struct cgroup *sk_cgroup(struct sock *sk)
{
	struct sock_cgroup_data___val *d;
	__u64 v;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	d = (void *)&sk->sk_cgrp_data;
	v = BPF_CORE_READ(d, val);
	return v & 1 ? NULL : (struct cgroup *)v;
}

/* Its id, 0 when not known; @sk a BTF pointer (direct loads where the
 * layout allows). */
static __always_inline __u64 sk_cgroup_id(struct sock *sk)
{
	struct cgroup *cg;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup)) {
		cg = sk->sk_cgrp_data.cgroup;
		return cg ? cg->kn->id : 0;
	}
	cg = sk_cgroup(sk);
	return cg ? BPF_CORE_READ(cg, kn, id) : 0;
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
