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

/* The nice value the record reader raises itself to (fr_boost_priority). */
#define FR_READER_NICE (-5)

/*
 * Raise the calling thread's priority to FR_READER_NICE (threads it creates
 * later inherit it), if it runs at nice 0: a nice value the user chose
 * stands. Needs CAP_SYS_NICE, so call it before fr_drop_privileges().
 * Returns 0 with the thread's nice value afterwards in *nice, or -errno
 * (EACCES without CAP_SYS_NICE).
 */
int fr_boost_priority(int *nice);

#endif
