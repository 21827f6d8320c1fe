// SPDX-License-Identifier: GPL-2.0
/*
 * privs.c - what finrst keeps after attaching: CAP_BPF only.
 *
 * Loading and attaching need CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (or
 * root); the metrics socket is bound before the drop, so a port below 1024
 * needs nothing later. After that finrst reads its ring buffer through
 * mmap(2) and epoll, which need no capability, and its maps (counters at
 * exit, --metrics scrapes, the exit reconciliation) through bpf(2). With
 * kernel.unprivileged_bpf_disabled set, as Debian does, __sys_bpf() refuses
 * every command without CAP_BPF before 6.5; from 6.5 only map and program
 * creation check it (measured on 6.18: scrapes work with no capability at
 * all). CAP_BPF stays, for the older kernels.
 *
 * --stack also keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: the user frames
 * of a RST are resolved from /proc/PID/maps and the files it names, opened
 * through /proc/PID/root, of whatever process sent it (ptrace_may_access()
 * with PTRACE_MODE_READ guards both for another user's process).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <cap-ng.h>
#include <linux/capability.h>

#include "privs.h"

int fr_missing_caps(char *buf, size_t len)
{
	static const struct {
		int cap, alt;
		const char *name;
	} need[] = {
		{ CAP_BPF, CAP_SYS_ADMIN, "CAP_BPF" },
		{ CAP_PERFMON, CAP_SYS_ADMIN, "CAP_PERFMON" },
		{ CAP_NET_ADMIN, -1, "CAP_NET_ADMIN" },
	};
	size_t off = 0;
	int missing = 0;

	if (len)
		buf[0] = '\0';
	if (capng_get_caps_process())
		return -1;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (capng_have_capability(CAPNG_EFFECTIVE, need[i].cap) ||
		    (need[i].alt >= 0 &&
		     capng_have_capability(CAPNG_EFFECTIVE, need[i].alt)))
			continue;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						missing ? ", " : "",
						need[i].name);
		missing++;
	}
	return missing;
}

int fr_drop_privileges(bool stack, char *err, size_t errlen)
{
	capng_select_t set = CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT;
	int ret;

	if (capng_get_caps_process()) {
		snprintf(err, errlen, "cannot read our capabilities");
		return -1;
	}
	/* The bounding set can only shrink with CAP_SETPCAP. */
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		set |= CAPNG_SELECT_BOUNDS;
	capng_clear(CAPNG_SELECT_ALL);
	capng_update(CAPNG_ADD,
		     CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		     CAP_BPF);
	if (stack) {
		capng_update(CAPNG_ADD,
			     CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				     CAPNG_BOUNDING_SET,
			     CAP_SYS_PTRACE);
		capng_update(CAPNG_ADD,
			     CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				     CAPNG_BOUNDING_SET,
			     CAP_DAC_READ_SEARCH);
	}
	ret = capng_apply(set);
	if (ret) {
		snprintf(err, errlen,
			 "cannot drop capabilities (capng_apply: "
			 "%d)",
			 ret);
		return -1;
	}
	return 0;
}

/*
 * The records come from a ring buffer that the loop drains every 10 ms.
 * When a connection churn keeps every CPU busy, the fair share of a nice-0
 * thread can be less than the CPU that the reader needs. The reader then
 * falls behind and the ring overflows. Measured on 2 CPUs, linger0 churn
 * with 8 client threads: 16,000 of 482,000 records lost at nice 0, none at
 * -5, and write() calls of the output that took 8-45 ms took 2-16 ms.
 * auditd does the same for the same reason (its priority_boost, 4 by
 * default). On Linux the nice value belongs to the thread
 * (setpriority(2), NOTES), and a new thread inherits its creator's.
 */
int fr_boost_priority(int *nice)
{
	errno = 0;
	*nice = getpriority(PRIO_PROCESS, 0);
	if (*nice == -1 && errno)
		return -errno;
	if (*nice != 0)
		return 0;
	if (setpriority(PRIO_PROCESS, 0, FR_READER_NICE))
		return -errno;
	*nice = FR_READER_NICE;
	return 0;
}
