// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - user/json.c: structure, escaping of every byte value and of
 * ill-formed UTF-8, and that a full buffer is never overrun.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "json.h"
#include "json_check.h"

#define GUARD 0xa5
#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

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
	ok = !w.overflow && w.len == strlen(buf) && json_valid(buf, w.len) &&
	     json_string_decode(buf, w.len, decoded, sizeof(decoded), &dlen) &&
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
	jw_kv_uint(&w, "a", 1);
	jw_kv_int(&w, "b", -2);
	jw_kv_bool(&w, "c", true);
	jw_kv_null(&w, "d");
	jw_kv_string(&w, "e", "x");
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
	jw_name(&w, "h");
	jw_start_object(&w);
	jw_end_object(&w);
	jw_kv_int(&w, "min", LLONG_MIN);
	jw_kv_uint(&w, "max", ULLONG_MAX);
	jw_kv_int(&w, "zero", 0);
	jw_end_object(&w);
	CHECK(!w.overflow);
	CHECK_INT(w.depth, 0);
	CHECK_STR(buf, "{\"a\":1,\"b\":-2,\"c\":true,\"d\":null,\"e\":\"x\","
		       "\"f\":[1,2,{\"g\":[]},false],\"h\":{},"
		       "\"min\":-9223372036854775808,"
		       "\"max\":18446744073709551615,\"zero\":0}");
	CHECK_INT(w.len, strlen(buf));
	CHECK(json_valid(buf, w.len));

	/* Top-level values are separated too; names are escaped. */
	jw_init(&w, buf, sizeof(buf));
	jw_start_array(&w);
	jw_end_array(&w);
	jw_null(&w);
	jw_start_object(&w);
	jw_kv_string(&w, "q\"k\n", "");
	jw_end_object(&w);
	CHECK_STR(buf, "[],null,{\"q\\\"k\\n\":\"\"}");
}

/* A literal key (jw_key, jw_lit_*) writes what jw_name and jw_kv_* write,
 * separators included, at the top and nested. */
static void test_literal_keys(void)
{
	char a[256], b[256];
	struct jw w, v;

	jw_init(&w, a, sizeof(a));
	jw_init(&v, b, sizeof(b));
	jw_start_object(&w);
	jw_start_object(&v);
	jw_kv_string(&w, "event", "teardown");
	jw_lit_string(&v, "event", "teardown");
	jw_kv_uint(&w, "lport", 443);
	jw_lit_uint(&v, "lport", 443);
	jw_name(&w, "linger");
	jw_key(&v, "linger");
	jw_start_object(&w);
	jw_start_object(&v);
	jw_kv_bool(&w, "on", true);
	jw_lit_bool(&v, "on", true);
	jw_kv_null(&w, "x");
	jw_lit_null(&v, "x");
	jw_end_object(&w);
	jw_end_object(&v);
	jw_kv_string(&w, "", "");
	jw_lit_string(&v, "", "");
	jw_end_object(&w);
	jw_end_object(&v);
	CHECK_STR(b, a);
	CHECK_STR(b, "{\"event\":\"teardown\",\"lport\":443,"
		     "\"linger\":{\"on\":true,\"x\":null},\"\":\"\"}");
	CHECK_INT(v.len, strlen(b));
	CHECK(!v.overflow);
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
		const char *decoded;	/* what the JSON must decode to */
	} cases[] = {
		/* well-formed: kept as is */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82\xac", "\xe2\x82\xac" },		/* U+20AC */
		{ "\xf0\x9d\x84\x9e", "\xf0\x9d\x84\x9e" },	/* U+1D11E */
		{ "\xc2\x80", "\xc2\x80" },			/* U+0080 */
		{ "\xdf\xbf", "\xdf\xbf" },			/* U+07FF */
		{ "\xe0\xa0\x80", "\xe0\xa0\x80" },		/* U+0800 */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },		/* U+D7FF */
		{ "\xee\x80\x80", "\xee\x80\x80" },		/* U+E000 */
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", "\xf0\x90\x80\x80" },	/* U+10000 */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },	/* U+10FFFF */
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
		{ "\xed\xa0\xbd\xed\xb2\xa9", REPLACEMENT REPLACEMENT
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		/* beyond U+10FFFF, and bytes that never start a sequence */
		{ "\xf4\x90\x80\x80",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xf5\x80\x80\x80",
		  REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT },
		{ "\xf8\x88\x80\x80\x80", REPLACEMENT REPLACEMENT REPLACEMENT
		  REPLACEMENT REPLACEMENT },
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
		{ "a\x80" "b\xc3\xa9\x80", "a" REPLACEMENT "b\xc3\xa9"
		  REPLACEMENT },
	};
	char buf[256], decoded[128];
	size_t i, dlen;
	struct jw w;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i].in;

		roundtrip((const unsigned char *)in, strlen(in));
		jw_init(&w, buf, sizeof(buf));
		jw_string(&w, in);
		CHECKF(json_valid(buf, w.len) &&
			       json_string_decode(buf, w.len, decoded,
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
	jw_kv_string(w, "event", "teardown");
	jw_name(w, "comm");
	jw_string_n(w, comm, sizeof(comm) - 1);
	jw_name(w, "list");
	jw_start_array(w);
	jw_uint(w, 12345);
	jw_int(w, -1);
	jw_bool(w, true);
	jw_null(w);
	jw_end_array(w);
	jw_kv_string(w, "s", "\x7f\x7f\x7f\x7f");
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
	CHECK(!w.overflow);
	len = w.len;
	CHECK(json_valid(full, len));

	for (cap = 0; cap <= len + 2; cap++) {
		memset(mem, GUARD, sizeof(mem));
		jw_init(&w, mem, cap);
		write_doc(&w);
		guard_ok = true;
		for (i = cap; i < sizeof(mem); i++)
			guard_ok &= (unsigned char)mem[i] == GUARD;
		CHECKF(guard_ok, "cap %zu: wrote past cap", cap);
		CHECKF(w.overflow == (cap <= len), "cap %zu: overflow %d", cap,
		       w.overflow);
		CHECKF(w.len < cap || (cap == 0 && w.len == 0),
		       "cap %zu: len %zu", cap, w.len);
		if (cap) {
			/* Always a NUL-terminated prefix of the output. */
			CHECKF(strlen(mem) == w.len &&
				       !memcmp(mem, full, w.len),
			       "cap %zu: not a prefix", cap);
		}
		if (!w.overflow)
			CHECK_STR(mem, full);
	}

	/* cap 0 never touches the buffer, even to write a NUL. */
	jw_init(&w, NULL, 0);
	write_doc(&w);
	CHECK(w.overflow);
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
	CHECK(w.overflow);
	for (i = 256; i < (int)sizeof(mem); i++)
		guard_ok &= (unsigned char)mem[i] == GUARD;
	CHECK(guard_ok);

	/* As deep as allowed is fine. */
	jw_init(&w, mem, 256);
	for (i = 0; i < JW_MAX_DEPTH - 1; i++)
		jw_start_array(&w);
	for (i = 0; i < JW_MAX_DEPTH - 1; i++)
		jw_end_array(&w);
	CHECK(!w.overflow);
	CHECK(json_valid(mem, w.len));

	/* An unbalanced end is flagged rather than written. */
	jw_init(&w, mem, 256);
	jw_end_object(&w);
	CHECK(w.overflow);
	CHECK_STR(mem, "");
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
	return check_exit("test_json");
}
