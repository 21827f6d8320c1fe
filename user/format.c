// SPDX-License-Identifier: GPL-2.0
/*
 * format.c - names, explanations, and the JSON and text lines of a record.
 *
 * Everything here is a pure function of the record: outcome, cause and
 * initiator were decided by fr_classify() before the record left the kernel,
 * so formatting never re-derives them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gmtime_r, localtime_r, strnlen under -std=c11 */
#endif
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "format.h"
#include "sb.h"
#include "json.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Text columns; an address wider than its column pushes the rest right. */
#define COL_TIME 12 /* HH:MM:SS.mmm */
#define COL_COMM FR_COMM_LEN
#define COL_PID 7
#define COL_ADDR 21    /* 255.255.255.255:65535 */
#define COL_OUTCOME 12 /* rst_received */
#define COL_CAUSE 18   /* simultaneous_close */

#define ANSI_RED "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RESET "\033[0m"

/* SPEC §2 names, from the tables of finrst.h. */
#define OUTCOME_NAME(e, name) [FR_OUT_##e] = (name),
static const char *const outcome_names[] = { FR_OUTCOMES(OUTCOME_NAME) };

/* FR_CAUSE_NONE never leaves fr_classify(): it has no SPEC name. */
#define CAUSE_NAME(e, name, out, what, todo) [FR_CAUSE_##e] = (name),
static const char *const cause_names[] = { FR_CAUSES(CAUSE_NAME) };

/* FR_INIT_NONE never leaves fr_classify(): it has no SPEC name. */
static const char *const initiator_names[] = {
	[FR_INIT_LOCAL] = "local",
	[FR_INIT_PEER] = "peer",
	[FR_INIT_SIMULTANEOUS] = "simultaneous",
	[FR_INIT_KERNEL] = "kernel",
};

static const char *const role_names[] = {
	[FR_ROLE_UNKNOWN] = "unknown",
	[FR_ROLE_CLIENT] = "client",
	[FR_ROLE_SERVER] = "server",
};

/* The kernel's own spelling (tcp_state_name(), include/net/tcp_states.h). */
static const char *const state_names[] = {
	[FR_TCP_ESTABLISHED] = "ESTABLISHED",
	[FR_TCP_SYN_SENT] = "SYN_SENT",
	[FR_TCP_SYN_RECV] = "SYN_RECV",
	[FR_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[FR_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[FR_TCP_TIME_WAIT] = "TIME_WAIT",
	[FR_TCP_CLOSE] = "CLOSE",
	[FR_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[FR_TCP_LAST_ACK] = "LAST_ACK",
	[FR_TCP_LISTEN] = "LISTEN",
	[FR_TCP_CLOSING] = "CLOSING",
	[FR_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

_Static_assert(ARRAY_SIZE(outcome_names) == FR_OUT__MAX, "outcome names");
_Static_assert(ARRAY_SIZE(cause_names) == FR_CAUSE__MAX, "cause names");
_Static_assert(ARRAY_SIZE(initiator_names) == FR_INIT__MAX, "initiators");
_Static_assert(ARRAY_SIZE(role_names) == FR_ROLE__MAX, "role names");
_Static_assert(ARRAY_SIZE(state_names) == FR_TCP_MAX_STATES, "state names");

static const char *name_of(const char *const *names, size_t n, unsigned v,
			   const char *dflt)
{
	return v < n && names[v] ? names[v] : dflt;
}

const char *fr_outcome_name(unsigned v)
{
	return name_of(outcome_names, ARRAY_SIZE(outcome_names), v, "unknown");
}

const char *fr_cause_name(unsigned v)
{
	return name_of(cause_names, ARRAY_SIZE(cause_names), v, "unknown");
}

const char *fr_initiator_name(unsigned v)
{
	return name_of(initiator_names, ARRAY_SIZE(initiator_names), v,
		       "unknown");
}

const char *fr_role_name(unsigned v)
{
	return name_of(role_names, ARRAY_SIZE(role_names), v, "unknown");
}

const char *fr_state_name(unsigned v)
{
	return name_of(state_names, ARRAY_SIZE(state_names), v, "UNKNOWN");
}

static const struct fr_fmt fr_fmt_default;

static const char *fr_family_name(unsigned family)
{
	if (family == AF_INET)
		return "ipv4";
	if (family == AF_INET6)
		return "ipv6";
	return "unknown";
}

/* out must hold INET6_ADDRSTRLEN bytes; an unknown family gives "". */
static void fr_addr_str(unsigned family, const __u8 *a, char *out, size_t len)
{
	int af = family == AF_INET6 ? AF_INET6 : AF_INET;

	/* IPv4 by hand: glibc's inet_ntop formats it with sprintf */
	if (family == AF_INET && len >= INET_ADDRSTRLEN) {
		char *p = out;

		for (int i = 0; i < 4; i++) {
			unsigned v = a[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if ((family != AF_INET && family != AF_INET6) ||
	    !inet_ntop(af, a, out, (socklen_t)len))
		out[0] = '\0';
}

#define ENDPOINT_LEN (INET6_ADDRSTRLEN + 16)

/* "1.2.3.4:80" or "[::1]:80" */
static void fr_endpoint_str(unsigned family, const __u8 *a, unsigned port,
			    char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	fr_addr_str(family, a, addr, sizeof(addr));
	if (family == AF_INET6)
		snprintf(out, len, "[%s]:%u", addr, port);
	else
		snprintf(out, len, "%s:%u", addr, port);
}

/* comm for a terminal: up to the first NUL, non-printable bytes as '?'. */
void fr_safe_comm(const char *comm, char out[FR_COMM_LEN + 1])
{
	size_t i;

	for (i = 0; i < FR_COMM_LEN && comm[i]; i++) {
		unsigned char c = (unsigned char)comm[i];

		out[i] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
	}
	out[i] = '\0';
}

static unsigned long long fr_real_ns(const struct fr_record *r,
				     const struct fr_fmt *f)
{
	/* Unsigned on purpose: a negative offset wraps to the right value. */
	return (unsigned long long)r->end_ns +
	       (unsigned long long)f->mono_to_real_ns;
}

/* RFC 3339, UTC, microseconds: 2026-11-21T06:31:02.123456Z */
void fr_time_utc(unsigned long long ns, char *out, size_t len)
{
	/* the seconds change far less often than records come */
	static time_t last = -1;
	static char head[80];
	time_t sec = (time_t)(ns / NSEC_PER_SEC);
	unsigned long long us = ns % NSEC_PER_SEC / NSEC_PER_USEC;
	char tail[9];

	if (sec != last) {
		struct tm tm;

		if (!gmtime_r(&sec, &tm))
			memset(&tm, 0, sizeof(tm));
		snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		last = sec;
	}
	tail[0] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		tail[i] = (char)('0' + us % 10);
	tail[7] = 'Z';
	tail[8] = '\0';
	size_t n = strlen(head);

	if (len > n + sizeof(tail)) {
		memcpy(out, head, n);
		memcpy(out + n, tail, sizeof(tail));
	} else if (len) {
		out[0] = '\0';
	}
}

/* HH:MM:SS.mmm, local time */
void fr_time_local(unsigned long long ns, char *out, size_t len)
{
	time_t sec = (time_t)(ns / NSEC_PER_SEC);
	struct tm tm;

	if (!localtime_r(&sec, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(out, len, "%02d:%02d:%02d.%03llu", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ns % NSEC_PER_SEC / NSEC_PER_MSEC);
}

/*
 * The explanations: for each cause, what happened and what to do, as
 * templates (the table of finrst.h, FR_CAUSES). Facts that depend on flags
 * (linger, exit, unsent data, TIME_WAIT) are added between the two halves
 * by fr_explain().
 */
struct fr_explain_tpl {
	const char *what;
	const char *todo;
};

#define CAUSE_EXPLAIN(e, name, out, what, todo) \
	[FR_CAUSE_##e] = { (what), (todo) },
static const struct fr_explain_tpl explain_tpl[] = { FR_CAUSES(CAUSE_EXPLAIN) };

_Static_assert(ARRAY_SIZE(explain_tpl) == FR_CAUSE__MAX, "explain table");

/* A close() that came before any FIN or RST (fr_classify() says so with
 * FR_F_NO_EXCHANGE): e.g. during connect(). */
static const struct fr_explain_tpl explain_close_early = {
	"{Who} called close() (state {state}) before any FIN or RST was "
	"exchanged.",
	"Nothing to do unless the close was premature.",
};

static const char *fr_shutdown_name(unsigned shut)
{
	switch (shut & (FR_SHUT_RD | FR_SHUT_WR)) {
	case FR_SHUT_RD:
		return "rd";
	case FR_SHUT_WR:
		return "wr";
	case FR_SHUT_RD | FR_SHUT_WR:
		return "rdwr";
	}
	return NULL;
}

/* The call behind the record's "shutdown" field, for the explanation. */
static const char *fr_shutdown_call(unsigned shut)
{
	switch (shut & (FR_SHUT_RD | FR_SHUT_WR)) {
	case FR_SHUT_WR:
		return "shutdown(SHUT_WR)";
	case FR_SHUT_RD | FR_SHUT_WR:
		return "shutdown(SHUT_RDWR)";
	}
	return "shutdown()";
}

/* "nginx[1234]", "process 1234", or "the local process" */
static void fr_who(const struct fr_record *r, bool upper, struct sb *b)
{
	char comm[FR_COMM_LEN + 1];

	fr_safe_comm(r->comm, comm);
	if (r->pid && comm[0]) {
		sb_puts(b, comm);
		sb_putn(b, "[", 1);
		sb_uint(b, r->pid);
		sb_putn(b, "]", 1);
	} else if (r->pid) {
		sb_puts(b, upper ? "Process " : "process ");
		sb_uint(b, r->pid);
	} else
		sb_puts(b, upper ? "The local process" : "the local process");
}

static void fr_duration(unsigned long long ns, struct sb *b)
{
	sb_printf(b, "%llu.%03llu s", ns / NSEC_PER_SEC,
		  ns % NSEC_PER_SEC / NSEC_PER_MSEC);
}

/* Expand {name} of an explain template; false if name is not a variable. */
static bool fr_expand_var(const char *name, size_t n, const struct fr_record *r,
			  struct sb *b)
{
	char ep[ENDPOINT_LEN];

#define IS(s) (n == sizeof(s) - 1 && !memcmp(name, s, n))
	if (IS("who") || IS("Who")) {
		fr_who(r, name[0] == 'W', b);
	} else if (IS("state")) {
		sb_puts(b, fr_state_name(r->state));
	} else if (IS("unread")) {
		sb_uint(b, r->unread_bytes);
	} else if (IS("late")) {
		sb_uint(b, r->late_bytes);
	} else if (IS("unsent")) {
		sb_uint(b, r->unsent_bytes);
	} else if (IS("linger")) {
		sb_uint(b, r->linger_secs);
	} else if (IS("blocked")) {
		fr_duration(r->close_blocked_ns, b);
	} else if (IS("waited")) {
		fr_duration(r->lifetime_ns, b);
	} else if (IS("syns")) {
		sb_uint(b, r->syns);
		sb_puts(b, r->syns == 1 ? " SYN" : " SYNs");
	} else if (IS("shut")) {
		sb_puts(b, fr_shutdown_call(r->shutdown));
	} else if (IS("remote")) {
		fr_endpoint_str(r->family, r->daddr, r->dport, ep, sizeof(ep));
		sb_puts(b, ep);
	} else if (IS("lport")) {
		sb_uint(b, r->sport);
	} else if (IS("rport")) {
		sb_uint(b, r->dport);
	} else {
		return false;
	}
#undef IS
	return true;
}

static void fr_expand(const char *tpl, const struct fr_record *r, struct sb *b)
{
	const char *p = tpl, *open, *close;

	while (*p) {
		open = strchr(p, '{');
		if (!open) {
			sb_puts(b, p);
			return;
		}
		sb_putn(b, p, (size_t)(open - p));
		close = strchr(open, '}');
		if (close &&
		    fr_expand_var(open + 1, (size_t)(close - open - 1), r, b)) {
			p = close + 1;
		} else {
			sb_puts(b, "{");
			p = open + 1;
		}
	}
}

/* The flag-dependent facts, each a sentence, between "what" and "todo". */
static void fr_explain_facts(const struct fr_record *r, struct sb *b)
{
	__u32 f = r->flags;

	if (f & FR_F_LINGER_EXPIRED) {
		/* sk_stream_wait_close() just returns: no reset (SPEC §1) */
		fr_expand(" close() blocked for the whole {linger} s SO_LINGER "
			  "timeout ({blocked}) and returned before the FIN was "
			  "acknowledged; on Linux that is no error and the "
			  "connection is not reset, it lives on orphaned (to "
			  "know the peer got everything, shutdown(SHUT_WR) and "
			  "read to EOF instead).",
			  r, b);
	} else if (r->close_blocked_ns) {
		fr_expand(" close() blocked for {blocked} in SO_LINGER "
			  "({linger} s) until the FIN was acknowledged.",
			  r, b);
	}
	if (f & FR_F_BY_EXIT) {
		/* inet_release(): no linger wait when PF_EXITING */
		if (f & FR_F_LINGER_ON && r->linger_secs)
			sb_puts(b, " The socket was closed by process exit: "
				   "linger was ignored because the process "
				   "exited.");
		else
			sb_puts(b, " The socket was closed by process exit.");
	}
	if (r->outcome != FR_OUT_FIN && r->unsent_bytes)
		fr_expand(" {unsent} bytes written but not yet acknowledged "
			  "were discarded.",
			  r, b);
	if (f & FR_F_TIME_WAIT)
		sb_puts(b, " This side then entered TIME_WAIT, which keeps the "
			   "4-tuple from reuse for 60 s.");
	if (f & FR_F_TW_SKIPPED)
		sb_puts(b, " It should have entered TIME_WAIT but the table "
			   "was full (net.ipv4.tcp_max_tw_buckets, "
			   "TCPTimeWaitOverflow), so old duplicates can reach "
			   "a reused 4-tuple.");
}

size_t fr_explain(const struct fr_record *r, char *buf, size_t cap)
{
	const struct fr_explain_tpl *t;
	struct sb b;

	sb_init(&b, buf, cap);
	if (r->cause >= FR_CAUSE__MAX || !explain_tpl[r->cause].what) {
		sb_printf(&b, "Unknown cause %u.", r->cause);
		return sb_finish(&b);
	} else if (r->cause == FR_CAUSE_CLOSE && r->flags & FR_F_NO_EXCHANGE) {
		t = &explain_close_early;
	} else {
		t = &explain_tpl[r->cause];
	}
	fr_expand(t->what, r, &b);
	if (r->type != FR_REC_RST)
		fr_explain_facts(r, &b);
	sb_puts(&b, " ");
	fr_expand(t->todo, r, &b);
	return sb_finish(&b);
}

static void fr_json_kernel_reason(struct jw *w, const struct fr_record *r,
				  const struct fr_fmt *f)
{
	const char *name = NULL;
	char num[16];

	jw_key(w, "kernel_reason");
	if (!(r->flags & FR_F_KREASON)) {
		jw_null(w);
		return;
	}
	if (f->reason_name)
		name = f->reason_name(r->kernel_reason, f->reason_arg);
	if (!name) {
		snprintf(num, sizeof(num), "%u", r->kernel_reason);
		name = num;
	}
	jw_string(w, name);
}

static void fr_json_endpoints(struct jw *w, const struct fr_record *r)
{
	char addr[INET6_ADDRSTRLEN];

	jw_lit_string(w, "family", fr_family_name(r->family));
	fr_addr_str(r->family, r->saddr, addr, sizeof(addr));
	jw_lit_string(w, "laddr", addr);
	jw_lit_uint(w, "lport", r->sport);
	fr_addr_str(r->family, r->daddr, addr, sizeof(addr));
	jw_lit_string(w, "raddr", addr);
	jw_lit_uint(w, "rport", r->dport);
	jw_lit_uint(w, "netns", r->netns);
}

/* pid/comm: a teardown's, or the closer of a TIME_WAIT socket's RST */
static void fr_json_task(struct jw *w, const struct fr_record *r)
{
	jw_lit_uint(w, "pid", r->pid);
	jw_key(w, "comm");
	jw_string_n(w, r->comm, strnlen(r->comm, FR_COMM_LEN));
}

static void fr_json_teardown(struct jw *w, const struct fr_record *r)
{
	const char *shut = fr_shutdown_name(r->shutdown);
	__u32 f = r->flags;

	jw_lit_uint(w, "cgroup_id", r->cgroup_id);
	jw_lit_string(w, "role", fr_role_name(r->role));
	fr_json_task(w, r);
	jw_lit_string(w, "initiator", fr_initiator_name(r->initiator));
	jw_lit_string(w, "outcome", fr_outcome_name(r->outcome));
	jw_lit_string(w, "cause", fr_cause_name(r->cause));
	jw_lit_string(w, "state", fr_state_name(r->state));
	if (shut)
		jw_lit_string(w, "shutdown", shut);
	else
		jw_lit_null(w, "shutdown");
	jw_key(w, "linger");
	if (f & FR_F_CLOSED) {
		jw_start_object(w);
		jw_lit_bool(w, "on", f & FR_F_LINGER_ON);
		jw_lit_uint(w, "seconds", r->linger_secs);
		jw_end_object(w);
	} else {
		jw_null(w);
	}
	jw_lit_uint(w, "close_blocked_us", r->close_blocked_ns / NSEC_PER_USEC);
	jw_lit_bool(w, "linger_expired", f & FR_F_LINGER_EXPIRED);
	jw_lit_bool(w, "by_exit", f & FR_F_BY_EXIT);
	jw_lit_uint(w, "unread_bytes", r->unread_bytes);
	jw_lit_uint(w, "unsent_bytes", r->unsent_bytes);
	jw_lit_uint(w, "late_bytes", r->late_bytes);
	jw_lit_bool(w, "time_wait", f & FR_F_TIME_WAIT);
	jw_lit_bool(w, "time_wait_skipped", f & FR_F_TW_SKIPPED);
	jw_lit_uint(w, "lifetime_us", r->lifetime_ns / NSEC_PER_USEC);
	jw_lit_uint(w, "bytes_sent", r->bytes_sent);
	jw_lit_uint(w, "bytes_received", r->bytes_received);
}

static void fr_json_stack(struct jw *w, const struct fr_frame *frames, size_t n)
{
	char addr[24];

	jw_key(w, "stack");
	if (!n) {
		jw_null(w);
		return;
	}
	jw_start_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct fr_frame *fr = &frames[i];

		jw_start_object(w);
		jw_lit_bool(w, "kernel", fr->kernel);
		if (fr->sym)
			jw_lit_string(w, "sym", fr->sym);
		else
			jw_lit_null(w, "sym");
		jw_lit_uint(w, "offset", fr->offset);
		if (fr->module)
			jw_lit_string(w, "module", fr->module);
		else
			jw_lit_null(w, "module");
		if (!fr->kernel) {
			snprintf(addr, sizeof(addr), "0x%llx", fr->addr);
			jw_lit_string(w, "addr", addr);
		}
		jw_end_object(w);
	}
	jw_end_array(w);
}

size_t fr_format_json(const struct fr_record *r, const struct fr_frame *frames,
		      size_t n, const struct fr_fmt *f, char *buf, size_t cap)
{
	char time[96], explain[2048];
	struct jw w;

	if (!f)
		f = &fr_fmt_default;
	jw_init(&w, buf, cap);
	if ((r->type != FR_REC_TEARDOWN && r->type != FR_REC_RST) ||
	    !fr_explain(r, explain, sizeof(explain)))
		goto fail;
	fr_time_utc(fr_real_ns(r, f), time, sizeof(time));

	jw_start_object(&w);
	if (r->type == FR_REC_TEARDOWN) {
		jw_lit_string(&w, "event", "teardown");
		jw_lit_string(&w, "time", time);
		fr_json_endpoints(&w, r);
		fr_json_teardown(&w, r);
		fr_json_kernel_reason(&w, r, f);
		jw_lit_string(&w, "explain", explain);
		if (frames)
			fr_json_stack(&w, frames, n);
	} else {
		jw_lit_string(&w, "event", "rst");
		jw_lit_string(&w, "time", time);
		jw_lit_string(&w, "direction", "sent");
		jw_lit_string(&w, "cause", fr_cause_name(r->cause));
		fr_json_task(&w, r);
		fr_json_endpoints(&w, r);
		jw_lit_uint(&w, "late_bytes", r->late_bytes);
		fr_json_kernel_reason(&w, r, f);
	}
	jw_end_object(&w);
	/* jw keeps a byte for the NUL, so this checks room for "\n\0". */
	if (w.sb.overflow || w.sb.len + 1 >= cap)
		goto fail;
	buf[w.sb.len++] = '\n';
	buf[w.sb.len] = '\0';
	return w.sb.len;
fail:
	if (cap)
		buf[0] = '\0';
	return 0;
}

size_t fr_format_text_header(const struct fr_fmt *f, char *buf, size_t cap)
{
	bool color = f && f->color;
	struct sb b;

	sb_init(&b, buf, cap);
	sb_printf(&b, "%s%-*s  %-*s  %*s  %-*s  %-*s  %-*s  %-*s  EXPLAIN%s\n",
		  color ? ANSI_BOLD : "", COL_TIME, "TIME", COL_COMM, "COMM",
		  COL_PID, "PID", COL_ADDR, "LADDR:LPORT", COL_ADDR,
		  "RADDR:RPORT", COL_OUTCOME, "OUTCOME", COL_CAUSE, "CAUSE",
		  color ? ANSI_RESET : "");
	return sb_finish(&b);
}

/* A symbol or file name for a terminal: any byte below 0x20 and 0x7f as
 * '?' (an ELF file can name its symbols with escape sequences). */
static const char *fr_safe_str(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < cap; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			out[i] = '?';
		else
			out[i] = s[i];
	}
	out[i] = '\0';
	return out;
}

/* "    kernel  tcp_send_active_reset+0x5a [module]" */
static void fr_text_stack(struct sb *b, const struct fr_frame *frames, size_t n)
{
	char sym[256], mod[256];

	if (!n) {
		sb_printf(b, "    (no stack: it could not be taken)\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fr_frame *fr = &frames[i];
		const char *where = fr->kernel ? "kernel" : "user  ";

		if (fr->sym)
			sb_printf(b, "    %s  %s+0x%llx", where,
				  fr_safe_str(fr->sym, sym, sizeof(sym)),
				  fr->offset);
		else if (fr->kernel)
			sb_printf(b, "    %s  ?", where);
		else if (fr->module)
			sb_printf(b, "    %s  0x%llx", where, fr->addr);
		else
			sb_printf(b, "    %s  0x%llx (no mapping)", where,
				  fr->addr);
		if (fr->module)
			fr_safe_str(fr->module, mod, sizeof(mod));
		if (fr->module && fr->kernel)
			sb_printf(b, " [%s]", mod);
		else if (fr->module && fr->sym)
			sb_printf(b, " (%s)", mod);
		else if (fr->module)
			sb_printf(b, " (%s+0x%llx)", mod, fr->offset);
		sb_printf(b, "\n");
	}
}

size_t fr_format_text(const struct fr_record *r, const struct fr_frame *frames,
		      size_t n, const struct fr_fmt *f, char *buf, size_t cap)
{
	char time[96], comm[FR_COMM_LEN + 1], pid[16], explain[2048];
	char local[ENDPOINT_LEN], remote[ENDPOINT_LEN];
	const char *outcome, *cause, *color = NULL;
	struct sb b;

	if (!f)
		f = &fr_fmt_default;
	sb_init(&b, buf, cap);
	if ((r->type != FR_REC_TEARDOWN && r->type != FR_REC_RST) ||
	    !fr_explain(r, explain, sizeof(explain))) {
		b.overflow = true;
		return sb_finish(&b);
	}

	fr_time_local(fr_real_ns(r, f), time, sizeof(time));
	fr_safe_comm(r->comm, comm);
	if (!comm[0])
		strcpy(comm, "-");
	if (r->pid)
		snprintf(pid, sizeof(pid), "%u", r->pid);
	else
		strcpy(pid, "-");
	fr_endpoint_str(r->family, r->saddr, r->sport, local, sizeof(local));
	fr_endpoint_str(r->family, r->daddr, r->dport, remote, sizeof(remote));
	if (r->type == FR_REC_RST) {
		outcome = fr_outcome_name(FR_OUT_RST_SENT);
		cause = fr_cause_name(r->cause);
		color = ANSI_RED;
	} else {
		outcome = fr_outcome_name(r->outcome);
		cause = fr_cause_name(r->cause);
		if (r->outcome == FR_OUT_RST_SENT ||
		    r->outcome == FR_OUT_RST_RECEIVED)
			color = ANSI_RED;
		else if (r->outcome == FR_OUT_TIMEOUT ||
			 r->outcome == FR_OUT_REFUSED)
			color = ANSI_YELLOW;
	}
	if (!f->color)
		color = NULL;

	sb_printf(&b, "%-*s  %-*s  %*s  %-*s  %-*s  ", COL_TIME, time, COL_COMM,
		  comm, COL_PID, pid, COL_ADDR, local, COL_ADDR, remote);
	/* Padding inside the colour keeps the columns aligned on screen. */
	sb_printf(&b, "%s%-*s  %-*s%s  %s\n", color ? color : "", COL_OUTCOME,
		  outcome, COL_CAUSE, cause, color ? ANSI_RESET : "", explain);
	if (frames && r->type == FR_REC_TEARDOWN)
		fr_text_stack(&b, frames, n);
	return sb_finish(&b);
}
