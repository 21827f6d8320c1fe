// SPDX-License-Identifier: GPL-2.0
/*
 * One run: finrst started in our namespace, the teardowns the scenario
 * declares, then every check: one record per socket end with the expected
 * fields, nothing else, and agreement with the kernel's counters.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

#define RECORD_TIMEOUT_MS 10000
/* after the last expected record: time for duplicates to show up */
#define GRACE_MS 500
#define SETTLE_MS 200
#define MAX_TW 65536

/* Kernel counter deltas a run must show, added up by each teardown. */
struct counts {
	long long out_rsts, abort_on_close, time_wait;
};

struct exp_end {
	struct end e;
	struct want w;
	char what[256];
	int hits;
	size_t rec;	/* the first matching record */
};

struct exp_rst {
	int family;
	char laddr[ADDR_STR_LEN], raddr[ADDR_STR_LEN];
	int lport, rport;
	char what[256];
	int hits;
};

struct run {
	char name[64];
	unsigned long long netns;
	struct finrst *f;
	struct exp_end *ends;
	size_t nends, ends_cap;
	struct exp_rst *rsts;
	size_t nrsts, rsts_cap;
	size_t scanned;
	int *owner;	/* per record: end index, -2 - rst index, -1 none */
	size_t owner_cap;
	struct counts exp;
	struct nstat before, after;
	int failures;
	long long t0_us;
	time_t t0_real;
};

static struct run *cur;

void fail(struct run *r, const char *what, const char *fmt, ...)
{
	va_list ap;

	r = r ? r : cur;
	if (r)
		r->failures++;
	printf("FAIL %s: %s: ", r ? r->name : "", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: setup: ", cur ? cur->name : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(EXIT_FAIL);
}

void note(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void cleanup(void)
{
	if (cur && cur->f)
		finrst_kill(cur->f);
	workers_kill_all();
}

void run_time_bounds(const struct run *r, time_t *lo, time_t *hi)
{
	*lo = r->t0_real;
	*hi = time(NULL);
}

long long run_elapsed_us(const struct run *r)
{
	return mono_us() - r->t0_us;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = need < 64 ? 64 : need * 2;
	p = realloc(p, *cap * size);
	if (!p)
		fatal("out of memory");
	return p;
}

static void hostport(char *buf, size_t len, int family, const char *addr,
		     int port)
{
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr,
		 port);
}

void expect_end(struct run *r, const struct end *e, struct want w)
{
	struct exp_end *x;
	char l[80], p[80];

	r->ends = grow(r->ends, &r->ends_cap, r->nends + 1, sizeof(*r->ends));
	x = &r->ends[r->nends++];
	memset(x, 0, sizeof(*x));
	x->e = *e;
	x->w = w;
	hostport(l, sizeof(l), e->family, e->laddr, e->lport);
	hostport(p, sizeof(p), e->family, e->raddr, e->rport);
	snprintf(x->what, sizeof(x->what), "%s %s->%s", e->label, l, p);
}

void expect_rst_sent(struct run *r, int family, const char *laddr, int lport,
		     const char *raddr, int rport)
{
	struct exp_rst *x;
	char l[80], p[80];

	r->rsts = grow(r->rsts, &r->rsts_cap, r->nrsts + 1, sizeof(*r->rsts));
	x = &r->rsts[r->nrsts++];
	memset(x, 0, sizeof(*x));
	x->family = family;
	snprintf(x->laddr, sizeof(x->laddr), "%s", laddr);
	snprintf(x->raddr, sizeof(x->raddr), "%s", raddr);
	x->lport = lport;
	x->rport = rport;
	hostport(l, sizeof(l), family, laddr, lport);
	hostport(p, sizeof(p), family, raddr, rport);
	snprintf(x->what, sizeof(x->what), "no-socket RST %s->%s", l, p);
}

void expect_counts(struct run *r, long long out_rsts, long long abort_on_close,
		   long long time_wait)
{
	r->exp.out_rsts += out_rsts;
	r->exp.abort_on_close += abort_on_close;
	r->exp.time_wait += time_wait;
}

struct run *run_begin(const char *name, unsigned long long netns,
		      const char *finrst, const char *hooks, int *status)
{
	struct run *r = calloc(1, sizeof(*r));
	int skip;

	if (!r)
		fatal("out of memory");
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->netns = netns;
	cur = r;
	atexit(cleanup);
	r->t0_us = mono_us();
	r->t0_real = time(NULL);
	if (finrst) {
		r->f = finrst_start(finrst, hooks, netns, &skip);
		if (!r->f) {
			*status = skip ? EXIT_SKIP : EXIT_FAIL;
			return NULL;
		}
		if (strcmp(hooks, "auto") && strcmp(finrst_backend(r->f), hooks))
			fail(r, "finrst",
			     "ready line: expected hooks=%s, actual hooks=%s",
			     hooks, finrst_backend(r->f));
	}
	if (nstat_read(&r->before))
		fatal("nstat -asz: no TcpOutRsts/TcpExtTCPAbortOn* counters");
	return r;
}

/* Attribute the records that came in since the last call. */
static void scan_new(struct run *r)
{
	size_t n = finrst_nrecords(r->f);

	r->owner = grow(r->owner, &r->owner_cap, n, sizeof(*r->owner));
	for (; r->scanned < n; r->scanned++) {
		struct json_object *rec = finrst_record(r->f, r->scanned);
		int *own = &r->owner[r->scanned];

		*own = -1;
		for (size_t i = 0; i < r->nends && *own == -1; i++) {
			if (rec_matches_end(rec, &r->ends[i].e)) {
				if (!r->ends[i].hits++)
					r->ends[i].rec = r->scanned;
				*own = i;
			}
		}
		for (size_t i = 0; i < r->nrsts && *own == -1; i++) {
			struct exp_rst *x = &r->rsts[i];

			if (rec_matches_rst(rec, x->family, x->laddr, x->lport,
					    x->raddr, x->rport)) {
				x->hits++;
				*own = -2 - (int)i;
			}
		}
	}
}

static bool all_arrived(const struct run *r)
{
	for (size_t i = 0; i < r->nends; i++)
		if (!r->ends[i].hits)
			return false;
	for (size_t i = 0; i < r->nrsts; i++)
		if (!r->rsts[i].hits)
			return false;
	return true;
}

static void wait_records(struct run *r)
{
	long long deadline = mono_us() + RECORD_TIMEOUT_MS * 1000LL;
	long long grace_end = 0;

	for (;;) {
		long long now = mono_us();

		scan_new(r);
		if (!grace_end && all_arrived(r))
			grace_end = now + GRACE_MS * 1000LL;
		if (grace_end ? now >= grace_end : now >= deadline)
			break;
		if (!finrst_pump(r->f, 50)) {
			note("finrst closed its output before the run ended");
			return;
		}
	}
	if (!all_arrived(r))
		note("not every expected record came within %d ms",
		     RECORD_TIMEOUT_MS);
}

static void check_exit(struct run *r, int status)
{
	const char *err = finrst_stderr(r->f);
	const char *lost = strstr(err, "lost=");
	const char *recs = strstr(err, "records=");
	size_t got = finrst_nrecords(r->f) + finrst_bad_lines(r->f);

	if (status != 0)
		fail(r, "finrst", "exit status after SIGINT: expected 0, actual %d",
		     status);
	if (!lost)
		fail(r, "finrst",
		     "exit line: expected \"finrst: records=N lost=M\" on stderr, none found");
	else if (atoll(lost + 5) != 0)
		fail(r, "finrst", "exit line: expected lost=0, actual lost=%lld",
		     atoll(lost + 5));
	if (recs && (size_t)atoll(recs + 8) != got)
		fail(r, "finrst",
		     "exit line: records=%lld, but %zu lines came on stdout",
		     atoll(recs + 8), got);
	if (finrst_bad_lines(r->f))
		fail(r, "finrst", "%zu stdout lines were not JSON objects",
		     finrst_bad_lines(r->f));
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void check_kernel(struct run *r, int tw)
{
	long long rsts = r->after.out_rsts - r->before.out_rsts;
	long long aoc = r->after.abort_on_close - r->before.abort_on_close;

	note("kernel: TcpOutRsts +%lld, TCPAbortOnClose +%lld, TCPAbortOnData +%lld, "
	     "TCPAbortOnTimeout +%lld, TIME_WAIT sockets %d",
	     rsts, aoc, r->after.abort_on_data - r->before.abort_on_data,
	     r->after.abort_on_timeout - r->before.abort_on_timeout, tw);
	if (rsts != r->exp.out_rsts)
		fail(r, "kernel",
		     "TcpOutRsts delta: expected %lld from the teardowns made, actual %lld",
		     r->exp.out_rsts, rsts);
	if (aoc != r->exp.abort_on_close)
		fail(r, "kernel",
		     "TcpExtTCPAbortOnClose delta: expected %lld from the teardowns made, actual %lld",
		     r->exp.abort_on_close, aoc);
	if (tw != r->exp.time_wait)
		fail(r, "kernel",
		     "ss state time-wait: expected %lld sockets from the teardowns made, actual %d",
		     r->exp.time_wait, tw);
}

static void check_records(struct run *r)
{
	size_t n = finrst_nrecords(r->f);

	for (size_t i = 0; i < n; i++) {
		struct json_object *rec = finrst_record(r->f, i);
		int own = r->owner[i];
		bool ok;
		long long ns = rec_int(rec, "netns", &ok);
		char what[256];

		if (own >= 0)
			snprintf(what, sizeof(what), "%s", r->ends[own].what);
		else if (own <= -2)
			snprintf(what, sizeof(what), "%s", r->rsts[-2 - own].what);
		else
			snprintf(what, sizeof(what), "record %zu", i + 1);
		if (verbose)
			note("%s: %s", what, rec_text(rec));
		check_record_types(r, what, rec);
		if (ok && (unsigned long long)ns != r->netns)
			fail(r, what,
			     "field netns: expected %llu (--netns filter), actual %lld",
			     r->netns, ns);
		if (!rec_is(rec, "teardown") && !rec_is(rec, "rst"))
			note("record %zu: event %s is not in SPEC §2, not checked",
			     i + 1, rec_str(rec, "event") ?: "(none)");
		else if (own == -1)
			fail(r, what,
			     "unexpected record, no socket end of this test: %s",
			     rec_text(rec));
	}
	for (size_t i = 0; i < r->nends; i++) {
		struct exp_end *x = &r->ends[i];

		if (!x->hits) {
			fail(r, x->what, "no teardown record");
			continue;
		}
		if (x->hits > 1) {
			fail(r, x->what,
			     "%d teardown records, expected exactly one:",
			     x->hits);
			for (size_t k = 0; k < n; k++)
				if (r->owner[k] == (int)i)
					note("%s", rec_text(finrst_record(r->f, k)));
		}
		check_want(r, x->what, finrst_record(r->f, x->rec), &x->e,
			   &x->w);
		if (signature_out)
			write_signature(signature_out, r->name, x->e.label,
					finrst_record(r->f, x->rec), &x->w);
	}
	for (size_t i = 0; i < r->nrsts; i++) {
		struct exp_rst *x = &r->rsts[i];

		if (x->hits != 1)
			fail(r, x->what,
			     "expected exactly one {\"event\":\"rst\"} record, actual %d",
			     x->hits);
		for (size_t k = 0; k < n; k++) {
			struct json_object *rec = finrst_record(r->f, k);
			const char *dir = rec_str(rec, "direction");
			const char *cause = rec_str(rec, "cause");

			if (r->owner[k] != -2 - (int)i)
				continue;
			if (!dir || strcmp(dir, "sent"))
				fail(r, x->what,
				     "field direction: expected \"sent\", actual \"%s\"",
				     dir ?: "(none)");
			if (!cause || strcmp(cause, "no_socket"))
				fail(r, x->what,
				     "field cause: expected \"no_socket\", actual \"%s\"",
				     cause ?: "(none)");
			want_reason(r, x->what, rec, "NO_SOCKET");
			if (signature_out)
				write_signature(signature_out, r->name,
						"no-socket-rst", rec, NULL);
		}
	}
}

/* finrst's own totals against the kernel's. */
static void check_totals(struct run *r, const int *ss_ports, int ss_n)
{
	size_t n = finrst_nrecords(r->f);
	long long rst_sent = 0, unread = 0, teardowns = 0;
	int *tw = calloc(n + 1, sizeof(int));
	int ntw = 0;

	if (!tw)
		fatal("out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *rec = finrst_record(r->f, i);
		const char *outcome = rec_str(rec, "outcome");
		const char *cause = rec_str(rec, "cause");
		const char *dir = rec_str(rec, "direction");
		bool ok;

		if ((unsigned long long)rec_int(rec, "netns", &ok) != r->netns)
			continue;
		if (rec_is(rec, "rst")) {
			rst_sent += dir && !strcmp(dir, "sent");
			continue;
		}
		if (!rec_is(rec, "teardown"))
			continue;
		teardowns++;
		rst_sent += outcome && !strcmp(outcome, "rst_sent");
		unread += cause && !strcmp(cause, "unread_data");
		if (rec_bool(rec, "time_wait"))
			tw[ntw++] = rec_int(rec, "lport", &ok);
	}
	note("finrst: %lld teardown records (%zu socket ends made), %lld RSTs sent, "
	     "%lld unread_data, %d time_wait",
	     teardowns, r->nends, rst_sent, unread, ntw);
	if (rst_sent != r->after.out_rsts - r->before.out_rsts)
		fail(r, "totals",
		     "RSTs sent: finrst counted %lld (rst_sent teardowns + sent rst records), kernel TcpOutRsts delta %lld",
		     rst_sent, r->after.out_rsts - r->before.out_rsts);
	if (unread != r->after.abort_on_close - r->before.abort_on_close)
		fail(r, "totals",
		     "unread_data: finrst counted %lld, kernel TcpExtTCPAbortOnClose delta %lld",
		     unread, r->after.abort_on_close - r->before.abort_on_close);
	if (ntw != ss_n) {
		fail(r, "totals",
		     "time_wait: finrst counted %d true, ss state time-wait lists %d",
		     ntw, ss_n);
	} else if (ss_n <= MAX_TW) {
		int *s = malloc((ss_n + 1) * sizeof(int));

		if (!s)
			fatal("out of memory");
		memcpy(s, ss_ports, ss_n * sizeof(int));
		qsort(s, ss_n, sizeof(int), cmp_int);
		qsort(tw, ntw, sizeof(int), cmp_int);
		for (int i = 0; i < ntw; i++) {
			if (tw[i] != s[i]) {
				fail(r, "totals",
				     "time_wait: local port %d in finrst's records, ss has %d in its place",
				     tw[i], s[i]);
				break;
			}
		}
		free(s);
	}
	if ((size_t)teardowns != r->nends)
		fail(r, "totals",
		     "teardown records: expected %zu (one per socket end), actual %lld",
		     r->nends, teardowns);
	free(tw);
}

int run_finish(struct run *r)
{
	static int ss_ports[MAX_TW];
	int ss_n, status = 0;

	if (r->f)
		wait_records(r);
	else
		usleep(SETTLE_MS * 1000);
	if (nstat_read(&r->after))
		fatal("nstat -asz failed");
	ss_n = ss_time_wait(ss_ports, MAX_TW);
	if (ss_n < 0)
		fatal("ss -tanH state time-wait failed");
	if (r->f) {
		status = finrst_stop(r->f);
		scan_new(r);
	}
	workers_kill_all();
	check_kernel(r, ss_n);
	if (r->f) {
		check_exit(r, status);
		check_records(r);
		check_totals(r, ss_ports, ss_n);
	}
	if (r->failures) {
		printf("FAIL %s: %d mismatch%s\n", r->name, r->failures,
		       r->failures == 1 ? "" : "es");
		return EXIT_FAIL;
	}
	printf("PASS %s%s\n", r->name,
	       r->f ? "" : " (sockets only: finrst not run)");
	return EXIT_PASS;
}
