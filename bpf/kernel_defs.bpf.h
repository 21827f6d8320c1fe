/* SPDX-License-Identifier: GPL-2.0 */
/* Constants vmlinux.h lacks (they are #defines in the kernel), in one place. */
#ifndef FINRST_KERNEL_DEFS_BPF_H
#define FINRST_KERNEL_DEFS_BPF_H

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define SOCK_STREAM 1

#define PF_EXITING 0x00000004 /* include/linux/sched.h */

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/*
 * Syscall numbers of the calls whose context finrst tells apart
 * (context.bpf.h), per architecture: the BPF object is built for one
 * (clang -D__TARGET_ARCH_x86 or _arm64, cmake/bpf.cmake).
 */
#if defined(__TARGET_ARCH_x86)
/* x86_64: arch/x86/entry/syscalls/syscall_64.tbl */
#define NR_close 3
#define NR_dup2 33
#define NR_connect 42
#define NR_shutdown 48
#define NR_execve 59
#define NR_exit 60
#define NR_exit_group 231
#define NR_dup3 292
#define NR_execveat 322
#define NR_close_range 436
#elif defined(__TARGET_ARCH_arm64)
/* arm64: the generic table, include/uapi/asm-generic/unistd.h */
#define NR_dup3 24
#define NR_close 57
#define NR_exit 93
#define NR_exit_group 94
#define NR_connect 203
#define NR_shutdown 210
#define NR_execve 221
#define NR_execveat 281
#define NR_close_range 436
/* The generic table has no dup2 (libc makes it with dup3). A number no
 * syscall has, so that its case never matches: not -1, which is arm64's
 * NO_SYSCALL in pt_regs->syscallno outside any syscall. */
#define NR_dup2 (-2)
#else
#error "kernel_defs.bpf.h: no syscall numbers for this __TARGET_ARCH_"
#endif

/* io_uring_enter: 426 on every architecture (the numbers shared since
 * 5.1); PF_IO_WORKER: io-wq and SQPOLL threads (include/linux/sched.h,
 * 5.12) */
#define NR_io_uring_enter 426
#define PF_IO_WORKER 0x00000010

#define EEXIST 17
#define EPIPE 32
#define ECONNRESET 104
#define ETIMEDOUT 110

#define SKB_DST_NOREF 1UL    /* include/linux/skbuff.h */
#define RTF_LOCAL 0x80000000 /* include/uapi/linux/ipv6_route.h */
#define TCP_RST_BIT 0x04     /* tcp_flag_byte(): byte 13 of the header */
#define TCPHDR_FIN 0x01	     /* tcp_skb_cb.tcp_flags (include/net/tcp.h) */
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_ACK 0x10
#define RCV_SHUTDOWN 1 /* sk_shutdown bits (include/net/sock.h) */

#endif
