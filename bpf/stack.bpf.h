/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stack.bpf.h - --stack: the kernel and user stacks of the code that sent a
 * RST.
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_STACK_BPF_H
#define FINRST_STACK_BPF_H

/* --stack: the stacks of the last RST sent on this CPU, and its socket.
 * The record that RST ends goes out on the same CPU, in the same call
 * chain (tcp_send_active_reset, then tcp_done for the timers). */
struct fr_stack_slot {
	__u64 sk;
	struct fr_stack st;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_stack_slot);
} stack_slot SEC(".maps");

/*
 * --stack: take the stacks of the RST being sent on @sk.  User frames only
 * inside a local call: in a timer or softirq the current task's user stack
 * has nothing to do with the RST.
 */
static __always_inline void take_stack(void *ctx, struct sock *sk, bool user)
{
	struct fr_stack_slot *slot;
	__u32 zero = 0;
	long n;

	slot = bpf_map_lookup_elem(&stack_slot, &zero);
	if (!slot)
		return;
	slot->sk = (__u64)sk;
	n = bpf_get_stack(ctx, slot->st.ip, FR_STACK_DEPTH * 8, 0);
	slot->st.nr_kernel = n > 0 ? (__u64)n / 8 : 0;
	slot->st.nr_user = 0;
	slot->st.user_ret = 0;
	slot->st.pid = 0;
	if (!user)
		return;
	slot->st.pid = bpf_get_current_pid_tgid() >> 32;
	n = bpf_get_stack(ctx, &slot->st.ip[FR_STACK_DEPTH], FR_STACK_DEPTH * 8,
			  BPF_F_USER_STACK);
	slot->st.nr_user = n > 0 ? (__u64)n / 8 : 0;
#ifdef __TARGET_ARCH_x86
	/* A syscall wrapper (libc close()) makes no frame, so unwinding by
	 * frame pointers skips its caller; that caller's return address is
	 * then the word at the user stack pointer.  Keep it if the bytes
	 * before it are a call: e8 rel32, or ff 15 disp32 (-fno-plt). */
	struct pt_regs *regs = task_regs(current_task());
	__u64 ret = 0;
	__u8 code[6];

	if (regs &&
	    !bpf_probe_read_user(&ret, sizeof(ret),
				 (void *)REGS_READ(regs, sp)) &&
	    ret > 6 &&
	    !bpf_probe_read_user(code, sizeof(code), (void *)(ret - 6)) &&
	    (code[1] == 0xe8 || (code[0] == 0xff && code[1] == 0x15)))
		slot->st.user_ret = ret;
#endif
}

#endif
