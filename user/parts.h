/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parts.h - the parts of the BPF side, as a user sees them.
 *
 * The core is a backend's essential set: what it needs to produce correct
 * records; if the kernel refuses one of its programs, that backend does not
 * start. Every other part is optional: loaded so that its refusal takes
 * nothing else down; finrst then runs without it and says on one line what
 * is lost (user/loader.c maps each program to its part).
 */
#ifndef FINRST_PARTS_H
#define FINRST_PARTS_H

enum fr_part {
	FR_PART_CORE,
	FR_PART_LIVENESS,      /* exit reconciliation and sweep */
	FR_PART_STACK,	       /* --stack */
	FR_PART_NOSOCK_COMPAT, /* < 6.10: RSTs sent for no socket */
	FR_PART_IO_URING,      /* tracepoint: owners of io_uring accepts */
	FR_PART__MAX,
};

/* The part's name (--test-refuse, -v), or NULL out of range. */
const char *fr_part_name(enum fr_part p);
/* What a user loses when the kernel refuses it: one phrase. */
const char *fr_part_loss(enum fr_part p);
/* The part of that name, or -1. */
int fr_part_by_name(const char *name, size_t len);

#endif
