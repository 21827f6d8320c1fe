/* SPDX-License-Identifier: GPL-2.0 */
/*
 * finrst-scenario: run real TCP teardowns in a private network namespace
 * under a running finrst and compare its records with what the test did
 * and with the kernel's own counters (SPEC.md §2).
 */
#ifndef FINRST_SCENARIO_H
#define FINRST_SCENARIO_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

struct json_object;

/* Exit statuses understood by CTest (SKIP_RETURN_CODE 77). */
#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_SKIP 77

#define ADDR_STR_LEN 64

/* ---- worker.c: processes that own the sockets ---- */

/*
 * A worker is a forked process that makes socket calls on command, so that
 * every close/shutdown/connect is made by a task with a known pid and comm.
 * Sockets live in the worker and are named by a slot number.
 */
struct worker {
	pid_t pid;
	int ch;
	char comm[16];
	bool gone;
};

enum w_op {
	OP_SOCKET, /* a0 = family */
	OP_BIND,   /* bind to loopback, a0 = port (0: any) */
	OP_LISTEN,
	OP_CONNECT, /* a0 = port on loopback */
	OP_ACCEPT,
	OP_SETINT,	   /* setsockopt(a0 level, a1 name, int a2) */
	OP_LINGER,	   /* SO_LINGER {a0, a1} */
	OP_CLOSE,	   /* rep.us = time close() took */
	OP_SHUTDOWN,	   /* a0 = how */
	OP_DISCONNECT,	   /* connect(AF_UNSPEC) */
	OP_WRITE,	   /* a0 bytes, blocking */
	OP_FILL,	   /* non-blocking writes until EAGAIN */
	OP_READ,	   /* a0 bytes (<0: to EOF), a1 = timeout ms */
	OP_INQ,		   /* SIOCINQ */
	OP_OUTQ,	   /* SIOCOUTQ */
	OP_WAIT_INQ,	   /* until SIOCINQ >= a0, a1 = timeout ms */
	OP_POLL,	   /* a0 = events, a1 = timeout ms; rep.val = revents */
	OP_FORK,	   /* new worker sharing all sockets, comm in name */
	OP_EXIT,	   /* _exit(0) with every socket still open; no reply */
	OP_SNDTIMEO,	   /* SO_SNDTIMEO a0 ms: bounds a blocking connect() */
	OP_URING_CLOSE,	   /* IORING_OP_CLOSE; a0: IOSQE_ASYNC (io-wq) */
	OP_URING_SHUTDOWN, /* IORING_OP_SHUTDOWN, a0 = how */
	OP_URING_ACCEPT,   /* IORING_OP_ACCEPT */
};

struct w_rep {
	int ret; /* 0 or -1 */
	int err; /* errno when ret == -1 */
	int slot;
	bool eof;
	long long val;
	long long us;
	int family;
	char laddr[ADDR_STR_LEN], raddr[ADDR_STR_LEN];
	int lport, rport;
};

/* uring.c: io_uring requests, one at a time, in the worker process */
int uring_close(int fd, bool async);
int uring_shutdown(int fd, int how);
int uring_accept(int fd);

struct worker *worker_start(const char *comm);
struct worker *worker_fork(struct worker *w, const char *comm);
void w_send(struct worker *w, enum w_op op, int slot, long long a0,
	    long long a1, long long a2);
struct w_rep w_recv(struct worker *w, enum w_op op, int timeout_ms);
struct w_rep w_call(struct worker *w, enum w_op op, int slot, long long a0,
		    long long a1, long long a2);
/* Tell the worker to _exit() and reap it; returns how long that took. */
long long w_exit(struct worker *w);
void workers_kill_all(void);
const char *op_name(enum w_op op);

/* ---- run.c: one namespace, one finrst run, the expectations ---- */

enum tri { T_ANY, T_FALSE, T_TRUE };

struct range {
	bool set;
	long long lo, hi;
};
#define EQ(x) ((struct range){ true, (x), (x) })
#define IN(a, b) ((struct range){ true, (a), (b) })

struct linger_want {
	bool set, null, on;
	int seconds;
};
#define LINGER_NULL ((struct linger_want){ .set = true, .null = true })
#define LINGER(o, s) \
	((struct linger_want){ .set = true, .on = (o), .seconds = (s) })

/* What a teardown record must say; zero/NULL members are not checked. */
struct want {
	const char *role, *initiator, *outcome, *cause, *state;
	const char *shutdown; /* "null" for JSON null */
	/* the tcp_send_reset reason name; null expected before Linux 6.10 */
	const char *kernel_reason;
	struct linger_want linger;
	enum tri time_wait, by_exit, linger_expired, time_wait_skipped;
	struct range close_blocked_us, unread_bytes, unsent_bytes, late_bytes;
	struct range bytes_sent, bytes_received;
	const struct worker *by;    /* pid and comm must be this task's */
	const struct worker *owner; /* the task that connected or accepted */
	/* the owner came from IORING_OP_ACCEPT: with the io-uring part
	 * refused, no task (pid 0, comm "") */
	bool owner_by_uring;
	bool no_task; /* pid 0 and comm "" */
	/* close_blocked_us within 20% of what the test measured */
	long long blocked_measured_us;
};

/* One end of a connection as the test saw it (getsockname/getpeername). */
struct end {
	char label[32];
	int family;
	char laddr[ADDR_STR_LEN], raddr[ADDR_STR_LEN];
	int lport, rport;
};

struct run;
struct finrst;

/* -v: print every record finrst sent */
extern bool verbose;

/*
 * The finrst options a run adds (finrst-scenario --stack, --rst-only,
 * --summary, --cgroup), and what each changes in the checks:
 *   stack:    every rst_sent record carries the stacks of its RST;
 *   rst_only: the ends expected to end in "fin" must give no record;
 *   summary:  the final "summary" object counts exactly the records;
 *   cgroup:   finrst filters on a cgroup holding the pair's workers, and
 *             a teardown made from outside it must give no record.
 *   metrics:  finrst also serves --metrics (in the run's namespace); a
 *             scrape at the end counts exactly the records: teardowns by
 *             cause, and the RST records of each kind.
 *   refuse:   finrst runs with --test-refuse PART (an optional part taken
 *             as refused by the kernel): it must say so on stderr (or that
 *             the part is not used here), and the records must stay
 *             exact, but for what that part gives: with nosock-compat
 *             refused, no {"event":"rst"} record may come. No signature
 *             (--signature): what a refused part costs differs by kernel.
 */
struct modes {
	bool stack, rst_only, summary, cgroup, metrics;
	const char *refuse; /* the part, or NULL */
};
extern struct modes modes;

/*
 * Start finrst (unless finrst is NULL: sockets only) and take the first
 * counter snapshot. NULL with *status set when finrst does not get ready.
 */
struct run *run_begin(const char *name, unsigned long long netns,
		      const char *finrst, const char *hooks, int *status);
/* Wait for the records, stop finrst, check everything; the exit status. */
int run_finish(struct run *r);
/* --cgroup: put a worker of the pair into the run's cgroup. */
void run_adopt(struct run *r, struct worker *w);
/* Wall-clock seconds the run spans so far, and its length. */
void run_time_bounds(const struct run *r, time_t *lo, time_t *hi);
long long run_elapsed_us(const struct run *r);
/* A check failed: print it and count it. */
void fail(struct run *r, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Setup went wrong: nothing more can be learnt, stop with status 1. */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void expect_end(struct run *r, const struct end *e, struct want w);
/* An end that must give no record (a filter drops it); time_wait: it went
 * into TIME_WAIT (ss lists it, finrst must not). */
void expect_absent(struct run *r, const struct end *e, bool time_wait);
/* A no_socket RST we sent from laddr:lport to raddr:rport. */
void expect_rst_sent(struct run *r, int family, const char *laddr, int lport,
		     const char *raddr, int rport);
/* The RST of e's TIME_WAIT socket (data_after_close): by closed it, late
 * bytes arrived after. */
void expect_rst_after_close(struct run *r, const struct end *e,
			    const struct worker *by, long long late);
/* What the kernel counts for the teardowns made: TcpOutRsts,
 * TCPAbortOnClose, TCPAbortOnData, TIME_WAIT sockets. */
void expect_counts(struct run *r, long long out_rsts, long long abort_on_close,
		   long long abort_on_data, long long time_wait);

/* ---- scenarios.c ---- */

struct pair {
	struct worker *cli, *srv;
};

struct scenario {
	const char *name;
	void (*body)(struct run *r, struct pair *p, int family, long param);
	long param;
	/* drawn by the oracle, with param from oracle_lo..oracle_hi */
	bool in_oracle;
	long oracle_lo, oracle_hi;
	bool needs_nft;
	bool needs_global_sysctls; /* changes the host: VMs only */
};

extern const struct scenario scenarios[];
/* --cgroup: a graceful teardown by two fresh workers outside the cgroup */
void outsider_teardown(struct run *r, int family);
const struct scenario *scenario_find(const char *name);
void scenario_list(void);

/* ---- sys.c: namespace, external tools ---- */

int netns_enter(unsigned long long *ino);
/* The host-wide tcp_max_orphans, for the memory scenario: only with
 * FINRST_GLOBAL_SYSCTLS=1 (a VM of its own); set_max_orphans() writes it. */
bool global_sysctls_allowed(void);
int set_max_orphans(const char *value);
int restore_max_orphans_now(void);
bool family_usable(int family);
bool kernel_has_rst_reason(void);
/* Run argv, its stdout into out (NUL-terminated); returns exit status. */
int run_capture(const char *const argv[], char *out, size_t len);
struct nstat {
	long long out_rsts, abort_on_close, abort_on_data, abort_on_timeout;
	long long retrans_segs;
};
int nstat_read(struct nstat *ns);
/* Sockets in this namespace in an ss state ("time-wait", "fin-wait-1"):
 * count, and their local ports. */
int ss_state(const char *state, int *lports, int max);
/* Drop every segment from sport to dport (output hook, this netns). */
int nft_drop(int sport, int dport);
int nft_flush(void);
bool nft_usable(void);
long long mono_us(void);

/* ---- wire.c: the RSTs and FINs on lo, seen by a packet socket ---- */

struct wire_seg {
	int family;
	char laddr[ADDR_STR_LEN], raddr[ADDR_STR_LEN]; /* from, to */
	int lport, rport;
	unsigned int flags;	   /* TH_RST, TH_FIN, ... */
	unsigned int seq, end_seq; /* end_seq counts the FIN */
};
/* A nonblocking packet socket on lo that keeps the RSTs and FINs this
 * namespace sends; -1 on error. */
int wire_open(void);
/* Append what came since the last call to *v; -1 on error or when the
 * socket dropped any (then the list is not the wire's). */
int wire_drain(int fd, struct wire_seg **v, size_t *n, size_t *cap);
/* run.c: realloc *p to hold need elements (doubling), or die */
void *grow(void *p, size_t *cap, size_t need, size_t size);

/* ---- finrst.c: the tracer process ---- */

/* extra: more finrst arguments, NULL-terminated (NULL: none) */
struct finrst *finrst_start(const char *path, const char *hooks,
			    unsigned long long netns, const char *const *extra,
			    int *skip);
/* Read what is there; returns false once both pipes are at EOF. */
bool finrst_pump(struct finrst *f, int timeout_ms);
size_t finrst_nrecords(const struct finrst *f);
struct json_object *finrst_record(const struct finrst *f, size_t i);
/* SIGINT, drain, reap; returns exit status or -1. */
int finrst_stop(struct finrst *f);
void finrst_kill(struct finrst *f);
const char *finrst_stderr(const struct finrst *f);
/* --summary: the "summary" objects, kept apart from the records */
size_t finrst_nsummaries(const struct finrst *f);
struct json_object *finrst_summary(const struct finrst *f, size_t i);
const char *finrst_backend(const struct finrst *f);
size_t finrst_bad_lines(const struct finrst *f);

/* ---- records.c: matching and field checks ---- */

void check_record_types(struct run *r, const char *what,
			struct json_object *rec);
void check_want(struct run *r, const char *what, struct json_object *rec,
		const struct end *e, const struct want *w);
/* An {"event":"rst"} record: direction sent, this cause, late_bytes, and
 * pid/comm of by (or 0 and ""). */
void check_rst_want(struct run *r, const char *what, struct json_object *rec,
		    const char *cause, const struct worker *by,
		    struct range late);
/* kernel_reason must be name (Linux >= 6.10) or null (older) */
void want_reason(struct run *r, const char *what, struct json_object *rec,
		 const char *name);
bool rec_is(struct json_object *rec, const char *event);
bool rec_matches_end(struct json_object *rec, const struct end *e);
bool rec_matches_rst(struct json_object *rec, int family, const char *laddr,
		     int lport, const char *raddr, int rport);
const char *rec_str(struct json_object *rec, const char *field);
long long rec_int(struct json_object *rec, const char *field, bool *ok);
bool rec_bool(struct json_object *rec, const char *field);
/* Compact one-line form for messages. */
const char *rec_text(struct json_object *rec);

/*
 * --signature FILE: one line per checked record, holding every field that
 * must not differ between backends and kernels (tools/vmtest compares
 * them). Left out: what names this run (time, addresses, ports, netns,
 * pid numbers, cgroup), timings, the kernel's own kernel_reason and the
 * explain sentence built from the rest; and the byte counts the test
 * checks against its own sockets, whose size depends on the kernel.
 */
extern FILE *signature_out;
/* The signature of an expected record that finrst said this kernel's
 * backend cannot give (tools/vmtest matches it). */
#define SIG_UNREPORTED "unreported by this backend on this kernel"
void write_signature(FILE *f, const char *test, const char *label,
		     struct json_object *rec, const struct want *w);

#endif
