// SPDX-License-Identifier: GPL-2.0
/*
 * Worker processes: each one owns sockets and makes the calls the test asks
 * for over a SOCK_SEQPACKET channel, so that the pid and comm of every
 * close()/shutdown()/connect() are known to the test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

#define MAX_SLOTS 64
#define MAX_WORKERS 64
#define REPLY_TIMEOUT_MS 30000

struct w_req {
	int op;
	int slot;
	long long a[3];
	char name[16];
};

static struct worker workers[MAX_WORKERS];
static int nworkers;

/* Worker side: the socket table of this process. */
static int slots[MAX_SLOTS];
static int slot_family[MAX_SLOTS];

static const char *const op_names[] = {
	[OP_SOCKET] = "socket",
	[OP_BIND] = "bind",
	[OP_LISTEN] = "listen",
	[OP_CONNECT] = "connect",
	[OP_ACCEPT] = "accept",
	[OP_SETINT] = "setsockopt",
	[OP_LINGER] = "SO_LINGER",
	[OP_CLOSE] = "close",
	[OP_SHUTDOWN] = "shutdown",
	[OP_DISCONNECT] = "connect(AF_UNSPEC)",
	[OP_WRITE] = "write",
	[OP_FILL] = "fill",
	[OP_READ] = "read",
	[OP_INQ] = "SIOCINQ",
	[OP_OUTQ] = "SIOCOUTQ",
	[OP_WAIT_INQ] = "wait-inq",
	[OP_POLL] = "poll",
	[OP_FORK] = "fork",
	[OP_EXIT] = "exit",
	[OP_SNDTIMEO] = "SO_SNDTIMEO",
	[OP_URING_CLOSE] = "IORING_OP_CLOSE",
	[OP_URING_SHUTDOWN] = "IORING_OP_SHUTDOWN",
	[OP_URING_ACCEPT] = "IORING_OP_ACCEPT",
};

const char *op_name(enum w_op op)
{
	if ((size_t)op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op])
		return op_names[op];
	return "?";
}

static socklen_t loopback(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(port);
	return sizeof(*s4);
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, int *port)
{
	buf[0] = '\0';
	*port = 0;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, buf, ADDR_STR_LEN);
		*port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, buf, ADDR_STR_LEN);
		*port = ntohs(s4->sin_port);
	}
}

static void fill_names(int fd, struct w_rep *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (!getsockname(fd, (struct sockaddr *)&ss, &len))
		addr_text(&ss, p->laddr, &p->lport);
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (!getpeername(fd, (struct sockaddr *)&ss, &len))
		addr_text(&ss, p->raddr, &p->rport);
}

static int slot_new(int fd, int family)
{
	for (int i = 0; i < MAX_SLOTS; i++) {
		if (slots[i] < 0) {
			slots[i] = fd;
			slot_family[i] = family;
			return i;
		}
	}
	return -1;
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Wait for events on fd; returns revents, 0 on timeout, -1 on error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? pfd.revents : n;
}

static int do_read(int fd, struct w_rep *p, long long want, int timeout_ms)
{
	char buf[16384];
	long long deadline = mono_us() + timeout_ms * 1000LL;

	while (want < 0 || p->val < want) {
		long long left = (deadline - mono_us()) / 1000;
		size_t n = sizeof(buf);
		ssize_t got;

		if (left <= 0 || wait_fd(fd, POLLIN, left) == 0) {
			errno = ETIME;
			return -1;
		}
		if (want >= 0 && (long long)n > want - p->val)
			n = want - p->val;
		got = read(fd, buf, n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0) {
			p->eof = true;
			break;
		}
		p->val += got;
	}
	return 0;
}

static int do_write(int fd, struct w_rep *p, long long want, bool fill)
{
	static char buf[65536];

	memset(buf, 'x', sizeof(buf));
	if (fill && set_nonblock(fd, true))
		return -1;
	while (fill || p->val < want) {
		size_t n = sizeof(buf);
		ssize_t put;

		if (!fill && (long long)n > want - p->val)
			n = want - p->val;
		put = write(fd, buf, n);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			if (fill && errno == EAGAIN)
				break;
			return -1;
		}
		p->val += put;
	}
	return fill ? set_nonblock(fd, false) : 0;
}

static int do_wait_inq(int fd, struct w_rep *p, long long want, int timeout_ms)
{
	long long deadline = mono_us() + timeout_ms * 1000LL;
	int inq;

	for (;;) {
		if (ioctl(fd, SIOCINQ, &inq))
			return -1;
		p->val = inq;
		if (inq >= want)
			return 0;
		if (mono_us() > deadline) {
			errno = ETIME;
			return -1;
		}
		usleep(1000);
	}
}

static void worker_loop(int ch);

static int do_fork(const char *name, struct w_rep *p, int *passfd)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_NAME, name);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		worker_loop(sv[1]);
	}
	close(sv[1]);
	*passfd = sv[0];
	p->val = pid;
	return 0;
}

static int do_op(const struct w_req *q, struct w_rep *p, int *passfd)
{
	struct sockaddr_storage ss;
	int s = q->slot;
	int fd = (s >= 0 && s < MAX_SLOTS) ? slots[s] : -1;
	int family = fd >= 0 ? slot_family[s] : 0;
	long long t0;
	int v;

	p->slot = s;
	switch (q->op) {
	case OP_SOCKET:
		fd = socket(q->a[0], SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		p->slot = slot_new(fd, q->a[0]);
		if (p->slot < 0) {
			close(fd);
			errno = EMFILE;
			return -1;
		}
		return 0;
	case OP_FORK:
		return do_fork(q->name, p, passfd);
	case OP_EXIT:
		_exit(0);
	default:
		break;
	}
	if (fd < 0) {
		errno = EBADSLT;
		return -1;
	}
	p->family = family;
	switch (q->op) {
	case OP_BIND:
		return bind(fd, (struct sockaddr *)&ss,
			    loopback(family, q->a[0], &ss));
	case OP_LISTEN:
		return listen(fd, 128);
	case OP_CONNECT:
		return connect(fd, (struct sockaddr *)&ss,
			       loopback(family, q->a[0], &ss));
	case OP_ACCEPT:
	case OP_URING_ACCEPT:
		if (wait_fd(fd, POLLIN, 10000) == 0) {
			errno = ETIME;
			return -1;
		}
		v = q->op == OP_ACCEPT ? accept(fd, NULL, NULL) :
					 uring_accept(fd);
		if (v < 0)
			return -1;
		p->slot = slot_new(v, family);
		return p->slot < 0 ? -1 : 0;
	case OP_SETINT:
		v = q->a[2];
		return setsockopt(fd, q->a[0], q->a[1], &v, sizeof(v));
	case OP_SNDTIMEO: {
		struct timeval tv = { .tv_sec = q->a[0] / 1000,
				      .tv_usec = q->a[0] % 1000 * 1000 };

		return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	case OP_LINGER: {
		struct linger l = { .l_onoff = q->a[0], .l_linger = q->a[1] };

		return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	case OP_CLOSE:
	case OP_URING_CLOSE:
		fill_names(fd, p);
		slots[s] = -1;
		t0 = mono_us();
		v = q->op == OP_CLOSE ? close(fd) : uring_close(fd, q->a[0]);
		p->us = mono_us() - t0;
		return v;
	case OP_SHUTDOWN:
		return shutdown(fd, q->a[0]);
	case OP_URING_SHUTDOWN:
		return uring_shutdown(fd, q->a[0]);
	case OP_DISCONNECT: {
		struct sockaddr sa = { .sa_family = AF_UNSPEC };

		return connect(fd, &sa, sizeof(sa));
	}
	case OP_WRITE:
		return do_write(fd, p, q->a[0], false);
	case OP_FILL:
		return do_write(fd, p, 0, true);
	case OP_READ:
		return do_read(fd, p, q->a[0], q->a[1]);
	case OP_INQ:
	case OP_OUTQ:
		v = 0;
		if (ioctl(fd, q->op == OP_INQ ? SIOCINQ : SIOCOUTQ, &v))
			return -1;
		p->val = v;
		return 0;
	case OP_WAIT_INQ:
		return do_wait_inq(fd, p, q->a[0], q->a[1]);
	case OP_POLL:
		v = wait_fd(fd, q->a[0], q->a[1]);
		p->val = v;
		return v < 0 ? -1 : 0;
	}
	errno = EINVAL;
	return -1;
}

static void reply(int ch, const struct w_rep *p, int passfd)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = sizeof(*p) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (passfd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	if (sendmsg(ch, &msg, MSG_NOSIGNAL) < 0)
		_exit(1);
	if (passfd >= 0)
		close(passfd);
}

static void worker_loop(int ch)
{
	for (;;) {
		struct w_req q;
		struct w_rep p;
		int passfd = -1;
		ssize_t n = recv(ch, &q, sizeof(q), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(q))
			_exit(0);
		memset(&p, 0, sizeof(p));
		p.ret = do_op(&q, &p, &passfd);
		if (p.ret)
			p.err = errno;
		if (p.slot >= 0 && p.slot < MAX_SLOTS && slots[p.slot] >= 0) {
			fill_names(slots[p.slot], &p);
			p.family = slot_family[p.slot];
		}
		reply(ch, &p, passfd);
	}
}

static struct worker *worker_add(pid_t pid, int ch, const char *comm)
{
	struct worker *w;

	if (nworkers == MAX_WORKERS)
		fatal("too many worker processes");
	w = &workers[nworkers++];
	w->pid = pid;
	w->ch = ch;
	w->gone = false;
	snprintf(w->comm, sizeof(w->comm), "%s", comm);
	return w;
}

/*
 * Loopback delivers each segment through the backlog of the CPU that sent
 * it. With workers on two CPUs, a busy CPU can hold back the passive
 * closer's ACK of a FIN until after its own FIN went through the other CPU;
 * the stale ACK then reaches the TIME_WAIT socket after the peer is gone,
 * is answered, draws a no-socket RST and kills the TIME_WAIT early. One
 * CPU for every worker keeps segments in order, as a real wire would.
 */
static void pin_to_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

struct worker *worker_start(const char *comm)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		fatal("socketpair: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fatal("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Hold no descriptor of the test: finrst's pipes, others' channels. */
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		for (int i = 0; i < MAX_SLOTS; i++)
			slots[i] = -1;
		pin_to_first_cpu();
		prctl(PR_SET_NAME, comm);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* children made by OP_FORK are reaped by the kernel */
		signal(SIGCHLD, SIG_IGN);
		worker_loop(3);
	}
	close(sv[1]);
	return worker_add(pid, sv[0], comm);
}

void w_send(struct worker *w, enum w_op op, int slot, long long a0,
	    long long a1, long long a2)
{
	struct w_req q = { .op = op, .slot = slot, .a = { a0, a1, a2 } };

	if (w->gone)
		fatal("%s: worker %s has exited", op_name(op), w->comm);
	if (send(w->ch, &q, sizeof(q), MSG_NOSIGNAL) != sizeof(q))
		fatal("%s: send to worker %s: %s", op_name(op), w->comm,
		      strerror(errno));
}

static struct w_rep recv_rep(struct worker *w, enum w_op op, int timeout_ms,
			     int *passfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct w_rep p;
	struct iovec iov = { .iov_base = &p, .iov_len = sizeof(p) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct pollfd pfd = { .fd = w->ch, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		fatal("%s: worker %s (pid %d) did not answer within %d ms",
		      op_name(op), w->comm, (int)w->pid, timeout_ms);
	n = recvmsg(w->ch, &msg, MSG_CMSG_CLOEXEC);
	if (n != sizeof(p))
		fatal("%s: worker %s (pid %d) died", op_name(op), w->comm,
		      (int)w->pid);
	c = CMSG_FIRSTHDR(&msg);
	if (passfd && c && c->cmsg_type == SCM_RIGHTS)
		memcpy(passfd, CMSG_DATA(c), sizeof(int));
	return p;
}

struct w_rep w_recv(struct worker *w, enum w_op op, int timeout_ms)
{
	return recv_rep(w, op, timeout_ms, NULL);
}

struct w_rep w_call(struct worker *w, enum w_op op, int slot, long long a0,
		    long long a1, long long a2)
{
	w_send(w, op, slot, a0, a1, a2);
	return w_recv(w, op, REPLY_TIMEOUT_MS);
}

struct worker *worker_fork(struct worker *w, const char *comm)
{
	struct w_req q = { .op = OP_FORK, .slot = -1 };
	struct w_rep p;
	int ch = -1;

	snprintf(q.name, sizeof(q.name), "%s", comm);
	if (send(w->ch, &q, sizeof(q), MSG_NOSIGNAL) != sizeof(q))
		fatal("fork: send to worker %s: %s", w->comm, strerror(errno));
	p = recv_rep(w, OP_FORK, REPLY_TIMEOUT_MS, &ch);
	if (p.ret || ch < 0)
		fatal("fork in worker %s: %s", w->comm, strerror(p.err));
	return worker_add(p.val, ch, comm);
}

/* Reap a worker, whichever process is its parent. */
static int reap(struct worker *w, int timeout_ms)
{
	long long deadline = mono_us() + timeout_ms * 1000LL;

	while (mono_us() < deadline) {
		pid_t r = waitpid(w->pid, NULL, WNOHANG);

		/* ECHILD: a worker's child, auto-reaped (SIGCHLD ignored) */
		if (r == w->pid ||
		    (r < 0 && errno == ECHILD && kill(w->pid, 0)))
			return 0;
		usleep(1000);
	}
	return -1;
}

long long w_exit(struct worker *w)
{
	long long t0 = mono_us();

	w_send(w, OP_EXIT, -1, 0, 0, 0);
	if (reap(w, 10000))
		fatal("worker %s (pid %d) did not exit", w->comm, (int)w->pid);
	w->gone = true;
	close(w->ch);
	return mono_us() - t0;
}

void workers_kill_all(void)
{
	for (int i = nworkers - 1; i >= 0; i--) {
		struct worker *w = &workers[i];

		if (w->gone)
			continue;
		kill(w->pid, SIGKILL);
		reap(w, 2000);
		close(w->ch);
		w->gone = true;
	}
	nworkers = 0;
}
