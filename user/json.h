/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a streaming JSON writer into a caller buffer.
 *
 * Same shape as bpftool's json_writer, but it writes into a fixed buffer so
 * formatting a record never allocates.  Output is compact (no spaces) and is
 * valid JSON and valid UTF-8 whatever bytes the strings hold.
 *
 * The buffer is kept NUL-terminated.  When something does not fit, ->overflow
 * is set, nothing more is written, and ->buf holds a prefix of the output;
 * nothing is ever written at or past buf + cap.
 */
#ifndef FINRST_JSON_H
#define FINRST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[JW_MAX_DEPTH];	/* no value written yet at this depth */
	bool overflow;			/* out of room, or nested too deep */
};

void jw_init(struct jw *w, char *buf, size_t cap);

void jw_start_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_start_array(struct jw *w);
void jw_end_array(struct jw *w);

/* Key of the next value inside an object. */
void jw_name(struct jw *w, const char *name);

/*
 * The same for a key known when compiling: a string literal of printable
 * ASCII without '"' or '\\' (the records' own field names). The quoted key
 * and its colon are one literal, copied whole: no scan, no strlen.
 */
#define jw_key(w, lit) jw_key_quoted((w), "\"" lit "\":", sizeof(lit) + 2)
void jw_key_quoted(struct jw *w, const char *quoted, size_t n);

void jw_string(struct jw *w, const char *s);		 /* NUL-terminated */
void jw_string_n(struct jw *w, const char *s, size_t n); /* any bytes */
/* Decimal digits of v written backwards, ending just before end (room
 * for 20 digits); returns where they start. No printf on hot paths. */
char *fr_u64_digits(char *end, unsigned long long v);

void jw_uint(struct jw *w, unsigned long long v);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);

void jw_kv_string(struct jw *w, const char *name, const char *s);
void jw_kv_uint(struct jw *w, const char *name, unsigned long long v);
void jw_kv_int(struct jw *w, const char *name, long long v);
void jw_kv_bool(struct jw *w, const char *name, bool v);
void jw_kv_null(struct jw *w, const char *name);

/* jw_kv_*() for a literal key (see jw_key). */
#define jw_lit_string(w, lit, s) (jw_key(w, lit), jw_string(w, s))
#define jw_lit_uint(w, lit, v) (jw_key(w, lit), jw_uint(w, v))
#define jw_lit_bool(w, lit, v) (jw_key(w, lit), jw_bool(w, v))
#define jw_lit_null(w, lit) (jw_key(w, lit), jw_null(w))

#endif /* FINRST_JSON_H */
