// SPDX-License-Identifier: GPL-2.0
/*
 * The teardowns of SPEC §1, each made with real sockets on loopback, and
 * what finrst must say about both ends (SPEC §2). A is the end that acts
 * first, B its peer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

enum { CLI, SRV };

static const char *const role_name[] = { [CLI] = "client", [SRV] = "server" };

/* Small enough that a few writes fill both the send and receive buffer. */
#define SMALL_BUF 4096

struct conn {
	struct worker *w[2];
	int s[2];
	struct end e[2];
};

/* A call that must work for the scenario to be set up at all. */
static struct w_rep call_ok(struct worker *w, enum w_op op, int slot,
			    long long a0, long long a1, long long a2)
{
	struct w_rep p = w_call(w, op, slot, a0, a1, a2);

	if (p.ret)
		fatal("%s: %s failed: %s", w->comm, op_name(op),
		      strerrorname_np(p.err) ?: strerror(p.err));
	return p;
}

static long long close_ok(struct worker *w, int slot)
{
	return call_ok(w, OP_CLOSE, slot, 0, 0, 0).us;
}

static int sock_new(struct worker *w, int family, int sndbuf, int rcvbuf)
{
	int s = call_ok(w, OP_SOCKET, -1, family, 0, 0).slot;

	if (sndbuf)
		call_ok(w, OP_SETINT, s, SOL_SOCKET, SO_SNDBUF, sndbuf);
	if (rcvbuf)
		call_ok(w, OP_SETINT, s, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	return s;
}

/* rcvbuf on the listener: accepted sockets inherit it with their window. */
static int listener(struct worker *w, int family, int rcvbuf, int *port)
{
	int s = sock_new(w, family, 0, rcvbuf);

	*port = call_ok(w, OP_BIND, s, 0, 0, 0).lport;
	call_ok(w, OP_LISTEN, s, 0, 0, 0);
	return s;
}

static void end_from(struct end *e, const char *label, const struct w_rep *p)
{
	snprintf(e->label, sizeof(e->label), "%s", label);
	e->family = p->family;
	snprintf(e->laddr, sizeof(e->laddr), "%s", p->laddr);
	snprintf(e->raddr, sizeof(e->raddr), "%s", p->raddr);
	e->lport = p->lport;
	e->rport = p->rport;
}

/* Client in cw connects to a listener in sw, which accepts it with
 * accept_op (accept(2) or IORING_OP_ACCEPT); the listener is closed
 * again. */
static void conn_open_by(struct conn *c, struct worker *cw, struct worker *sw,
			 int family, int cli_sndbuf, int srv_rcvbuf,
			 enum w_op accept_op)
{
	struct w_rep pc, ps;
	int port, ls;

	c->w[CLI] = cw;
	c->w[SRV] = sw;
	ls = listener(sw, family, srv_rcvbuf, &port);
	c->s[CLI] = sock_new(cw, family, cli_sndbuf, 0);
	pc = call_ok(cw, OP_CONNECT, c->s[CLI], port, 0, 0);
	ps = call_ok(sw, accept_op, ls, 0, 0, 0);
	c->s[SRV] = ps.slot;
	close_ok(sw, ls);
	end_from(&c->e[CLI], "client", &pc);
	end_from(&c->e[SRV], "server", &ps);
	if (pc.lport != ps.rport || pc.rport != ps.lport)
		fatal("accepted %s:%d<-%s:%d, but the client is %s:%d->%s:%d",
		      ps.laddr, ps.lport, ps.raddr, ps.rport, pc.laddr,
		      pc.lport, pc.raddr, pc.rport);
}

static void conn_open(struct conn *c, struct worker *cw, struct worker *sw,
		      int family, int cli_sndbuf, int srv_rcvbuf)
{
	conn_open_by(c, cw, sw, family, cli_sndbuf, srv_rcvbuf, OP_ACCEPT);
}

static const char *err_name(int err)
{
	return err ? strerrorname_np(err) ?: strerror(err) : "success";
}

/* Socket-half checks: what the application sees. */
static void read_eof(struct run *r, struct worker *w, int slot, long long bytes)
{
	struct w_rep p = w_call(w, OP_READ, slot, -1, 5000, 0);

	if (p.ret || !p.eof || p.val != bytes)
		fail(r, "socket",
		     "%s: read to EOF: expected %lld bytes then EOF, actual %lld bytes then %s",
		     w->comm, bytes, p.val,
		     p.ret ? err_name(p.err) :
		     p.eof ? "EOF" :
			     "nothing");
}

static void read_error(struct run *r, struct worker *w, int slot, int err,
		       int timeout_ms)
{
	struct w_rep p = w_call(w, OP_READ, slot, -1, timeout_ms, 0);

	if (!p.ret || p.err != err)
		fail(r, "socket", "%s: read: expected %s, actual %s%s", w->comm,
		     err_name(err), p.ret ? err_name(p.err) : "",
		     p.ret ? "" :
		     p.eof ? "EOF" :
			     "data");
}

/* Nothing reached this socket: the peer's call put nothing on the wire. */
static void quiet(struct run *r, struct worker *w, int slot)
{
	struct w_rep p = call_ok(w, OP_POLL, slot, POLLIN, 200, 0);

	if (p.val)
		fail(r, "socket",
		     "%s: expected nothing to arrive (no segment on the wire), poll revents 0x%llx",
		     w->comm, p.val);
}

static void drop(const struct conn *c, int from, int to)
{
	if (nft_drop(c->e[from].lport, c->e[to].lport))
		fatal("nft: could not add the drop rule");
}

/* A's record after it sent the first FIN by close(). */
static struct want want_closer(const struct conn *c, int a, const char *cause)
{
	return (struct want){
		.role = role_name[a],
		.initiator = "local",
		.outcome = "fin",
		.cause = cause,
		.state = "ESTABLISHED",
		.shutdown = "null",
		.linger = LINGER(false, 0),
		.time_wait = T_TRUE,
		.time_wait_skipped = T_FALSE,
		.by_exit = T_FALSE,
		.linger_expired = T_FALSE,
		.close_blocked_us = EQ(0),
		.unread_bytes = EQ(0),
		.by = c->w[a],
	};
}

/* B's record: it read EOF, then closed. */
static struct want want_peer_close(const struct conn *c, int b)
{
	return (struct want){
		.role = role_name[b],
		.initiator = "peer",
		.outcome = "fin",
		.cause = "peer_close",
		.state = "CLOSE_WAIT",
		.shutdown = "null",
		.linger = LINGER(false, 0),
		.time_wait = T_FALSE,
		.by_exit = T_FALSE,
		.close_blocked_us = EQ(0),
		.unread_bytes = EQ(0),
		.by = c->w[b],
	};
}

/* A reset its connection from ESTABLISHED. */
static struct want want_rst_sent(const struct conn *c, int a, const char *cause)
{
	return (struct want){
		.role = role_name[a],
		.initiator = "local",
		.outcome = "rst_sent",
		.cause = cause,
		.state = "ESTABLISHED",
		.shutdown = "null",
		.time_wait = T_FALSE,
		.by_exit = T_FALSE,
		.by = c->w[a],
	};
}

/* B died of the peer's RST before it closed anything. */
static struct want want_reset(const struct conn *c, int b)
{
	return (struct want){
		.role = role_name[b],
		.initiator = "peer",
		.outcome = "rst_received",
		.cause = "peer_reset",
		.state = "ESTABLISHED",
		.shutdown = "null",
		.linger = LINGER_NULL,
		.time_wait = T_FALSE,
		.by_exit = T_FALSE,
		.close_blocked_us = EQ(0),
		.owner = c->w[b],
	};
}

/* param 0: the client closes first; 1: the server does. */
static void sc_close(struct run *r, struct pair *p, int family, long param)
{
	int a = param ? SRV : CLI, b = !a;
	struct want wa, wb;
	struct conn c;

	conn_open(&c, p->cli, p->srv, family, 0, 0);
	close_ok(c.w[a], c.s[a]);
	read_eof(r, c.w[b], c.s[b], 0);
	close_ok(c.w[b], c.s[b]);

	wa = want_closer(&c, a, "close");
	wa.bytes_sent = wa.bytes_received = EQ(0);
	wb = want_peer_close(&c, b);
	wb.bytes_sent = wb.bytes_received = EQ(0);
	expect_end(r, &c.e[a], wa);
	expect_end(r, &c.e[b], wb);
	expect_counts(r, 0, 0, 0, 1);
}

/* The client shuts down (SHUT_RD, SHUT_WR or SHUT_RDWR) with op:
 * shutdown(2) or IORING_OP_SHUTDOWN. */
static void shutdown_teardown(struct run *r, struct pair *p, int family,
			      long param, enum w_op op)
{
	static const char *const how
		[] = { [SHUT_RD] = "rd", [SHUT_WR] = "wr", [SHUT_RDWR] = "rdwr" };
	struct want wa;
	struct conn c;

	conn_open(&c, p->cli, p->srv, family, 0, 0);
	call_ok(c.w[CLI], op, c.s[CLI], param, 0, 0);
	if (param == SHUT_RD) {
		/* SPEC §1: nothing on the wire; the close() sends the FIN */
		quiet(r, c.w[SRV], c.s[SRV]);
		close_ok(c.w[CLI], c.s[CLI]);
		read_eof(r, c.w[SRV], c.s[SRV], 0);
		close_ok(c.w[SRV], c.s[SRV]);
		wa = want_closer(&c, CLI, "close");
	} else {
		read_eof(r, c.w[SRV], c.s[SRV], 0);
		close_ok(c.w[SRV], c.s[SRV]);
		/* the server's FIN puts the client in TIME_WAIT, still open */
		read_eof(r, c.w[CLI], c.s[CLI], 0);
		close_ok(c.w[CLI], c.s[CLI]);
		wa = want_closer(&c, CLI, "shutdown");
		/* its life ended in TIME_WAIT before any close() */
		wa.linger = LINGER_NULL;
	}
	wa.shutdown = how[param];
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], want_peer_close(&c, SRV));
	expect_counts(r, 0, 0, 0, 1);
}

/* param: SHUT_RD, SHUT_WR or SHUT_RDWR by the client. */
static void sc_shutdown(struct run *r, struct pair *p, int family, long param)
{
	shutdown_teardown(r, p, family, param, OP_SHUTDOWN);
}

/* The same through io_uring: SHUT_WR or SHUT_RDWR (SHUT_RD changes no
 * state, so nothing shows it without the syscall). */
static void sc_uring_shutdown(struct run *r, struct pair *p, int family,
			      long param)
{
	shutdown_teardown(r, p, family, param, OP_URING_SHUTDOWN);
}

/* The server sends bytes the client never reads; the client closes with
 * op (close(2) or IORING_OP_CLOSE, a0 its argument). */
static void unread_teardown(struct run *r, struct pair *p, int family,
			    long param, enum w_op op, long a0)
{
	struct want wa, wb;
	struct conn c;

	conn_open(&c, p->cli, p->srv, family, 0, 0);
	call_ok(c.w[SRV], OP_WRITE, c.s[SRV], param, 0, 0);
	call_ok(c.w[CLI], OP_WAIT_INQ, c.s[CLI], param, 5000, 0);
	call_ok(c.w[CLI], op, c.s[CLI], a0, 0, 0);
	read_error(r, c.w[SRV], c.s[SRV], ECONNRESET, 5000);
	close_ok(c.w[SRV], c.s[SRV]);

	wa = want_rst_sent(&c, CLI, "unread_data");
	wa.kernel_reason = "TCP_ABORT_ON_CLOSE";
	wa.linger = LINGER(false, 0);
	wa.unread_bytes = EQ(param);
	wa.bytes_received = EQ(param);
	wa.bytes_sent = EQ(0);
	wb = want_reset(&c, SRV);
	wb.bytes_sent = EQ(param);
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], wb);
	expect_counts(r, 1, 1, 0, 0);
}

/* param: bytes the server sends and the client never reads. */
static void sc_unread_data(struct run *r, struct pair *p, int family,
			   long param)
{
	unread_teardown(r, p, family, param, OP_CLOSE, 0);
}

/*
 * IORING_OP_CLOSE with 100 unread bytes. param 0: run in io_uring_enter()
 * (tcp_close in fput's task_work at its return); 1: IOSQE_ASYNC, by an
 * io-wq worker thread, whose record names the process (its comm, not the
 * thread's "iou-wrk-N").
 */
static void sc_uring_close(struct run *r, struct pair *p, int family,
			   long param)
{
	unread_teardown(r, p, family, 100, OP_URING_CLOSE, param);
}

/* The client closes with SO_LINGER {on, 0}; the server accepted it with
 * accept_op, and its record names it as the owner. */
static void linger_zero_teardown(struct run *r, struct pair *p, int family,
				 enum w_op accept_op)
{
	struct want wa, wb;
	struct conn c;

	conn_open_by(&c, p->cli, p->srv, family, 0, 0, accept_op);
	call_ok(c.w[CLI], OP_LINGER, c.s[CLI], 1, 0, 0);
	close_ok(c.w[CLI], c.s[CLI]);
	read_error(r, c.w[SRV], c.s[SRV], ECONNRESET, 5000);
	close_ok(c.w[SRV], c.s[SRV]);

	wa = want_rst_sent(&c, CLI, "linger_zero");
	wa.kernel_reason = "TCP_STATE";
	wa.linger = LINGER(true, 0);
	wa.unread_bytes = EQ(0);
	wb = want_reset(&c, SRV);
	wb.owner_by_uring = accept_op == OP_URING_ACCEPT;
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], wb);
	/* __tcp_close() counts SO_LINGER {on, 0} as TCPAbortOnData */
	expect_counts(r, 1, 0, 1, 0);
}

static void sc_linger_zero(struct run *r, struct pair *p, int family,
			   long param)
{
	(void)param;
	linger_zero_teardown(r, p, family, OP_ACCEPT);
}

/* A server that accepts with IORING_OP_ACCEPT owns the connection: the
 * peer's reset names it. */
static void sc_uring_accept(struct run *r, struct pair *p, int family,
			    long param)
{
	(void)param;
	linger_zero_teardown(r, p, family, OP_URING_ACCEPT);
}

static void sc_disconnect(struct run *r, struct pair *p, int family, long param)
{
	struct want wa;
	struct conn c;
	struct w_rep d;

	(void)param;
	conn_open(&c, p->cli, p->srv, family, 0, 0);
	d = w_call(c.w[CLI], OP_DISCONNECT, c.s[CLI], 0, 0, 0);
	if (d.ret)
		fail(r, "socket", "connect(AF_UNSPEC): %s", err_name(d.err));
	read_error(r, c.w[SRV], c.s[SRV], ECONNRESET, 5000);
	close_ok(c.w[SRV], c.s[SRV]);
	/* the socket is CLOSE already: this close() must add no record */
	close_ok(c.w[CLI], c.s[CLI]);

	wa = want_rst_sent(&c, CLI, "disconnect");
	wa.kernel_reason = "TCP_STATE";
	/* its life ended before any close() */
	wa.linger = LINGER_NULL;
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], want_reset(&c, SRV));
	expect_counts(r, 1, 0, 0, 0);
}

static void sc_listener_closed(struct run *r, struct pair *p, int family,
			       long param)
{
	struct worker *cw = p->cli, *sw = p->srv;
	struct conn c = { .w = { cw, sw } };
	struct want wc;
	struct w_rep pc;
	int port, ls;

	(void)param;
	ls = listener(sw, family, 0, &port);
	c.s[CLI] = sock_new(cw, family, 0, 0);
	pc = call_ok(cw, OP_CONNECT, c.s[CLI], port, 0, 0);
	/* the child must be in the accept queue when the listener goes */
	if (!(call_ok(sw, OP_POLL, ls, POLLIN, 5000, 0).val & POLLIN))
		fatal("the connection never reached the accept queue");
	close_ok(sw, ls);
	read_error(r, cw, c.s[CLI], ECONNRESET, 5000);
	close_ok(cw, c.s[CLI]);

	end_from(&c.e[CLI], "client", &pc);
	c.e[SRV] = (struct end){ .family = family,
				 .lport = port,
				 .rport = pc.lport };
	snprintf(c.e[SRV].label, sizeof(c.e[SRV].label), "never-accepted");
	snprintf(c.e[SRV].laddr, sizeof(c.e[SRV].laddr), "%s", pc.raddr);
	snprintf(c.e[SRV].raddr, sizeof(c.e[SRV].raddr), "%s", pc.laddr);
	/* pid: the task whose close() of the listener reset it */
	wc = want_rst_sent(&c, SRV, "listener_closed");
	wc.kernel_reason = "TCP_STATE";
	expect_end(r, &c.e[SRV], wc);
	expect_end(r, &c.e[CLI], want_reset(&c, CLI));
	expect_counts(r, 1, 0, 0, 0);
}

/* The end of a client socket bound to me that connected to hold, a port
 * with no connection behind it: the test knows both ports from bind(). */
static struct end lone_end(int family, const char *label,
			   const struct w_rep *me, const struct w_rep *hold)
{
	struct end e = { .family = family,
			 .lport = me->lport,
			 .rport = hold->lport };

	snprintf(e.label, sizeof(e.label), "%s", label);
	snprintf(e.laddr, sizeof(e.laddr), "%s", me->laddr);
	snprintf(e.raddr, sizeof(e.raddr), "%s", hold->laddr);
	return e;
}

static void sc_connection_refused(struct run *r, struct pair *p, int family,
				  long param)
{
	struct worker *w = p->cli;
	struct w_rep hold, me, res;
	struct end e;
	int hs, cs;

	(void)param;
	/* a bound, non-listening socket keeps the port closed and ours */
	hs = sock_new(w, family, 0, 0);
	hold = call_ok(w, OP_BIND, hs, 0, 0, 0);
	/* bound first, so the port stays known after connect() fails */
	cs = sock_new(w, family, 0, 0);
	me = call_ok(w, OP_BIND, cs, 0, 0, 0);
	res = w_call(w, OP_CONNECT, cs, hold.lport, 0, 0);
	if (!res.ret || res.err != ECONNREFUSED)
		fail(r, "socket",
		     "connect to closed port %d: expected %s, actual %s",
		     hold.lport, err_name(ECONNREFUSED),
		     res.ret ? err_name(res.err) : "connected");
	close_ok(w, cs);
	close_ok(w, hs);

	e = lone_end(family, "refused-client", &me, &hold);
	expect_end(r, &e,
		   (struct want){
			   .role = "client",
			   .initiator = "peer",
			   .outcome = "refused",
			   .cause = "connection_refused",
			   .state = "SYN_SENT",
			   .shutdown = "null",
			   .linger = LINGER_NULL,
			   .time_wait = T_FALSE,
			   .by_exit = T_FALSE,
			   .close_blocked_us = EQ(0),
			   .owner = w,
		   });
	expect_rst_sent(r, family, hold.laddr, hold.lport, me.laddr, me.lport);
	expect_counts(r, 1, 0, 0, 0);
}

/*
 * connect() given up in SYN_SENT: its SYNs are dropped (nft, as a full
 * listen queue or a firewall would), SO_SNDTIMEO ends the blocking
 * connect() after 500 ms (EINPROGRESS), and close() abandons it. One SYN
 * went out: the first retransmission comes after 1 s.
 */
static void sc_connect_abandoned(struct run *r, struct pair *p, int family,
				 long param)
{
	struct worker *w = p->cli;
	struct w_rep hold, me, res;
	struct end e;
	int hs, cs;

	(void)param;
	hs = sock_new(w, family, 0, 0);
	hold = call_ok(w, OP_BIND, hs, 0, 0, 0);
	call_ok(w, OP_LISTEN, hs, 0, 0, 0);
	cs = sock_new(w, family, 0, 0);
	me = call_ok(w, OP_BIND, cs, 0, 0, 0);
	if (nft_drop(me.lport, hold.lport))
		fatal("nft: could not add the drop rule");
	call_ok(w, OP_SNDTIMEO, cs, 500, 0, 0);
	res = w_call(w, OP_CONNECT, cs, hold.lport, 0, 0);
	if (!res.ret || res.err != EINPROGRESS)
		fail(r, "socket",
		     "connect with its SYNs dropped: expected %s, actual %s",
		     err_name(EINPROGRESS),
		     res.ret ? err_name(res.err) : "connected");
	close_ok(w, cs);
	nft_flush();
	close_ok(w, hs);

	e = lone_end(family, "abandoned-client", &me, &hold);
	expect_end(r, &e,
		   (struct want){
			   .role = "client",
			   .initiator = "local",
			   .outcome = "timeout",
			   .cause = "connect_abandoned",
			   .state = "SYN_SENT",
			   .shutdown = "null",
			   .linger = LINGER(false, 0),
			   .time_wait = T_FALSE,
			   .by_exit = T_FALSE,
			   .close_blocked_us = EQ(0),
			   .unsent_bytes = EQ(0),
			   .bytes_sent = EQ(0),
			   .bytes_received = EQ(0),
			   .by = w,
			   .owner = w,
		   });
	expect_counts(r, 0, 0, 0, 0);
}

/* Until no socket of this namespace with local port lport is in state. */
static void wait_not_in(const char *state, int lport)
{
	int ports[64], n = 0;

	for (int tries = 0; tries < 500; tries++) {
		bool in = false;

		n = ss_state(state, ports, 64);
		if (n < 0)
			fatal("ss -tanH state %s failed", state);
		for (int i = 0; i < n && i < 64; i++)
			in |= ports[i] == lport;
		if (!in)
			return;
		usleep(10000);
	}
	fatal("port %d still in %s after 5 s", lport, state);
}

/*
 * The server closes an idle keep-alive connection (FIN); the client, in
 * CLOSE_WAIT, still writes its next request (late bytes) and the server
 * side answers with RST: the client's record is write_after_peer_close.
 * param 0: the server's socket is a timewait socket (FIN_WAIT2, the default
 * tcp_fin_timeout), whose RST is an {"event":"rst"} record,
 * data_after_close, naming the server's process. The server shuts down
 * first and closes once its FIN is acknowledged: close() then makes the
 * timewait socket at once (tcp_close, FIN_WAIT2). A close() in ESTABLISHED
 * would race the ACK: an ACK that finds the orphan still locked by close()
 * leaves it a full socket for tcp_fin_timeout (tcp_rcv_state_process,
 * FIN_WAIT1, sock_owned_by_user), which a slow (emulated) machine hits.
 * param 1: TCP_LINGER2 120 s keeps the orphan a full socket in FIN_WAIT2,
 * which the data resets (TCPAbortOnData): its own record is
 * rst_sent/data_after_close.
 */
static void sc_late_write(struct run *r, struct pair *p, int family, long param)
{
	const int late = 100;
	struct want wa, wb;
	struct w_rep pr;
	struct conn c;

	conn_open(&c, p->cli, p->srv, family, 0, 0);
	if (param) {
		call_ok(c.w[SRV], OP_SETINT, c.s[SRV], IPPROTO_TCP, TCP_LINGER2,
			120);
		close_ok(c.w[SRV], c.s[SRV]);
	} else {
		call_ok(c.w[SRV], OP_SHUTDOWN, c.s[SRV], SHUT_WR, 0, 0);
	}
	read_eof(r, c.w[CLI], c.s[CLI], 0);
	/* the client's (delayed) ACK of the FIN moves the server on */
	wait_not_in("fin-wait-1", c.e[SRV].lport);
	if (!param)
		close_ok(c.w[SRV], c.s[SRV]);
	call_ok(c.w[CLI], OP_WRITE, c.s[CLI], late, 0, 0);
	/* the RST: POLLERR (EPIPE for the next write; a read still gives
	 * the EOF of the FIN first) */
	pr = call_ok(c.w[CLI], OP_POLL, c.s[CLI], 0, 5000, 0);
	if (!(pr.val & POLLERR))
		fail(r, "socket",
		     "%s: after the late write: expected POLLERR (the peer's RST), poll revents 0x%llx",
		     c.w[CLI]->comm, pr.val);
	close_ok(c.w[CLI], c.s[CLI]);

	if (param) {
		wa = want_rst_sent(&c, SRV, "data_after_close");
		wa.kernel_reason = "TCP_ABORT_ON_DATA";
		wa.linger = LINGER(false, 0);
		wa.unread_bytes = EQ(0);
		wa.late_bytes = EQ(late);
	} else {
		wa = want_closer(&c, SRV, "shutdown");
		wa.shutdown = "wr";
		wa.late_bytes = EQ(0);
		expect_rst_after_close(r, &c.e[SRV], c.w[SRV], late);
	}
	wa.bytes_sent = wa.bytes_received = EQ(0);
	wb = want_reset(&c, CLI);
	wb.cause = "write_after_peer_close";
	wb.state = "CLOSE_WAIT";
	wb.late_bytes = EQ(late);
	/* acknowledged bytes: the late ones never were */
	wb.bytes_sent = wb.bytes_received = EQ(0);
	expect_end(r, &c.e[SRV], wa);
	expect_end(r, &c.e[CLI], wb);
	/* the orphan's abort counts TCPAbortOnData; the timewait's not */
	expect_counts(r, 1, 0, param ? 1 : 0, 0);
}

/*
 * A memory reset inside close(): with tcp_max_orphans at 0 and one orphan
 * alive (A's server, kept a full socket in FIN_WAIT2 by TCP_LINGER2), the
 * next close() sends its FIN and then, in __tcp_close(), tcp_check_oom()
 * resets the connection (TCPAbortOnMemory). The orphan count the check
 * reads is refreshed every 100 ms (tcp_orphan_update, 5.14).
 */
static void sc_memory_close(struct run *r, struct pair *p, int family,
			    long param)
{
	struct want wa, wb;
	struct conn a, b;
	struct w_rep pr;

	(void)param;
	conn_open(&a, p->cli, p->srv, family, 0, 0);
	conn_open(&b, p->cli, p->srv, family, 0, 0);
	call_ok(a.w[SRV], OP_SETINT, a.s[SRV], IPPROTO_TCP, TCP_LINGER2, 120);
	close_ok(a.w[SRV], a.s[SRV]);
	read_eof(r, a.w[CLI], a.s[CLI], 0);
	wait_not_in("fin-wait-1", a.e[SRV].lport);
	usleep(300000);
	/* the server's ACK of B's FIN would meet the reset client: a
	 * no-socket RST, or not, by timing */
	drop(&b, SRV, CLI);
	if (set_max_orphans("0"))
		fatal("cannot write net.ipv4.tcp_max_orphans");
	close_ok(b.w[CLI], b.s[CLI]);
	if (restore_max_orphans_now())
		fatal("cannot restore net.ipv4.tcp_max_orphans");
	/* the FIN, then the RST: EOF for a read, POLLERR */
	pr = call_ok(b.w[SRV], OP_POLL, b.s[SRV], 0, 5000, 0);
	if (!(pr.val & POLLERR))
		fail(r, "socket",
		     "%s: after the client's close: expected POLLERR (its memory RST), poll revents 0x%llx",
		     b.w[SRV]->comm, pr.val);
	nft_flush();
	close_ok(b.w[SRV], b.s[SRV]);
	/* A ends as a graceful close: its orphan takes the FIN */
	close_ok(a.w[CLI], a.s[CLI]);

	wa = want_rst_sent(&b, CLI, "memory");
	wa.kernel_reason = "TCP_ABORT_ON_MEMORY";
	wa.linger = LINGER(false, 0);
	wa.unread_bytes = EQ(0);
	expect_end(r, &b.e[CLI], wa);
	/* the FIN went out before the RST */
	wb = want_reset(&b, SRV);
	wb.state = "CLOSE_WAIT";
	expect_end(r, &b.e[SRV], wb);
	expect_end(r, &a.e[SRV], want_closer(&a, SRV, "close"));
	expect_end(r, &a.e[CLI], want_peer_close(&a, CLI));
	expect_counts(r, 1, 0, 0, 1);
}

static void sc_keepalive_timeout(struct run *r, struct pair *p, int family,
				 long param)
{
	struct want wa;
	struct conn c;

	(void)param;
	conn_open(&c, p->cli, p->srv, family, 0, 0);
	call_ok(c.w[CLI], OP_SETINT, c.s[CLI], SOL_SOCKET, SO_KEEPALIVE, 1);
	call_ok(c.w[CLI], OP_SETINT, c.s[CLI], IPPROTO_TCP, TCP_KEEPIDLE, 1);
	call_ok(c.w[CLI], OP_SETINT, c.s[CLI], IPPROTO_TCP, TCP_KEEPINTVL, 1);
	call_ok(c.w[CLI], OP_SETINT, c.s[CLI], IPPROTO_TCP, TCP_KEEPCNT, 2);
	drop(&c, SRV, CLI);
	/* about 1 s idle + 2 probes 1 s apart, then the kernel resets */
	read_error(r, c.w[CLI], c.s[CLI], ETIMEDOUT, 20000);
	/* the client->server direction still works: the server sees it */
	read_error(r, c.w[SRV], c.s[SRV], ECONNRESET, 5000);
	nft_flush();
	close_ok(c.w[SRV], c.s[SRV]);
	close_ok(c.w[CLI], c.s[CLI]);

	wa = want_rst_sent(&c, CLI, "keepalive_timeout");
	wa.kernel_reason = "TCP_KEEPALIVE_TIMEOUT";
	wa.initiator = "kernel";
	wa.linger = LINGER_NULL;
	wa.by = NULL;
	wa.owner = c.w[CLI];
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], want_reset(&c, SRV));
	expect_counts(r, 1, 0, 0, 0);
}

static void sc_retransmit_timeout(struct run *r, struct pair *p, int family,
				  long param)
{
	const int bytes = 1000;
	struct want wb;
	struct conn c;

	(void)param;
	conn_open(&c, p->cli, p->srv, family, 0, 0);
	call_ok(c.w[CLI], OP_SETINT, c.s[CLI], IPPROTO_TCP, TCP_USER_TIMEOUT,
		1000);
	drop(&c, SRV, CLI);
	call_ok(c.w[CLI], OP_WRITE, c.s[CLI], bytes, 0, 0);
	/* the data arrives, the ACKs do not */
	if (call_ok(c.w[SRV], OP_READ, c.s[SRV], bytes, 5000, 0).val != bytes)
		fatal("the server did not receive the %d bytes", bytes);
	read_error(r, c.w[CLI], c.s[CLI], ETIMEDOUT, 20000);
	/* end the server deterministically: linger 0, its RST is dropped */
	call_ok(c.w[SRV], OP_LINGER, c.s[SRV], 1, 0, 0);
	close_ok(c.w[SRV], c.s[SRV]);
	nft_flush();
	close_ok(c.w[CLI], c.s[CLI]);

	expect_end(r, &c.e[CLI],
		   (struct want){
			   .role = "client",
			   .initiator = "kernel",
			   .outcome = "timeout",
			   .cause = "retransmit_timeout",
			   .state = "ESTABLISHED",
			   .shutdown = "null",
			   .linger = LINGER_NULL,
			   .time_wait = T_FALSE,
			   .by_exit = T_FALSE,
			   .close_blocked_us = EQ(0),
			   .unsent_bytes = EQ(bytes),
			   .owner = c.w[CLI],
		   });
	wb = want_rst_sent(&c, SRV, "linger_zero");
	wb.kernel_reason = "TCP_STATE";
	wb.linger = LINGER(true, 0);
	wb.bytes_received = EQ(bytes);
	expect_end(r, &c.e[SRV], wb);
	expect_counts(r, 1, 0, 1, 0);
}

/* close() with SO_LINGER {1,1} that cannot get its FIN acknowledged. */
static void sc_linger_expired(struct run *r, struct pair *p, int family,
			      long param)
{
	struct want wa, wb;
	struct conn c;
	long long outq, us, inq;

	(void)param;
	conn_open(&c, p->cli, p->srv, family, SMALL_BUF, SMALL_BUF);
	call_ok(c.w[CLI], OP_LINGER, c.s[CLI], 1, 1, 0);
	call_ok(c.w[CLI], OP_FILL, c.s[CLI], 0, 0, 0);
	outq = call_ok(c.w[CLI], OP_OUTQ, c.s[CLI], 0, 0, 0).val;
	us = close_ok(c.w[CLI], c.s[CLI]);
	note("close() with SO_LINGER {1,1}, %lld bytes not acknowledged: blocked %lld us",
	     outq, us);
	if (us < 900000 || us > 3000000)
		fail(r, "socket",
		     "close() with SO_LINGER {1,1} and a full send buffer: expected to block about 1 s, actual %lld us",
		     us);
	/* the orphan lives on in FIN_WAIT1; the server's reset ends it */
	inq = call_ok(c.w[SRV], OP_INQ, c.s[SRV], 0, 0, 0).val;
	if (inq <= 0)
		fatal("the server has no unread data to reset with");
	close_ok(c.w[SRV], c.s[SRV]);

	wa = (struct want){
		.role = "client",
		.outcome = "rst_received",
		.cause = "peer_reset",
		.shutdown = "null",
		.linger = LINGER(true, 1),
		.linger_expired = T_TRUE,
		.by_exit = T_FALSE,
		.time_wait = T_FALSE,
		.close_blocked_us = IN(900000, 3000000),
		.blocked_measured_us = us,
		.unsent_bytes = IN(1, outq),
		/* acknowledged: what sits unread at the server */
		.bytes_sent = EQ(inq),
		.by = c.w[CLI],
	};
	wb = want_rst_sent(&c, SRV, "unread_data");
	wb.kernel_reason = "TCP_ABORT_ON_CLOSE";
	wb.linger = LINGER(false, 0);
	wb.unread_bytes = EQ(inq);
	wb.bytes_received = EQ(inq);
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], wb);
	expect_counts(r, 1, 1, 0, 0);
}

/* close() with SO_LINGER {1,5} that returns once the peer took the data. */
static void sc_linger_acked(struct run *r, struct pair *p, int family,
			    long param)
{
	struct want wa, wb;
	struct conn c;
	long long n, outq;
	struct w_rep cl;

	(void)param;
	conn_open(&c, p->cli, p->srv, family, SMALL_BUF, SMALL_BUF);
	call_ok(c.w[CLI], OP_LINGER, c.s[CLI], 1, 5, 0);
	n = call_ok(c.w[CLI], OP_FILL, c.s[CLI], 0, 0, 0).val;
	outq = call_ok(c.w[CLI], OP_OUTQ, c.s[CLI], 0, 0, 0).val;
	w_send(c.w[CLI], OP_CLOSE, c.s[CLI], 0, 0, 0);
	usleep(300000);
	read_eof(r, c.w[SRV], c.s[SRV], n);
	cl = w_recv(c.w[CLI], OP_CLOSE, 10000);
	if (cl.ret)
		fatal("close: %s", err_name(cl.err));
	note("close() with SO_LINGER {1,5}, the peer reading after 0.3 s: blocked %lld us",
	     cl.us);
	if (cl.us < 200000 || cl.us >= 5000000)
		fail(r, "socket",
		     "close() with SO_LINGER {1,5}: expected to block until the peer read (about 0.3 s), actual %lld us",
		     cl.us);
	close_ok(c.w[SRV], c.s[SRV]);

	wa = want_closer(&c, CLI, "close");
	wa.linger = LINGER(true, 5);
	wa.close_blocked_us = IN(0, 4999999);
	wa.blocked_measured_us = cl.us;
	wa.unsent_bytes = IN(1, outq);
	wa.bytes_sent = EQ(n);
	wb = want_peer_close(&c, SRV);
	wb.bytes_received = EQ(n);
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], wb);
	expect_counts(r, 0, 0, 0, 1);
}

/* The process exits with SO_LINGER {1,5} and unacknowledged data. */
static void sc_exit_close(struct run *r, struct pair *p, int family, long param)
{
	struct worker *x = worker_start("fr-exiting");
	struct want wa, wb;
	struct conn c;
	long long n, outq, us;

	(void)param;
	conn_open(&c, x, p->srv, family, SMALL_BUF, SMALL_BUF);
	call_ok(x, OP_LINGER, c.s[CLI], 1, 5, 0);
	n = call_ok(x, OP_FILL, c.s[CLI], 0, 0, 0).val;
	outq = call_ok(x, OP_OUTQ, c.s[CLI], 0, 0, 0).val;
	us = w_exit(x);
	if (us > 1000000)
		fail(r, "socket",
		     "exit with SO_LINGER {1,5}: expected no wait (linger is ignored on exit), actual %lld us",
		     us);
	read_eof(r, c.w[SRV], c.s[SRV], n);
	close_ok(c.w[SRV], c.s[SRV]);

	wa = want_closer(&c, CLI, "close");
	wa.by_exit = T_TRUE;
	wa.linger = LINGER(true, 5);
	wa.unsent_bytes = IN(1, outq);
	wa.bytes_sent = EQ(n);
	wb = want_peer_close(&c, SRV);
	wb.bytes_received = EQ(n);
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], wb);
	expect_counts(r, 0, 0, 0, 1);
}

/* The parent's close() of a shared socket does nothing; the child's does. */
static void sc_fork_close(struct run *r, struct pair *p, int family, long param)
{
	struct worker *child;
	struct want wa;
	struct conn c;

	(void)param;
	conn_open(&c, p->cli, p->srv, family, 0, 0);
	child = worker_fork(p->cli, "fr-child");
	close_ok(p->cli, c.s[CLI]);
	quiet(r, c.w[SRV], c.s[SRV]);
	close_ok(child, c.s[CLI]);
	read_eof(r, c.w[SRV], c.s[SRV], 0);
	close_ok(c.w[SRV], c.s[SRV]);

	wa = want_closer(&c, CLI, "close");
	wa.by = child;
	expect_end(r, &c.e[CLI], wa);
	expect_end(r, &c.e[SRV], want_peer_close(&c, SRV));
	expect_counts(r, 0, 0, 0, 1);
}

/* Active closers on both sides; ss must list exactly their ports. */
static void sc_time_wait(struct run *r, struct pair *p, int family, long param)
{
	for (long i = 0; i < param; i++)
		sc_close(r, p, family, i % 2);
}

/*
 * Connections still open when finrst stops: no record, and lost=0. The exit
 * reconciliation must count their started records as live (count_live), or
 * it would report them lost.
 */
static void sc_open_at_exit(struct run *r, struct pair *p, int family,
			    long param)
{
	struct conn c[3];

	for (long i = 0; i < param; i++)
		conn_open(&c[i], p->cli, p->srv, family, 0, 0);
	expect_counts(r, 0, 0, 0, 0);
}

const struct scenario scenarios[] = {
	{ .name = "close",
	  .body = sc_close,
	  .in_oracle = true,
	  .oracle_lo = 0,
	  .oracle_hi = 1 },
	{ .name = "peer_close", .body = sc_close, .param = 1 },
	{ .name = "shutdown_wr",
	  .body = sc_shutdown,
	  .param = SHUT_WR,
	  .in_oracle = true,
	  .oracle_lo = SHUT_WR,
	  .oracle_hi = SHUT_WR },
	{ .name = "shutdown_rdwr", .body = sc_shutdown, .param = SHUT_RDWR },
	{ .name = "shutdown_rd", .body = sc_shutdown, .param = SHUT_RD },
	{ .name = "uring_shutdown",
	  .body = sc_uring_shutdown,
	  .param = SHUT_WR,
	  .in_oracle = true,
	  .oracle_lo = SHUT_WR,
	  .oracle_hi = SHUT_RDWR },
	{ .name = "unread_data",
	  .body = sc_unread_data,
	  .param = 1000,
	  .in_oracle = true,
	  .oracle_lo = 1,
	  .oracle_hi = 4000 },
	{ .name = "uring_close",
	  .body = sc_uring_close,
	  .in_oracle = true,
	  .oracle_lo = 0,
	  .oracle_hi = 1 },
	{ .name = "uring_close_async", .body = sc_uring_close, .param = 1 },
	{ .name = "uring_accept", .body = sc_uring_accept, .in_oracle = true },
	{ .name = "linger_zero", .body = sc_linger_zero, .in_oracle = true },
	{ .name = "disconnect", .body = sc_disconnect, .in_oracle = true },
	{ .name = "listener_closed",
	  .body = sc_listener_closed,
	  .in_oracle = true },
	{ .name = "connection_refused",
	  .body = sc_connection_refused,
	  .in_oracle = true },
	{ .name = "write_after_peer_close",
	  .body = sc_late_write,
	  .in_oracle = true,
	  .oracle_lo = 0,
	  .oracle_hi = 1 },
	{ .name = "data_after_close", .body = sc_late_write, .param = 1 },
	{ .name = "connect_abandoned",
	  .body = sc_connect_abandoned,
	  .needs_nft = true },
	{ .name = "memory_close",
	  .body = sc_memory_close,
	  .needs_nft = true,
	  .needs_global_sysctls = true },
	{ .name = "keepalive_timeout",
	  .body = sc_keepalive_timeout,
	  .needs_nft = true },
	{ .name = "retransmit_timeout",
	  .body = sc_retransmit_timeout,
	  .needs_nft = true },
	{ .name = "linger_expired", .body = sc_linger_expired },
	{ .name = "linger_acked", .body = sc_linger_acked },
	{ .name = "exit_close", .body = sc_exit_close },
	{ .name = "fork_close", .body = sc_fork_close },
	{ .name = "time_wait", .body = sc_time_wait, .param = 5 },
	{ .name = "open_at_exit", .body = sc_open_at_exit, .param = 3 },
	{ 0 },
};

const struct scenario *scenario_find(const char *name)
{
	for (const struct scenario *s = scenarios; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

void scenario_list(void)
{
	for (const struct scenario *s = scenarios; s->name; s++)
		printf("%s\n", s->name);
	printf("oracle\n");
}

/*
 * --cgroup: two fresh workers, forked from the test itself and so outside
 * the run's cgroup, make a graceful teardown; the client closes first and
 * its end goes into TIME_WAIT. finrst must record neither end.
 */
void outsider_teardown(struct run *r, int family)
{
	struct worker *cw = worker_start("fr-outside-cli");
	struct worker *sw = worker_start("fr-outside-srv");
	struct conn c;

	conn_open(&c, cw, sw, family, 0, 0);
	close_ok(cw, c.s[CLI]);
	read_eof(r, sw, c.s[SRV], 0);
	close_ok(sw, c.s[SRV]);
	expect_absent(r, &c.e[CLI], true);
	expect_absent(r, &c.e[SRV], false);
	expect_counts(r, 0, 0, 0, 1);
}
