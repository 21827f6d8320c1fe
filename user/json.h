/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a streaming JSON writer into a caller buffer.
 *
 * Same shape as bpftool's json_writer, but it writes into a fixed buffer so
 * formatting a record never allocates.  Output is compact (no spaces) and is
 * valid JSON and valid UTF-8 whatever bytes the strings hold.
 *
 * It builds on the string builder of sb.h (->sb): the buffer is kept
 * NUL-terminated.  When something does not fit, or the document would nest
 * too deep or close what is not open, ->sb.overflow is set, nothing more is
 * written, and ->sb.buf holds a prefix of the output; nothing is ever written
 * at or past buf + cap.
 */
#ifndef FINRST_JSON_H
#define FINRST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "sb.h"

#define JW_MAX_DEPTH 16

struct jw {
	struct sb sb; /* the output, and ->sb.overflow */
	int depth;
	bool first[JW_MAX_DEPTH]; /* no value written yet at this depth */
};

void jw_init(struct jw *w, char *buf, size_t cap);

void jw_start_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_start_array(struct jw *w);
void jw_end_array(struct jw *w);

/* Key of the next value inside an object, any bytes (escaped). */
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
void jw_uint(struct jw *w, unsigned long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);

/* A literal key (see jw_key) and its value. */
#define jw_lit_string(w, lit, s) (jw_key(w, lit), jw_string(w, s))
#define jw_lit_uint(w, lit, v) (jw_key(w, lit), jw_uint(w, v))
#define jw_lit_bool(w, lit, v) (jw_key(w, lit), jw_bool(w, v))
#define jw_lit_null(w, lit) (jw_key(w, lit), jw_null(w))

#endif /* FINRST_JSON_H */
