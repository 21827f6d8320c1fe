/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_common.h - what the libFuzzer targets share: the entry points, an
 * assertion that makes libFuzzer keep the input, and the reference decoding
 * of a byte string that the JSON writer promises.
 */
#ifndef FR_FUZZ_COMMON_H
#define FR_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * A broken property: say which and abort(), so that libFuzzer reports a
 * crash and saves the input as an artifact.
 */
#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: property failed: %s\n",    \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/*
 * What json.h promises a string of any bytes decodes to: each well-formed
 * UTF-8 sequence as it is, each other byte as U+FFFD (EF BF BD).  Computed
 * with the checker's decoder (tests/unit/json_check.c), not json.c's.
 * out needs 3 * n bytes; returns the length.
 */
static inline size_t fuzz_expect_utf8(const unsigned char *s, size_t n,
				      char *out)
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
	return o;
}

/* No byte below 0x20 (but the allowed one) and no DEL in s[0..n). */
static inline bool fuzz_no_controls(const char *s, size_t n, char allowed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 || c == 0x7f) && c != (unsigned char)allowed)
			return false;
	}
	return true;
}

#endif /* FR_FUZZ_COMMON_H */
