// SPDX-License-Identifier: GPL-2.0
/*
 * finrst-floor: attach the empty programs of floor.bpf.c, say so on stderr
 * ("finrst-floor: ready"), and hold them until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

int main(void)
{
	struct floor_bpf *s;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	s = floor_bpf__open_and_load();
	if (!s) {
		fprintf(stderr, "finrst-floor: loading failed: %s\n",
			strerror(errno));
		return 1;
	}
	err = floor_bpf__attach(s);
	if (err) {
		fprintf(stderr, "finrst-floor: attaching failed: %s\n",
			strerror(-err));
		floor_bpf__destroy(s);
		return 1;
	}
	fprintf(stderr, "finrst-floor: ready\n");
	while (!done)
		pause();
	floor_bpf__destroy(s);
	return 0;
}
