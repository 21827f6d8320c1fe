// SPDX-License-Identifier: GPL-2.0
/*
 * finrst - explain how TCP connections end.
 *
 * Lifecycle: parse arguments -> check what the kernel offers -> load and
 * attach a backend -> drain the ring buffer on a 10 ms timer (the kernel
 * never wakes us per record) -> report records and losses at exit.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "args.h"
#include "finrst.h"
#include "finrst.skel.h"
#include "format.h"
#include "loader.h"
#include "metrics.h"
#include "privs.h"
#include "sysinfo.h"

#define DRAIN_INTERVAL_MS 10

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct out {
	struct fr_fmt fmt;
	bool json;
	unsigned long long records;
	bool wrote;
	char line[4096];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct out *o = ctx;
	const struct fr_record *r = data;
	size_t n;

	if (size < sizeof(*r))
		return 0;
	if (o->json)
		n = fr_format_json(r, &o->fmt, o->line, sizeof(o->line));
	else
		n = fr_format_text(r, &o->fmt, o->line, sizeof(o->line));
	if (n) {
		/* an error sticks to stdout: flush_records() reports it */
		(void)fwrite(o->line, 1, n, stdout);
		o->wrote = true;
	}
	o->records++;
	return 0;
}

/*
 * SIGPIPE is ignored, so a closed pipe is a write error here, like a full
 * disk: say so once and return false, rather than go on formatting records
 * that nobody gets.
 */
static bool flush_records(void)
{
	static bool reported;

	if (!fflush(stdout))
		return true;
	if (!reported)
		fprintf(stderr, "finrst: writing records: %s\n",
			strerror(errno));
	reported = true;
	return false;
}

static bool verbose;
static char stdout_buf[1 << 20];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* Warnings are expected while auto probes backends: show with -v. */
	if (level != LIBBPF_WARN && level != LIBBPF_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("finrst: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static long long mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return (r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

/* What is missing, and how to get it: checked before any load. */
static void check_requirements(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		die(1, "kernel BTF not found at /sys/kernel/btf/vmlinux: "
		       "finrst needs a kernel built with CONFIG_DEBUG_INFO_BTF=y "
		       "(Debian's kernels have it)");
}

int main(int argc, char **argv)
{
	struct env env;
	struct fr_loader l = { 0 };
	struct fr_reasons reasons = { 0 };
	struct ring_buffer *rb = NULL;
	struct fr_http *http = NULL;
	struct btf *vmlinux = NULL;
	bool has_reason, records;
	struct out o = { 0 };
	struct sigaction sa = { 0 };
	struct timespec t0, now;
	char err[1024];
	int ret, status = 0;

	ret = fr_parse_args(argc, argv, &env, err, sizeof(err));
	if (ret == FR_ARGS_EXIT)
		return 0;
	if (ret != FR_ARGS_OK) {
		fprintf(stderr, "%s\n", err);
		fprintf(stderr, "Try 'finrst --help' for more information.\n");
		return 2;
	}

	verbose = env.verbose;
	libbpf_set_print(libbpf_print);

	check_requirements();
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		die(1, "cannot read kernel BTF: %s", strerror(errno));
	if (fr_reasons_load(vmlinux, &reasons) && env.verbose)
		fprintf(stderr, "finrst: kernel has no enum sk_rst_reason "
				"(< 6.10): kernel_reason will be null\n");

	l.hz = fr_kernel_hz();
	if (!l.hz)
		die(1, "cannot find the kernel's CONFIG_HZ (no /proc/config.gz, "
		       "no /boot/config-$(uname -r), no /proc/timer_list): "
		       "install the kernel's config file in /boot");
	if (env.verbose)
		fprintf(stderr, "finrst: kernel HZ=%u\n", l.hz);

	/* libbpf parses the kernel's BTF again to load: free this copy first,
	 * so the two are never resident together. */
	has_reason = fr_send_reset_has_reason(vmlinux);
	btf__free(vmlinux);
	vmlinux = NULL;
	ret = fr_loader_start(&l, &env, has_reason, err, sizeof(err));
	if (ret) {
		if ((ret == -EPERM || ret == -EACCES) && geteuid() != 0)
			die(1, "%s: run as root, or with CAP_BPF, CAP_PERFMON "
			       "and CAP_NET_ADMIN", err);
		if (env.hooks == FR_HOOKS_FENTRY)
			die(1, "%s: this kernel refuses fentry programs (BPF "
			       "trampolines missing, or kernel lockdown); try "
			       "--hooks=auto", err);
		if (env.hooks == FR_HOOKS_KPROBE)
			die(1, "%s: this kernel has no kprobes "
			       "(CONFIG_KPROBES); try --hooks=auto", err);
		die(1, "%s", err);
	}

	/* Loading parsed the kernel's BTF (megabytes): hand the freed heap
	 * back, so the resident size is what the drain loop needs. */
	malloc_trim(0);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	o.json = env.json;
	records = fr_records_wanted(&env);
	o.fmt.mono_to_real_ns = mono_to_real();
	o.fmt.reason_name = fr_reason_name;
	o.fmt.reason_arg = &reasons;
	o.fmt.color = !env.json && isatty(STDOUT_FILENO);
	/* One write per drain, not one per 4 KiB: the loop flushes. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));

	rb = ring_buffer__new(bpf_map__fd(l.skel->maps.records), on_record, &o,
			      NULL);
	if (!rb) {
		fr_loader_stop(&l);
		die(1, "cannot set up the ring buffer: %s", strerror(errno));
	}

	if (env.metrics) {
		http = fr_http_start(&env, &l, err, sizeof(err));
		if (!http) {
			ring_buffer__free(rb);
			fr_loader_stop(&l);
			die(1, "%s", err);
		}
	}
	if (!env.json && records) {
		size_t n = fr_format_text_header(&o.fmt, o.line, sizeof(o.line));

		(void)fwrite(o.line, 1, n, stdout);
		if (!flush_records()) {
			status = 1;
			stop = 1;
		}
	}
	if (fr_drop_privileges(err, sizeof(err)))
		fprintf(stderr, "finrst: warning: %s\n", err);
	fprintf(stderr, "finrst: ready hooks=%s\n", fr_hooks_name(l.hooks));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		/* Records come without wakeups: poll() only paces the loop. */
		ret = ring_buffer__poll(rb, records ? DRAIN_INTERVAL_MS : 100);
		if (ret >= 0)
			ret = ring_buffer__consume(rb);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "finrst: reading records: %s\n",
				strerror(-ret));
			status = 1;
			break;
		}
		if (o.wrote) {
			if (!flush_records()) {
				status = 1;
				break;
			}
			o.wrote = false;
		}
		if (env.duration_s) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((unsigned long)(now.tv_sec - t0.tv_sec) >=
			    env.duration_s)
				break;
		}
	}
	/* While still attached: records the kernel never let us finish. */
	unsigned long long silent;

	ret = fr_loader_unaccounted(&l, env.verbose, &silent);
	if (ret)
		fprintf(stderr, "finrst: warning: cannot count the records of "
				"sockets whose last events went unseen: %s\n",
			strerror(-ret));

	ring_buffer__consume(rb);
	if (!flush_records())
		status = 1;

	unsigned long long full = fr_loader_counter(&l, FR_CNT_LOST);
	unsigned long long nost = fr_loader_counter(&l, FR_CNT_NO_STORAGE);
	unsigned long long missed = fr_loader_missed(&l);

	fprintf(stderr, "finrst: records=%llu lost=%llu skipped=%llu\n",
		o.records, full + nost + silent, missed);
	if (full)
		fprintf(stderr, "finrst: %llu records were lost because the "
				"ring buffer was full: raise --ringbuf-kb\n",
			full);
	if (nost)
		fprintf(stderr, "finrst: %llu sockets went untracked: the "
				"kernel could not allocate their socket "
				"storage\n", nost);
	if (silent)
		fprintf(stderr, "finrst: %llu records were lost because the "
				"kernel ran none of finrst's programs for the "
				"sockets' last events\n", silent);
	if (missed)
		fprintf(stderr, "finrst: %llu events were skipped by the "
				"kernel (a program already running on that "
				"CPU): records may lack details, such as the "
				"process\n", missed);

	fr_http_stop(http);
	ring_buffer__free(rb);
	fr_loader_stop(&l);
	fr_reasons_free(&reasons);
	btf__free(vmlinux);
	return status;
}
