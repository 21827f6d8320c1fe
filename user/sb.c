// SPDX-License-Identifier: GPL-2.0
/*
 * sb.c - the string builder of sb.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb.h"

#define SB_GROW_START 8192

void sb_init(struct sb *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->len = 0;
	b->cap = cap;
	b->overflow = !cap;
	b->grow = false;
	if (cap)
		buf[0] = '\0';
}

void sb_init_grow(struct sb *b)
{
	sb_init(b, malloc(SB_GROW_START), SB_GROW_START);
	b->grow = true;
	if (!b->buf) {
		b->cap = 0;
		b->overflow = true;
	}
}

bool sb_reserve(struct sb *b, size_t n)
{
	size_t cap = b->cap;
	char *p;

	if (b->overflow)
		return false;
	if (n < cap - b->len)
		return true;
	if (b->grow && n < SIZE_MAX / 4 - b->len) {
		/* doubled until n bytes and the NUL fit */
		while (cap - b->len <= n)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (p) {
			b->buf = p;
			b->cap = cap;
			return true;
		}
	}
	b->overflow = true;
	b->buf[b->len] = '\0';
	return false;
}

__attribute__((format(printf, 2, 3))) void sb_printf(struct sb *b,
						     const char *fmt, ...)
{
	va_list ap;
	int n;

	while (!b->overflow) {
		va_start(ap, fmt);
		n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->overflow = true;
			b->buf[b->len] = '\0';
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		/* did not fit: grow and print again, or overflow */
		if (!sb_reserve(b, (size_t)n))
			return;
	}
}

/* The length of a complete result, or 0 and an empty buffer. */
size_t sb_finish(struct sb *b)
{
	if (!b->overflow)
		return b->len;
	if (b->cap)
		b->buf[0] = '\0';
	return 0;
}
