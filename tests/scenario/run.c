// SPDX-License-Identifier: GPL-2.0
/*
 * One run: finrst started in our namespace, the teardowns the scenario
 * declares, then every check: one record per socket end with the expected
 * fields, nothing else, and agreement with the kernel's counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "scenario.h"

/* --metrics: where finrst serves them, inside the run's namespace */
#define METRICS_ADDR "127.0.0.1:9464"
#define METRICS_PORT 9464

#define RECORD_TIMEOUT_MS 10000
/* after the last expected record: time for duplicates to show up */
#define GRACE_MS 500
#define SETTLE_MS 200
#define MAX_TW 65536

/* Kernel counter deltas a run must show, added up by each teardown. */
struct counts {
	long long out_rsts, abort_on_close, abort_on_data, time_wait;
};

struct exp_end {
	struct end e;
	struct want w;
	char what[256];
	bool absent;	/* a filter must drop it */
	bool absent_tw; /* ... and it is in TIME_WAIT */
	int hits;
	size_t rec; /* the first matching record */
};

struct exp_rst {
	int family;
	char laddr[ADDR_STR_LEN], raddr[ADDR_STR_LEN];
	int lport, rport;
	const char *cause;	 /* no_socket or data_after_close */
	const char *reason;	 /* its kernel_reason (>= 6.10) */
	const struct worker *by; /* data_after_close: who closed */
	struct range late;
	char what[256];
	int hits;
	/* the local port of the TIME_WAIT socket this RST ends, or 0 */
	int kills_tw;
	/* not of a teardown: a late segment met a closed end (strays) */
	bool stray;
};

struct run {
	char name[128];
	unsigned long long netns;
	struct finrst *f;
	struct exp_end *ends;
	size_t nends, ends_cap;
	struct exp_rst *rsts;
	size_t nrsts, rsts_cap;
	size_t scanned;
	int *owner; /* per record: end index, -2 - rst index, -1 none */
	size_t owner_cap;
	struct counts exp;
	struct nstat before, after;
	int failures;
	long long t0_us;
	time_t t0_real;
	int family;		      /* of the last end: the outsider's */
	char cg_top[512], cg_in[600]; /* --cgroup */
	unsigned long long cg_id;     /* cgroup_id of cg_in */
	bool nosock_refused; /* --refuse nosock-compat, and finrst did */
	/* finrst said this kernel gives no closed-port RSTs in its backend
	 * (tracepoint, before 5.17) */
	bool nosock_unreported;
	bool uring_refused;	/* --refuse io-uring, and finrst did */
	const char *metrics;	/* --metrics: the last scrape's body */
	int wire;		/* wire_open(), or -1 */
	bool wire_lost;		/* it dropped or failed: no explanations */
	struct wire_seg *wired; /* RSTs and FINs */
	size_t nwired, wired_cap;
	bool *wired_used; /* per wired RST: a teardown's, or a stray */
	size_t wired_used_cap;
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
	/* a cgroup can go once its processes have: workers are reaped */
	if (cur && cur->cg_in[0]) {
		for (int i = 0; i < 100 && rmdir(cur->cg_in) && errno == EBUSY;
		     i++)
			usleep(10000);
		rmdir(cur->cg_top);
	}
}

/* The cgroup v2 mount point (hybrid systems: /sys/fs/cgroup/unified). */
static bool cgroup2_mount(char *out, size_t len)
{
	char dev[256], dir[256], type[64];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "re");

	if (!f)
		return false;
	while (!found &&
	       fscanf(f, "%255s %255s %63s %*[^\n]\n", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			found = true;
		}
	fclose(f);
	return found;
}

/* --cgroup: TOP/in holds the pair's workers; finrst filters on TOP, so
 * that "including descendants" is what is tested. */
static bool cgroup_setup(struct run *r)
{
	char mnt[256];
	struct stat st;

	if (!cgroup2_mount(mnt, sizeof(mnt)))
		return false;
	snprintf(r->cg_top, sizeof(r->cg_top), "%s/finrst-scenario-%d", mnt,
		 (int)getpid());
	snprintf(r->cg_in, sizeof(r->cg_in), "%s/in", r->cg_top);
	if (mkdir(r->cg_top, 0755) || mkdir(r->cg_in, 0755))
		fatal("mkdir %s: %s", r->cg_in, strerror(errno));
	if (stat(r->cg_in, &st))
		fatal("stat %s: %s", r->cg_in, strerror(errno));
	r->cg_id = st.st_ino; /* kernfs id = inode number (64-bit) */
	return true;
}

void run_adopt(struct run *r, struct worker *w)
{
	char path[700], pid[32];
	int fd;

	if (!r->cg_in[0])
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", r->cg_in);
	snprintf(pid, sizeof(pid), "%d", (int)w->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		fatal("moving %s into %s: %s", w->comm, r->cg_in,
		      strerror(errno));
	close(fd);
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

void *grow(void *p, size_t *cap, size_t need, size_t size)
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
	r->family = e->family;
	/* --rst-only: a "fin" end gives no record */
	if (modes.rst_only && w.outcome && !strcmp(w.outcome, "fin")) {
		x->absent = true;
		x->absent_tw = w.time_wait == T_TRUE;
	}
}

void expect_absent(struct run *r, const struct end *e, bool time_wait)
{
	struct want w = { 0 };

	expect_end(r, e, w);
	r->ends[r->nends - 1].absent = true;
	r->ends[r->nends - 1].absent_tw = time_wait;
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
	x->cause = "no_socket";
	x->reason = "NO_SOCKET";
	hostport(l, sizeof(l), family, laddr, lport);
	hostport(p, sizeof(p), family, raddr, rport);
	snprintf(x->what, sizeof(x->what), "no-socket RST %s->%s", l, p);
}

void expect_rst_after_close(struct run *r, const struct end *e,
			    const struct worker *by, long long late)
{
	struct exp_rst *x;

	expect_rst_sent(r, e->family, e->laddr, e->lport, e->raddr, e->rport);
	x = &r->rsts[r->nrsts - 1];
	x->cause = "data_after_close";
	x->reason = "TCP_TIMEWAIT_SOCKET";
	x->by = by;
	x->late = EQ(late);
	/* tcp_timewait_state_process() -> TCP_TW_RST: tcp_v4_rcv() sends it
	 * and deschedules the timewait socket */
	x->kills_tw = e->lport;
	snprintf(x->what, sizeof(x->what), "TIME_WAIT RST of %s", e->label);
}

void expect_counts(struct run *r, long long out_rsts, long long abort_on_close,
		   long long abort_on_data, long long time_wait)
{
	r->exp.out_rsts += out_rsts;
	r->exp.abort_on_close += abort_on_close;
	r->exp.abort_on_data += abort_on_data;
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
	if (modes.cgroup && !cgroup_setup(r)) {
		printf("SKIP %s: no cgroup v2 mount\n", name);
		*status = EXIT_SKIP;
		return NULL;
	}
	if (finrst) {
		const char *extra[12];
		int n = 0;

		if (modes.stack)
			extra[n++] = "--stack";
		if (modes.rst_only)
			extra[n++] = "--rst-only";
		if (modes.summary)
			extra[n++] = "--summary=1";
		if (modes.cgroup) {
			extra[n++] = "--cgroup";
			extra[n++] = r->cg_top;
		}
		if (modes.refuse) {
			extra[n++] = "--test-refuse";
			extra[n++] = modes.refuse;
		}
		if (modes.metrics) {
			extra[n++] = "--metrics";
			extra[n++] = METRICS_ADDR;
		}
		extra[n] = NULL;
		r->f = finrst_start(finrst, hooks, netns, extra, &skip);
		if (!r->f) {
			*status = skip ? EXIT_SKIP : EXIT_FAIL;
			return NULL;
		}
		if (strcmp(hooks, "auto") &&
		    strcmp(finrst_backend(r->f), hooks))
			fail(r, "finrst",
			     "ready line: expected hooks=%s, actual hooks=%s",
			     hooks, finrst_backend(r->f));
	}
	r->wire = wire_open();
	if (r->wire < 0)
		note("no packet socket on lo (%s): a TcpOutRsts surplus cannot be explained",
		     strerror(errno));
	if (nstat_read(&r->before))
		fatal("nstat -asz: no TcpOutRsts/TcpExtTCPAbortOn*/TcpRetransSegs counters");
	return r;
}

/* Give record k to the end or RST it is of, if any. */
static void own_record(struct run *r, size_t k)
{
	struct json_object *rec = finrst_record(r->f, k);
	int *own = &r->owner[k];

	for (size_t i = 0; i < r->nends && *own == -1; i++) {
		if (rec_matches_end(rec, &r->ends[i].e)) {
			if (!r->ends[i].hits++)
				r->ends[i].rec = k;
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

/* Attribute the records that came in since the last call. */
static void scan_new(struct run *r)
{
	size_t n = finrst_nrecords(r->f);

	r->owner = grow(r->owner, &r->owner_cap, n, sizeof(*r->owner));
	for (; r->scanned < n; r->scanned++) {
		r->owner[r->scanned] = -1;
		own_record(r, r->scanned);
	}
}

/* An expected {"event":"rst"} record that this run cannot give: every one
 * with nosock-compat refused (before 6.10 it makes them all), and those
 * for closed ports where finrst says its backend cannot see them. */
static bool rst_unreported(const struct run *r, const struct exp_rst *x)
{
	return r->nosock_refused ||
	       (r->nosock_unreported && !strcmp(x->cause, "no_socket"));
}

/* What finrst said at its start that this kernel's backend cannot give. */
static void note_kernel_limits(struct run *r)
{
	r->nosock_unreported =
		strstr(finrst_stderr(r->f),
		       "RSTs this host sends for segments that have no "
		       "socket (closed ports) are not reported: ") != NULL;
}

static bool all_arrived(const struct run *r)
{
	for (size_t i = 0; i < r->nends; i++)
		if (!r->ends[i].hits && !r->ends[i].absent)
			return false;
	for (size_t i = 0; i < r->nrsts; i++)
		if (!r->rsts[i].hits && !rst_unreported(r, &r->rsts[i]))
			return false;
	return true;
}

static void wait_records(struct run *r)
{
	long long deadline = mono_us() + RECORD_TIMEOUT_MS * 1000LL;
	long long grace_end = 0;

	note_kernel_limits(r);
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

/*
 * --refuse PART: finrst says the part was refused, in one line with what is
 * lost, or that this kernel does not use it. The reconciliation is used by
 * every backend on every kernel: it must be refused.
 */
static void check_refused(struct run *r, const char *err)
{
	char refused[96], unused[96];
	const char *line;

	snprintf(refused, sizeof(refused), "finrst: optional part %s refused ",
		 modes.refuse);
	snprintf(unused, sizeof(unused),
		 "finrst: --test-refuse %s: this part is not used here",
		 modes.refuse);
	line = strstr(err, refused);
	if (line) {
		const char *eol = strchr(line, '\n');

		/* "... refused (--test-refuse): WHAT IS LOST" */
		if (!eol || !memchr(line, ':', (size_t)(eol - line)) ||
		    eol - line < (ptrdiff_t)strlen(refused) + 20)
			fail(r, "finrst",
			     "--test-refuse %s: the refused line does not say what is lost",
			     modes.refuse);
		r->nosock_refused = !strcmp(modes.refuse, "nosock-compat");
		r->uring_refused = !strcmp(modes.refuse, "io-uring");
	} else if (!strstr(err, unused) ||
		   !strcmp(modes.refuse, "reconciliation")) {
		fail(r, "finrst",
		     "--test-refuse %s: expected \"%s...\" on stderr%s%s",
		     modes.refuse, refused,
		     strcmp(modes.refuse, "reconciliation") ? " or " : "",
		     strcmp(modes.refuse, "reconciliation") ? unused : "");
	}
}

static void check_exit(struct run *r, int status)
{
	const char *err = finrst_stderr(r->f);
	const char *lost = strstr(err, "lost=");
	const char *recs = strstr(err, "records=");
	size_t got = finrst_nrecords(r->f) + finrst_bad_lines(r->f);

	if (status != 0)
		fail(r, "finrst",
		     "exit status after SIGINT: expected 0, actual %d", status);
	if (!lost)
		fail(r, "finrst",
		     "exit line: expected \"finrst: records=N lost=M\" on stderr, none found");
	else if (atoll(lost + 5) != 0)
		fail(r, "finrst",
		     "exit line: expected lost=0, actual lost=%lld",
		     atoll(lost + 5));
	if (recs && (size_t)atoll(recs + 8) != got)
		fail(r, "finrst",
		     "exit line: records=%lld, but %zu lines came on stdout",
		     atoll(recs + 8), got);
	if (finrst_bad_lines(r->f))
		fail(r, "finrst", "%zu stdout lines were not JSON objects",
		     finrst_bad_lines(r->f));
	if (modes.refuse)
		check_refused(r, err);
	note_kernel_limits(r);
}

static bool str_in(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/*
 * --stack: a rst_sent record carries "stack", kernel frames from where the
 * RST was sent, and user frames exactly when a local call sent it (not for
 * timers, and not at process exit: the task's memory is gone by then).
 */
static void check_stack(struct run *r, const char *what,
			struct json_object *rec)
{
	static const char *const active[] = {
		"unread_data",
		"linger_zero",
		"disconnect",
		"listener_closed",
		"keepalive_timeout",
		"linger2",
		"memory",
		NULL,
	};
	static const char *const local[] = {
		"unread_data",	   "linger_zero", "disconnect",
		"listener_closed", NULL,
	};
	const char *outcome = rec_str(rec, "outcome");
	const char *cause = rec_str(rec, "cause");
	struct json_object *st;
	bool has = json_object_object_get_ex(rec, "stack", &st);
	size_t nk = 0, nu = 0, n;
	bool sar = false, ours = false;

	if (!outcome || strcmp(outcome, "rst_sent")) {
		if (has)
			fail(r, what,
			     "field stack: expected none for outcome %s",
			     outcome ?: "(none)");
		return;
	}
	if (!has || !json_object_is_type(st, json_type_array)) {
		fail(r, what,
		     "field stack: expected a list of frames, actual %s",
		     has ? json_object_to_json_string(st) : "(none)");
		return;
	}
	n = json_object_array_length(st);
	for (size_t i = 0; i < n; i++) {
		struct json_object *fr = json_object_array_get_idx(st, i), *v;
		const char *sym = NULL, *mod = NULL;

		if (json_object_object_get_ex(fr, "sym", &v))
			sym = json_object_get_string(v);
		if (json_object_object_get_ex(fr, "module", &v))
			mod = json_object_get_string(v);
		if (json_object_object_get_ex(fr, "kernel", &v) &&
		    json_object_get_boolean(v)) {
			nk++;
			sar = sar ||
			      (sym && !strcmp(sym, "tcp_send_active_reset"));
			continue;
		}
		nu++;
		/* the worker's own code, named from finrst-scenario's ELF */
		if (sym && mod && strlen(mod) >= 16 &&
		    !strcmp(mod + strlen(mod) - 16, "/finrst-scenario"))
			ours = true;
	}
	if (!nk)
		fail(r, what, "field stack: no kernel frames");
	if (str_in(cause, active) && !sar)
		fail(r, what,
		     "field stack: cause %s, expected tcp_send_active_reset among the kernel frames",
		     cause);
	if (str_in(cause, local) && !rec_bool(rec, "by_exit")) {
		if (!ours)
			fail(r, what,
			     "field stack: cause %s from a call, expected a named frame of finrst-scenario among %zu user frames",
			     cause, nu);
	} else if (nu) {
		fail(r, what,
		     "field stack: cause %s%s, expected no user frames, actual %zu",
		     cause ?: "(none)",
		     rec_bool(rec, "by_exit") ? " at exit" : "", nu);
	}
}

/* What the run's modes promise about one record. */
static void check_modes(struct run *r, const char *what,
			struct json_object *rec)
{
	const char *outcome = rec_str(rec, "outcome");
	bool ok;

	if (modes.rst_only && outcome && !strcmp(outcome, "fin"))
		fail(r, what, "--rst-only: a fin record came: %s",
		     rec_text(rec));
	if (modes.cgroup) {
		long long id = rec_int(rec, "cgroup_id", &ok);

		if (!ok || (unsigned long long)id != r->cg_id)
			fail(r, what,
			     "field cgroup_id: expected %llu (%s), actual %lld",
			     r->cg_id, r->cg_in, id);
	}
	if (modes.stack)
		check_stack(r, what, rec);
}

/* The service port as finrst's summary counts it (user/summary.c). */
static long long service_port(struct json_object *rec)
{
	const char *role = rec_str(rec, "role");
	bool ok;
	long long l = rec_int(rec, "lport", &ok),
		  p = rec_int(rec, "rport", &ok);

	if (rec_is(rec, "rst") || (role && !strcmp(role, "server")))
		return l;
	if (role && !strcmp(role, "client"))
		return p;
	return l < p ? l : p;
}

/* Sum of the "count" of the rows of list whose key field equals val
 * (string val, or integer ival when val is NULL). */
static long long rows_count(struct json_object *sum, const char *list,
			    const char *key, const char *val, long long ival,
			    const char *key2, const char *val2)
{
	struct json_object *arr, *row, *v;
	long long n = 0;

	if (!json_object_object_get_ex(sum, list, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		row = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(row, key, &v))
			continue;
		if (val ? strcmp(json_object_get_string(v), val) :
			  json_object_get_int64(v) != ival)
			continue;
		if (key2 && (!json_object_object_get_ex(row, key2, &v) ||
			     strcmp(json_object_get_string(v), val2)))
			continue;
		if (json_object_object_get_ex(row, "count", &v))
			n += json_object_get_int64(v);
	}
	return n;
}

static long long sum_int(struct json_object *o, const char *field)
{
	struct json_object *v;

	return json_object_object_get_ex(o, field, &v) ?
		       json_object_get_int64(v) :
		       -1;
}

/* How many records have this service port (comm NULL), or this comm. */
static long long tally(struct run *r, long long port, const char *comm)
{
	long long n = 0;

	for (size_t k = 0; k < finrst_nrecords(r->f); k++) {
		struct json_object *o = finrst_record(r->f, k);

		if (comm)
			n += !strcmp(rec_str(o, "comm") ?: "", comm);
		else
			n += service_port(o) == port;
	}
	return n;
}

/*
 * A top-N table of the summary (by_port or by_comm): each row counts its
 * key's records exactly, the rows and LIST_other add up to every record,
 * and no key left out has more records than the smallest row.
 */
static void check_top(struct run *r, struct json_object *sum, const char *list,
		      const char *key)
{
	char other_name[32];
	struct json_object *arr, *row, *v;
	long long total = 0, least = -1;
	size_t n = finrst_nrecords(r->f), nrows;
	bool comm = !strcmp(key, "comm");

	snprintf(other_name, sizeof(other_name), "%s_other", list);
	if (!json_object_object_get_ex(sum, list, &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		fail(r, "summary", "%s: expected a list", list);
		return;
	}
	nrows = json_object_array_length(arr);
	for (size_t i = 0; i < nrows; i++) {
		long long c, want;

		row = json_object_array_get_idx(arr, i);
		c = sum_int(row, "count");
		if (!json_object_object_get_ex(row, key, &v)) {
			fail(r, "summary", "%s: a row without %s", list, key);
			continue;
		}
		want = comm ? tally(r, 0, json_object_get_string(v)) :
			      tally(r, json_object_get_int64(v), NULL);
		if (c != want)
			fail(r, "summary", "%s %s: expected %lld, actual %lld",
			     list, json_object_get_string(v), want, c);
		total += c;
		if (least < 0 || c < least)
			least = c;
	}
	total += sum_int(sum, other_name);
	if (total != (long long)n)
		fail(r, "summary",
		     "%s: rows plus %s count %lld records, expected %zu", list,
		     other_name, total, n);
	/* every key of the records that has no row: at most the least row */
	for (size_t k = 0; k < n; k++) {
		struct json_object *o = finrst_record(r->f, k);
		const char *c = rec_str(o, "comm") ?: "";
		long long port = service_port(o);
		bool listed = false;

		for (size_t i = 0; i < nrows && !listed; i++) {
			row = json_object_array_get_idx(arr, i);
			json_object_object_get_ex(row, key, &v);
			listed = comm ? !strcmp(json_object_get_string(v), c) :
					json_object_get_int64(v) == port;
		}
		if (!listed &&
		    (comm ? tally(r, 0, c) : tally(r, port, NULL)) > least)
			fail(r, "summary",
			     "%s: %s %s%.0lld has more records than a listed row (%lld)",
			     list, key, comm ? c : "", comm ? 0 : port, least);
	}
}

/*
 * --summary: the final summary counts exactly the records that came, by
 * outcome and cause, by service port and by command (the run has fewer
 * than FR_SUMMARY_TOP of each, so every one has its row).
 */
static void check_summary(struct run *r)
{
	size_t ns = finrst_nsummaries(r->f), n = finrst_nrecords(r->f);
	struct json_object *sum = ns ? finrst_summary(r->f, ns - 1) : NULL;
	long long rows = 0, nosock = 0, after_close = 0;
	struct json_object *arr, *v;

	if (!sum || !json_object_object_get_ex(sum, "final", &v) ||
	    !json_object_get_boolean(v)) {
		fail(r, "summary",
		     "no final {\"event\":\"summary\"} object at exit (%zu summaries)",
		     ns);
		return;
	}
	note("summary: %zu summary objects; final: %s", ns,
	     json_object_to_json_string(sum));
	if (sum_int(sum, "records") != (long long)n)
		fail(r, "summary",
		     "records: expected %zu (records that came), actual %lld",
		     n, sum_int(sum, "records"));
	if (sum_int(sum, "lost") != 0)
		fail(r, "summary", "lost: expected 0, actual %lld",
		     sum_int(sum, "lost"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *rec = finrst_record(r->f, i);
		const char *outcome = rec_str(rec, "outcome") ?: "rst_sent";
		const char *cause = rec_str(rec, "cause") ?: "";
		long long want_c = 0;
		bool seen = false;

		/* each distinct key once: at its first record */
		for (size_t k = 0; k < i && !seen; k++) {
			struct json_object *o = finrst_record(r->f, k);

			seen = !strcmp(rec_str(o, "outcome") ?: "rst_sent",
				       outcome) &&
			       !strcmp(rec_str(o, "cause") ?: "", cause);
		}
		for (size_t k = 0; k < n; k++) {
			struct json_object *o = finrst_record(r->f, k);

			want_c += !strcmp(rec_str(o, "outcome") ?: "rst_sent",
					  outcome) &&
				  !strcmp(rec_str(o, "cause") ?: "", cause);
		}
		if (!seen) {
			long long got = rows_count(sum, "by_cause", "outcome",
						   outcome, 0, "cause", cause);

			rows += got > 0 ? got : 0;
			if (got != want_c)
				fail(r, "summary",
				     "by_cause %s/%s: expected %lld, actual %lld",
				     outcome, cause, want_c, got);
		}
		if (rec_is(rec, "rst")) {
			if (!strcmp(cause, "no_socket"))
				nosock++;
			else
				after_close++;
		}
	}
	if (json_object_object_get_ex(sum, "by_cause", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		long long all = 0;

		for (size_t i = 0; i < json_object_array_length(arr); i++)
			all += sum_int(json_object_array_get_idx(arr, i),
				       "count");
		if (all != rows)
			fail(r, "summary",
			     "by_cause: rows for causes no record has: %lld counted, %lld in records",
			     all, rows);
	}
	if (sum_int(sum, "rst_no_socket") != nosock)
		fail(r, "summary", "rst_no_socket: expected %lld, actual %lld",
		     nosock, sum_int(sum, "rst_no_socket"));
	if (sum_int(sum, "rst_after_close") != after_close)
		fail(r, "summary",
		     "rst_after_close: expected %lld, actual %lld", after_close,
		     sum_int(sum, "rst_after_close"));
	check_top(r, sum, "by_port", "port");
	check_top(r, sum, "by_comm", "comm");
}

/* The two ends of a connected socket, as the test's struct end. */
static void socket_ends(int fd, struct end *mine, struct end *peer)
{
	struct sockaddr_in a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	getsockname(fd, (struct sockaddr *)&a, &la);
	getpeername(fd, (struct sockaddr *)&b, &lb);
	memset(mine, 0, sizeof(*mine));
	mine->family = AF_INET;
	inet_ntop(AF_INET, &a.sin_addr, mine->laddr, sizeof(mine->laddr));
	inet_ntop(AF_INET, &b.sin_addr, mine->raddr, sizeof(mine->raddr));
	mine->lport = ntohs(a.sin_port);
	mine->rport = ntohs(b.sin_port);
	*peer = *mine;
	snprintf(peer->laddr, sizeof(peer->laddr), "%s", mine->raddr);
	snprintf(peer->raddr, sizeof(peer->raddr), "%s", mine->laddr);
	peer->lport = mine->rport;
	peer->rport = mine->lport;
	snprintf(mine->label, sizeof(mine->label), "scrape-client");
	snprintf(peer->label, sizeof(peer->label), "metrics-server");
}

/* --metrics: GET /metrics from finrst, the body into buf; false on error.
 * The scrape's own connection is a teardown in the run's namespace: its
 * two ends are expected (after the scrape: it counts in no metric). */
static bool scrape(struct run *r, char *buf, size_t cap)
{
	struct end cli, srv;
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(METRICS_PORT) };
	size_t used = 0;
	ssize_t n;
	char *body;
	int fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (used + 1 < cap && (n = read(fd, buf + used, cap - 1 - used)) > 0)
		used += (size_t)n;
	socket_ends(fd, &cli, &srv);
	close(fd);
	expect_end(r, &cli, (struct want){ .role = "client" });
	expect_end(r, &srv, (struct want){ .role = "server" });
	/* the server closes first (HTTP/1.0): its end goes to TIME_WAIT */
	expect_counts(r, 0, 0, 0, 1);
	buf[used] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (!body || strncmp(buf, "HTTP/1.", 7) || !strstr(buf, " 200 "))
		return false;
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return true;
}

/* The sum of a metric's samples whose labels include label="value"
 * (every sample if label is NULL). */
static long long metric_sum(const char *text, const char *metric,
			    const char *label, const char *value)
{
	size_t ml = strlen(metric);
	long long sum = 0;
	char want[128];

	if (label)
		snprintf(want, sizeof(want), "%s=\"%s\"", label, value);
	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
		const char *end = strchr(l, '\n'), *v;

		if (strncmp(l, metric, ml) || (l[ml] != '{' && l[ml] != ' '))
			continue;
		v = l[ml] == '{' ? strchr(l, '}') : l + ml;
		if (!v || (end && v > end))
			continue;
		if (label) {
			const char *at = strstr(l, want);

			if (!at || at > v)
				continue;
		}
		sum += strtoll(v + 1, NULL, 10);
	}
	return sum;
}

/* A record the scrape counts: not of the scrape's own connection, which
 * ends after it. */
static bool scraped(struct json_object *rec)
{
	bool ok;

	return rec_int(rec, "lport", &ok) != METRICS_PORT &&
	       rec_int(rec, "rport", &ok) != METRICS_PORT;
}

/* How many teardown records the scrape counts, of this cause. */
static long long teardowns_of(struct run *r, const char *cause)
{
	size_t n = finrst_nrecords(r->f);
	long long c = 0;

	for (size_t k = 0; k < n; k++) {
		struct json_object *o = finrst_record(r->f, k);

		c += rec_is(o, "teardown") && scraped(o) &&
		     (!cause || !strcmp(rec_str(o, "cause") ?: "", cause));
	}
	return c;
}

/* --metrics: the scrape counts exactly the records of the run (SPEC §4). */
static void check_metrics(struct run *r)
{
	static const char *const rst_metric[] = {
		"finrst_rst_sent_no_socket_total",
		"finrst_rst_sent_after_close_total",
	};
	static const char *const rst_cause[] = { "no_socket",
						 "data_after_close" };
	size_t n = finrst_nrecords(r->f);
	long long rsts[2] = { 0, 0 }, got, want;

	if (!r->metrics) {
		fail(r, "metrics", "no scrape of %s/metrics at the end",
		     METRICS_ADDR);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *rec = finrst_record(r->f, i);
		const char *cause = rec_str(rec, "cause") ?: "";
		bool seen = false;

		if (rec_is(rec, "rst")) {
			for (int k = 0; k < 2; k++)
				rsts[k] += !strcmp(cause, rst_cause[k]);
			continue;
		}
		if (!rec_is(rec, "teardown") || !scraped(rec))
			continue;
		/* each cause once, at its first record */
		for (size_t k = 0; k < i && !seen; k++) {
			struct json_object *o = finrst_record(r->f, k);

			seen = rec_is(o, "teardown") && scraped(o) &&
			       !strcmp(rec_str(o, "cause") ?: "", cause);
		}
		if (seen)
			continue;
		want = teardowns_of(r, cause);
		got = metric_sum(r->metrics, "finrst_teardowns_total", "cause",
				 cause);
		if (got != want)
			fail(r, "metrics",
			     "finrst_teardowns_total{cause=\"%s\"}: expected %lld (records), actual %lld",
			     cause, want, got);
	}
	want = teardowns_of(r, NULL);
	got = metric_sum(r->metrics, "finrst_teardowns_total", NULL, NULL);
	if (got != want)
		fail(r, "metrics",
		     "finrst_teardowns_total: expected %lld (teardown records), actual %lld",
		     want, got);
	for (int k = 0; k < 2; k++) {
		got = metric_sum(r->metrics, rst_metric[k], NULL, NULL);
		if (got != rsts[k])
			fail(r, "metrics",
			     "%s: expected %lld (%s rst records), actual %lld",
			     rst_metric[k], rsts[k], rst_cause[k], got);
	}
	note("metrics: %lld teardowns, %lld no_socket and %lld data_after_close RSTs, as the records",
	     want, rsts[0], rsts[1]);
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
	     "TCPAbortOnTimeout +%lld, TcpRetransSegs +%lld, TIME_WAIT sockets %d",
	     rsts, aoc, r->after.abort_on_data - r->before.abort_on_data,
	     r->after.abort_on_timeout - r->before.abort_on_timeout,
	     r->after.retrans_segs - r->before.retrans_segs, tw);
	if (rsts != r->exp.out_rsts)
		fail(r, "kernel",
		     "TcpOutRsts delta: expected %lld from the teardowns made, actual %lld",
		     r->exp.out_rsts, rsts);
	if (aoc != r->exp.abort_on_close)
		fail(r, "kernel",
		     "TcpExtTCPAbortOnClose delta: expected %lld from the teardowns made, actual %lld",
		     r->exp.abort_on_close, aoc);
	if (r->after.abort_on_data - r->before.abort_on_data !=
	    r->exp.abort_on_data)
		fail(r, "kernel",
		     "TcpExtTCPAbortOnData delta: expected %lld from the teardowns made, actual %lld",
		     r->exp.abort_on_data,
		     r->after.abort_on_data - r->before.abort_on_data);
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
			snprintf(what, sizeof(what), "%s",
				 r->rsts[-2 - own].what);
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

		if (x->absent) {
			if (x->hits)
				fail(r, x->what,
				     "expected no record (%s), actual %d: %s",
				     modes.cgroup ? "outside --cgroup" :
						    "--rst-only, a fin",
				     x->hits,
				     rec_text(finrst_record(r->f, x->rec)));
			continue;
		}
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
					note("%s",
					     rec_text(finrst_record(r->f, k)));
		}
		if (x->w.owner_by_uring && r->uring_refused) {
			x->w.owner = NULL;
			x->w.no_task = true;
		}
		check_want(r, x->what, finrst_record(r->f, x->rec), &x->e,
			   &x->w);
		check_modes(r, x->what, finrst_record(r->f, x->rec));
		if (signature_out && !modes.refuse)
			write_signature(signature_out, r->name, x->e.label,
					finrst_record(r->f, x->rec), &x->w);
	}
	for (size_t i = 0; i < r->nrsts; i++) {
		struct exp_rst *x = &r->rsts[i];

		if (rst_unreported(r, x)) {
			if (x->hits)
				fail(r, x->what,
				     "%s: expected no {\"event\":\"rst\"} record, actual %d",
				     r->nosock_refused ?
					     "nosock-compat refused" :
					     "unreported on this kernel",
				     x->hits);
			/* tools/vmtest compares it as such with the
			 * record another kernel gave */
			if (signature_out && !modes.refuse && !x->stray)
				fprintf(signature_out, "%s | %s | %s\n",
					r->name, x->cause, SIG_UNREPORTED);
			continue;
		}
		if (x->hits != 1)
			fail(r, x->what,
			     "expected exactly one {\"event\":\"rst\"} record, actual %d",
			     x->hits);
		for (size_t k = 0; k < n; k++) {
			struct json_object *rec = finrst_record(r->f, k);

			if (r->owner[k] != -2 - (int)i)
				continue;
			check_rst_want(r, x->what, rec, x->cause, x->by,
				       x->late);
			want_reason(r, x->what, rec, x->reason);
			/* a stray is of the machine's load, not the kernel */
			if (signature_out && !modes.refuse && !x->stray)
				write_signature(signature_out, r->name,
						x->cause, rec, NULL);
		}
	}
}

/* finrst's own totals against the kernel's. */
static void check_totals(struct run *r, int *ss_ports, int ss_n)
{
	size_t n = finrst_nrecords(r->f);
	long long rst_sent = 0, unread = 0, aod = 0, teardowns = 0;
	int *tw = calloc(n + 1, sizeof(int));
	int ntw = 0;
	size_t absent = 0;

	if (!tw)
		fatal("out of memory");
	/* The TIME_WAIT sockets of the ends a filter drops are in ss's list
	 * but in no record: take one of each one's local port out. */
	for (size_t i = 0; i < r->nends; i++) {
		absent += r->ends[i].absent;
		if (!r->ends[i].absent_tw)
			continue;
		for (int k = 0; k < ss_n; k++) {
			if (ss_ports[k] == r->ends[i].e.lport) {
				ss_ports[k] = ss_ports[--ss_n];
				break;
			}
		}
	}
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
		/* __tcp_close() counts SO_LINGER {on, 0} as TCPAbortOnData */
		aod += cause && (!strcmp(cause, "data_after_close") ||
				 !strcmp(cause, "linger_zero"));
		if (rec_bool(rec, "time_wait"))
			tw[ntw++] = rec_int(rec, "lport", &ok);
	}
	/* A TIME_WAIT socket that sent or took an RST is gone from ss's list
	 * (tcp_timewait_state_process: inet_twsk_deschedule_put) */
	for (size_t i = 0; i < r->nrsts; i++) {
		if (!r->rsts[i].kills_tw)
			continue;
		for (int k = 0; k < ntw; k++) {
			if (tw[k] == r->rsts[i].kills_tw) {
				tw[k] = tw[--ntw];
				break;
			}
		}
	}
	note("finrst: %lld teardown records (%zu socket ends made), %lld RSTs sent, "
	     "%lld unread_data, %d time_wait",
	     teardowns, r->nends, rst_sent, unread, ntw);
	/* the RSTs finrst cannot report here (rst_unreported) */
	for (size_t i = 0; i < r->nrsts; i++)
		rst_sent += rst_unreported(r, &r->rsts[i]);
	if (rst_sent != r->after.out_rsts - r->before.out_rsts)
		fail(r, "totals",
		     "RSTs sent: finrst counted %lld (rst_sent teardowns + sent rst records), kernel TcpOutRsts delta %lld",
		     rst_sent, r->after.out_rsts - r->before.out_rsts);
	if (unread != r->after.abort_on_close - r->before.abort_on_close)
		fail(r, "totals",
		     "unread_data: finrst counted %lld, kernel TcpExtTCPAbortOnClose delta %lld",
		     unread,
		     r->after.abort_on_close - r->before.abort_on_close);
	if (aod != r->after.abort_on_data - r->before.abort_on_data)
		fail(r, "totals",
		     "data_after_close + linger_zero: finrst counted %lld, kernel TcpExtTCPAbortOnData delta %lld",
		     aod, r->after.abort_on_data - r->before.abort_on_data);
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
	if ((size_t)teardowns != r->nends - absent)
		fail(r, "totals",
		     "teardown records: expected %zu (one per socket end, but the %zu a filter drops), actual %lld",
		     r->nends - absent, absent, teardowns);
	free(tw);
}

/* Whether wired segment w goes from laddr:lport to raddr:rport. */
static bool wire_seg_is(const struct wire_seg *w, int family, const char *laddr,
			int lport, const char *raddr, int rport)
{
	return w->family == family && w->lport == lport && w->rport == rport &&
	       !strcmp(w->laddr, laddr) && !strcmp(w->raddr, raddr);
}

/* Mark the first wired RST of this tuple not yet accounted for. */
static void wired_take(struct run *r, int family, const char *laddr, int lport,
		       const char *raddr, int rport)
{
	for (size_t i = 0; i < r->nwired; i++) {
		if (!r->wired_used[i] && (r->wired[i].flags & TH_RST) &&
		    wire_seg_is(&r->wired[i], family, laddr, lport, raddr,
				rport)) {
			r->wired_used[i] = true;
			return;
		}
	}
}

/* The end of this test whose local address is a:port towards b:bport. */
static struct exp_end *end_of(struct run *r, int family, const char *a,
			      int port, const char *b, int bport)
{
	for (size_t i = 0; i < r->nends; i++) {
		const struct end *e = &r->ends[i].e;

		if (e->family == family && e->lport == port &&
		    e->rport == bport && !strcmp(e->laddr, a) &&
		    !strcmp(e->raddr, b))
			return &r->ends[i];
	}
	return NULL;
}

/* This namespace's net.ipv4.tcp_rfc1337 (0: an RST ends a timewait). */
static bool rfc1337_on(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_rfc1337", "r");
	int v = 0;

	if (!f)
		fatal("cannot read net.ipv4.tcp_rfc1337: %s", strerror(errno));
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v != 0;
}

/*
 * The wired RSTs no teardown and no expected RST sends; 0 when the wire
 * is not known whole.
 */
static size_t wired_unexplained(struct run *r)
{
	size_t n = 0;

	if (r->wire < 0 || r->wire_lost)
		return 0;
	if (wire_drain(r->wire, &r->wired, &r->nwired, &r->wired_cap)) {
		r->wire_lost = true;
		note("the packet socket on lo lost RSTs or failed: a TcpOutRsts surplus is not explained");
		return 0;
	}
	r->wired_used = grow(r->wired_used, &r->wired_used_cap, r->nwired,
			     sizeof(*r->wired_used));
	memset(r->wired_used, 0, r->nwired * sizeof(*r->wired_used));
	for (size_t i = 0; i < r->nrsts; i++) {
		const struct exp_rst *x = &r->rsts[i];

		wired_take(r, x->family, x->laddr, x->lport, x->raddr,
			   x->rport);
	}
	for (size_t i = 0; i < r->nends; i++) {
		const struct exp_end *x = &r->ends[i];

		if (x->w.outcome && !strcmp(x->w.outcome, "rst_sent"))
			wired_take(r, x->e.family, x->e.laddr, x->e.lport,
				   x->e.raddr, x->e.rport);
	}
	for (size_t i = 0; i < r->nwired; i++)
		n += (r->wired[i].flags & TH_RST) && !r->wired_used[i];
	return n;
}

/*
 * Whether the stray RST w ends its peer's timewait socket: in TIME_WAIT,
 * tcp_timewait_state_process() kills it on an RST at exactly tw_rcv_nxt
 * (unless tcp_rfc1337), which is the end of the FIN the closed end sent.
 * An RST that answers the timewait socket's own ACK carries that number.
 */
static bool stray_kills_tw(const struct run *r, const struct wire_seg *w)
{
	for (size_t i = 0; i < r->nwired; i++) {
		const struct wire_seg *f = &r->wired[i];

		if ((f->flags & TH_FIN) && !(f->flags & TH_RST) &&
		    wire_seg_is(f, w->family, w->laddr, w->lport, w->raddr,
				w->rport) &&
		    f->end_seq == w->seq)
			return true;
	}
	return false;
}

/*
 * A TcpOutRsts surplus over the teardowns made, explained by the wire. On
 * a loaded machine (an emulated VM sharing its cores) a segment of the
 * passive closer can reach the active closer's timewait socket after the
 * passive closer's own FIN was answered and its socket is gone: loopback
 * queues what it sends on the sending CPU (enqueue_to_backlog), so a
 * delayed ACK sent by a timer on one CPU can arrive after the FIN close()
 * sent on another (or the segment is a retransmission). The timewait
 * socket answers it with an ACK at its rcv_nxt (an old segment), the
 * closed end answers that with a no-socket RST, and an RST at rcv_nxt ends
 * the timewait socket (tcp_timewait_state_process, unless tcp_rfc1337).
 *
 * Every wired RST no teardown sends must leave a closed end of this test
 * towards its peer; else nothing is explained and the counter checks fail.
 * Each stray is then expected as any no-socket RST: in TcpOutRsts, and as
 * a record of finrst's. Returns how many were added.
 */
static int account_strays(struct run *r)
{
	long long surplus = 0;
	size_t n = 0;
	bool rfc1337, foreign = false;

	for (int tries = 0; tries < 10; tries++) {
		surplus = r->after.out_rsts - r->before.out_rsts -
			  r->exp.out_rsts;
		if (surplus <= 0)
			return 0;
		n = wired_unexplained(r);
		if ((long long)n == surplus || r->wire < 0 || r->wire_lost)
			break;
		/* an RST after the counters were read */
		usleep(50000);
		if (nstat_read(&r->after))
			fatal("nstat -asz failed");
	}
	for (size_t i = 0; i < r->nwired; i++) {
		const struct wire_seg *w = &r->wired[i];
		char l[80], p[80];

		if (!(w->flags & TH_RST) || r->wired_used[i])
			continue;
		if (!end_of(r, w->family, w->laddr, w->lport, w->raddr,
			    w->rport)) {
			hostport(l, sizeof(l), w->family, w->laddr, w->lport);
			hostport(p, sizeof(p), w->family, w->raddr, w->rport);
			note("wire: RST %s->%s, from no end of this test", l,
			     p);
			foreign = true;
		}
	}
	if ((long long)n != surplus || foreign) {
		note("wire: %zu RSTs no teardown sends, TcpOutRsts %lld over the teardowns': not explained",
		     n, surplus);
		return 0;
	}
	rfc1337 = rfc1337_on();
	for (size_t i = 0; i < r->nwired; i++) {
		const struct wire_seg *w = &r->wired[i];
		struct exp_end *peer;
		struct exp_rst *x;
		char l[80], p[80];
		bool tw;

		if (!(w->flags & TH_RST) || r->wired_used[i])
			continue;
		r->wired_used[i] = true;
		expect_rst_sent(r, w->family, w->laddr, w->lport, w->raddr,
				w->rport);
		x = &r->rsts[r->nrsts - 1];
		x->stray = true;
		hostport(l, sizeof(l), w->family, w->laddr, w->lport);
		hostport(p, sizeof(p), w->family, w->raddr, w->rport);
		snprintf(
			x->what, sizeof(x->what),
			"no-socket RST %s->%s (a late segment met a closed end)",
			l, p);
		r->exp.out_rsts++;
		/* the peer: in TIME_WAIT still, unless an RST ended it */
		peer = end_of(r, w->family, w->raddr, w->rport, w->laddr,
			      w->lport);
		tw = peer && !rfc1337 && stray_kills_tw(r, w) &&
		     (peer->absent ? peer->absent_tw :
				     peer->w.time_wait == T_TRUE);
		for (size_t k = 0; tw && k < r->nrsts - 1; k++)
			tw = r->rsts[k].kills_tw != w->rport;
		if (tw) {
			x->kills_tw = w->rport;
			r->exp.time_wait--;
		}
		note("wire: %s%s", x->what,
		     tw ? ", which ended the peer's timewait socket" : "");
	}
	if (r->f)
		for (size_t k = 0; k < r->scanned; k++)
			if (r->owner[k] == -1)
				own_record(r, k);
	return (int)n;
}

int run_finish(struct run *r)
{
	static int ss_ports[MAX_TW];
	int ss_n, status = 0;

	if (r->cg_in[0])
		outsider_teardown(r, r->family ? r->family : AF_INET);
	/* again for the records of strays, and a scrape that counts them */
	for (int round = 0; round < 3; round++) {
		if (r->f)
			wait_records(r);
		else
			usleep(SETTLE_MS * 1000);
		if (r->f && modes.metrics) {
			static char text[1 << 20];

			if (scrape(r, text, sizeof(text)))
				r->metrics = text;
			wait_records(r);
		}
		if (nstat_read(&r->after))
			fatal("nstat -asz failed");
		if (!account_strays(r))
			break;
	}
	ss_n = ss_state("time-wait", ss_ports, MAX_TW);
	if (ss_n < 0)
		fatal("ss -tanH state time-wait failed");
	if (r->f) {
		status = finrst_stop(r->f);
		scan_new(r);
	}
	workers_kill_all();
	if (r->wire >= 0 && !r->wire_lost &&
	    wire_drain(r->wire, &r->wired, &r->nwired, &r->wired_cap))
		r->wire_lost = true;
	if (r->wire >= 0) {
		size_t nrst = 0;

		for (size_t i = 0; i < r->nwired; i++)
			nrst += !!(r->wired[i].flags & TH_RST);
		note("wire: %zu RSTs sent on lo%s", nrst,
		     r->wire_lost ? " (the packet socket lost some)" : "");
	}
	check_kernel(r, ss_n);
	if (r->f) {
		check_exit(r, status);
		check_records(r);
		check_totals(r, ss_ports, ss_n);
		if (modes.summary)
			check_summary(r);
		if (modes.metrics)
			check_metrics(r);
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
