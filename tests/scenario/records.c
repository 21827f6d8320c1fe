// SPDX-License-Identifier: GPL-2.0
/*
 * Field checks on finrst's JSON records: every field of SPEC §2 with its
 * type and value set, then what a scenario expects of one record.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "scenario.h"

enum ftype { F_STR, F_INT, F_BOOL, F_STR_NULL, F_LINGER };

struct field {
	const char *name;
	enum ftype type;
};

static const struct field teardown_fields[] = {
	{ "event", F_STR },
	{ "time", F_STR },
	{ "family", F_STR },
	{ "laddr", F_STR },
	{ "lport", F_INT },
	{ "raddr", F_STR },
	{ "rport", F_INT },
	{ "netns", F_INT },
	{ "cgroup_id", F_INT },
	{ "role", F_STR },
	{ "pid", F_INT },
	{ "comm", F_STR },
	{ "initiator", F_STR },
	{ "outcome", F_STR },
	{ "cause", F_STR },
	{ "state", F_STR },
	{ "shutdown", F_STR_NULL },
	{ "linger", F_LINGER },
	{ "close_blocked_us", F_INT },
	{ "linger_expired", F_BOOL },
	{ "by_exit", F_BOOL },
	{ "unread_bytes", F_INT },
	{ "unsent_bytes", F_INT },
	{ "late_bytes", F_INT },
	{ "time_wait", F_BOOL },
	{ "time_wait_skipped", F_BOOL },
	{ "lifetime_us", F_INT },
	{ "bytes_sent", F_INT },
	{ "bytes_received", F_INT },
	{ "kernel_reason", F_STR_NULL },
	{ "explain", F_STR },
	{ NULL, 0 },
};

static const struct field rst_fields[] = {
	{ "event", F_STR },	 { "direction", F_STR },
	{ "cause", F_STR },	 { "pid", F_INT },
	{ "comm", F_STR },	 { "laddr", F_STR },
	{ "lport", F_INT },	 { "raddr", F_STR },
	{ "rport", F_INT },	 { "netns", F_INT },
	{ "late_bytes", F_INT }, { "kernel_reason", F_STR_NULL },
	{ "time", F_STR },	 { NULL, 0 },
};

/* SPEC §2: each cause belongs to exactly one outcome. */
static const struct {
	const char *cause, *outcome;
} cause_outcome[] = {
	{ "close", "fin" },
	{ "shutdown", "fin" },
	{ "peer_close", "fin" },
	{ "simultaneous_close", "fin" },
	{ "unread_data", "rst_sent" },
	{ "linger_zero", "rst_sent" },
	{ "disconnect", "rst_sent" },
	{ "listener_closed", "rst_sent" },
	{ "linger2", "rst_sent" },
	{ "memory", "rst_sent" },
	{ "keepalive_timeout", "rst_sent" },
	{ "rst_other", "rst_sent" },
	{ "data_after_close", "rst_sent" },
	{ "peer_reset", "rst_received" },
	{ "write_after_peer_close", "rst_received" },
	{ "retransmit_timeout", "timeout" },
	{ "connection_refused", "refused" },
	{ "connect_abandoned", "timeout" },
};

static const char *const roles[] = { "client", "server", "unknown", NULL };
static const char *const initiators[] = { "local", "peer", "simultaneous",
					  "kernel", NULL };
static const char *const shutdowns[] = { "rd", "wr", "rdwr", NULL };
static const char *const families[] = { "ipv4", "ipv6", NULL };
static const char *const states[] = {
	"ESTABLISHED", "SYN_SENT",     "SYN_RECV",   "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT",   "CLOSE",	       "CLOSE_WAIT", "LAST_ACK",  "LISTEN",
	"CLOSING",     "NEW_SYN_RECV", NULL,
};

static struct json_object *get(struct json_object *rec, const char *field)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(rec, field, &v);
	return v;
}

const char *rec_str(struct json_object *rec, const char *field)
{
	struct json_object *v = get(rec, field);

	return json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

long long rec_int(struct json_object *rec, const char *field, bool *ok)
{
	struct json_object *v = get(rec, field);

	*ok = json_object_is_type(v, json_type_int);
	return *ok ? json_object_get_int64(v) : 0;
}

bool rec_bool(struct json_object *rec, const char *field)
{
	struct json_object *v = get(rec, field);

	return json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

bool rec_is(struct json_object *rec, const char *event)
{
	const char *e = rec_str(rec, "event");

	return e && !strcmp(e, event);
}

const char *rec_text(struct json_object *rec)
{
	return json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
}

static const char *value_text(struct json_object *rec, const char *field)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, field, &v))
		return "(missing)";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

static bool ends_match(struct json_object *rec, int family, int lport,
		       int rport)
{
	const char *fam = rec_str(rec, "family");
	bool ok1, ok2;
	long long lp = rec_int(rec, "lport", &ok1);
	long long rp = rec_int(rec, "rport", &ok2);

	return ok1 && ok2 && lp == lport && rp == rport &&
	       (!fam || !strcmp(fam, family_name(family)));
}

bool rec_matches_end(struct json_object *rec, const struct end *e)
{
	return rec_is(rec, "teardown") &&
	       ends_match(rec, e->family, e->lport, e->rport);
}

bool rec_matches_rst(struct json_object *rec, int family, const char *laddr,
		     int lport, const char *raddr, int rport)
{
	const char *la = rec_str(rec, "laddr"), *ra = rec_str(rec, "raddr");

	return rec_is(rec, "rst") && la && ra && !strcmp(la, laddr) &&
	       !strcmp(ra, raddr) && ends_match(rec, family, lport, rport);
}

/* "2026-11-21T06:37:00.123456Z", within the run. */
static void check_time(struct run *r, const char *what, const char *t)
{
	struct tm tm = { 0 };
	char *rest;
	int us_digits = 0;
	time_t when, lo, hi;

	run_time_bounds(r, &lo, &hi);
	rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest && *rest == '.')
		for (rest++; rest[us_digits] >= '0' && rest[us_digits] <= '9';)
			us_digits++;
	if (!rest || us_digits != 6 || strcmp(rest + 6, "Z")) {
		fail(r, what,
		     "field time: expected RFC 3339 UTC with microseconds "
		     "(YYYY-MM-DDTHH:MM:SS.uuuuuuZ), actual \"%s\"",
		     t);
		return;
	}
	when = timegm(&tm);
	if (when < lo - 2 || when > hi + 2)
		fail(r, what,
		     "field time: expected within the run (%lld..%lld), actual \"%s\" (%lld)",
		     (long long)lo, (long long)hi, t, (long long)when);
}

static void check_fields(struct run *r, const char *what,
			 struct json_object *rec, const struct field *fields)
{
	for (const struct field *f = fields; f->name; f++) {
		struct json_object *v;
		bool ok;

		if (!json_object_object_get_ex(rec, f->name, &v)) {
			fail(r, what, "field %s: missing", f->name);
			continue;
		}
		switch (f->type) {
		case F_STR:
			ok = json_object_is_type(v, json_type_string);
			break;
		case F_INT:
			ok = json_object_is_type(v, json_type_int) &&
			     json_object_get_int64(v) >= 0;
			break;
		case F_BOOL:
			ok = json_object_is_type(v, json_type_boolean);
			break;
		case F_STR_NULL:
			ok = !v || json_object_is_type(v, json_type_string);
			break;
		case F_LINGER: {
			struct json_object *on, *secs;

			ok = !v ||
			     (json_object_is_type(v, json_type_object) &&
			      json_object_object_get_ex(v, "on", &on) &&
			      json_object_is_type(on, json_type_boolean) &&
			      json_object_object_get_ex(v, "seconds", &secs) &&
			      json_object_is_type(secs, json_type_int) &&
			      json_object_get_int64(secs) >= 0);
			break;
		}
		default:
			ok = false;
		}
		if (!ok)
			fail(r, what, "field %s: expected %s, actual %s",
			     f->name,
			     (const char *[]){
				     [F_STR] = "a string",
				     [F_INT] = "a non-negative integer",
				     [F_BOOL] = "a boolean",
				     [F_STR_NULL] = "a string or null",
				     [F_LINGER] =
					     "null or {\"on\": bool, \"seconds\": int}",
			     }[f->type],
			     value_text(rec, f->name));
	}
}

static void check_enum(struct run *r, const char *what, struct json_object *rec,
		       const char *field, const char *const *set)
{
	const char *s = rec_str(rec, field);

	if (s && !one_of(s, set))
		fail(r, what, "field %s: \"%s\" is not a value SPEC §2 allows",
		     field, s);
}

static void check_teardown(struct run *r, const char *what,
			   struct json_object *rec)
{
	const char *cause = rec_str(rec, "cause");
	const char *outcome = rec_str(rec, "outcome");
	const char *explain = rec_str(rec, "explain");
	const char *comm = rec_str(rec, "comm");
	struct json_object *lg = get(rec, "linger");
	long long dur = run_elapsed_us(r);
	bool ok;
	long long v;
	size_t i;

	check_fields(r, what, rec, teardown_fields);
	check_enum(r, what, rec, "role", roles);
	check_enum(r, what, rec, "initiator", initiators);
	check_enum(r, what, rec, "shutdown", shutdowns);
	check_enum(r, what, rec, "state", states);
	if (cause && outcome) {
		for (i = 0;
		     i < sizeof(cause_outcome) / sizeof(cause_outcome[0]); i++)
			if (!strcmp(cause, cause_outcome[i].cause))
				break;
		if (i == sizeof(cause_outcome) / sizeof(cause_outcome[0]))
			fail(r, what,
			     "field cause: \"%s\" is not a value SPEC §2 allows",
			     cause);
		else if (strcmp(outcome, cause_outcome[i].outcome))
			fail(r, what,
			     "field outcome: cause \"%s\" goes with outcome \"%s\", actual \"%s\"",
			     cause, cause_outcome[i].outcome, outcome);
	}
	if (explain && !*explain)
		fail(r, what,
		     "field explain: expected a sentence, actual \"\"");
	if (comm && strlen(comm) > 15)
		fail(r, what, "field comm: longer than TASK_COMM_LEN: \"%s\"",
		     comm);
	v = rec_int(rec, "lifetime_us", &ok);
	if (ok && v > dur)
		fail(r, what,
		     "field lifetime_us: expected at most the run's %lld us, actual %lld",
		     dur, v);
	/* time_wait follows a FIN exchange only */
	if (rec_bool(rec, "time_wait") && outcome && strcmp(outcome, "fin"))
		fail(r, what, "field time_wait: true with outcome \"%s\"",
		     outcome);
	/* Linux ignores linger on exit (inet_release, PF_EXITING) */
	v = rec_int(rec, "close_blocked_us", &ok);
	if (rec_bool(rec, "by_exit") && ok && v)
		fail(r, what,
		     "field close_blocked_us: by_exit is true, expected 0, actual %lld",
		     v);
	if (rec_bool(rec, "linger_expired") && (!lg || !rec_bool(lg, "on")))
		fail(r, what, "field linger_expired: true, but linger is %s",
		     value_text(rec, "linger"));
}

void check_record_types(struct run *r, const char *what,
			struct json_object *rec)
{
	const char *t = rec_str(rec, "time");

	if (rec_is(rec, "teardown")) {
		check_teardown(r, what, rec);
	} else if (rec_is(rec, "rst")) {
		const char *dir = rec_str(rec, "direction");

		check_fields(r, what, rec, rst_fields);
		if (dir && strcmp(dir, "sent") && strcmp(dir, "received"))
			fail(r, what,
			     "field direction: expected \"sent\" or \"received\", actual \"%s\"",
			     dir);
	} else {
		return;
	}
	check_enum(r, what, rec, "family", families);
	if (t)
		check_time(r, what, t);
}

static void want_str(struct run *r, const char *what, struct json_object *rec,
		     const char *field, const char *want)
{
	struct json_object *v;

	if (!want)
		return;
	if (!json_object_object_get_ex(rec, field, &v)) {
		fail(r, what, "field %s: expected \"%s\", actual (missing)",
		     field, want);
	} else if (!strcmp(want, "null")) {
		if (v)
			fail(r, what, "field %s: expected null, actual %s",
			     field, value_text(rec, field));
	} else if (!json_object_is_type(v, json_type_string) ||
		   strcmp(json_object_get_string(v), want)) {
		fail(r, what, "field %s: expected \"%s\", actual %s", field,
		     want, value_text(rec, field));
	}
}

static void want_tri(struct run *r, const char *what, struct json_object *rec,
		     const char *field, enum tri want)
{
	struct json_object *v = get(rec, field);

	if (want == T_ANY)
		return;
	if (!json_object_is_type(v, json_type_boolean) ||
	    json_object_get_boolean(v) != (want == T_TRUE))
		fail(r, what, "field %s: expected %s, actual %s", field,
		     want == T_TRUE ? "true" : "false", value_text(rec, field));
}

static void want_range(struct run *r, const char *what, struct json_object *rec,
		       const char *field, struct range want)
{
	bool ok;
	long long v;

	if (!want.set)
		return;
	v = rec_int(rec, field, &ok);
	if (ok && v >= want.lo && v <= want.hi)
		return;
	if (want.lo == want.hi)
		fail(r, what, "field %s: expected %lld, actual %s", field,
		     want.lo, value_text(rec, field));
	else
		fail(r, what, "field %s: expected %lld..%lld, actual %s", field,
		     want.lo, want.hi, value_text(rec, field));
}

static void want_task(struct run *r, const char *what, struct json_object *rec,
		      const struct worker *w)
{
	bool ok;
	long long pid = rec_int(rec, "pid", &ok);
	const char *comm = rec_str(rec, "comm");

	if (!w)
		return;
	if (!ok || pid != w->pid)
		fail(r, what, "field pid: expected %d (%s), actual %s",
		     (int)w->pid, w->comm, value_text(rec, "pid"));
	else if (!comm || strcmp(comm, w->comm))
		fail(r, what, "field comm: expected \"%s\" (pid %d), actual %s",
		     w->comm, (int)w->pid, value_text(rec, "comm"));
}

static void want_linger(struct run *r, const char *what,
			struct json_object *rec, struct linger_want want)
{
	struct json_object *v = get(rec, "linger");
	bool ok, secs_ok;
	long long secs;

	if (!want.set)
		return;
	if (want.null) {
		ok = json_object_object_get_ex(rec, "linger", NULL) && !v;
	} else {
		secs = rec_int(v, "seconds", &secs_ok);
		ok = json_object_is_type(get(v, "on"), json_type_boolean) &&
		     rec_bool(v, "on") == want.on && secs_ok &&
		     secs == want.seconds;
	}
	if (ok)
		return;
	if (want.null)
		fail(r, what, "field linger: expected null, actual %s",
		     value_text(rec, "linger"));
	else
		fail(r, what,
		     "field linger: expected {\"on\":%s,\"seconds\":%d}, actual %s",
		     want.on ? "true" : "false", want.seconds,
		     value_text(rec, "linger"));
}

void want_reason(struct run *r, const char *what, struct json_object *rec,
		 const char *name)
{
	if (name)
		want_str(r, what, rec, "kernel_reason",
			 kernel_has_rst_reason() ? name : "null");
}

void check_want(struct run *r, const char *what, struct json_object *rec,
		const struct end *e, const struct want *w)
{
	bool ok;
	long long blocked;

	want_str(r, what, rec, "family", family_name(e->family));
	want_str(r, what, rec, "laddr", e->laddr);
	want_str(r, what, rec, "raddr", e->raddr);
	want_str(r, what, rec, "role", w->role);
	want_str(r, what, rec, "initiator", w->initiator);
	want_str(r, what, rec, "outcome", w->outcome);
	want_str(r, what, rec, "cause", w->cause);
	want_str(r, what, rec, "state", w->state);
	want_str(r, what, rec, "shutdown", w->shutdown);
	want_reason(r, what, rec, w->kernel_reason);
	want_linger(r, what, rec, w->linger);
	want_tri(r, what, rec, "time_wait", w->time_wait);
	want_tri(r, what, rec, "time_wait_skipped", w->time_wait_skipped);
	want_tri(r, what, rec, "by_exit", w->by_exit);
	want_tri(r, what, rec, "linger_expired", w->linger_expired);
	want_range(r, what, rec, "close_blocked_us", w->close_blocked_us);
	want_range(r, what, rec, "unread_bytes", w->unread_bytes);
	want_range(r, what, rec, "unsent_bytes", w->unsent_bytes);
	want_range(r, what, rec, "late_bytes", w->late_bytes);
	want_range(r, what, rec, "bytes_sent", w->bytes_sent);
	want_range(r, what, rec, "bytes_received", w->bytes_received);
	want_task(r, what, rec, w->by);
	want_task(r, what, rec, w->owner);
	if (w->no_task) {
		want_range(r, what, rec, "pid", EQ(0));
		want_str(r, what, rec, "comm", "");
	}

	blocked = rec_int(rec, "close_blocked_us", &ok);
	if (w->blocked_measured_us && ok) {
		/* 20%, but at least 20 ms for a close() that blocked briefly */
		long long m = w->blocked_measured_us;
		long long slack = m / 5 > 20000 ? m / 5 : 20000;

		if (blocked < m - slack || blocked > m + slack)
			fail(r, what,
			     "field close_blocked_us: expected within 20%% of the %lld us close() took in the test, actual %lld",
			     m, blocked);
	}
}

void check_rst_want(struct run *r, const char *what, struct json_object *rec,
		    const char *cause, const struct worker *by,
		    struct range late)
{
	want_str(r, what, rec, "direction", "sent");
	want_str(r, what, rec, "cause", cause);
	want_range(r, what, rec, "late_bytes", late);
	if (by) {
		want_task(r, what, rec, by);
	} else {
		want_range(r, what, rec, "pid", EQ(0));
		want_str(r, what, rec, "comm", "");
	}
}

FILE *signature_out;

/* A byte count this test checks against what it measured itself. */
static bool bytes_checked(const struct want *w, const char *k)
{
	if (!strcmp(k, "bytes_sent"))
		return w->bytes_sent.set;
	if (!strcmp(k, "bytes_received"))
		return w->bytes_received.set;
	if (!strcmp(k, "unsent_bytes"))
		return w->unsent_bytes.set;
	if (!strcmp(k, "unread_bytes"))
		return w->unread_bytes.set;
	if (!strcmp(k, "late_bytes"))
		return w->late_bytes.set;
	return false;
}

void write_signature(FILE *f, const char *test, const char *label,
		     struct json_object *rec, const struct want *w)
{
	static const char *const volatile_fields[] = {
		"time",
		"netns",
		"laddr",
		"raddr",
		"lport",
		"rport",
		"cgroup_id",
		"lifetime_us",
		"close_blocked_us",
		"kernel_reason",
		"explain",
		/* frames and offsets differ by kernel; check_stack() checks
		 * what must hold everywhere */
		"stack",
		NULL,
	};

	fprintf(f, "%s | %s |", test, label);
	json_object_object_foreach(rec, k, v)
	{
		if (one_of(k, volatile_fields))
			continue;
		if (!strcmp(k, "pid")) {
			fprintf(f, " pid=%s",
				json_object_get_int64(v) ? "task" : "0");
			continue;
		}
		/* each run checked it against its own sockets; the amount
		 * depends on the kernel's buffer sizes */
		if (w && bytes_checked(w, k)) {
			fprintf(f, " %s=checked", k);
			continue;
		}
		fprintf(f, " %s=%s", k,
			json_object_to_json_string_ext(v,
						       JSON_C_TO_STRING_PLAIN));
	}
	fputc('\n', f);
}
