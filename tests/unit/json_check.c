// SPDX-License-Identifier: GPL-2.0
/*
 * json_check.c - a strict JSON and UTF-8 checker for the unit tests.
 *
 * It decodes code points and checks their ranges, where user/json.c checks
 * byte ranges: two ways to the same rules.
 */
#include <string.h>

#include "json_check.h"

size_t u8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], v, min;
	size_t need, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		need = 1;
		v = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2;
		v = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* overlong, beyond Unicode, or a UTF-16 surrogate */
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need + 1;
}

size_t u8_expect_replaced(const unsigned char *s, size_t n, char *out)
{
	size_t i = 0, o = 0, len;
	unsigned cp;

	while (i < n) {
		len = u8_decode(s + i, n - i, &cp);
		if (len) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

bool u8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	unsigned cp;

	while (i < n) {
		len = u8_decode(p + i, n - i, &cp);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

struct parser {
	const unsigned char *p, *end;
	char *out; /* decoded string, or NULL */
	size_t len, cap;
	int depth;
};

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool lit(struct parser *ps, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, s, n))
		return false;
	ps->p += n;
	return true;
}

static bool emit(struct parser *ps, const void *b, size_t n)
{
	if (!ps->out)
		return true;
	if (ps->len + n >= ps->cap)
		return false;
	memcpy(ps->out + ps->len, b, n);
	ps->len += n;
	ps->out[ps->len] = '\0';
	return true;
}

static bool emit_cp(struct parser *ps, unsigned cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return emit(ps, b, n);
}

static bool hex4(struct parser *ps, unsigned *v)
{
	int i;

	*v = 0;
	if (ps->end - ps->p < 4)
		return false;
	for (i = 0; i < 4; i++) {
		unsigned char c = *ps->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return false;
	}
	return true;
}

static bool string(struct parser *ps)
{
	unsigned cp, lo;
	size_t n;

	if (!lit(ps, "\""))
		return false;
	while (ps->p < ps->end) {
		unsigned char c = *ps->p;

		if (c == '"') {
			ps->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			n = u8_decode(ps->p, (size_t)(ps->end - ps->p), &cp);
			if (!n || !emit(ps, ps->p, n))
				return false;
			ps->p += n;
			continue;
		}
		ps->p++;
		if (ps->p >= ps->end)
			return false;
		c = *ps->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (!hex4(ps, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return false;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!lit(ps, "\\u") || !hex4(ps, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			break;
		default:
			return false;
		}
		if (!emit_cp(ps, cp))
			return false;
	}
	return false;
}

static bool digits(struct parser *ps)
{
	const unsigned char *start = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > start;
}

static bool number(struct parser *ps)
{
	lit(ps, "-");
	if (lit(ps, "0")) {
		/* no leading zeros */
	} else if (ps->p < ps->end && *ps->p >= '1' && *ps->p <= '9') {
		digits(ps);
	} else {
		return false;
	}
	if (lit(ps, ".") && !digits(ps))
		return false;
	if (lit(ps, "e") || lit(ps, "E")) {
		if (!lit(ps, "+"))
			lit(ps, "-");
		if (!digits(ps))
			return false;
	}
	return true;
}

static bool value(struct parser *ps);

static bool container(struct parser *ps, char open, char close, bool keys)
{
	char c[2] = { open, '\0' };

	if (!lit(ps, c) || ++ps->depth > 64)
		return false;
	ws(ps);
	c[0] = close;
	if (lit(ps, c))
		goto done;
	for (;;) {
		ws(ps);
		if (keys) {
			if (!string(ps))
				return false;
			ws(ps);
			if (!lit(ps, ":"))
				return false;
			ws(ps);
		}
		if (!value(ps))
			return false;
		ws(ps);
		if (lit(ps, c))
			break;
		if (!lit(ps, ","))
			return false;
	}
done:
	ps->depth--;
	return true;
}

static bool value(struct parser *ps)
{
	char *out = ps->out;
	bool ok;

	if (ps->p >= ps->end)
		return false;
	switch (*ps->p) {
	case '{':
		/* Only a top-level string is decoded. */
		ps->out = NULL;
		ok = container(ps, '{', '}', true);
		ps->out = out;
		return ok;
	case '[':
		ps->out = NULL;
		ok = container(ps, '[', ']', false);
		ps->out = out;
		return ok;
	case '"':
		return string(ps);
	case 't':
		return lit(ps, "true");
	case 'f':
		return lit(ps, "false");
	case 'n':
		return lit(ps, "null");
	default:
		return number(ps);
	}
}

bool json_valid(const char *s, size_t n)
{
	struct parser ps = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + n,
	};

	ws(&ps);
	if (!value(&ps))
		return false;
	ws(&ps);
	return ps.p == ps.end;
}

bool json_string_decode(const char *s, size_t n, char *out, size_t cap,
			size_t *outlen)
{
	struct parser ps = {
		.p = (const unsigned char *)s,
		.end = (const unsigned char *)s + n,
		.out = out,
		.cap = cap,
	};

	if (!cap)
		return false;
	out[0] = '\0';
	if (!string(&ps) || ps.p != ps.end)
		return false;
	*outlen = ps.len;
	return true;
}

bool json_object_get(const char *obj, const char *key, const char **val,
		     size_t *vlen)
{
	struct parser ps = {
		.p = (const unsigned char *)obj,
		.end = (const unsigned char *)obj + strlen(obj),
	};
	char name[256];
	const unsigned char *start;
	bool match;

	ws(&ps);
	if (!lit(&ps, "{"))
		return false;
	for (;;) {
		ws(&ps);
		ps.out = name;
		ps.cap = sizeof(name);
		ps.len = 0;
		name[0] = '\0';
		if (!string(&ps))
			return false;
		match = !strcmp(name, key);
		ps.out = NULL;
		ws(&ps);
		if (!lit(&ps, ":"))
			return false;
		ws(&ps);
		start = ps.p;
		if (!value(&ps))
			return false;
		if (match) {
			*val = (const char *)start;
			*vlen = (size_t)(ps.p - start);
			return true;
		}
		ws(&ps);
		if (!lit(&ps, ","))
			return false;
	}
}
