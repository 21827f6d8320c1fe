// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_json.c - libFuzzer target: the JSON writer of user/json.h.
 *
 * 1. The whole input as one string (jw_string_n): the output is one strict
 *    JSON string, valid UTF-8, with no raw control byte or DEL, and it
 *    decodes to the input where the input is valid UTF-8; elsewhere to what
 *    json.h promises (every byte that starts no well-formed sequence becomes
 *    U+FFFD), computed with the checker's own decoder.  In a buffer one byte
 *    too small: overflow, and a NUL-terminated prefix.
 * 2. The input as a program of writer calls (objects, arrays, keys of any
 *    bytes (jw_name) and literal ones (jw_key, jw_lit_*), strings, numbers,
 *    true/false/null, nested past JW_MAX_DEPTH): whenever the writer reports
 *    no overflow, the document is strict JSON, every literal key went out
 *    as '"', the key, '"', ':' and every number reads back as written; with
 *    a smaller buffer the output is a prefix of the full one and nothing is
 *    written past the buffer.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "json.h"

/* Room for any string of n bytes: each byte at most "\u00XX" or "\ufffd". */
#define STRING_CAP(n) (6 * (n) + 3)

static char *xmalloc(size_t n)
{
	char *p = malloc(n ? n : 1);

	FUZZ_CHECK(p);
	return p;
}

/* jw_string_n(s, n) into a buffer of exactly cap bytes. */
static struct jw write_string(const uint8_t *s, size_t n, size_t cap,
			      char **out)
{
	struct jw w;
	char *buf = cap ? xmalloc(cap) : NULL;

	jw_init(&w, buf, cap);
	jw_string_n(&w, (const char *)s, n);
	FUZZ_CHECK(w.depth == 0);
	if (cap) {
		FUZZ_CHECK(w.sb.len < cap && buf[w.sb.len] == '\0');
		/* a NUL goes out as \u0000 */
		FUZZ_CHECK(strlen(buf) == w.sb.len);
	}
	*out = buf;
	return w;
}

static void check_string(const uint8_t *data, size_t size)
{
	char *full, *small, *got = xmalloc(3 * size + 1);
	char *want = xmalloc(3 * size + 1);
	size_t got_len, want_len;
	struct jw w, v;

	w = write_string(data, size, STRING_CAP(size), &full);
	FUZZ_CHECK(!w.sb.overflow);
	FUZZ_CHECK(json_valid(full, w.sb.len));
	FUZZ_CHECK(u8_valid(full, w.sb.len));
	FUZZ_CHECK(fuzz_no_controls(full, w.sb.len, 0) &&
		   !memchr(full, 0, w.sb.len));
	FUZZ_CHECK(json_string_decode(full, w.sb.len, got, 3 * size + 1,
				      &got_len));
	want_len = u8_expect_replaced(data, size, want);
	FUZZ_CHECK(got_len == want_len && !memcmp(got, want, want_len));
	if (u8_valid((const char *)data, size))
		FUZZ_CHECK(got_len == size && !memcmp(got, data, size));

	/* exactly enough room, then one byte less */
	v = write_string(data, size, w.sb.len + 1, &small);
	FUZZ_CHECK(!v.sb.overflow && v.sb.len == w.sb.len &&
		   !memcmp(small, full, w.sb.len));
	free(small);
	v = write_string(data, size, w.sb.len, &small);
	FUZZ_CHECK(v.sb.overflow && v.sb.len < w.sb.len &&
		   !memcmp(small, full, v.sb.len));
	free(small);

	/* jw_string() stops at the first NUL, like the prefix before it */
	if (size && !data[size - 1]) {
		struct jw s;
		char *buf = xmalloc(STRING_CAP(size));

		jw_init(&s, buf, STRING_CAP(size));
		jw_string(&s, (const char *)data);
		v = write_string(data, strlen((const char *)data),
				 STRING_CAP(size), &small);
		FUZZ_CHECK(!s.sb.overflow && s.sb.len == v.sb.len &&
			   !memcmp(buf, small, s.sb.len));
		free(small);
		free(buf);
	}
	free(full);
	free(got);
	free(want);
}

/* A reader of the input as a program. */
struct prog {
	const uint8_t *p;
	size_t n;
};

static uint8_t next_byte(struct prog *pr)
{
	if (!pr->n)
		return 0;
	pr->n--;
	return *pr->p++;
}

static uint64_t next_u64(struct prog *pr)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | next_byte(pr);
	return v;
}

/* Up to 255 bytes of the input, NUL-terminated in buf[256]. */
static size_t next_bytes(struct prog *pr, char buf[256])
{
	size_t n = next_byte(pr);

	if (n > pr->n)
		n = pr->n;
	if (n)
		memcpy(buf, pr->p, n);
	buf[n] = '\0';
	pr->p += n;
	pr->n -= n;
	return n;
}

#define MAX_NEST 20 /* past JW_MAX_DEPTH: the writer must refuse */

/*
 * DO(lit) with the i-th of the literal keys (jw_key() takes only a literal):
 * the records' own, the longest of them, one of a byte and the empty one.
 */
#define WITH_LIT_KEY(i, DO)                      \
	do {                                     \
		switch ((i) % 6) {               \
		case 0:                          \
			DO("event");             \
			break;                   \
		case 1:                          \
			DO("comm");              \
			break;                   \
		case 2:                          \
			DO("time_wait_skipped"); \
			break;                   \
		case 3:                          \
			DO("on");                \
			break;                   \
		case 4:                          \
			DO("k");                 \
			break;                   \
		default:                         \
			DO("");                  \
			break;                   \
		}                                \
	} while (0)

/*
 * Run the program against a buffer of cap bytes; the document is
 * grammatical whatever the program: a name before each value in an object,
 * one top-level value, every container closed.
 */
static struct jw run_program(const uint8_t *data, size_t size, char *buf,
			     size_t cap)
{
	struct prog pr = { data, size };
	bool in_object[MAX_NEST + 1] = { false };
	int nest = 0;
	struct jw w;
	char s[256], num[32];

	jw_init(&w, buf, cap);
	do {
		uint8_t op = next_byte(&pr);
		size_t before = w.sb.len, n;
		uint64_t u;
		const char *want = NULL, *key = NULL;

		if (op % 8 == 2 && nest) {
			/* end of the innermost container */
			if (in_object[nest--])
				jw_end_object(&w);
			else
				jw_end_array(&w);
			continue;
		}
		/* 5 in an object: a jw_lit_*(), that writes its own key */
		if (in_object[nest] && op % 8 != 5) {
#define KEY(lit) (jw_key(&w, lit), key = lit)
			if (op & 16) {
				WITH_LIT_KEY(next_byte(&pr), KEY);
			} else {
				next_bytes(&pr, s);
				jw_name(&w, s);
				before = w.sb.len;
			}
#undef KEY
		}
		switch (op % 8) {
		case 0:
		case 1:
			if (nest == MAX_NEST) {
				jw_null(&w);
				want = "null";
				break;
			}
			nest++;
			in_object[nest] = op % 8 == 0;
			if (in_object[nest])
				jw_start_object(&w);
			else
				jw_start_array(&w);
			break;
		case 3:
			n = next_bytes(&pr, s);
			if (op & 8)
				jw_string(&w, s);
			else
				jw_string_n(&w, s, n);
			break;
		case 4:
			u = next_u64(&pr);
			jw_uint(&w, u);
			snprintf(num, sizeof(num), "%" PRIu64, u);
			want = num;
			break;
		case 5:
			if (!in_object[nest]) {
				/* a short number */
				u = next_byte(&pr);
				jw_uint(&w, u);
				snprintf(num, sizeof(num), "%" PRIu64, u);
				want = num;
				break;
			}
			switch (op >> 5 & 3) {
			case 0:
				u = next_u64(&pr);
#define LIT(lit) (jw_lit_uint(&w, lit, u), key = lit)
				WITH_LIT_KEY(next_byte(&pr), LIT);
#undef LIT
				snprintf(num, sizeof(num), "%" PRIu64, u);
				want = num;
				break;
			case 1:
#define LIT(lit) (jw_lit_bool(&w, lit, op & 8), key = lit)
				WITH_LIT_KEY(next_byte(&pr), LIT);
#undef LIT
				want = op & 8 ? "true" : "false";
				break;
			case 2:
#define LIT(lit) (jw_lit_null(&w, lit), key = lit)
				WITH_LIT_KEY(next_byte(&pr), LIT);
#undef LIT
				want = "null";
				break;
			default:
				next_bytes(&pr, s);
#define LIT(lit) (jw_lit_string(&w, lit, s), key = lit)
				WITH_LIT_KEY(next_byte(&pr), LIT);
#undef LIT
				break;
			}
			break;
		case 6:
			jw_bool(&w, op & 8);
			want = op & 8 ? "true" : "false";
			break;
		default: /* 7, and 2 at the top level */
			jw_null(&w);
			want = "null";
			break;
		}
		/*
		 * What fitted went out as written, after any ',': a literal
		 * key as '"', the key, '"', ':', then a scalar as its text.
		 */
		if ((want || key) && !w.sb.overflow) {
			const char *got = w.sb.buf + before;

			if (*got == ',')
				got++;
			if (key) {
				n = strlen(key);
				FUZZ_CHECK(got[0] == '"' &&
					   !strncmp(got + 1, key, n) &&
					   got[n + 1] == '"' &&
					   got[n + 2] == ':');
				got += n + 3;
			}
			if (want)
				FUZZ_CHECK(!strcmp(got, want));
		}
	} while (nest && pr.n);
	while (nest) {
		if (in_object[nest--])
			jw_end_object(&w);
		else
			jw_end_array(&w);
	}
	return w;
}

static void check_program(const uint8_t *data, size_t size)
{
	size_t cap = 64 * 1024, small_cap;
	char *full = xmalloc(cap), *small;
	struct jw w, v;

	w = run_program(data, size, full, cap);
	FUZZ_CHECK(w.sb.len < cap && full[w.sb.len] == '\0');
	if (!w.sb.overflow) {
		FUZZ_CHECK(w.depth == 0);
		FUZZ_CHECK(json_valid(full, w.sb.len));
		FUZZ_CHECK(u8_valid(full, w.sb.len));
	}

	/* a smaller buffer: a prefix, never a byte past it */
	small_cap = size ? data[size - 1] * size % (w.sb.len + 2) : 0;
	small = small_cap ? xmalloc(small_cap) : NULL;
	v = run_program(data, size, small, small_cap);
	FUZZ_CHECK(v.sb.len <= w.sb.len &&
		   (!v.sb.len || !memcmp(small, full, v.sb.len)));
	if (small_cap)
		FUZZ_CHECK(v.sb.len < small_cap && small[v.sb.len] == '\0');
	if (!w.sb.overflow)
		FUZZ_CHECK(v.sb.overflow == (small_cap <= w.sb.len));
	free(small);
	free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_string(data, size);
	check_program(data, size);
	return 0;
}
