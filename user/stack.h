/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stack.h - --stack: symbolizing the frames of a struct fr_stack.
 *
 * Kernel frames from /proc/kallsyms, read once at start (after the BPF load,
 * so that finrst's own programs are named too, and while finrst still holds
 * the capabilities that show the addresses).  User frames from the ELF
 * symbols (.symtab, else .dynsym) of the files /proc/PID/maps names, read
 * through /proc/PID/root so that containers work; cached per file and per
 * process, both bounded.
 */
#ifndef FINRST_STACK_H
#define FINRST_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "finrst.h"
#include "format.h" /* struct fr_frame */

/* At most this many frames come out of one struct fr_stack. */
#define FR_FRAMES_MAX (2 * FR_STACK_DEPTH + 1)

struct fr_syms;

/* Reads /proc/kallsyms.  NULL with a one-line reason in err. */
struct fr_syms *fr_syms_new(char *err, size_t errlen);
void fr_syms_free(struct fr_syms *s);

/*
 * The frames of st, innermost first: kernel frames, then user frames.  The
 * strings stay valid until the next call.  Returns the number of frames.
 */
size_t fr_syms_resolve(struct fr_syms *s, const struct fr_stack *st,
		       struct fr_frame *out, size_t max);

#endif /* FINRST_STACK_H */
