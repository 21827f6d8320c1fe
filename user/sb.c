// SPDX-License-Identifier: GPL-2.0
/*
 * sb.c - the bounded string builder of sb.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"	/* fr_u64_digits */
#include "sb.h"

void sb_init(struct sb *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->len = 0;
	b->cap = cap;
	b->overflow = !cap;
	if (cap)
		buf[0] = '\0';
}

__attribute__((format(printf, 2, 3)))
void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = true;
		b->buf[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}

/* n bytes of s; no printf on the per-record path */
void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->overflow)
		return;
	if (n >= b->cap - b->len) {
		b->overflow = true;
		b->buf[b->len] = '\0';
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_uint(struct sb *b, unsigned long long v)
{
	char tmp[24], *p = fr_u64_digits(tmp + sizeof(tmp), v);

	sb_putn(b, p, (size_t)(tmp + sizeof(tmp) - p));
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
