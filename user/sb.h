/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sb.h - the one string builder of finrst's output: the records as text
 * and as JSON (the writer of json.h builds on it), their explanations, the
 * summaries and the Prometheus exposition of metrics.c.
 *
 * It never writes past cap, keeps the buffer NUL-terminated and remembers
 * that something did not fit: once ->overflow is set nothing more is
 * written and ->buf holds a prefix of the output.  Two kinds of buffer:
 *
 * - sb_init(): the caller's, of a fixed cap (cap 0: the buffer is never
 *   touched, and the builder starts overflowed);
 * - sb_init_grow(): the builder's own, on the heap, doubled as needed;
 *   ->overflow then means out of memory.  The caller frees ->buf, whatever
 *   happened.
 *
 * The appends that the per-record paths use are inline, with no printf and
 * no strlen but sb_puts()'s own.
 */
#ifndef FINRST_SB_H
#define FINRST_SB_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct sb {
	char *buf;
	size_t len, cap; /* len < cap while !overflow */
	bool overflow;	 /* out of room: nothing more is written */
	bool grow;	 /* buf is ours, on the heap: sb_init_grow() */
};

void sb_init(struct sb *b, char *buf, size_t cap);
/* A heap buffer of 8 KiB to start with, doubled as needed. */
void sb_init_grow(struct sb *b);

/*
 * Room for n more bytes and the NUL: true, or false with ->overflow set.
 * Grows a sb_init_grow() buffer; the appends below call it only when the
 * room they need is not there.
 */
bool sb_reserve(struct sb *b, size_t n);

/* n bytes of s, all or nothing */
static inline void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->overflow || (n >= b->cap - b->len && !sb_reserve(b, n)))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static inline void sb_putc(struct sb *b, char c)
{
	if (b->overflow || (b->cap - b->len < 2 && !sb_reserve(b, 1)))
		return;
	b->buf[b->len++] = c;
	b->buf[b->len] = '\0';
}

static inline void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* v in decimal, without printf: its digits written backwards */
static inline void sb_uint(struct sb *b, unsigned long long v)
{
	char tmp[20], *end = tmp + sizeof(tmp), *p = end;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_putn(b, p, (size_t)(end - p));
}

__attribute__((format(printf, 2, 3))) void sb_printf(struct sb *b,
						     const char *fmt, ...);

/* The length of a complete result, or 0 and an empty buffer. */
size_t sb_finish(struct sb *b);

#endif /* FINRST_SB_H */
