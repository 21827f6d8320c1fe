// SPDX-License-Identifier: GPL-2.0
/* output.c - the records' way out (see output.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "finrst.h"
#include "finrst.skel.h"
#include "loader.h"
#include "output.h"
#include "summary.h"
#include "sysinfo.h"

static char stdout_buf[1 << 20];

static int on_record(void *ctx, void *data, size_t size)
{
	struct fr_output *o = ctx;
	const struct fr_record *r = data;
	const struct fr_frame *frames = NULL;
	size_t n, nf = 0;

	if (size < sizeof(*r))
		return 0;
	o->records_seen++;
	if (o->summary)
		fr_summary_add(o->summary, r);
	if (!o->print)
		return 0;
	/* --stack: every RST-sent teardown says "stack", null if none came */
	if (o->syms && r->type == FR_REC_TEARDOWN &&
	    r->outcome == FR_OUT_RST_SENT) {
		frames = o->frames;
		if (r->flags & FR_F_STACK &&
		    size >= sizeof(struct fr_record_stack))
			nf = fr_syms_resolve(
				o->syms,
				&((const struct fr_record_stack *)data)->st,
				o->frames, FR_FRAMES_MAX);
	}
	if (o->json)
		n = fr_format_json(r, frames, nf, &o->fmt, o->line,
				   sizeof(o->line));
	else
		n = fr_format_text(r, frames, nf, &o->fmt, o->line,
				   sizeof(o->line));
	if (n) {
		/* an error sticks to stdout: fr_output_flush() reports it */
		(void)fwrite_unlocked(o->line, 1, n, stdout);
		o->wrote = true;
	}
	return 0;
}

/*
 * SIGPIPE is ignored, so a closed pipe is a write error here, like a full
 * disk: say so once and return false, rather than go on formatting records
 * that nobody gets.
 */
bool fr_output_flush(struct fr_output *o)
{
	static bool reported;

	o->wrote = false;
	if (!fflush(stdout))
		return true;
	if (!reported)
		fprintf(stderr, "finrst: writing records: %s\n",
			strerror(errno));
	reported = true;
	return false;
}

static long long mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return (r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

static unsigned long long real_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL +
	       (unsigned long long)t.tv_nsec;
}

int fr_output_open(struct fr_output *o, const struct env *env,
		   const struct fr_loader *l, struct fr_reasons *reasons,
		   char *err, size_t errlen)
{
	o->json = env->json;
	o->records = fr_records_wanted(env);
	/* --summary prints its table instead of text records, and beside
	 * JSON records */
	o->print = o->records && (!env->summary_s || env->json);
	if (env->summary_s) {
		o->summary = fr_summary_new();
		if (!o->summary) {
			snprintf(err, errlen, "--summary: out of memory");
			return -1;
		}
	}
	if (env->stack) {
		/* now: finrst's own programs are loaded (named in kallsyms),
		 * and the capabilities that show the addresses are held */
		o->syms = fr_syms_new(err, errlen);
		if (!o->syms)
			return -1;
	}
	o->fmt.mono_to_real_ns = mono_to_real();
	o->fmt.reason_name = fr_reason_name;
	o->fmt.reason_arg = reasons;
	o->fmt.color = !env->json && isatty(STDOUT_FILENO);
	/* One write per drain, not one per 4 KiB: the loop flushes. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));

	o->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.records), on_record,
				 o, NULL);
	if (!o->rb) {
		snprintf(err, errlen, "cannot set up the ring buffer: %s",
			 strerror(errno));
		return -1;
	}
	if (!env->json && o->print) {
		size_t n = fr_format_text_header(&o->fmt, o->line,
						 sizeof(o->line));

		/* an error sticks to stdout: the first flush reports it */
		(void)fwrite(o->line, 1, n, stdout);
		o->wrote = true;
	}
	return 0;
}

/* Records come without wakeups (BPF_RB_NO_WAKEUP): poll() only paces the
 * loop, and the consume reads what is there. */
bool fr_output_drain(struct fr_output *o, int timeout_ms)
{
	int ret = ring_buffer__poll(o->rb, timeout_ms);

	if (ret >= 0)
		ret = ring_buffer__consume(o->rb);
	if (ret < 0 && ret != -EINTR) {
		fprintf(stderr, "finrst: reading records: %s\n",
			strerror(-ret));
		return false;
	}
	return !o->wrote || fr_output_flush(o);
}

void fr_output_summary(struct fr_output *o, unsigned long long elapsed_s,
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

	/* an error sticks to stdout: fr_output_flush() reports it */
	if (n && fwrite(o->line, 1, n, stdout) == n)
		fr_output_flush(o);
}

void fr_output_close(struct fr_output *o)
{
	fr_syms_free(o->syms);
	o->syms = NULL;
	fr_summary_free(o->summary);
	o->summary = NULL;
	ring_buffer__free(o->rb);
	o->rb = NULL;
}
