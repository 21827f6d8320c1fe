/* SPDX-License-Identifier: GPL-2.0 */
/* Facts about the running kernel that finrst needs before it loads. */
#ifndef FINRST_SYSINFO_H
#define FINRST_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* The kernel's CONFIG_HZ (sk_lingertime is in jiffies), or 0 if unknown. */
unsigned int fr_kernel_hz(void);

/* Names of enum sk_rst_reason, from the running kernel's BTF. */
struct fr_reasons {
	char **names; /* indexed by value, NULL where none */
	unsigned int n;
};
int fr_reasons_load(const struct btf *vmlinux, struct fr_reasons *r);
const char *fr_reason_name(unsigned int value, void *arg);
void fr_reasons_free(struct fr_reasons *r);

/*
 * Can libbpf attach the syscall tracepoints the tracepoint backend uses?
 * It reads their ids in tracefs. false if it can; else true, with what is
 * wrong and how to fix it in buf.
 */
bool fr_tracefs_problem(char *buf, size_t len);

/* Does tracepoint tcp:tcp_send_reset carry enum sk_rst_reason (>= 6.10)? */
bool fr_send_reset_has_reason(const struct btf *vmlinux);

/* Does tracepoint skb:kfree_skb carry its drop reason (>= 5.17)? */
bool fr_kfree_skb_has_reason(const struct btf *vmlinux);

/* Does close(2) release the file before it returns (6.7, filp_flush)? */
bool fr_close_is_sync(const struct btf *vmlinux);

/* The arguments of tracepoint io_uring:io_uring_complete: */
enum fr_uring_args {
	FR_URING_NONE,	 /* no such tracepoint, or one finrst does not read */
	FR_URING_NO_REQ, /* (ctx, user_data, res, ...): before 5.19 */
	FR_URING_RES,	 /* (ctx, req, user_data, res, ...): 5.19 to 6.16 */
	FR_URING_CQE,	 /* (ctx, req, struct io_uring_cqe *): 6.18 */
};
enum fr_uring_args fr_uring_complete_args(const struct btf *vmlinux);

/* The address range [start, end) of each kernel function of names[] in
 * /proc/kallsyms (end: the next symbol's address), 0, 0 for one not
 * there; -1 if the file cannot be read. */
int fr_kallsyms_ranges(const char *const names[], size_t n,
		       unsigned long long (*range)[2]);

/*
 * BPF helpers that tracing programs get only on newer kernels, found by
 * test loads of a tp_btf program calling each (bpf/compat.bpf.h has the
 * fallbacks); a kernel that refuses BPF altogether has none of them.
 */
enum {
	FR_HELPER_SK_COOKIE = 1 << 0,	 /* bpf_get_socket_cookie(sk), 5.12 */
	FR_HELPER_TASK_BTF = 1 << 1,	 /* bpf_get_current_task_btf, 5.11 */
	FR_HELPER_TASK_PT_REGS = 1 << 2, /* bpf_task_pt_regs, 5.15 */
};
unsigned int fr_tracing_helpers(const struct btf *vmlinux);

/* Can this kernel attach kprobes at all (CONFIG_KPROBES)? */
bool fr_kprobes_available(void);

#endif
