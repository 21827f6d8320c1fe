/* SPDX-License-Identifier: GPL-2.0 */
/* privs.h - least privilege once everything is attached. */
#ifndef FINRST_PRIVS_H
#define FINRST_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Drop every capability but CAP_BPF (effective, permitted, inheritable,
 * ambient, and the bounding set when CAP_SETPCAP allows); with stack, also
 * keep CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (user frames). 0, or -1 with
 * a reason in err.
 */
int fr_drop_privileges(bool stack, char *err, size_t errlen);

/*
 * Which of the capabilities loading needs (CAP_BPF, CAP_PERFMON,
 * CAP_NET_ADMIN) this process lacks in its effective set, as
 * "CAP_BPF, CAP_PERFMON" in buf; CAP_SYS_ADMIN stands in for the first two,
 * as in the kernel. Returns how many are missing (0: buf is ""), or -1 if
 * the process's capabilities cannot be read.
 */
int fr_missing_caps(char *buf, size_t len);

#endif
