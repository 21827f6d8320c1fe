// SPDX-License-Identifier: GPL-2.0
/* report.c - see report.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "finrst.h"
#include "report.h"

bool fr_report_exit(struct fr_loader *l, const struct env *env,
		    struct fr_output *o, unsigned long long elapsed_s,
		    unsigned long long swept)
{
	unsigned long long silent, full, nost, lost, missed;
	bool ok;
	int ret;

	/* While still attached: records the kernel never let us finish. */
	ret = fr_loader_unaccounted(l, env->verbose, &silent);
	/* -EOPNOTSUPP: refused, and the start said what that costs */
	if (ret && ret != -EOPNOTSUPP)
		fprintf(stderr,
			"finrst: warning: cannot count the records of "
			"sockets whose last events went unseen: %s\n",
			strerror(-ret));
	ok = fr_output_drain(o, 0);

	full = fr_loader_counter(l, FR_CNT_LOST);
	nost = fr_loader_counter(l, FR_CNT_NO_STORAGE);
	lost = fr_loader_lost(l) + silent;
	missed = fr_loader_missed(l);
	if (o->summary)
		fr_output_summary(o, elapsed_s, lost, true);
	fprintf(stderr, "finrst: records=%llu lost=%llu skipped=%llu\n",
		o->records_seen, lost, missed);
	if (full)
		fprintf(stderr,
			"finrst: %llu records were lost because the "
			"ring buffer was full: raise --ringbuf-kb\n",
			full);
	if (nost)
		fprintf(stderr,
			"finrst: %llu sockets went untracked: the "
			"socket map was full (%d sockets at once) or "
			"the kernel could not allocate an entry\n",
			nost, FR_MAX_SOCKS);
	if (silent)
		fprintf(stderr,
			"finrst: %llu records were lost because the "
			"kernel ran none of finrst's programs for the "
			"sockets' last events\n",
			silent);
	if (missed)
		fprintf(stderr,
			"finrst: %llu events were skipped by the "
			"kernel (a program already running on that "
			"CPU): records may lack details, such as the "
			"process\n",
			missed);
	if (swept)
		fprintf(stderr,
			"finrst: %llu socket map entries were swept: "
			"their sockets were gone, and the kernel ran "
			"no program for their end (%llu of their "
			"records unfinished, counted lost)\n",
			swept, fr_loader_counter(l, FR_CNT_SWEPT_UNENDED));
	if (env->stack) {
		unsigned long long nostack =
			fr_loader_counter(l, FR_CNT_STACK_MISSED);

		if (nostack)
			fprintf(stderr,
				"finrst: %llu RST records came without "
				"their stack\n",
				nostack);
	}
	return ok;
}
