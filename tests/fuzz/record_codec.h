/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_codec.h - the byte form of a struct fr_record in the fuzz_format
 * inputs: every field in a fixed order, host byte order, no padding.
 *
 * Field by field rather than the raw struct, so that a field added to struct
 * fr_record (append it to FR_CODEC_FIELDS) does not shift the seeds: an input
 * that ends early leaves the remaining fields zero.  gen_seeds.c writes the
 * seeds with fr_codec_put(), fuzz_format.c reads them with fr_codec_get().
 */
#ifndef FR_RECORD_CODEC_H
#define FR_RECORD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "finrst.h"

#define FR_CODEC_FIELDS(X)  \
	X(end_ns)           \
	X(lifetime_ns)      \
	X(close_blocked_ns) \
	X(bytes_sent)       \
	X(bytes_received)   \
	X(cgroup_id)        \
	X(netns)            \
	X(pid)              \
	X(unread_bytes)     \
	X(unsent_bytes)     \
	X(linger_secs)      \
	X(flags)            \
	X(kernel_reason)    \
	X(saddr)            \
	X(daddr)            \
	X(sport)            \
	X(dport)            \
	X(family)           \
	X(type)             \
	X(role)             \
	X(outcome)          \
	X(cause)            \
	X(initiator)        \
	X(first)            \
	X(state)            \
	X(end_from)         \
	X(shutdown)         \
	X(rst_cause)        \
	X(err)              \
	X(syns)             \
	X(comm)

/* Bytes of a complete record in this form. */
#define FR_CODEC_SIZE_ONE(f) +sizeof(((struct fr_record *)0)->f)
#define FR_CODEC_SIZE (0 FR_CODEC_FIELDS(FR_CODEC_SIZE_ONE))

/*
 * Fill *r (zeroed first) from *data; consumes up to FR_CODEC_SIZE bytes,
 * advancing *data and *size.
 */
static inline void fr_codec_get(struct fr_record *r, const unsigned char **data,
				size_t *size)
{
	size_t n;

	memset(r, 0, sizeof(*r));
#define FR_CODEC_GET_ONE(f)                              \
	n = *size < sizeof(r->f) ? *size : sizeof(r->f); \
	if (n)                                           \
		memcpy(&r->f, *data, n);                 \
	*data += n;                                      \
	*size -= n;
	FR_CODEC_FIELDS(FR_CODEC_GET_ONE)
#undef FR_CODEC_GET_ONE
}

/* Write *r in this form; false on a write error. */
static inline bool fr_codec_put(const struct fr_record *r, FILE *out)
{
	bool ok = true;

#define FR_CODEC_PUT_ONE(f) ok = ok && fwrite(&r->f, sizeof(r->f), 1, out) == 1;
	FR_CODEC_FIELDS(FR_CODEC_PUT_ONE)
#undef FR_CODEC_PUT_ONE
	return ok;
}

#endif /* FR_RECORD_CODEC_H */
