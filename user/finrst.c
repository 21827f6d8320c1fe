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
#include "stack.h"
#include "summary.h"
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
	bool print;			/* records on stdout */
	struct fr_syms *syms;		/* --stack */
	struct fr_summary *summary;	/* --summary */
	unsigned long long records;
	bool wrote;
	struct fr_frame frames[FR_FRAMES_MAX];
	/* a record with 65 frames of long C++ names and paths fits */
	char line[64 * 1024];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct out *o = ctx;
	const struct fr_record *r = data;
	const struct fr_frame *frames = NULL;
	size_t n, nf = 0;

	if (size < sizeof(*r))
		return 0;
	o->records++;
	if (o->summary)
		fr_summary_add(o->summary, r);
	if (!o->print)
		return 0;
	/* --stack: every RST-sent teardown says "stack", null if none came */
	if (o->syms && r->type == FR_REC_TEARDOWN &&
	    r->outcome == FR_OUT_RST_SENT) {
		frames = o->frames;
		if (r->flags & FR_F_STACK &&
		    size >= sizeof(*r) + sizeof(struct fr_stack))
			nf = fr_syms_resolve(o->syms,
					     (const struct fr_stack *)(r + 1),
					     o->frames, FR_FRAMES_MAX);
	}
	if (o->json)
		n = fr_format_json(r, frames, nf, &o->fmt, o->line,
					 sizeof(o->line));
	else
		n = fr_format_text(r, frames, nf, &o->fmt, o->line,
					 sizeof(o->line));
	if (n) {
		/* an error sticks to stdout: flush_records() reports it */
		(void)fwrite_unlocked(o->line, 1, n, stdout);
		o->wrote = true;
	}
	return 0;
}

static unsigned long long real_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL +
	       (unsigned long long)t.tv_nsec;
}

static bool flush_records(void);

static void print_summary(struct out *o, unsigned long long elapsed_s,
			  unsigned long long lost, bool final)
{
	struct fr_summary_info info = {
		.now_ns = real_now_ns(),
		.elapsed_s = elapsed_s,
		.lost = lost,
		.final = final,
	};
	size_t n = fr_summary_format(o->summary, o->json, &info, o->line,
				     sizeof(o->line));

	/* an error sticks to stdout: flush_records() reports it */
	if (n && fwrite(o->line, 1, n, stdout) == n)
		flush_records();
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

/* One line per optional part the kernel refused: what it said and what
 * is lost; with -v, every part and its state. */
static void report_parts(const struct fr_loader *l, const struct env *env)
{
	for (int p = 0; p < FR_PART__MAX; p++) {
		const struct fr_part_status *st = &l->parts[p];

		/* an option is never ignored silently, test ones included */
		if (st->state == FR_PART_UNUSED &&
		    env->test_refuse & (1u << p))
			fprintf(stderr, "finrst: --test-refuse %s: this part "
					"is not used here (not asked for, or "
					"not needed by this kernel)\n",
				fr_part_name((enum fr_part)p));

		if (st->state == FR_PART_REFUSED && st->step)
			fprintf(stderr, "finrst: optional part %s refused by "
					"the kernel (%s of program %s: %s): "
					"%s\n",
				fr_part_name((enum fr_part)p), st->step,
				st->prog, strerror(-st->err),
				fr_part_loss((enum fr_part)p));
		else if (st->state == FR_PART_REFUSED)
			fprintf(stderr, "finrst: optional part %s refused "
					"(%s): %s\n",
				fr_part_name((enum fr_part)p), st->prog,
				fr_part_loss((enum fr_part)p));
		else if (env->verbose)
			fprintf(stderr, "finrst: part %s: %s\n",
				fr_part_name((enum fr_part)p),
				st->state == FR_PART_ON ? "on" :
				"not needed (not asked for, or not on this "
				"kernel)");
	}
}

int main(int argc, char **argv)
{
	struct env env;
	struct fr_loader l = { 0 };
	struct fr_reasons reasons = { 0 };
	struct ring_buffer *rb = NULL;
	struct fr_http *http = NULL;
	struct btf *vmlinux = NULL;
	bool records;
	static struct out o;
	struct sigaction sa = { 0 };
	struct timespec t0, now;
	char err[1024];
	int ret, status = 0;

	ret = fr_parse_args(argc, argv, &env, err, sizeof(err));
	if (ret == FR_ARGS_EXIT)
		return 0;
	if (ret != FR_ARGS_OK) {
		/* One line (SPEC §3): scripts and journals keep it whole. */
		/* fr_parse_args() shows control bytes as '?' */
		fputs(err, stderr);
		fputs(" (finrst --help lists the options)\n", stderr);
		return 2;
	}

	verbose = env.verbose;
	libbpf_set_print(libbpf_print);

	check_requirements();
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)	/* libbpf says ESRCH when no candidate parsed */
		die(1, "cannot load the kernel BTF from /sys/kernel/btf/vmlinux "
		       "(%s): finrst needs a kernel built with "
		       "CONFIG_DEBUG_INFO_BTF=y (Debian's kernels have it)",
		    errno == ESRCH ? "empty or not valid BTF" : strerror(errno));
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
	l.send_reset_reason = fr_send_reset_has_reason(vmlinux);
	l.close_sync = fr_close_is_sync(vmlinux);
	btf__free(vmlinux);
	vmlinux = NULL;
	if (env.verbose)
		fprintf(stderr, "finrst: tcp:tcp_send_reset has a reason: %s; "
				"close(2) releases before it returns: %s\n",
			l.send_reset_reason ? "yes" : "no",
			l.close_sync ? "yes" : "no");
	ret = fr_loader_start(&l, &env, err, sizeof(err));
	if (ret) {
		char why[512];
		int missing = 0;

		/* What is missing, and how to get it (SPEC §3): first the
		 * capabilities, then tracefs, which only the tracepoint
		 * backend needs. */
		if (ret == -EPERM || ret == -EACCES)
			missing = fr_missing_caps(why, sizeof(why));
		if (missing > 0)
			die(1, "missing %s to load BPF programs (%s): %s", why,
			    strerror(-ret),
			    geteuid() ? "run as root, or with CAP_BPF, "
					"CAP_PERFMON and CAP_NET_ADMIN" :
					"this process is root but lacks them "
					"(a capability bounding set or a drop "
					"took them); run it with CAP_BPF, "
					"CAP_PERFMON and CAP_NET_ADMIN");
		if ((env.hooks == FR_HOOKS_AUTO ||
		     env.hooks == FR_HOOKS_TRACEPOINT) &&
		    fr_tracefs_problem(why, sizeof(why)))
			die(1, "%s (%s)", why, err);
		if (l.fail_part == FR_PART_STACK)
			die(1, "--stack cannot work on this kernel: %s", err);
		if (env.hooks == FR_HOOKS_FENTRY && l.fail_fentry)
			die(1, "%s: this kernel refuses fentry programs (BPF "
			       "trampolines missing, or kernel lockdown); try "
			       "--hooks=auto", err);
		if (env.hooks == FR_HOOKS_KPROBE && l.fail_kprobe &&
		    !fr_kprobes_available())
			die(1, "%s: this kernel has no kprobes "
			       "(CONFIG_KPROBES); try --hooks=auto", err);
		die(1, "%s", err);
	}
	report_parts(&l, &env);

	/* Loading parsed the kernel's BTF (megabytes): hand the freed heap
	 * back, so the resident size is what the drain loop needs. */
	malloc_trim(0);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	o.json = env.json;
	records = fr_records_wanted(&env);
	/* --summary prints its table instead of text records, and beside
	 * JSON records */
	o.print = records && (!env.summary_s || env.json);
	if (env.summary_s) {
		o.summary = fr_summary_new();
		if (!o.summary) {
			fr_loader_stop(&l);
			die(1, "--summary: out of memory");
		}
	}
	if (env.stack) {
		/* now: finrst's own programs are loaded (named in kallsyms),
		 * and the capabilities that show the addresses are held */
		o.syms = fr_syms_new(err, sizeof(err));
		if (!o.syms) {
			fr_loader_stop(&l);
			die(1, "%s", err);
		}
	}
	o.fmt.mono_to_real_ns = mono_to_real();
	o.fmt.reason_name = fr_reason_name;
	o.fmt.reason_arg = &reasons;
	o.fmt.color = !env.json && isatty(STDOUT_FILENO);
	/* One write per drain, not one per 4 KiB: the loop flushes. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));

	/* Before the metrics thread, which inherits it; before the drop of
	 * CAP_SYS_NICE. Only the records need the reader to keep up. */
	if (records) {
		int nice;

		ret = fr_boost_priority(&nice);
		if (ret < 0 && env.verbose)
			fprintf(stderr, "finrst: cannot raise the reader's "
					"priority to nice %d: %s\n",
				FR_READER_NICE, strerror(-ret));
		else if (env.verbose)
			fprintf(stderr, "finrst: reader at nice %d\n", nice);
	}
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
	if (!env.json && o.print) {
		size_t n = fr_format_text_header(&o.fmt, o.line, sizeof(o.line));

		(void)fwrite(o.line, 1, n, stdout);
		if (!flush_records()) {
			status = 1;
			stop = 1;
		}
	}
	if (fr_drop_privileges(env.stack, err, sizeof(err)))
		fprintf(stderr, "finrst: warning: %s\n", err);
	fprintf(stderr, "finrst: ready hooks=%s\n", fr_hooks_name(l.hooks));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	time_t next_summary = t0.tv_sec + (time_t)env.summary_s;
	time_t next_sweep = t0.tv_sec + (time_t)env.sweep_s;
	unsigned long long swept = 0;

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
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (env.duration_s &&
		    (unsigned long)(now.tv_sec - t0.tv_sec) >= env.duration_s)
			break;
		if (now.tv_sec >= next_sweep &&
		    l.parts[FR_PART_LIVENESS].state == FR_PART_ON) {
			long n = fr_loader_sweep(&l);

			if (n < 0)
				fprintf(stderr, "finrst: warning: cannot sweep "
						"the socket map: %s\n",
					strerror((int)-n));
			else
				swept += (unsigned long long)n;
			if (n > 0 && env.verbose)
				fprintf(stderr, "finrst: swept %ld entries of "
						"dead sockets\n", n);
			next_sweep = now.tv_sec + (time_t)env.sweep_s;
		}
		if (o.summary && now.tv_sec >= next_summary) {
			print_summary(&o, (unsigned long long)(now.tv_sec -
							       t0.tv_sec),
				      fr_loader_lost(&l), false);
			next_summary = now.tv_sec + (time_t)env.summary_s;
		}
	}
	/* While still attached: records the kernel never let us finish. */
	unsigned long long silent;

	ret = fr_loader_unaccounted(&l, env.verbose, &silent);
	/* -EOPNOTSUPP: refused, and report_parts() said what that costs */
	if (ret && ret != -EOPNOTSUPP)
		fprintf(stderr, "finrst: warning: cannot count the records of "
				"sockets whose last events went unseen: %s\n",
			strerror(-ret));

	ring_buffer__consume(rb);
	if (!flush_records())
		status = 1;

	unsigned long long full = fr_loader_counter(&l, FR_CNT_LOST);
	unsigned long long nost = fr_loader_counter(&l, FR_CNT_NO_STORAGE);
	unsigned long long lost = fr_loader_lost(&l) + silent;
	unsigned long long missed = fr_loader_missed(&l);

	if (o.summary) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		print_summary(&o, (unsigned long long)(now.tv_sec - t0.tv_sec),
			      lost, true);
	}
	fprintf(stderr, "finrst: records=%llu lost=%llu skipped=%llu\n",
		o.records, lost, missed);
	if (full)
		fprintf(stderr, "finrst: %llu records were lost because the "
				"ring buffer was full: raise --ringbuf-kb\n",
			full);
	if (nost)
		fprintf(stderr, "finrst: %llu sockets went untracked: the "
				"socket map was full (%d sockets at once) or "
				"the kernel could not allocate an entry\n",
			nost, FR_MAX_SOCKS);
	if (silent)
		fprintf(stderr, "finrst: %llu records were lost because the "
				"kernel ran none of finrst's programs for the "
				"sockets' last events\n", silent);
	if (missed)
		fprintf(stderr, "finrst: %llu events were skipped by the "
				"kernel (a program already running on that "
				"CPU): records may lack details, such as the "
				"process\n", missed);

	if (swept)
		fprintf(stderr, "finrst: %llu socket map entries were swept: "
				"their sockets were gone, and the kernel ran "
				"no program for their end (%llu of their "
				"records unfinished, counted lost)\n",
			swept, fr_loader_counter(&l, FR_CNT_SWEPT_UNENDED));
	if (env.stack) {
		unsigned long long nostack =
			fr_loader_counter(&l, FR_CNT_STACK_MISSED);

		if (nostack)
			fprintf(stderr, "finrst: %llu RST records came without "
					"their stack\n", nostack);
	}
	fr_syms_free(o.syms);
	fr_summary_free(o.summary);
	fr_http_stop(http);
	ring_buffer__free(rb);
	fr_loader_stop(&l);
	fr_reasons_free(&reasons);
	btf__free(vmlinux);
	return status;
}
