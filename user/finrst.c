// SPDX-License-Identifier: GPL-2.0
/*
 * finrst - explain how TCP connections end.
 *
 * Lifecycle: parse arguments -> probe what the kernel offers (startup.c)
 * -> load and attach a backend (loader.c) -> set up the way out
 * (output.c, http.c) -> drop privileges -> drain the ring buffer on a
 * 10 ms timer (the kernel never wakes us per record) -> report records and
 * losses at exit (report.c) -> one cleanup.
 */
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "args.h"
#include "http.h"
#include "loader.h"
#include "metrics.h"
#include "output.h"
#include "privs.h"
#include "report.h"
#include "startup.h"

#define DRAIN_INTERVAL_MS 10

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* Warnings are expected while auto probes backends: show with -v. */
	if (level != LIBBPF_WARN && level != LIBBPF_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static unsigned long long mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec;
}

/* Sweep the socket map of dead sockets' entries; the total so far. */
static void sweep(struct fr_loader *l, bool verbose_out,
		  unsigned long long *swept)
{
	long n;

	if (l->parts[FR_PART_LIVENESS].state != FR_PART_ON)
		return;
	n = fr_loader_sweep(l);
	if (n < 0)
		fprintf(stderr,
			"finrst: warning: cannot sweep the socket map: "
			"%s\n",
			strerror((int)-n));
	else
		*swept += (unsigned long long)n;
	if (n > 0 && verbose_out)
		fprintf(stderr, "finrst: swept %ld entries of dead sockets\n",
			n);
}

/* Drain until a signal, --duration or an error; sweep and print the
 * --summary on their periods. false on a read or write error. */
static bool run(const struct env *env, struct fr_loader *l, struct fr_output *o,
		unsigned long long t0, unsigned long long *swept)
{
	unsigned long long next_summary = t0 + env->summary_s;
	unsigned long long next_sweep = t0 + env->sweep_s;

	while (!stop) {
		unsigned long long now;

		if (!fr_output_drain(o, o->records ? DRAIN_INTERVAL_MS : 100))
			return false;
		now = mono_s();
		if (env->duration_s && now - t0 >= env->duration_s)
			break;
		if (now >= next_sweep) {
			sweep(l, env->verbose, swept);
			next_sweep = now + env->sweep_s;
		}
		if (o->summary && now >= next_summary) {
			fr_output_summary(o, now - t0, fr_loader_lost(l),
					  false);
			next_summary = now + env->summary_s;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	static struct fr_output o;
	struct fr_loader l = { 0 };
	struct fr_reasons reasons = { 0 };
	struct fr_http *http = NULL;
	struct fr_webconfig web = { 0 };
	struct sigaction sa = { 0 };
	unsigned long long t0, swept = 0;
	char err[1024], why[1400];
	struct env env;
	int ret, nice, status = 1;

	ret = fr_parse_args(argc, argv, &env, err, sizeof(err));
	if (ret == FR_ARGS_EXIT)
		return 0;
	if (ret != FR_ARGS_OK) {
		/* One line (SPEC §3): scripts and journals keep it whole;
		 * fr_parse_args() shows control bytes as '?'. */
		fprintf(stderr, "%s (finrst --help lists the options)\n", err);
		return 2;
	}
	/* Before anything is loaded: a bad file is a bad argument. */
	if (env.web_config &&
	    fr_webconfig_load(env.web_config, &web, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	verbose = env.verbose;
	libbpf_set_print(libbpf_print);

	if (fr_startup_probe(&env, &l, &reasons, why, sizeof(why)))
		goto fail;
	ret = fr_loader_start(&l, &env, err, sizeof(err));
	if (ret) {
		fr_startup_why(&env, &l, ret, err, why, sizeof(why));
		goto fail;
	}
	fr_startup_report_parts(&l, &env);
	/* Loading parsed the kernel's BTF (megabytes): hand the freed heap
	 * back, so the resident size is what the drain loop needs. */
	malloc_trim(0);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Before the metrics thread, which inherits it; before the drop of
	 * CAP_SYS_NICE. Only the records need the reader to keep up. */
	if (fr_records_wanted(&env)) {
		ret = fr_boost_priority(&nice);
		if (ret < 0 && env.verbose)
			fprintf(stderr,
				"finrst: cannot raise the reader's "
				"priority to nice %d: %s\n",
				FR_READER_NICE, strerror(-ret));
		else if (env.verbose)
			fprintf(stderr, "finrst: reader at nice %d\n", nice);
	}
	if (fr_output_open(&o, &env, &l, &reasons, why, sizeof(why)))
		goto fail;
	if (env.metrics) {
		http = fr_http_start(&env, env.web_config ? &web : NULL, &l,
				     why, sizeof(why));
		if (!http)
			goto fail;
	}
	if (fr_drop_privileges(env.stack, err, sizeof(err)))
		fprintf(stderr, "finrst: warning: %s\n", err);
	fprintf(stderr, "finrst: ready hooks=%s\n", fr_hooks_name(l.hooks));

	t0 = mono_s();
	status = run(&env, &l, &o, t0, &swept) ? 0 : 1;
	if (!fr_report_exit(&l, &env, &o, mono_s() - t0, swept))
		status = 1;
cleanup:
	fr_http_stop(http);
	fr_webconfig_free(&web);
	fr_output_close(&o);
	fr_loader_stop(&l);
	fr_reasons_free(&reasons);
	return status;
fail:
	fprintf(stderr, "finrst: %s\n", why);
	goto cleanup;
}
