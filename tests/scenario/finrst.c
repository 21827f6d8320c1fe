// SPDX-License-Identifier: GPL-2.0
/*
 * The finrst process under test: started with -j in our namespace, its
 * stdout read as JSON lines and its stderr watched for the ready and exit
 * lines (SPEC.md §3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario.h"

/* Loading and attaching takes seconds in an emulated VM, and more on a
 * 2-core machine that runs other VMs too (25 s seen: fentry on 5.10,
 * which also probes the helpers): a start, not a speed, is checked. */
#define READY_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 10000
#define READY_TAG "finrst: ready hooks="

struct buf {
	char *p;
	size_t len, cap;
};

struct finrst {
	pid_t pid;
	int status; /* once reaped */
	bool reaped;
	int out, err;	 /* -1 at EOF */
	struct buf obuf; /* stdout bytes not yet a whole line */
	struct buf ebuf; /* all of stderr */
	size_t eshown;	 /* stderr echoed up to here */
	struct json_object **recs;
	size_t nrecs, cap;
	struct json_object **sums;
	size_t nsums, sums_cap;
	size_t bad;
	char backend[32];
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			fatal("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void add_record(struct finrst *f, const char *line)
{
	struct json_object *o = json_tokener_parse(line);

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		f->bad++;
		printf("  finrst stdout, not a JSON object: %s\n", line);
		return;
	}
	struct json_object *ev;

	if (json_object_object_get_ex(o, "event", &ev) &&
	    !strcmp(json_object_get_string(ev) ?: "", "summary")) {
		if (f->nsums == f->sums_cap) {
			f->sums_cap = f->sums_cap ? f->sums_cap * 2 : 16;
			f->sums = realloc(f->sums,
					  f->sums_cap * sizeof(*f->sums));
			if (!f->sums)
				fatal("out of memory");
		}
		f->sums[f->nsums++] = o;
		return;
	}
	if (f->nrecs == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 256;
		f->recs = realloc(f->recs, f->cap * sizeof(*f->recs));
		if (!f->recs)
			fatal("out of memory");
	}
	f->recs[f->nrecs++] = o;
}

static void take_lines(struct finrst *f, bool at_eof)
{
	char *start = f->obuf.p, *nl;

	if (!start)
		return;
	while ((nl = memchr(start, '\n', f->obuf.len - (start - f->obuf.p)))) {
		*nl = '\0';
		if (nl > start)
			add_record(f, start);
		start = nl + 1;
	}
	f->obuf.len -= start - f->obuf.p;
	memmove(f->obuf.p, start, f->obuf.len);
	f->obuf.p[f->obuf.len] = '\0';
	if (at_eof && f->obuf.len) {
		add_record(f, f->obuf.p);
		f->obuf.len = 0;
	}
}

/* Echo finrst's stderr, one whole line at a time, for the test log. */
static void show_stderr(struct finrst *f, bool all)
{
	char *nl;

	while ((nl = memchr(f->ebuf.p + f->eshown, '\n',
			    f->ebuf.len - f->eshown))) {
		printf("  finrst stderr: %.*s\n",
		       (int)(nl - f->ebuf.p - f->eshown),
		       f->ebuf.p + f->eshown);
		f->eshown = nl - f->ebuf.p + 1;
	}
	if (all && f->eshown < f->ebuf.len) {
		printf("  finrst stderr: %s\n", f->ebuf.p + f->eshown);
		f->eshown = f->ebuf.len;
	}
}

bool finrst_pump(struct finrst *f, int timeout_ms)
{
	struct pollfd pfd[2] = { { .fd = f->out, .events = POLLIN },
				 { .fd = f->err, .events = POLLIN } };
	char chunk[65536];

	if (f->out < 0 && f->err < 0)
		return false;
	if (poll(pfd, 2, timeout_ms) < 0 && errno != EINTR)
		fatal("poll: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		int *fd = i ? &f->err : &f->out;
		ssize_t n;

		if (*fd < 0 || !pfd[i].revents)
			continue;
		n = read(*fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
		} else {
			buf_add(i ? &f->ebuf : &f->obuf, chunk, n);
		}
		if (i)
			show_stderr(f, *fd < 0);
		else
			take_lines(f, *fd < 0);
	}
	return f->out >= 0 || f->err >= 0;
}

static bool reap(struct finrst *f, int timeout_ms)
{
	long long deadline = mono_us() + timeout_ms * 1000LL;

	while (!f->reaped) {
		pid_t r = waitpid(f->pid, &f->status, WNOHANG);

		if (r == f->pid)
			f->reaped = true;
		else if (r < 0 || mono_us() > deadline)
			return false;
		else
			usleep(10000);
	}
	return true;
}

static void finrst_free(struct finrst *f)
{
	if (f->out >= 0)
		close(f->out);
	if (f->err >= 0)
		close(f->err);
	free(f->obuf.p);
	free(f->ebuf.p);
	free(f);
}

struct finrst *finrst_start(const char *path, const char *hooks,
			    unsigned long long netns, const char *const *extra,
			    int *skip)
{
	char ns[32], hk[64], shown[512] = "";
	const char *argv[16] = { path, "-j", "--netns", ns, hk };
	size_t argc = 5;
	int out[2], err[2];
	struct finrst *f = calloc(1, sizeof(*f));
	long long deadline = mono_us() + READY_TIMEOUT_MS * 1000LL;
	const char *tag;

	*skip = 0;
	if (!f)
		fatal("out of memory");
	snprintf(ns, sizeof(ns), "%llu", netns);
	snprintf(hk, sizeof(hk), "--hooks=%s", hooks);
	for (; extra && *extra && argc < 15; extra++) {
		argv[argc++] = *extra;
		snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown),
			 " %s", *extra);
	}
	argv[argc] = NULL;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		fatal("pipe: %s", strerror(errno));
	printf("  starting: %s -j --netns %s %s%s\n", path, ns, hk, shown);
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0)
		fatal("fork: %s", strerror(errno));
	if (f->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(path, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	f->out = out[0];
	f->err = err[0];

	while (!(tag = f->ebuf.p ? strstr(f->ebuf.p, READY_TAG) : NULL) ||
	       !strchr(tag, '\n')) {
		long long left = (deadline - mono_us()) / 1000;

		if (left <= 0) {
			printf("FAIL: finrst did not print \"%s...\" within %d s\n",
			       READY_TAG, READY_TIMEOUT_MS / 1000);
			kill(f->pid, SIGKILL);
			reap(f, STOP_TIMEOUT_MS);
			show_stderr(f, true);
			finrst_free(f);
			return NULL;
		}
		if (!finrst_pump(f, left)) {
			int st;

			reap(f, STOP_TIMEOUT_MS);
			show_stderr(f, true);
			st = WIFEXITED(f->status) ? WEXITSTATUS(f->status) :
						    128 + WTERMSIG(f->status);
			/*
			 * Status 1 is finrst saying the kernel lacks what a hook
			 * backend needs (SPEC §3): a backend this kernel cannot
			 * run is skipped; tracepoint/auto must always work.
			 */
			*skip = st == 1 && strcmp(hooks, "tracepoint") &&
				strcmp(hooks, "auto");
			printf("%s: finrst exited with status %d before it was ready%s\n",
			       *skip ? "SKIP" : "FAIL", st,
			       *skip ? ": this kernel cannot run that --hooks backend" :
				       "");
			finrst_free(f);
			return NULL;
		}
	}
	sscanf(tag + strlen(READY_TAG), "%31[a-z_]", f->backend);
	return f;
}

int finrst_stop(struct finrst *f)
{
	long long deadline = mono_us() + STOP_TIMEOUT_MS * 1000LL;
	int status;

	kill(f->pid, SIGINT);
	while (mono_us() < deadline && finrst_pump(f, 100))
		;
	if (!reap(f, (deadline - mono_us()) / 1000 + 1)) {
		printf("  finrst did not exit within %d s of SIGINT, killing it\n",
		       STOP_TIMEOUT_MS / 1000);
		kill(f->pid, SIGKILL);
		reap(f, STOP_TIMEOUT_MS);
		status = -1;
	} else {
		status = WIFEXITED(f->status) ? WEXITSTATUS(f->status) :
						128 + WTERMSIG(f->status);
	}
	/* what is left in the pipes after the exit */
	while (finrst_pump(f, 1000))
		;
	show_stderr(f, true);
	return status;
}

/* Kill without ceremony: a fatal error elsewhere. */
void finrst_kill(struct finrst *f)
{
	if (!f->reaped) {
		kill(f->pid, SIGKILL);
		reap(f, STOP_TIMEOUT_MS);
	}
}

size_t finrst_nrecords(const struct finrst *f)
{
	return f->nrecs;
}

struct json_object *finrst_record(const struct finrst *f, size_t i)
{
	return f->recs[i];
}

const char *finrst_stderr(const struct finrst *f)
{
	return f->ebuf.p ? f->ebuf.p : "";
}

const char *finrst_backend(const struct finrst *f)
{
	return f->backend;
}

size_t finrst_nsummaries(const struct finrst *f)
{
	return f->nsums;
}

struct json_object *finrst_summary(const struct finrst *f, size_t i)
{
	return i < f->nsums ? f->sums[i] : NULL;
}

size_t finrst_bad_lines(const struct finrst *f)
{
	return f->bad;
}
