/* SPDX-License-Identifier: GPL-2.0 */
/*
 * finrst.h - the teardown taxonomy, shared by the BPF programs and userspace.
 *
 * One home for every name SPEC.md fixes: outcomes, causes, initiators, roles,
 * and the record that crosses the ring buffer.  fr_classify() turns the facts
 * the kernel side gathered into outcome/cause/initiator; it is compiled into
 * the BPF object and into the unit tests, so both run the same rules.
 */
#ifndef FINRST_H
#define FINRST_H

#ifdef __bpf__
#define FR_INLINE static __always_inline
#else
#include <linux/types.h>
#define FR_INLINE static inline
#endif

#define FR_COMM_LEN 16
#define FR_MAX_PORTS 16
/* Sockets tracked at once (bpf `socks`); more count as FR_CNT_NO_STORAGE */
#define FR_MAX_SOCKS 262144

/* Linux TCP states (include/net/tcp_states.h). */
enum fr_tcp_state {
	FR_TCP_ESTABLISHED = 1,
	FR_TCP_SYN_SENT,
	FR_TCP_SYN_RECV,
	FR_TCP_FIN_WAIT1,
	FR_TCP_FIN_WAIT2,
	FR_TCP_TIME_WAIT,
	FR_TCP_CLOSE,
	FR_TCP_CLOSE_WAIT,
	FR_TCP_LAST_ACK,
	FR_TCP_LISTEN,
	FR_TCP_CLOSING,
	FR_TCP_NEW_SYN_RECV,
	FR_TCP_MAX_STATES,
};

/* The hook backends (--hooks), also the BPF side's `mode`: how it learns
 * the call context (bpf/finrst.bpf.c). */
enum fr_hooks {
	FR_HOOKS_AUTO,
	FR_HOOKS_FENTRY,
	FR_HOOKS_KPROBE,
	FR_HOOKS_TRACEPOINT,
};

enum fr_rec_type {
	FR_REC_TEARDOWN = 1,
	FR_REC_RST = 2,
};

/*
 * The outcomes (SPEC §2): X(ENUM, "name").
 */
#define FR_OUTCOMES(X)                  \
	X(FIN, "fin")                   \
	X(RST_SENT, "rst_sent")         \
	X(RST_RECEIVED, "rst_received") \
	X(TIMEOUT, "timeout")           \
	X(REFUSED, "refused")

#define FR_OUTCOME_ENUM(e, name) FR_OUT_##e,
enum fr_outcome {
	FR_OUTCOMES(FR_OUTCOME_ENUM) FR_OUT__MAX,
};

/*
 * The teardown taxonomy (SPEC §2), one row per cause:
 *	X(ENUM, "name", OUTCOME, "what happened", "what to do")
 * It makes enum fr_cause, each cause's outcome (fr_cause_outcome()), and
 * userspace's names and explanations (user/format.c). The two texts are
 * templates: {name} takes a value of the record (user/format.c,
 * fr_expand_var()); any other brace is literal, as in SO_LINGER {on, 0}.
 * A new cause is one row here, plus the rule that decides it: in
 * fr_classify() below, or, for a RST this host sends, where the BPF side
 * sees it sent (rst_cause).
 */
#define FR_CAUSES(X)                                                             \
	X(CLOSE, "close", FIN,                                                   \
	  "{Who} called close() (state {state}) and sent the first FIN; "        \
	  "the connection closed cleanly.",                                      \
	  "Normal active close; nothing to do.")                                 \
	X(SHUTDOWN, "shutdown", FIN,                                             \
	  "{Who} called {shut} (state {state}) and sent the first FIN "          \
	  "(half-close); the connection then closed cleanly.",                   \
	  "Normal; note that shutdown() acts on every process sharing "          \
	  "the socket.")                                                         \
	X(PEER_CLOSE, "peer_close", FIN,                                         \
	  "The peer sent the first FIN and {who} closed after it "               \
	  "(state {state}); the connection closed cleanly.",                     \
	  "Normal passive close; nothing to do.")                                \
	X(SIMULTANEOUS_CLOSE, "simultaneous_close", FIN,                         \
	  "Both ends sent FIN at the same time (simultaneous close, "            \
	  "FIN_WAIT1 -> CLOSING); {who} closed this side.",                      \
	  "Harmless; both ends go through TIME_WAIT.")                           \
	/* __tcp_close(): data_was_unread -> RST, TCPAbortOnClose */             \
	X(UNREAD_DATA, "unread_data", RST_SENT,                                  \
	  "{Who} closed the socket with {unread} unread bytes; the "             \
	  "kernel discarded them and sent RST (RFC 2525 §2.17).",                \
	  "Read to EOF, or shutdown(SHUT_WR) and drain, before close().")        \
	/* __tcp_close(): SOCK_LINGER && !sk_lingertime -> tcp_disconnect() */   \
	X(LINGER_ZERO, "linger_zero", RST_SENT,                                  \
	  "{Who} closed with SO_LINGER {on, 0}: the kernel sent RST "            \
	  "instead of FIN and skipped TIME_WAIT; the peer sees "                 \
	  "\"connection reset\".",                                               \
	  "Drop SO_LINGER {on, 0} unless an abortive close is wanted; to "       \
	  "avoid TIME_WAIT, let the client close first or reuse "                \
	  "connections.")                                                        \
	/* inet_stream_connect(AF_UNSPEC) -> tcp_disconnect() */                 \
	X(DISCONNECT, "disconnect", RST_SENT,                                    \
	  "{Who} called connect(AF_UNSPEC) on the connected socket "             \
	  "(state {state}): tcp_disconnect() sent RST and the peer sees "        \
	  "\"connection reset\".",                                               \
	  "For an orderly end use shutdown(SHUT_WR) and close() instead.")       \
	/* inet_csk_listen_stop() -> inet_child_forget() -> tcp_disconnect() */  \
	X(LISTENER_CLOSED, "listener_closed", RST_SENT,                          \
	  "The connection was established but never accepted: {who} "            \
	  "closed its listening socket and the kernel reset it.",                \
	  "On restarts, drain the accept queue before closing a "                \
	  "listener, or hand the listener over (SO_REUSEPORT, socket "           \
	  "activation).")                                                        \
	/* tcp_close() in FIN_WAIT2 with linger2 < 0; tcp_keepalive_timer() */   \
	X(LINGER2, "linger2", RST_SENT,                                          \
	  "{Who} closed the connection but the peer never sent its FIN: "        \
	  "with TCP_LINGER2 < 0, or once the FIN_WAIT2 timeout ran out, "        \
	  "the kernel reset it (TCPAbortOnLinger).",                             \
	  "Find out why the peer does not close its side; leave "                \
	  "TCP_LINGER2 at its default (net.ipv4.tcp_fin_timeout).")              \
	/* tcp_out_of_resources(), tcp_check_oom() */                            \
	X(MEMORY, "memory", RST_SENT,                                            \
	  "The kernel reset the connection for lack of memory or because "       \
	  "there were too many orphaned sockets (TCPAbortOnMemory); "            \
	  "{who} owned it last (state {state}).",                                \
	  "Check net.ipv4.tcp_mem and net.ipv4.tcp_max_orphans against "         \
	  "the load, and why peers are slow to acknowledge.")                    \
	/* tcp_keepalive_timer(): probes_out >= keepalive_probes -> RST */       \
	X(KEEPALIVE_TIMEOUT, "keepalive_timeout", RST_SENT,                      \
	  "TCP keepalive probes went unanswered, so the kernel reset the "       \
	  "connection; {who} got ETIMEDOUT.",                                    \
	  "The peer or a middlebox (NAT, firewall) dropped the "                 \
	  "connection silently; check the path, or tune TCP_KEEPIDLE, "          \
	  "TCP_KEEPINTVL and TCP_KEEPCNT.")                                      \
	X(RST_OTHER, "rst_other", RST_SENT,                                      \
	  "The kernel sent RST on this connection (state {state}) for a "        \
	  "reason finrst does not classify; the peer sees "                      \
	  "\"connection reset\".",                                               \
	  "See kernel_reason, and the TCPAbort* counters of nstat -az.")         \
	/* tcp_rcv_state_process(), FIN_WAIT1/2 with RCV_SHUTDOWN: new data   \
	 * -> TCPAbortOnData, tcp_reset() and a reply RST; or the reply RST of \
	 * its TIME_WAIT socket (tcp_timewait_state_process, TCP_TW_RST) */  \
	X(DATA_AFTER_CLOSE, "data_after_close", RST_SENT,                        \
	  "{Who} closed the connection (state {state}), then {late} bytes "      \
	  "arrived from {remote}; a closed socket cannot take them, so the "     \
	  "kernel discarded them and answered with RST.",                        \
	  "The peer was still sending: close only after it has finished "        \
	  "(read to EOF, or shutdown(SHUT_WR) and drain first), or have the "    \
	  "peer stop first, e.g. Connection: close, or a server idle timeout "   \
	  "longer than the client's.")                                           \
	/* RST records only (FR_REC_RST): tcp_v{4,6}_send_reset(NULL, skb) */    \
	X(NO_SOCKET, "no_socket", RST_SENT,                                      \
	  "The kernel answered a segment from {remote} to local port {lport} "   \
	  "with RST: no socket matches it (closed port, or a connection this "   \
	  "host has already forgotten).",                                        \
	  "Expected for port scans; otherwise look for a service that is not "   \
	  "listening, or a peer still using a connection this host closed or "   \
	  "lost in a restart.")                                                  \
	X(PEER_RESET, "peer_reset", RST_RECEIVED,                                \
	  "The peer reset the connection (state {state}); {who} got "            \
	  "ECONNRESET.",                                                         \
	  "Look at the peer: it closed with unread data or SO_LINGER "           \
	  "{on, 0}, crashed or restarted, or a middlebox reset the "             \
	  "connection.")                                                         \
	/* tcp_reset() in CLOSE_WAIT/LAST_ACK after this side wrote past the   \
	 * peer's FIN: the peer (its TIME_WAIT or orphan) answered with RST */ \
	X(WRITE_AFTER_PEER_CLOSE, "write_after_peer_close", RST_RECEIVED,        \
	  "The peer had closed its side (its FIN came first), then {who} "       \
	  "wrote {late} more bytes (state {state}); the peer no longer takes "   \
	  "data, so it answered with RST and {who} got ECONNRESET or EPIPE.",    \
	  "Typical of a pooled keep-alive connection reused after the "          \
	  "server's idle timeout: retry idempotent requests on a fresh "         \
	  "connection, keep the client's idle timeout below the server's, "      \
	  "and check for EOF before reusing a connection.")                      \
	/* tcp_write_timeout(): tcp_retries2 / tcp_syn_retries / user timeout */ \
	X(RETRANSMIT_TIMEOUT, "retransmit_timeout", TIMEOUT,                     \
	  "Retransmissions or SYN retries went unanswered (or "                  \
	  "TCP_USER_TIMEOUT ran out) in state {state}; the kernel gave "         \
	  "up without sending RST and {who} got ETIMEDOUT.",                     \
	  "The peer is unreachable or the path drops packets; check "            \
	  "routing, firewalls and the peer's health.")                           \
	X(CONNECTION_REFUSED, "connection_refused", REFUSED,                     \
	  "{Who} tried to connect to {remote} and the peer answered the "        \
	  "SYN with RST; connect() failed with ECONNREFUSED.",                   \
	  "Nothing listens on that port there, or a firewall rejects it; "       \
	  "check that the service is up and reachable.")                         \
	/* close() in SYN_SENT: tcp_set_state(CLOSE), nothing sent */            \
	X(CONNECT_ABANDONED, "connect_abandoned", TIMEOUT,                       \
	  "{Who} closed the socket after its connect() to {remote} had "         \
	  "waited {waited}: {syns} went out and none was answered.",             \
	  "The peer's listen queue may be full (ListenOverflows in its "         \
	  "nstat: accept faster, or raise the backlog and "                      \
	  "net.core.somaxconn), or a firewall drops the SYNs; raise the "        \
	  "connect timeout only if the peer is just slow.")

#define FR_CAUSE_ENUM(e, name, out, what, todo) FR_CAUSE_##e,
enum fr_cause {
	FR_CAUSE_NONE, /* not decided yet (internal, no SPEC name) */
	FR_CAUSES(FR_CAUSE_ENUM) FR_CAUSE__MAX,
};

#define FR_CAUSE_OUTCOME_CASE(e, name, out, what, todo) \
	case FR_CAUSE_##e:                              \
		return FR_OUT_##out;

/* The outcome a cause comes with (the table above). */
FR_INLINE __u8 fr_cause_outcome(__u8 cause)
{
	switch (cause) {
		FR_CAUSES(FR_CAUSE_OUTCOME_CASE)
	}
	return FR_OUT_FIN;
}

/* Who sent the first FIN or RST. */
enum fr_initiator {
	FR_INIT_NONE, /* nothing seen yet (internal) */
	FR_INIT_LOCAL,
	FR_INIT_PEER,
	FR_INIT_SIMULTANEOUS,
	FR_INIT_KERNEL,
	FR_INIT__MAX,
};

enum fr_role {
	FR_ROLE_UNKNOWN,
	FR_ROLE_CLIENT,
	FR_ROLE_SERVER,
	FR_ROLE__MAX,
};

/* shutdown() bits, as the record's "shutdown" field. */
#define FR_SHUT_RD 1
#define FR_SHUT_WR 2

/* Record flags. */
#define FR_F_LOCAL_FIN (1u << 0)       /* a local call sent our FIN */
#define FR_F_FIN_BY_SHUTDOWN (1u << 1) /* ...and it was shutdown() */
#define FR_F_PEER_FIN (1u << 2)	       /* the peer's FIN arrived */
#define FR_F_SIMULT (1u << 3)	       /* FIN_WAIT1 -> CLOSING */
#define FR_F_RST_SENT (1u << 4)
#define FR_F_RST_RCVD (1u << 5)
#define FR_F_CLOSED (1u << 6) /* last reference closed locally */
#define FR_F_BY_EXIT (1u << 7)
#define FR_F_LINGER_ON (1u << 8)
#define FR_F_LINGER_WAIT (1u << 9) /* close() blocked in linger */
#define FR_F_LINGER_EXPIRED (1u << 10)
#define FR_F_TIME_WAIT (1u << 11)
#define FR_F_TW_SKIPPED (1u << 12)
#define FR_F_PREDATES (1u << 13) /* born before finrst started */
#define FR_F_KREASON (1u << 14)	 /* kernel_reason is valid */
#define FR_F_FIN_ACKED (1u << 15)
#define FR_F_TIMED_OUT (1u << 16)   /* died with ETIMEDOUT */
#define FR_F_STACK (1u << 17)	    /* a struct fr_stack follows */
#define FR_F_NO_EXCHANGE (1u << 18) /* closed before any FIN or RST */
#define FR_F_LATE_WRITE (1u << 19)  /* wrote after the peer's FIN */

/* Per-CPU counters (map "counters"), read by userspace at exit and for
 * --metrics. */
enum fr_counter {
	FR_CNT_LOST, /* ring buffer reserve failed: records lost */
	FR_CNT_EMITTED,
	FR_CNT_NO_STORAGE,   /* no room for a socket's entry in `socks` */
	FR_CNT_TRACKED,	     /* sockets whose record was started */
	FR_CNT_ENDED,	     /* ... and finished (emitted, filtered or lost) */
	FR_CNT_MARKED_ENDED, /* ... finished after count_live saw them */
	FR_CNT_RST_NOSOCK,   /* RSTs sent without a full socket */
	FR_CNT_RST_AFTER_CLOSE, /* ... of which by a TIME_WAIT socket */
	FR_CNT_METRICS_FULL,	/* tstats full: a teardown went uncounted */
	FR_CNT_STACK_MISSED,	/* --stack: a RST record went without one */
	FR_CNT_SWEPT,		/* entries of dead sockets the sweep deleted */
	FR_CNT_SWEPT_UNENDED,	/* ... whose record was started, not finished */
	FR_CNT__MAX,
};

/* sock_liveness (BPF_PROG_TEST_RUN): ctx args[0] is the operation, then up
 * to FR_LIVE_BATCH keys of `socks` (a raw_tp ctx holds at most
 * MAX_BPF_FUNC_ARGS = 12 arguments). */
enum fr_live_op {
	FR_LIVE_COUNT = 1, /* mark and count live, unfinished records */
	FR_LIVE_SWEEP,	   /* delete the entries of dead sockets */
};
#define FR_LIVE_BATCH 11

/*
 * Metrics (SPEC §4), aggregated in the kernel: one per-CPU hash entry per
 * (service port, role, outcome, cause), so that --metrics alone needs no
 * per-record work in userspace. Port 0 is the "other" label value.
 */
#define FR_METRICS_DYN_PORTS 64 /* service ports labelled as seen */
#define FR_METRICS_KEYS 8192
#define FR_HIST_BUCKETS 12 /* finrst_close_blocked_seconds */

struct fr_mkey {
	__u16 port;
	__u8 role;
	__u8 outcome;
	__u8 cause;
	__u8 pad[3];
};

struct fr_mval {
	__u64 teardowns;
	__u64 time_wait;
	__u64 unread_discarded; /* unread bytes thrown away with a RST */
};

/* Upper bounds of the histogram buckets, in nanoseconds; then +Inf. */
#define FR_HIST_LE_NS                                                 \
	{                                                             \
		1000000ULL, 5000000ULL, 10000000ULL, 50000000ULL,     \
			100000000ULL, 500000000ULL, 1000000000ULL,    \
			2000000000ULL, 5000000000ULL, 10000000000ULL, \
			30000000000ULL, 120000000000ULL               \
	}
/* per-CPU array "hist": [0, FR_HIST_BUCKETS] counts (the last is +Inf),
 * then the sum in nanoseconds */
#define FR_HIST_SUM (FR_HIST_BUCKETS + 1)
#define FR_HIST_SLOTS (FR_HIST_BUCKETS + 2)

/*
 * The one record per socket (and per no-socket RST) that crosses the ring
 * buffer.  Fixed-width fields, largest first.
 */
struct fr_record {
	/* First, as in every ring buffer record: what follows is read by it
	 * (FR_REC_RST has no socket fields; FR_F_STACK adds a struct
	 * fr_stack, see struct fr_record_stack). */
	__u32 type;	   /* enum fr_rec_type */
	__u32 flags;	   /* FR_F_* */
	__u64 end_ns;	   /* CLOCK_MONOTONIC, when the socket's life ended */
	__u64 lifetime_ns; /* 0 if the socket predates finrst */
	__u64 close_blocked_ns;
	__u64 bytes_sent;
	__u64 bytes_received;
	__u64 cgroup_id;
	__u32 netns;
	__u32 pid; /* tgid of the teardown's starter, or owner */
	__u32 unread_bytes;
	__u32 unsent_bytes;
	__u32 linger_secs;
	__u32 kernel_reason; /* enum sk_rst_reason, if FR_F_KREASON */
	/* bytes that came after the other end was closed: written after the
	 * peer's FIN (write_after_peer_close), or arrived after the local
	 * close (data_after_close) */
	__u32 late_bytes;
	__u32 pad0;
	__u8 saddr[16]; /* local address; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* remote address */
	__u16 sport;	/* host order */
	__u16 dport;	/* host order */
	__u16 family;	/* AF_INET / AF_INET6 */
	__u8 role;	/* enum fr_role */
	__u8 outcome;	/* enum fr_outcome, set by fr_classify() */
	__u8 cause;	/* enum fr_cause, set by fr_classify() */
	__u8 initiator; /* enum fr_initiator, set by fr_classify() */
	__u8 first;	/* enum fr_initiator: first FIN/RST as seen */
	__u8 state;	/* TCP state at the local call, or at the end */
	__u8 end_from;	/* state the socket left when it ended */
	__u8 shutdown;	/* FR_SHUT_* */
	__u8 rst_cause; /* enum fr_cause of a RST sent, decided where
				 * it was sent; FR_CAUSE_NONE otherwise */
	__u8 err;	/* sk_err when it ended */
	__u8 syns;	/* SYNs sent, for a close in SYN_SENT */
	__u8 pad[3];
	char comm[FR_COMM_LEN];
};

/*
 * --stack: the kernel and user stacks of the code that sent a RST, taken
 * where it was sent; in the ring buffer right after its teardown record
 * (FR_F_STACK).  User frames only for a RST sent inside a local call (task
 * context); timers and softirqs have none.
 */
#define FR_STACK_DEPTH 32

struct fr_stack {
	__u64 ip[2 * FR_STACK_DEPTH]; /* kernel frames, then user frames */
	/* x86-64: the word at the user stack pointer when it is a return
	 * address (preceded by a call): the caller of a libc syscall
	 * wrapper, which frame-pointer unwinding skips.  0 if none. */
	__u64 user_ret;
	__u32 nr_kernel;
	__u32 nr_user;
	__u32 pid; /* tgid whose user stack this is */
	__u32 pad;
};

/* A teardown record with its stacks (FR_F_STACK), as one ring buffer
 * record: the BPF side writes it, userspace reads it, one layout. */
struct fr_record_stack {
	struct fr_record rec;
	struct fr_stack st;
};

/*
 * The service port of a record (SPEC §4), for the metrics and --summary:
 * ours for a server, and for a RST sent for no socket (our port was the
 * segment's destination); the peer's for a client; for a socket of unknown
 * role (one older than finrst), the lower of the two, as ephemeral ports
 * are the high ones. The metrics give it a label value of its own only if
 * it is a service port they know (user/metrics.c, bpf/emit.bpf.h).
 */
FR_INLINE __u16 fr_service_port(const struct fr_record *r)
{
	if (r->type == FR_REC_RST || r->role == FR_ROLE_SERVER)
		return r->sport;
	if (r->role == FR_ROLE_CLIENT)
		return r->dport;
	return r->sport < r->dport ? r->sport : r->dport;
}

/*
 * Decide outcome, cause and initiator from the facts in @r.  Pure: no kernel
 * access, so the same rules run in BPF and in the unit tests.
 */
FR_INLINE void fr_classify(struct fr_record *r)
{
	__u32 f = r->flags;
	__u8 cause;

	if (f & FR_F_RST_SENT && r->rst_cause != FR_CAUSE_NONE)
		cause = r->rst_cause;
	else if (f & FR_F_RST_RCVD)
		cause = r->end_from == FR_TCP_SYN_SENT ?
				FR_CAUSE_CONNECTION_REFUSED :
			(f & FR_F_LATE_WRITE) ?
				FR_CAUSE_WRITE_AFTER_PEER_CLOSE :
				FR_CAUSE_PEER_RESET;
	else if (f & FR_F_RST_SENT)
		cause = FR_CAUSE_RST_OTHER;
	else if (f & FR_F_TIMED_OUT)
		cause = FR_CAUSE_RETRANSMIT_TIMEOUT;
	else if (r->end_from == FR_TCP_SYN_SENT && f & FR_F_CLOSED)
		/* closed while its SYNs were unanswered */
		cause = FR_CAUSE_CONNECT_ABANDONED;
	else if (f & FR_F_SIMULT)
		cause = FR_CAUSE_SIMULTANEOUS_CLOSE;
	else if (r->first == FR_INIT_PEER && f & FR_F_PEER_FIN)
		/* we sent our FIN too, from CLOSE_WAIT, but after theirs */
		cause = FR_CAUSE_PEER_CLOSE;
	else if (f & FR_F_LOCAL_FIN)
		cause = (f & FR_F_FIN_BY_SHUTDOWN) ? FR_CAUSE_SHUTDOWN :
						     FR_CAUSE_CLOSE;
	else if (f & FR_F_PEER_FIN)
		cause = FR_CAUSE_PEER_CLOSE;
	else {
		/* Closed before anything was sent (e.g. during connect). */
		cause = FR_CAUSE_CLOSE;
		r->flags |= FR_F_NO_EXCHANGE;
	}
	r->cause = cause;
	r->outcome = fr_cause_outcome(cause);

	if (r->first != FR_INIT_NONE)
		r->initiator = r->first;
	else if (r->outcome == FR_OUT_TIMEOUT &&
		 cause != FR_CAUSE_CONNECT_ABANDONED)
		r->initiator = FR_INIT_KERNEL;
	else if (f & FR_F_CLOSED)
		r->initiator = FR_INIT_LOCAL;
	else
		r->initiator = FR_INIT_KERNEL;
}

#endif /* FINRST_H */
