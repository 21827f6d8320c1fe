// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_format.c - libFuzzer target: any struct fr_record, as the ring buffer
 * could deliver it, through the JSON and text formatting of user/format.c.
 *
 * Input: the record in the form of record_codec.h (every field, so comm with
 * any bytes, enum values out of range, unknown families and record types),
 * then the formatting options:
 *
 *	mono_to_real_ns	8 bytes
 *	options		1 byte: 1 colour, 2 a reason_name callback, 4 ... that
 *			returns NULL, 8 no options at all (f == NULL)
 *	cap		2 bytes: a second, smaller output buffer
 *	reason name	the rest, at most 63 bytes (what reason_name returns:
 *			in finrst, a name from the kernel's BTF)
 *
 * Properties: a record of a known type always formats into finrst's 4096-byte
 * line (never dropped), an unknown type never does; the JSON line is strict
 * JSON and valid UTF-8 and comm and kernel_reason decode to what json.h
 * promises; the text line and the explanation hold no control bytes (but the
 * colour escapes asked for); a smaller buffer gives the same line or nothing,
 * and nothing is ever written past the buffer (each is malloc()ed to its exact
 * size for AddressSanitizer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "fuzz_common.h"
#include "record_codec.h"

#define LINE_CAP 4096	 /* struct out's line in user/finrst.c */
#define EXPLAIN_CAP 2048 /* format.c's explain buffers */
#define REASON_MAX 63

#define OPT_COLOR 1
#define OPT_REASON 2
#define OPT_REASON_NULL 4
#define OPT_NO_FMT 8

struct input {
	struct fr_record r;
	struct fr_fmt f;
	const struct fr_fmt *fp; /* &f, or NULL */
	size_t cap;
	char reason[REASON_MAX + 1];
};

static const char *reason_name(unsigned value, void *arg)
{
	const struct input *in = arg;

	(void)value;
	return in->reason;
}

static const char *reason_null(unsigned value, void *arg)
{
	(void)value;
	(void)arg;
	return NULL;
}

static void take(void *dst, size_t len, const uint8_t **data, size_t *size)
{
	size_t n = *size < len ? *size : len;

	memset(dst, 0, len);
	if (n)
		memcpy(dst, *data, n);
	*data += n;
	*size -= n;
}

static void parse_input(struct input *in, const uint8_t *data, size_t size)
{
	unsigned char opts;
	uint16_t cap;
	size_t n;

	memset(in, 0, sizeof(*in));
	fr_codec_get(&in->r, &data, &size);
	take(&in->f.mono_to_real_ns, sizeof(in->f.mono_to_real_ns), &data,
	     &size);
	take(&opts, sizeof(opts), &data, &size);
	take(&cap, sizeof(cap), &data, &size);
	n = size < REASON_MAX ? size : REASON_MAX;
	if (n)
		memcpy(in->reason, data, n);
	in->reason[n] = '\0';

	in->cap = cap;
	if (opts & OPT_NO_FMT) {
		/* what fr_fmt_default holds */
		in->f = (struct fr_fmt){ 0 };
		in->fp = NULL;
		return;
	}
	in->fp = &in->f;
	in->f.color = opts & OPT_COLOR;
	if (opts & OPT_REASON) {
		in->f.reason_name = opts & OPT_REASON_NULL ? reason_null :
							     reason_name;
		in->f.reason_arg = in;
	}
}

static bool known_type(const struct fr_record *r)
{
	return r->type == FR_REC_TEARDOWN || r->type == FR_REC_RST;
}

/* A formatter: fr_format_json or fr_format_text. */
typedef size_t (*format_fn)(const struct fr_record *, const struct fr_frame *,
			    size_t, const struct fr_fmt *, char *, size_t);

/* Format into a malloc()ed buffer of exactly cap bytes (fn NULL: the text
 * header). */
static size_t format_exact(format_fn fn, const struct input *in, size_t cap,
			   char **out)
{
	char *buf = cap ? malloc(cap) : NULL;
	size_t n;

	if (cap)
		FUZZ_CHECK(buf);
	n = fn ? fn(&in->r, NULL, 0, in->fp, buf, cap) :
		 fr_format_text_header(in->fp, buf, cap);
	FUZZ_CHECK(!n || n < cap);
	if (cap) {
		/* NUL-terminated: the line, or "" when it did not fit */
		FUZZ_CHECK(buf[n] == '\0');
		FUZZ_CHECK(strlen(buf) == n);
	}
	*out = buf;
	return n;
}

/*
 * Both formatters: a full line at LINE_CAP for a known type, nothing for an
 * unknown one; one '\n', at the end; at in->cap, the same line or nothing.
 * Returns the line (malloc()ed) and its length in *len.
 */
static char *check_line(format_fn fn, const struct input *in, size_t *len)
{
	char *line, *small;
	size_t n, m;

	n = format_exact(fn, in, LINE_CAP, &line);
	if (!known_type(&in->r)) {
		FUZZ_CHECK(n == 0);
	} else {
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(line[n - 1] == '\n');
		FUZZ_CHECK(memchr(line, '\n', n) == line + n - 1);
		FUZZ_CHECK(u8_valid(line, n));
	}

	m = format_exact(fn, in, in->cap, &small);
	if (in->cap > n && n)
		FUZZ_CHECK(m == n && !memcmp(small, line, n));
	else
		FUZZ_CHECK(m == 0);
	free(small);
	*len = n;
	return line;
}

/* The decoded value of a string member of the record's JSON object. */
static bool json_member(const char *obj, const char *key, char *out, size_t cap,
			size_t *outlen)
{
	const char *val;
	size_t vlen;

	return json_object_get(obj, key, &val, &vlen) &&
	       json_string_decode(val, vlen, out, cap, outlen);
}

static void check_json(const struct input *in)
{
	const struct fr_record *r = &in->r;
	char got[512], want[3 * (REASON_MAX + FR_COMM_LEN) + 1];
	size_t n, got_len, want_len;
	char *line;

	line = check_line(fr_format_json, in, &n);
	if (!n) {
		free(line);
		return;
	}
	FUZZ_CHECK(json_valid(line, n));
	FUZZ_CHECK(json_member(line, "event", got, sizeof(got), &got_len));
	FUZZ_CHECK(!strcmp(got, r->type == FR_REC_RST ? "rst" : "teardown"));

	/* comm: any bytes up to the first NUL, as json.h promises */
	if (r->type == FR_REC_TEARDOWN) {
		FUZZ_CHECK(
			json_member(line, "comm", got, sizeof(got), &got_len));
		want_len = u8_expect_replaced((const unsigned char *)r->comm,
					      strnlen(r->comm, FR_COMM_LEN),
					      want);
		FUZZ_CHECK(got_len == want_len && !memcmp(got, want, want_len));
	}

	/* kernel_reason: null, the callback's name, or the number */
	if (!(r->flags & FR_F_KREASON)) {
		const char *val;
		size_t vlen;

		FUZZ_CHECK(json_object_get(line, "kernel_reason", &val, &vlen));
		FUZZ_CHECK(vlen == 4 && !memcmp(val, "null", 4));
	} else if (in->f.reason_name == reason_name) {
		FUZZ_CHECK(json_member(line, "kernel_reason", got, sizeof(got),
				       &got_len));
		want_len = u8_expect_replaced((const unsigned char *)in->reason,
					      strlen(in->reason), want);
		FUZZ_CHECK(got_len == want_len && !memcmp(got, want, want_len));
	} else {
		FUZZ_CHECK(json_member(line, "kernel_reason", got, sizeof(got),
				       &got_len));
		snprintf(want, sizeof(want), "%u", r->kernel_reason);
		FUZZ_CHECK(!strcmp(got, want));
	}
	free(line);
}

static void check_text(const struct input *in)
{
	char *line;
	size_t n;

	line = check_line(fr_format_text, in, &n);
	/* comm is shown with '?' for its control bytes: nothing reaches the
	 * terminal but the line's own '\n' and the colour asked for */
	if (n) {
		FUZZ_CHECK(fuzz_no_controls(line, n - 1,
					    in->f.color ? '\033' : 0));
		if (!in->f.color)
			FUZZ_CHECK(!memchr(line, '\033', n));
	}
	free(line);

	n = format_exact(NULL, in, LINE_CAP, &line);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n');
	free(line);
	n = format_exact(NULL, in, in->cap, &line);
	free(line);
}

static void check_explain(const struct input *in)
{
	char *buf = malloc(EXPLAIN_CAP);
	size_t n;

	FUZZ_CHECK(buf);
	n = fr_explain(&in->r, buf, EXPLAIN_CAP);
	FUZZ_CHECK(n > 0 && n < EXPLAIN_CAP && strlen(buf) == n);
	FUZZ_CHECK(fuzz_no_controls(buf, n, 0));
	FUZZ_CHECK(u8_valid(buf, n));
	free(buf);
}

/* The cause of a SPEC name, by the names the table gives, or -1. */
static int cause_from_name(const char *name)
{
	for (int c = FR_CAUSE_NONE + 1; c < FR_CAUSE__MAX; c++)
		if (!strcmp(fr_cause_name((unsigned)c), name))
			return c;
	return -1;
}

/* The name tables: never NULL, and the cause names are one to one. */
static void check_names(const struct input *in)
{
	const struct fr_record *r = &in->r;
	int c;

	FUZZ_CHECK(fr_outcome_name(r->outcome));
	FUZZ_CHECK(fr_cause_name(r->cause));
	FUZZ_CHECK(fr_initiator_name(r->initiator));
	FUZZ_CHECK(fr_role_name(r->role));
	FUZZ_CHECK(fr_state_name(r->state));
	FUZZ_CHECK(fr_outcome_name(r->flags));
	FUZZ_CHECK(fr_state_name(r->kernel_reason));
	c = cause_from_name(in->reason);
	FUZZ_CHECK(c >= -1 && c < FR_CAUSE__MAX);
	if (c >= 0)
		FUZZ_CHECK(!strcmp(fr_cause_name((unsigned)c), in->reason));
	c = cause_from_name(fr_cause_name(r->cause));
	FUZZ_CHECK(r->cause > FR_CAUSE_NONE && r->cause < FR_CAUSE__MAX ?
			   c == r->cause :
			   c == -1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the text line's local time, the same on every machine */
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;

	parse_input(&in, data, size);
	check_json(&in);
	check_text(&in);
	check_explain(&in);
	check_names(&in);
	return 0;
}
