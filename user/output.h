/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - the records' way out: the ring buffer drained into JSON or
 * text lines on stdout, the --stack frames, and the --summary table.
 */
#ifndef FINRST_OUTPUT_H
#define FINRST_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "args.h"
#include "format.h"
#include "stack.h"

struct fr_loader;
struct fr_reasons;
struct fr_summary;
struct ring_buffer;

struct fr_output {
	struct fr_fmt fmt;
	struct ring_buffer *rb;
	bool json;
	bool records;		    /* records cross the ring buffer */
	bool print;		    /* records on stdout */
	struct fr_syms *syms;	    /* --stack */
	struct fr_summary *summary; /* --summary */
	unsigned long long records_seen;
	bool wrote; /* since the last flush */
	struct fr_frame frames[FR_FRAMES_MAX];
	/* a record with 65 frames of long C++ names and paths fits */
	char line[64 * 1024];
};

/*
 * Set up the way out (the ring buffer of l, --stack's symbols, --summary,
 * the text header): 0, or -1 with one line in err. Call it while the
 * capabilities are held (--stack reads kallsyms addresses).
 */
int fr_output_open(struct fr_output *o, const struct env *env,
		   const struct fr_loader *l, struct fr_reasons *reasons,
		   char *err, size_t errlen);
/* Drain what the ring buffer holds, waiting up to timeout_ms, and flush:
 * false on a read or write error (said on stderr once). */
bool fr_output_drain(struct fr_output *o, int timeout_ms);
/* Flush stdout: false if a record could not be written (said once). */
bool fr_output_flush(struct fr_output *o);
/* --summary: print the table (final: the one at exit). */
void fr_output_summary(struct fr_output *o, unsigned long long elapsed_s,
		       unsigned long long lost, bool final);
void fr_output_close(struct fr_output *o);

#endif
