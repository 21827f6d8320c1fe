/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_common.h - what the libFuzzer targets share: the entry points, an
 * assertion that makes libFuzzer keep the input, and property checks.
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
#define FUZZ_CHECK(cond)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "%s:%d: property failed: %s\n", \
				__FILE__, __LINE__, #cond);             \
			abort();                                        \
		}                                                       \
	} while (0)

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
