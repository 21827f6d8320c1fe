/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sb.h - a bounded string builder: like jw (json.h), it never writes past
 * cap, keeps the buffer NUL-terminated and remembers that something did not
 * fit.
 */
#ifndef FINRST_SB_H
#define FINRST_SB_H

#include <stdbool.h>
#include <stddef.h>

struct sb {
	char *buf;
	size_t len, cap;
	bool overflow;
};

void sb_init(struct sb *b, char *buf, size_t cap);
__attribute__((format(printf, 2, 3)))
void sb_printf(struct sb *b, const char *fmt, ...);
/* n bytes of s; no printf on the per-record path */
void sb_putn(struct sb *b, const char *s, size_t n);
void sb_puts(struct sb *b, const char *s);
void sb_uint(struct sb *b, unsigned long long v);
/* The length of a complete result, or 0 and an empty buffer. */
size_t sb_finish(struct sb *b);

#endif /* FINRST_SB_H */
