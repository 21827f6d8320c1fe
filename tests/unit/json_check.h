/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_check.h - a strict JSON (RFC 8259) and UTF-8 (RFC 3629) checker for
 * the unit tests, written apart from user/json.c so that it does not share
 * its mistakes.
 */
#ifndef FR_JSON_CHECK_H
#define FR_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the well-formed UTF-8 sequence at s (n > 0 bytes), 0 if the
 * bytes there are not one; *cp gets the code point.
 */
size_t u8_decode(const unsigned char *s, size_t n, unsigned *cp);

/*
 * What the JSON writer promises a string of any bytes decodes to: each
 * well-formed UTF-8 sequence as it is, each other byte as U+FFFD (EF BF BD).
 * out needs 3 * n + 1 bytes; it is NUL-terminated; returns the length.
 */
size_t u8_expect_replaced(const unsigned char *s, size_t n, char *out);

/* s[0..n) is well-formed UTF-8. */
bool u8_valid(const char *s, size_t n);

/*
 * s[0..n) is exactly one JSON value (whitespace around it allowed), strict:
 * no control bytes in strings, only the RFC 8259 escapes, \u surrogates in
 * pairs, raw bytes well-formed UTF-8, no trailing commas, RFC numbers.
 */
bool json_valid(const char *s, size_t n);

/*
 * s[0..n) is one JSON string literal: decode it to UTF-8 in out (cap bytes,
 * NUL-terminated), its length in *outlen.  False if invalid or too long.
 */
bool json_string_decode(const char *s, size_t n, char *out, size_t cap,
			size_t *outlen);

/*
 * The raw text of the value of key in the top-level object obj (which must
 * be valid), in *val and *vlen.  False if there is no such key.
 */
bool json_object_get(const char *obj, const char *key, const char **val,
		     size_t *vlen);

#endif /* FR_JSON_CHECK_H */
