// SPDX-License-Identifier: GPL-2.0
/*
 * finrst-floor: attach the empty programs of floor.bpf.c, say so on stderr
 * ("finrst-floor: ready"), and hold them until SIGINT or SIGTERM.
 *
 * finrst-floor -r: also send a 48-byte record per socket that reaches
 * CLOSE, submitted without a wakeup and drained every 10 ms, as finrst
 * drains its own; at exit it prints "finrst-floor: records=N lost=M".
 */
#define _POSIX_C_SOURCE 200809L /* getopt, nanosleep under -std=c11 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t done;
static unsigned long long records;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	if (size == 48)
		records++;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: finrst-floor [-r]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	struct ring_buffer *rb = NULL;
	const char *what;
	struct floor_bpf *s;
	bool rec = false;
	int err, opt;

	while ((opt = getopt(argc, argv, "r")) != -1) {
		if (opt != 'r')
			return usage();
		rec = true;
	}
	if (optind != argc)
		return usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	s = floor_bpf__open();
	if (!s) {
		fprintf(stderr, "finrst-floor: opening failed: %s\n",
			strerror(errno));
		return 1;
	}
	s->rodata->records_on = rec;
	what = "loading";
	err = floor_bpf__load(s);
	if (!err && rec) {
		what = "opening the ring buffer";
		rb = ring_buffer__new(bpf_map__fd(s->maps.records), on_record,
				      NULL, NULL);
		if (!rb)
			err = -errno;
	}
	if (!err) {
		what = "attaching";
		err = floor_bpf__attach(s);
	}
	if (err) {
		fprintf(stderr, "finrst-floor: %s failed: %s\n", what,
			strerror(-err));
		ring_buffer__free(rb);
		floor_bpf__destroy(s);
		return 1;
	}
	fprintf(stderr, "finrst-floor: ready\n");
	while (!done) {
		if (!rb) {
			pause();
			continue;
		}
		nanosleep(&tick, NULL);
		err = ring_buffer__consume(rb);
		if (err < 0) {
			fprintf(stderr, "finrst-floor: reading records: %s\n",
				strerror(-err));
			break;
		}
	}
	if (rb) {
		floor_bpf__detach(s);
		ring_buffer__consume(rb);
		fprintf(stderr, "finrst-floor: records=%llu lost=%llu\n",
			records, (unsigned long long)s->bss->lost);
		ring_buffer__free(rb);
	}
	floor_bpf__destroy(s);
	return 0;
}
