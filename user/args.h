/* SPDX-License-Identifier: GPL-2.0 */
/*
 * args.h - the command line (SPEC §3).
 */
#ifndef FINRST_ARGS_H
#define FINRST_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "finrst.h"

#ifndef FINRST_VERSION
#define FINRST_VERSION "0.1.0"
#endif

#define FR_RINGBUF_KB_DEFAULT 4096
#define FR_RINGBUF_KB_MAX 1048576 /* 1 GiB, in KiB */
#define FR_SUMMARY_DEFAULT_S 10
/* How often the socket map is swept of dead sockets' entries. */
#define FR_SWEEP_DEFAULT_S 300

struct env {
	bool json, verbose;
	enum fr_hooks hooks;
	unsigned long duration_s; /* 0 = until signal */
	unsigned int pid;	  /* 0 = any */
	unsigned short ports[FR_MAX_PORTS];
	int nr_ports;
	int family;		 /* 0 = any, AF_INET (-4), AF_INET6 */
	unsigned int netns;	 /* inode, 0 = any */
	unsigned int ringbuf_kb; /* --ringbuf-kb */
	bool text;		 /* --text: text records beside --metrics */
	bool metrics;		 /* --metrics [ADDR:]PORT */
	int metrics_family;	 /* AF_INET or AF_INET6 */
	unsigned char metrics_addr[16]; /* network order */
	unsigned short metrics_port;
	unsigned short metrics_ports[FR_MAX_PORTS]; /* --metrics-ports */
	int nr_metrics_ports;
	const char *web_config;	      /* --web-config FILE (webconfig.h) */
	bool rst_only;		      /* --rst-only */
	bool stack;		      /* --stack */
	unsigned long summary_s;      /* --summary period, 0 = off */
	unsigned long long cgroup_id; /* --cgroup, 0 = any */
	/* Testing only (--help says so): */
	unsigned int test_refuse; /* --test-refuse: 1 << enum fr_part */
	bool test_stale_entries;  /* --test-stale-entries */
	unsigned long sweep_s;	  /* --test-sweep-every, else default */
};

#define FR_ARGS_OK 0
#define FR_ARGS_EXIT 1 /* -h / --version printed to stdout: exit 0 */
#define FR_ARGS_BAD 2  /* err holds one line naming the argument: exit 2 */

/*
 * Reset *env to its defaults, then parse argv into it.  Prints only for -h
 * and --version (to stdout); on FR_ARGS_BAD, err holds "finrst: ..." without
 * a newline, for the caller to print.  Never exits; safe to call repeatedly.
 */
int fr_parse_args(int argc, char **argv, struct env *env, char *err,
		  size_t errlen);
void fr_usage(FILE *out);
const char *fr_hooks_name(enum fr_hooks h);

#endif /* FINRST_ARGS_H */
