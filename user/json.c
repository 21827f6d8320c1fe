// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - a streaming JSON writer into a caller buffer (see json.h).
 */
#include <string.h>

#include "json.h"

void jw_init(struct jw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	sb_init(&w->sb, buf, cap);
	w->first[0] = true;
}

/* Separator before a value or a name. */
static void jw_sep(struct jw *w)
{
	if (!w->first[w->depth])
		sb_putc(&w->sb, ',');
	w->first[w->depth] = false;
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->sb.overflow = true;
		return;
	}
	sb_putc(&w->sb, c);
	w->depth++;
	w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
	if (w->depth == 0) {
		/* Unbalanced: the output could only be invalid. */
		w->sb.overflow = true;
		return;
	}
	w->depth--;
	sb_putc(&w->sb, c);
}

void jw_start_object(struct jw *w)
{
	jw_open(w, '{');
}

void jw_end_object(struct jw *w)
{
	jw_close(w, '}');
}

void jw_start_array(struct jw *w)
{
	jw_open(w, '[');
}

void jw_end_array(struct jw *w)
{
	jw_close(w, ']');
}

/*
 * Length of the well-formed UTF-8 sequence at s (n > 0 bytes available), or 0
 * if there is none.  The ranges are RFC 3629 §4: they exclude overlong forms
 * (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates (ED A0..BF) and code
 * points above U+10FFFF (F4 90.., F5..FF).
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* The JSON escape for an ASCII byte, or NULL if it goes out as is. */
static const char *json_escape(unsigned char c, char tmp[7])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	/* RFC 8259 only requires 0x00-0x1f; DEL is escaped for terminals. */
	if (c < 0x20 || c == 0x7f) {
		memcpy(tmp, "\\u00", 4);
		tmp[4] = "0123456789abcdef"[c >> 4];
		tmp[5] = "0123456789abcdef"[c & 0xf];
		tmp[6] = '\0';
		return tmp;
	}
	return NULL;
}

/* The bytes that go out as they are: printable ASCII but '"' and '\\'. */
static unsigned char plain[256];

__attribute__((constructor)) static void plain_init(void)
{
	for (int c = 0x20; c < 0x7f; c++)
		plain[c] = c != '"' && c != '\\';
}

static void jw_put_escaped(struct sb *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, len;
	const char *esc;
	char tmp[7];

	sb_putc(out, '"');
	while (i < n) {
		/* the common case, 8 bytes at a time: printable ASCII that
		 * needs no escape (no byte < 0x20, > 0x7e, '"' or '\\') */
		if (n - i >= 8) {
			const unsigned long long ones = 0x0101010101010101ULL;
			const unsigned long long high = 0x8080808080808080ULL;
			unsigned long long x, q, b;

			memcpy(&x, s + i, 8);
			q = x ^ (ones * '"');
			b = x ^ (ones * '\\');
			if (!(((x - ones * 0x20) | (x + ones * 0x01) | x |
			       ((q - ones) & ~q) | ((b - ones) & ~b)) &
			      high)) {
				i += 8;
				run += 8;
				continue;
			}
		}
		if (plain[s[i]]) {
			i++;
			run++;
			continue;
		}
		len = utf8_seq_len(s + i, n - i);
		esc = len == 1 ? json_escape(s[i], tmp) : NULL;
		if (len && !esc) {
			/* Plain ASCII or well-formed UTF-8: batch it. */
			i += len;
			run += len;
			continue;
		}
		sb_putn(out, (const char *)s + i - run, run);
		run = 0;
		/* Each byte of an ill-formed sequence becomes U+FFFD. */
		if (!esc)
			esc = "\\ufffd";
		sb_putn(out, esc, strlen(esc));
		i++;
	}
	sb_putn(out, (const char *)s + i - run, run);
	sb_putc(out, '"');
}

void jw_name(struct jw *w, const char *name)
{
	jw_sep(w);
	jw_put_escaped(&w->sb, name, strlen(name));
	sb_putc(&w->sb, ':');
	/* The value that follows needs no separator. */
	w->first[w->depth] = true;
}

void jw_key_quoted(struct jw *w, const char *quoted, size_t n)
{
	jw_sep(w);
	sb_putn(&w->sb, quoted, n);
	/* The value that follows needs no separator. */
	w->first[w->depth] = true;
}

void jw_string_n(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_put_escaped(&w->sb, s, n);
}

void jw_string(struct jw *w, const char *s)
{
	jw_string_n(w, s, strlen(s));
}

void jw_uint(struct jw *w, unsigned long long v)
{
	jw_sep(w);
	sb_uint(&w->sb, v);
}

void jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	if (v)
		sb_putn(&w->sb, "true", 4);
	else
		sb_putn(&w->sb, "false", 5);
}

void jw_null(struct jw *w)
{
	jw_sep(w);
	sb_putn(&w->sb, "null", 4);
}
