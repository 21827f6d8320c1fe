// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - user/json.c: structure, the exact bytes of literal keys,
 * escaping of every byte value and of ill-formed UTF-8, and that a full
 * buffer is never overrun; and the string builder it is built on (user/sb.c),
 * bounded and growing.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "json.h"
#include "json_check.h"
#include "sb.h"

#define GUARD 0xa5
#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

static void hexdump(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "%02x ", s[i]);
	fputc('\n', stderr);
}

/*
 * Write in[0..n) as a JSON string, check the output is strict JSON and decodes
 * to in[] with ill-formed bytes replaced (so valid UTF-8 round-trips).
 */
static bool roundtrip(const unsigned char *in, size_t n)
{
	char buf[1024], decoded[512], want[512];
	size_t dlen, wlen;
	struct jw w;
	bool ok;

	jw_init(&w, buf, sizeof(buf));
	jw_string_n(&w, (const char *)in, n);
	wlen = u8_expect_replaced(in, n, want);
	ok = !w.sb.overflow && w.sb.len == strlen(buf) &&
	     json_valid(buf, w.sb.len) &&
	     json_string_decode(buf, w.sb.len, decoded, sizeof(decoded),
				&dlen) &&
	     u8_valid(decoded, dlen) && dlen == wlen &&
	     !memcmp(decoded, want, wlen);
	if (!CHECKF(ok, "round trip of %zu bytes, got %s", n, buf))
		hexdump(in, n);
	return ok;
}

static void test_structure(void)
{
	char buf[256];
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	jw_start_object(&w);
	jw_name(&w, "a");
	jw_uint(&w, 1);
	jw_lit_uint(&w, "b", 10);
	jw_lit_bool(&w, "c", true);
	jw_lit_null(&w, "d");
	jw_lit_string(&w, "e", "x");
	jw_name(&w, "f");
	jw_start_array(&w);
	jw_uint(&w, 1);
	jw_uint(&w, 2);
	jw_start_object(&w);
	jw_name(&w, "g");
	jw_start_array(&w);
	jw_end_array(&w);
	jw_end_object(&w);
	jw_bool(&w, false);
	jw_end_array(&w);
	jw_key(&w, "h");
	jw_start_object(&w);
	jw_end_object(&w);
	jw_lit_uint(&w, "pow", 10000000000000000000ULL);
	jw_lit_uint(&w, "max", ULLONG_MAX);
	jw_lit_uint(&w, "zero", 0);
	jw_end_object(&w);
	CHECK(!w.sb.overflow);
	CHECK_INT(w.depth, 0);
	CHECK_STR(buf, "{\"a\":1,\"b\":10,\"c\":true,\"d\":null,\"e\":\"x\","
		       "\"f\":[1,2,{\"g\":[]},false],\"h\":{},"
		       "\"pow\":10000000000000000000,"
		       "\"max\":18446744073709551615,\"zero\":0}");
	CHECK_INT(w.sb.len, strlen(buf));
	CHECK(json_valid(buf, w.sb.len));

	/* Top-level values are separated too; names are escaped. */
	jw_init(&w, buf, sizeof(buf));
	jw_start_array(&w);
	jw_end_array(&w);
	jw_null(&w);
	jw_start_object(&w);
	jw_name(&w, "q\"k\n");
	jw_string(&w, "");
	jw_end_object(&w);
	CHECK_STR(buf, "[],null,{\"q\\\"k\\n\":\"\"}");
}

/*
 * What jw_key(w, key) must write, built here byte by byte: a ',' unless it
 * is the first member, '"', the key, '"', ':'.
 */
static size_t key_bytes(const char *key, bool sep, char *out)
{
	size_t n = 0;

	if (sep)
		out[n++] = ',';
	out[n++] = '"';
	while (*key)
		out[n++] = *key++;
	out[n++] = '"';
	out[n++] = ':';
	out[n] = '\0';
	return n;
}

/* The bytes w got since before are exactly want, and still NUL-ended. */
static void check_wrote(const struct jw *w, size_t before, const char *want,
			const char *what)
{
	size_t n = strlen(want);

	CHECKF(!w->sb.overflow && w->sb.len == before + n &&
		       !memcmp(w->sb.buf + before, want, n) &&
		       w->sb.buf[w->sb.len] == '\0',
	       "%s: wrote \"%s\", want \"%s\"", what,
	       w->sb.buf + (before < w->sb.len ? before : w->sb.len), want);
}

/* jw_key(w, lit), checked against key_bytes() */
#define CHECK_KEY(w, lit, sep)                                         \
	do {                                                           \
		char want_[64];                                        \
		size_t before_ = (w)->sb.len;                          \
                                                                       \
		key_bytes(lit, sep, want_);                            \
		jw_key(w, lit);                                        \
		check_wrote(w, before_, want_, "jw_key(\"" lit "\")"); \
	} while (0)

/* call(w, lit, arg), a jw_lit_*(): the key as above, then exactly value. */
#define CHECK_LIT(w, sep, value, call, lit, arg)                       \
	do {                                                           \
		char want_[128];                                       \
		size_t before_ = (w)->sb.len;                          \
                                                                       \
		strcpy(want_ + key_bytes(lit, sep, want_), value);     \
		call(w, lit, arg);                                     \
		check_wrote(w, before_, want_, #call "(\"" lit "\")"); \
	} while (0)
#define lit_null(w, lit, unused) jw_lit_null(w, lit)

/*
 * A literal key (jw_key, jw_lit_*) writes exactly the quoted key and its
 * colon, after a ',' unless first in its object, at the top and nested, and
 * the value after it gets no separator of its own.  The keys are those of
 * the records and the summary, the longest among them, and the empty one.
 */
static void test_literal_keys(void)
{
	char a[512], b[512];
	struct jw w, v;

	jw_init(&w, a, sizeof(a));
	jw_start_object(&w);
	CHECK_LIT(&w, false, "\"teardown\"", jw_lit_string, "event",
		  "teardown");
	CHECK_LIT(&w, true, "443", jw_lit_uint, "lport", 443);
	CHECK_KEY(&w, "linger", true);
	jw_start_object(&w);
	CHECK_LIT(&w, false, "true", jw_lit_bool, "on", true);
	CHECK_LIT(&w, true, "false", jw_lit_bool, "linger_expired", false);
	CHECK_LIT(&w, true, "null", lit_null, "x", 0);
	jw_end_object(&w);
	CHECK_LIT(&w, true, "\"\"", jw_lit_string, "", "");
	CHECK_KEY(&w, "time_wait_skipped", true);
	jw_uint(&w, 0);
	CHECK_KEY(&w, "stack", true);
	jw_start_array(&w);
	jw_start_object(&w);
	CHECK_KEY(&w, "kernel", false);
	jw_bool(&w, true);
	CHECK_LIT(&w, true, "18446744073709551615", jw_lit_uint, "offset",
		  ULLONG_MAX);
	jw_end_object(&w);
	jw_end_array(&w);
	CHECK_KEY(&w, "by_comm_other", true);
	jw_start_object(&w);
	CHECK_KEY(&w, "close_blocked_us", false);
	jw_start_array(&w);
	jw_end_array(&w);
	jw_end_object(&w);
	jw_end_object(&w);
	CHECK_STR(a, "{\"event\":\"teardown\",\"lport\":443,"
		     "\"linger\":{\"on\":true,\"linger_expired\":false,"
		     "\"x\":null},\"\":\"\",\"time_wait_skipped\":0,"
		     "\"stack\":[{\"kernel\":true,"
		     "\"offset\":18446744073709551615}],"
		     "\"by_comm_other\":{\"close_blocked_us\":[]}}");
	CHECK_INT(w.sb.len, strlen(a));
	CHECK(!w.sb.overflow && !w.depth);
	CHECK(json_valid(a, w.sb.len));

	/* A key at the top level (a grammar error, but the bytes are those). */
	jw_init(&v, b, sizeof(b));
	CHECK_KEY(&v, "event", false);
	jw_null(&v);
	CHECK_STR(b, "\"event\":null");

	/* jw_name(), the key of any bytes, writes the same for such keys. */
	jw_init(&v, b, sizeof(b));
	jw_start_object(&v);
	jw_name(&v, "event");
	jw_string(&v, "teardown");
	jw_name(&v, "lport");
	jw_uint(&v, 443);
	jw_end_object(&v);
	CHECK_STR(b, "{\"event\":\"teardown\",\"lport\":443}");
}

/* The escape chosen for each byte of a one-byte string. */
static void test_escape_forms(void)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "\0", 1, "\"\\u0000\"" },
		{ "\x01", 1, "\"\\u0001\"" },
		{ "\x1f", 1, "\"\\u001f\"" },
		{ "\x7f", 1, "\"\\u007f\"" },
		{ "\b", 1, "\"\\b\"" },
		{ "\f", 1, "\"\\f\"" },
		{ "\n", 1, "\"\\n\"" },
		{ "\r", 1, "\"\\r\"" },
		{ "\t", 1, "\"\\t\"" },
		{ "\"", 1, "\"\\\"\"" },
		{ "\\", 1, "\"\\\\\"" },
		{ "/", 1, "\"/\"" },
		{ " ", 1, "\" \"" },
		{ "~", 1, "\"~\"" },
		{ "\x80", 1, "\"\\ufffd\"" },
		{ "\xff", 1, "\"\\ufffd\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
		{ "\xc3\xa9", 2, "\"\xc3\xa9\"" },
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },
		{ "", 0, "\"\"" },
	};
	char buf[64];
	size_t i;
	struct jw w;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		jw_init(&w, buf, sizeof(buf));
		jw_string_n(&w, cases[i].in, cases[i].n);
		CHECK_STR(buf, cases[i].out);
	}
	/* jw_string stops at the NUL. */
	jw_init(&w, buf, sizeof(buf));
	jw_string(&w, "ab\0cd");
	CHECK_STR(buf, "\"ab\"");
}

static void test_every_byte(void)
{
	unsigned char in[3];
	unsigned b;

	for (b = 0; b < 256; b++) {
		in[0] = (unsigned char)b;
		roundtrip(in, 1);
		in[0] = 'a';
		in[1] = (unsigned char)b;
		in[2] = 'z';
		roundtrip(in, 3);
	}
}

/* Every two-byte string: all lead/continuation combinations of length 2. */
static void test_every_pair(void)
{
	unsigned char in[2];
	unsigned a, b;
	int bad = 0;

	for (a = 0; a < 256 && bad < 10; a++) {
		for (b = 0; b < 256 && bad < 10; b++) {
			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			bad += !roundtrip(in, 2);
		}
	}
}

static void test_crafted(void)
{
	static const struct {
		const char *in;
		const char *decoded; /* what the JSON must decode to */
	} cases[] = {
		/* well-formed: kept as is */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82\xac", "\xe2\x82\xac" },	    /* U+20AC */
		{ "\xf0\x9d\x84\x9e", "\xf0\x9d\x84\x9e" }, /* U+1D11E */
		{ "\xc2\x80", "\xc2\x80" },		    /* U+0080 */
		{ "\xdf\xbf", "\xdf\xbf" },		    /* U+07FF */
		{ "\xe0\xa0\x80", "\xe0\xa0\x80" },	    /* U+0800 */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },	    /* U+D7FF */
		{ "\xee\x80\x80", "\xee\x80\x80" },	    /* U+E000 */
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },	    /* U+FFFF */
		{ "\xf0\x90\x80\x80", "\xf0\x90\x80\x80" }, /* U+10000 */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" }, /* U+10FFFF */
		/* overlong forms */
		{ "\xc0\x80", REPLACEMENT REPLACEMENT },
		{ "\xc1\xbf", REPLACEMENT REPLACEMENT },
		{ "\xe0\x80\x80", REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xe0\x9f\xbf", REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xf0\x80\x80\x80",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xf0\x8f\xbf\xbf",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		/* UTF-16 surrogates, alone and paired (CESU-8) */
		{ "\xed\xa0\x80", REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xed\xbf\xbf", REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xed\xa0\xbd\xed\xb2\xa9",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT
			  REPLACEMENT },
		/* beyond U+10FFFF, and bytes that never start a sequence */
		{ "\xf4\x90\x80\x80",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xf5\x80\x80\x80",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xf8\x88\x80\x80\x80",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xfe\xff", REPLACEMENT REPLACEMENT },
		/* truncated sequences, at the end and before ASCII */
		{ "\xc3", REPLACEMENT },
		{ "\xe2\x82", REPLACEMENT REPLACEMENT },
		{ "\xf0\x9d\x84", REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xe2\x82x", REPLACEMENT REPLACEMENT "x" },
		{ "\xf0\x9d\x84\"", REPLACEMENT REPLACEMENT REPLACEMENT "\"" },
		{ "\xc3\xc3\xa9", REPLACEMENT "\xc3\xa9" },
		/* stray continuation bytes */
		{ "\x80", REPLACEMENT },
		{ "\xbf\xbf", REPLACEMENT REPLACEMENT },
		{ "a\x80"
		  "b\xc3\xa9\x80",
		  "a" REPLACEMENT "b\xc3\xa9" REPLACEMENT },
	};
	char buf[256], decoded[128];
	size_t i, dlen;
	struct jw w;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;

		roundtrip((const unsigned char *)in, strlen(in));
		jw_init(&w, buf, sizeof(buf));
		jw_string(&w, in);
		CHECKF(json_valid(buf, w.sb.len) &&
			       json_string_decode(buf, w.sb.len, decoded,
						  sizeof(decoded), &dlen) &&
			       !strcmp(decoded, cases[i].decoded),
		       "crafted case %zu: got %s", i, buf);
	}
}

/* Random strings over bytes chosen to hit every UTF-8 class. */
static void test_random(void)
{
	static const unsigned char classes[][2] = {
		{ 0x00, 0x1f }, { 0x20, 0x7f }, { 0x80, 0xbf }, { 0xc0, 0xc1 },
		{ 0xc2, 0xdf }, { 0xe0, 0xef }, { 0xf0, 0xf4 }, { 0xf5, 0xff },
		{ '"', '"' },	{ '\\', '\\' }, { 0xed, 0xed }, { 0x80, 0x9f },
	};
	unsigned char in[32];
	unsigned long long seed = 0x2545f4914f6cdd1dULL;
	int iter, bad = 0;
	size_t i, n;

	for (iter = 0; iter < 200000 && bad < 10; iter++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (size_t)(seed >> 59) + 1;
		for (i = 0; i < n; i++) {
			unsigned lo, hi;

			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			lo = classes[(seed >> 33) % 12][0];
			hi = classes[(seed >> 33) % 12][1];
			in[i] = (unsigned char)(lo +
						(seed >> 45) % (hi - lo + 1));
		}
		bad += !roundtrip(in, n);
	}
}

static void write_doc(struct jw *w)
{
	static const char comm[] = "a\"b\\c\x01\xff\xe2\x82\xac\n";

	jw_start_object(w);
	jw_lit_string(w, "event", "teardown");
	jw_name(w, "comm");
	jw_string_n(w, comm, sizeof(comm) - 1);
	jw_name(w, "l\"st");
	jw_start_array(w);
	jw_uint(w, 12345);
	jw_uint(w, ULLONG_MAX);
	jw_bool(w, true);
	jw_null(w);
	jw_end_array(w);
	jw_lit_string(w, "s", "\x7f\x7f\x7f\x7f");
	jw_lit_uint(w, "lport", 443);
	jw_key(w, "linger");
	jw_start_object(w);
	jw_lit_bool(w, "on", false);
	jw_lit_null(w, "shutdown");
	jw_end_object(w);
	jw_end_object(w);
}

static void test_overflow(void)
{
	char full[512], mem[512 + 64];
	size_t cap, len, i;
	struct jw w;
	bool guard_ok;

	jw_init(&w, full, sizeof(full));
	write_doc(&w);
	CHECK(!w.sb.overflow);
	len = w.sb.len;
	CHECK(json_valid(full, len));

	for (cap = 0; cap <= len + 2; cap++) {
		memset(mem, GUARD, sizeof(mem));
		jw_init(&w, mem, cap);
		write_doc(&w);
		guard_ok = true;
		for (i = cap; i < sizeof(mem); i++)
			guard_ok &= (unsigned char)mem[i] == GUARD;
		CHECKF(guard_ok, "cap %zu: wrote past cap", cap);
		CHECKF(w.sb.overflow == (cap <= len), "cap %zu: overflow %d",
		       cap, w.sb.overflow);
		CHECKF(w.sb.len < cap || (cap == 0 && w.sb.len == 0),
		       "cap %zu: len %zu", cap, w.sb.len);
		if (cap) {
			/* Always a NUL-terminated prefix of the output. */
			CHECKF(strlen(mem) == w.sb.len &&
				       !memcmp(mem, full, w.sb.len),
			       "cap %zu: not a prefix", cap);
		}
		if (!w.sb.overflow)
			CHECK_STR(mem, full);
	}

	/* cap 0 never touches the buffer, even to write a NUL. */
	jw_init(&w, NULL, 0);
	write_doc(&w);
	CHECK(w.sb.overflow);
}

static void test_depth(void)
{
	char mem[256 + 16];
	struct jw w;
	int i;
	bool guard_ok = true;

	memset(mem, GUARD, sizeof(mem));
	jw_init(&w, mem, 256);
	for (i = 0; i < JW_MAX_DEPTH + 4; i++)
		jw_start_array(&w);
	for (i = 0; i < JW_MAX_DEPTH + 4; i++)
		jw_end_array(&w);
	CHECK(w.sb.overflow);
	for (i = 256; i < (int)sizeof(mem); i++)
		guard_ok &= (unsigned char)mem[i] == GUARD;
	CHECK(guard_ok);

	/* As deep as allowed is fine. */
	jw_init(&w, mem, 256);
	for (i = 0; i < JW_MAX_DEPTH - 1; i++)
		jw_start_array(&w);
	for (i = 0; i < JW_MAX_DEPTH - 1; i++)
		jw_end_array(&w);
	CHECK(!w.sb.overflow);
	CHECK(json_valid(mem, w.sb.len));

	/* An unbalanced end is flagged rather than written. */
	jw_init(&w, mem, 256);
	jw_end_object(&w);
	CHECK(w.sb.overflow);
	CHECK_STR(mem, "");
}

/* Every append of sb.h, at every cap: the bytes, and never one past cap. */
static void sb_doc(struct sb *b)
{
	sb_puts(b, "pid ");
	sb_uint(b, 4321);
	sb_putc(b, ' ');
	sb_putn(b, "[abc]", 5);
	sb_uint(b, 0);
	sb_printf(b, " %s=%-4d|", "x", 7);
	sb_uint(b, ULLONG_MAX);
	sb_putn(b, "", 0);
	sb_putc(b, '.');
}

#define SB_DOC "pid 4321 [abc]0 x=7   |18446744073709551615."

static void test_sb_bounded(void)
{
	char mem[128 + 16];
	size_t cap, i, len = strlen(SB_DOC);
	struct sb b;
	bool guard_ok;

	for (cap = 0; cap <= len + 2; cap++) {
		memset(mem, GUARD, sizeof(mem));
		sb_init(&b, mem, cap);
		sb_doc(&b);
		guard_ok = true;
		for (i = cap; i < sizeof(mem); i++)
			guard_ok &= (unsigned char)mem[i] == GUARD;
		CHECKF(guard_ok, "sb cap %zu: wrote past cap", cap);
		CHECKF(b.overflow == (cap <= len), "sb cap %zu: overflow %d",
		       cap, b.overflow);
		CHECKF(b.len < cap || (cap == 0 && b.len == 0),
		       "sb cap %zu: len %zu", cap, b.len);
		if (cap)
			CHECKF(strlen(mem) == b.len &&
				       !memcmp(mem, SB_DOC, b.len),
			       "sb cap %zu: not a prefix", cap);
		/* sb_finish: all of it, or nothing */
		if (b.overflow) {
			CHECK_INT(sb_finish(&b), 0);
			if (cap)
				CHECK_STR(mem, "");
		} else {
			CHECK_INT(sb_finish(&b), len);
			CHECK_STR(mem, SB_DOC);
		}
	}

	/* Once over, nothing more goes in, even what would fit. */
	sb_init(&b, mem, 8);
	sb_puts(&b, "abcdefgh");
	CHECK(b.overflow);
	sb_putc(&b, 'x');
	sb_printf(&b, "%d", 1);
	CHECK(b.overflow && b.len == 0);
	CHECK_STR(mem, "");

	/* A printf that does not fit leaves the prefix before it. */
	sb_init(&b, mem, 8);
	sb_putn(&b, "ab", 2);
	sb_printf(&b, "%s", "cdefghij");
	CHECK(b.overflow && b.len == 2);
	CHECK_STR(mem, "ab");
	CHECK(!sb_reserve(&b, 0));

	/* The last byte is the NUL's: cap 3 holds two. */
	sb_init(&b, mem, 3);
	CHECK(sb_reserve(&b, 2) && !sb_reserve(&b, 3) && b.overflow);
	CHECK_INT(b.cap, 3);

	/* cap 0 never touches the buffer. */
	sb_init(&b, NULL, 0);
	sb_doc(&b);
	CHECK(b.overflow && b.len == 0);
	CHECK_INT(sb_finish(&b), 0);
}

/* A growing builder: past its first 8 KiB, by printf and by putn. */
static void test_sb_grow(void)
{
	size_t i, len = 0, piece = strlen(SB_DOC);
	struct sb b;
	bool ok = true;

	sb_init_grow(&b);
	CHECK(!b.overflow && b.buf && b.cap >= 8192 && b.len == 0);
	CHECK_STR(b.buf, "");
	for (i = 0; i < 1000; i++) {
		sb_doc(&b);
		len += piece;
		ok &= !b.overflow && b.len == len && b.len < b.cap &&
		      b.buf[b.len] == '\0' &&
		      !memcmp(b.buf + len - piece, SB_DOC, piece);
	}
	CHECK(ok);
	CHECK(b.cap > 8192);
	/* one printf far larger than the room left */
	sb_printf(&b, "%-100000s|", "wide");
	len += 100001;
	CHECK(!b.overflow && b.len == len && b.len < b.cap);
	CHECK(!memcmp(b.buf + len - 100001, "wide ", 5) &&
	      !strcmp(b.buf + len - 2, " |"));
	CHECK_INT(strlen(b.buf), len);
	CHECK_INT(sb_finish(&b), len);
	free(b.buf);
}

int main(void)
{
	test_structure();
	test_literal_keys();
	test_escape_forms();
	test_every_byte();
	test_every_pair();
	test_crafted();
	test_random();
	test_overflow();
	test_depth();
	test_sb_bounded();
	test_sb_grow();
	return check_exit("test_json");
}
