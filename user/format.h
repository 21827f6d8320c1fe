/* SPDX-License-Identifier: GPL-2.0 */
/*
 * format.h - names, explanations, and the two output lines of a record.
 */
#ifndef FINRST_FORMAT_H
#define FINRST_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "finrst.h"

/*
 * The exact SPEC §2 strings, indexed by the enums of finrst.h.  Out of range
 * values give "unknown" (fr_state_name: "UNKNOWN"), never NULL.
 */
const char *fr_outcome_name(unsigned v);
const char *fr_cause_name(unsigned v);
const char *fr_initiator_name(unsigned v);
const char *fr_role_name(unsigned v);
const char *fr_state_name(unsigned v);

/* comm for a terminal: up to the first NUL, non-printable bytes as '?'. */
void fr_safe_comm(const char *comm, char out[FR_COMM_LEN + 1]);
/* CLOCK_REALTIME ns as RFC 3339 UTC with microseconds, or local
 * HH:MM:SS.mmm (the text column). */
void fr_time_utc(unsigned long long ns, char *out, size_t len);
void fr_time_local(unsigned long long ns, char *out, size_t len);

struct fr_fmt {
	/* Add to a CLOCK_MONOTONIC ns value to get CLOCK_REALTIME ns. */
	long long mono_to_real_ns;
	/* Name of a kernel RST reason; NULL (or returning NULL): the number. */
	const char *(*reason_name)(unsigned value, void *arg);
	void *reason_arg;
	bool color; /* text mode only: ANSI colour */
};

/*
 * Text columns: TIME (HH:MM:SS.mmm, local)  COMM  PID  LADDR:LPORT
 * RADDR:RPORT  OUTCOME  CAUSE, then the explanation; IPv6 endpoints as
 * [addr]:port.  An address wider than its column (21, the widest IPv4
 * endpoint) pushes the rest of that line right.  With f->color, OUTCOME and
 * CAUSE are red for RSTs, yellow for timeout/refused, and the header is bold.
 *
 * Each writes one complete line ending in '\n' into buf, NUL-terminated, and
 * returns its length (without the NUL), or 0 if it did not fit (or the record
 * type is unknown); nothing is ever written past buf + cap.  f may be NULL
 * for defaults (no clock offset, numeric reasons, no colour).
 */
/* One symbolized stack frame (user/stack.c makes them). */
struct fr_frame {
	bool kernel;
	const char *sym;	   /* NULL: unknown */
	unsigned long long offset; /* from sym; unknown sym: in module */
	const char *module;	   /* kernel: module, NULL for vmlinux;
					 * user: the file, NULL if unknown */
	unsigned long long addr;   /* user frames only */
};

/*
 * One record as a line (see above). --stack's "stack": frames NULL leaves
 * the field out; else n frames (n = 0: "stack": null, the stack could not
 * be taken).  Text mode prints one indented line per frame under the
 * record.
 */
size_t fr_format_json(const struct fr_record *r, const struct fr_frame *frames,
		      size_t n, const struct fr_fmt *f, char *buf, size_t cap);
size_t fr_format_text(const struct fr_record *r, const struct fr_frame *frames,
		      size_t n, const struct fr_fmt *f, char *buf, size_t cap);
size_t fr_format_text_header(const struct fr_fmt *f, char *buf, size_t cap);

/*
 * The "explain" text of a record, without a newline: what happened, who did
 * it, the numbers that matter and what to do about it.  Returns its length,
 * or 0 if it did not fit.
 */
size_t fr_explain(const struct fr_record *r, char *buf, size_t cap);

#endif /* FINRST_FORMAT_H */
