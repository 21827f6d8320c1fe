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

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
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

#define EEXIST 17
#define ETIMEDOUT 110

#define SKB_DST_NOREF 1UL    /* include/linux/skbuff.h */
#define RTF_LOCAL 0x80000000 /* include/uapi/linux/ipv6_route.h */
#define TCP_RST_BIT 0x04     /* tcp_flag_byte(): byte 13 of the header */

#endif
