// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <string.h>

#include "parts.h"

static const struct {
	const char *name;
	const char *loss;
} parts[FR_PART__MAX] = {
	[FR_PART_CORE] = { "core", "no records" },
	[FR_PART_LIVENESS] = {
		"reconciliation",
		"the exit line's lost= leaves out the records of sockets "
		"whose last events the kernel ran no program for, and the "
		"socket map's entries of such sockets are not swept",
	},
	[FR_PART_STACK] = { "stack", "--stack cannot take RST stacks" },
	[FR_PART_NOSOCK_COMPAT] = {
		"nosock-compat",
		"RSTs this host sends for segments that have no socket "
		"(closed ports) are not reported",
	},
	[FR_PART_IO_URING] = {
		"io-uring",
		"sockets accepted through io_uring (IORING_OP_ACCEPT) get no "
		"owner: a record that the peer or a timer starts names no "
		"process",
	},
};

const char *fr_part_name(enum fr_part p)
{
	return (unsigned int)p < FR_PART__MAX ? parts[p].name : NULL;
}

const char *fr_part_loss(enum fr_part p)
{
	return (unsigned int)p < FR_PART__MAX ? parts[p].loss : NULL;
}

int fr_part_by_name(const char *name, size_t len)
{
	for (int p = 0; p < FR_PART__MAX; p++)
		if (strlen(parts[p].name) == len &&
		    !strncmp(parts[p].name, name, len))
			return p;
	return -1;
}
