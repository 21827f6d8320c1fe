/* SPDX-License-Identifier: GPL-2.0 */
/*
 * summary.h - --summary: teardowns counted by outcome and cause, by service
 * port and by command, since start.
 */
#ifndef FINRST_SUMMARY_H
#define FINRST_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "finrst.h"

/* Rows shown per table; the rest are summed into one "other" row. */
#define FR_SUMMARY_TOP 20
/* Distinct commands counted by name; later ones count as "other". */
#define FR_SUMMARY_COMMS 4096

struct fr_summary;

struct fr_summary_info {
	unsigned long long now_ns;    /* CLOCK_REALTIME */
	unsigned long long elapsed_s; /* since start */
	unsigned long long lost;      /* records lost so far */
	bool final;		      /* the summary at exit */
};

/* NULL when out of memory. */
struct fr_summary *fr_summary_new(void);
void fr_summary_free(struct fr_summary *s);

/* Count one record (a teardown, or a RST without a socket). */
void fr_summary_add(struct fr_summary *s, const struct fr_record *r);

/*
 * The summary so far, as a table (text) or one JSON object
 * ("event":"summary") and a newline.  Returns the length, or 0 if it did
 * not fit in cap.  FR_SUMMARY_BUF always fits.
 */
#define FR_SUMMARY_BUF (64 * 1024)
size_t fr_summary_format(struct fr_summary *s, bool json,
			 const struct fr_summary_info *info, char *buf,
			 size_t cap);

#endif /* FINRST_SUMMARY_H */
