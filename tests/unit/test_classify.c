// SPDX-License-Identifier: GPL-2.0
/*
 * test_classify.c - fr_classify() of bpf/finrst.h against SPEC §2: every
 * cause from the facts the BPF side records for it.
 *
 * The fact sets follow bpf/finrst.bpf.c: LOCAL_FIN is set for any FIN a
 * local call sends (ESTABLISHED -> FIN_WAIT1 and CLOSE_WAIT -> LAST_ACK),
 * PEER_FIN for any FIN received, and `first` records who went first.
 */
#include "check.h"
#include "finrst.h"
#include "format.h"

struct facts {
	const char *what;
	__u32 flags;
	__u8 first, rst_cause, state, end_from;
	/* expected */
	__u8 outcome, cause, initiator;
	const char *spec; /* why, where SPEC §2 decides the case */
};

#define F(x) FR_F_##x

static const struct facts cases[] = {
	/* FIN outcomes */
	{ "active close(), then TIME_WAIT",
	  F(LOCAL_FIN) | F(FIN_ACKED) | F(PEER_FIN) | F(CLOSED) | F(TIME_WAIT),
	  FR_INIT_LOCAL, FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT2,
	  FR_OUT_FIN, FR_CAUSE_CLOSE, FR_INIT_LOCAL, NULL },
	{ "shutdown(SHUT_WR), then close()",
	  F(LOCAL_FIN) | F(FIN_BY_SHUTDOWN) | F(FIN_ACKED) | F(PEER_FIN) |
		  F(CLOSED) | F(TIME_WAIT),
	  FR_INIT_LOCAL, FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT2,
	  FR_OUT_FIN, FR_CAUSE_SHUTDOWN, FR_INIT_LOCAL, NULL },
	{ "shutdown(SHUT_RDWR), never closed",
	  F(LOCAL_FIN) | F(FIN_BY_SHUTDOWN) | F(FIN_ACKED) | F(PEER_FIN) |
		  F(TIME_WAIT),
	  FR_INIT_LOCAL, FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT2,
	  FR_OUT_FIN, FR_CAUSE_SHUTDOWN, FR_INIT_LOCAL, NULL },
	{ "peer FIN, no local FIN seen", F(PEER_FIN) | F(CLOSED), FR_INIT_PEER,
	  FR_CAUSE_NONE, FR_TCP_CLOSE_WAIT, FR_TCP_LAST_ACK, FR_OUT_FIN,
	  FR_CAUSE_PEER_CLOSE, FR_INIT_PEER, NULL },
	{ "peer FIN first, then close() sends ours (CLOSE_WAIT -> LAST_ACK)",
	  F(PEER_FIN) | F(LOCAL_FIN) | F(CLOSED), FR_INIT_PEER, FR_CAUSE_NONE,
	  FR_TCP_CLOSE_WAIT, FR_TCP_LAST_ACK, FR_OUT_FIN, FR_CAUSE_PEER_CLOSE,
	  FR_INIT_PEER,
	  "SPEC §2 peer_close: \"the peer's FIN came first, we closed after "
	  "it\"; fr_classify() tests LOCAL_FIN before `first`" },
	{ "peer FIN first, then shutdown(SHUT_WR) in CLOSE_WAIT",
	  F(PEER_FIN) | F(LOCAL_FIN) | F(FIN_BY_SHUTDOWN) | F(CLOSED),
	  FR_INIT_PEER, FR_CAUSE_NONE, FR_TCP_CLOSE_WAIT, FR_TCP_LAST_ACK,
	  FR_OUT_FIN, FR_CAUSE_PEER_CLOSE, FR_INIT_PEER,
	  "SPEC §2: shutdown is \"local shutdown() sent the first FIN\"; "
	  "here the peer's FIN was first" },
	{ "FINs crossed (FIN_WAIT1 -> CLOSING)",
	  F(LOCAL_FIN) | F(PEER_FIN) | F(SIMULT) | F(CLOSED) | F(TIME_WAIT),
	  FR_INIT_SIMULTANEOUS, FR_CAUSE_NONE, FR_TCP_ESTABLISHED,
	  FR_TCP_CLOSING, FR_OUT_FIN, FR_CAUSE_SIMULTANEOUS_CLOSE,
	  FR_INIT_SIMULTANEOUS, NULL },
	{ "close() in SYN_SENT: connect abandoned", F(CLOSED), FR_INIT_NONE,
	  FR_CAUSE_NONE, FR_TCP_SYN_SENT, FR_TCP_SYN_SENT, FR_OUT_TIMEOUT,
	  FR_CAUSE_CONNECT_ABANDONED, FR_INIT_LOCAL,
	  "SPEC §2: connect_abandoned, the local process closed it" },
	{ "close() in SYN_RECV: nothing but the handshake", F(CLOSED),
	  FR_INIT_NONE, FR_CAUSE_NONE, FR_TCP_SYN_RECV, FR_TCP_SYN_RECV,
	  FR_OUT_FIN, FR_CAUSE_CLOSE, FR_INIT_LOCAL, NULL },

	/* RSTs this host sent, by reason */
	{ "close() with unread data", F(RST_SENT) | F(CLOSED), FR_INIT_LOCAL,
	  FR_CAUSE_UNREAD_DATA, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_SENT, FR_CAUSE_UNREAD_DATA, FR_INIT_LOCAL, NULL },
	{ "close() with unread data after the peer's FIN",
	  F(PEER_FIN) | F(RST_SENT) | F(CLOSED), FR_INIT_PEER,
	  FR_CAUSE_UNREAD_DATA, FR_TCP_CLOSE_WAIT, FR_TCP_CLOSE_WAIT,
	  FR_OUT_RST_SENT, FR_CAUSE_UNREAD_DATA, FR_INIT_PEER, NULL },
	{ "SO_LINGER {on, 0}", F(RST_SENT) | F(CLOSED) | F(LINGER_ON),
	  FR_INIT_LOCAL, FR_CAUSE_LINGER_ZERO, FR_TCP_ESTABLISHED,
	  FR_TCP_ESTABLISHED, FR_OUT_RST_SENT, FR_CAUSE_LINGER_ZERO,
	  FR_INIT_LOCAL, NULL },
	{ "SO_LINGER {on, 0} on process exit",
	  F(RST_SENT) | F(CLOSED) | F(LINGER_ON) | F(BY_EXIT), FR_INIT_LOCAL,
	  FR_CAUSE_LINGER_ZERO, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_SENT, FR_CAUSE_LINGER_ZERO, FR_INIT_LOCAL, NULL },
	{ "connect(AF_UNSPEC)", F(RST_SENT), FR_INIT_LOCAL, FR_CAUSE_DISCONNECT,
	  FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED, FR_OUT_RST_SENT,
	  FR_CAUSE_DISCONNECT, FR_INIT_LOCAL, NULL },
	{ "never accepted, listener closed", F(RST_SENT), FR_INIT_LOCAL,
	  FR_CAUSE_LISTENER_CLOSED, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_SENT, FR_CAUSE_LISTENER_CLOSED, FR_INIT_LOCAL, NULL },
	{ "TCP_LINGER2 < 0, close() in FIN_WAIT2",
	  F(LOCAL_FIN) | F(FIN_ACKED) | F(RST_SENT) | F(CLOSED), FR_INIT_LOCAL,
	  FR_CAUSE_LINGER2, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT2,
	  FR_OUT_RST_SENT, FR_CAUSE_LINGER2, FR_INIT_LOCAL, NULL },
	{ "orphan reset for memory", F(LOCAL_FIN) | F(RST_SENT) | F(CLOSED),
	  FR_INIT_LOCAL, FR_CAUSE_MEMORY, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT1,
	  FR_OUT_RST_SENT, FR_CAUSE_MEMORY, FR_INIT_LOCAL, NULL },
	{ "data after the close: the orphan reset it (TCPAbortOnData)",
	  F(LOCAL_FIN) | F(RST_SENT) | F(CLOSED), FR_INIT_LOCAL,
	  FR_CAUSE_DATA_AFTER_CLOSE, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT1,
	  FR_OUT_RST_SENT, FR_CAUSE_DATA_AFTER_CLOSE, FR_INIT_LOCAL,
	  "SPEC §2: data_after_close, data arrived after the local close" },
	{ "wrote after the peer's FIN, then its RST",
	  F(PEER_FIN) | F(RST_RCVD) | F(LATE_WRITE), FR_INIT_PEER,
	  FR_CAUSE_NONE, FR_TCP_CLOSE_WAIT, FR_TCP_CLOSE_WAIT,
	  FR_OUT_RST_RECEIVED, FR_CAUSE_WRITE_AFTER_PEER_CLOSE, FR_INIT_PEER,
	  "SPEC §2: write_after_peer_close" },
	{ "the peer's RST in CLOSE_WAIT without a write: peer_reset",
	  F(PEER_FIN) | F(RST_RCVD), FR_INIT_PEER, FR_CAUSE_NONE,
	  FR_TCP_CLOSE_WAIT, FR_TCP_CLOSE_WAIT, FR_OUT_RST_RECEIVED,
	  FR_CAUSE_PEER_RESET, FR_INIT_PEER, NULL },
	{ "keepalive probes unanswered (RST, then ETIMEDOUT)",
	  F(RST_SENT) | F(TIMED_OUT), FR_INIT_KERNEL,
	  FR_CAUSE_KEEPALIVE_TIMEOUT, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_SENT, FR_CAUSE_KEEPALIVE_TIMEOUT, FR_INIT_KERNEL, NULL },
	{ "other RST on a live socket", F(RST_SENT), FR_INIT_LOCAL,
	  FR_CAUSE_RST_OTHER, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_SENT, FR_CAUSE_RST_OTHER, FR_INIT_LOCAL, NULL },
	{ "RST sent, reason unknown", F(RST_SENT), FR_INIT_LOCAL, FR_CAUSE_NONE,
	  FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED, FR_OUT_RST_SENT,
	  FR_CAUSE_RST_OTHER, FR_INIT_LOCAL, NULL },
	{ "our RST with a reason wins over a RST received",
	  F(RST_SENT) | F(RST_RCVD) | F(CLOSED), FR_INIT_LOCAL,
	  FR_CAUSE_UNREAD_DATA, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_SENT, FR_CAUSE_UNREAD_DATA, FR_INIT_LOCAL, NULL },

	/* RSTs received */
	{ "peer RST on an established connection", F(RST_RCVD), FR_INIT_PEER,
	  FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED,
	  FR_OUT_RST_RECEIVED, FR_CAUSE_PEER_RESET, FR_INIT_PEER, NULL },
	{ "peer RST after our FIN", F(LOCAL_FIN) | F(CLOSED) | F(RST_RCVD),
	  FR_INIT_LOCAL, FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT1,
	  FR_OUT_RST_RECEIVED, FR_CAUSE_PEER_RESET, FR_INIT_LOCAL, NULL },
	{ "peer RST during the handshake (SYN_RECV)", F(RST_RCVD), FR_INIT_PEER,
	  FR_CAUSE_NONE, FR_TCP_SYN_RECV, FR_TCP_SYN_RECV, FR_OUT_RST_RECEIVED,
	  FR_CAUSE_PEER_RESET, FR_INIT_PEER, NULL },
	{ "SYN answered by RST", F(RST_RCVD), FR_INIT_PEER, FR_CAUSE_NONE,
	  FR_TCP_SYN_SENT, FR_TCP_SYN_SENT, FR_OUT_REFUSED,
	  FR_CAUSE_CONNECTION_REFUSED, FR_INIT_PEER, NULL },

	/* timeouts */
	{ "retransmissions exhausted", F(TIMED_OUT), FR_INIT_KERNEL,
	  FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED, FR_OUT_TIMEOUT,
	  FR_CAUSE_RETRANSMIT_TIMEOUT, FR_INIT_KERNEL, NULL },
	{ "SYN retries exhausted, nothing recorded as first", F(TIMED_OUT),
	  FR_INIT_NONE, FR_CAUSE_NONE, FR_TCP_SYN_SENT, FR_TCP_SYN_SENT,
	  FR_OUT_TIMEOUT, FR_CAUSE_RETRANSMIT_TIMEOUT, FR_INIT_KERNEL, NULL },
	{ "our FIN never acknowledged", F(LOCAL_FIN) | F(CLOSED) | F(TIMED_OUT),
	  FR_INIT_LOCAL, FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_FIN_WAIT1,
	  FR_OUT_TIMEOUT, FR_CAUSE_RETRANSMIT_TIMEOUT, FR_INIT_LOCAL, NULL },

	/* initiator fallbacks when `first` is unknown */
	{ "nothing first, not closed: the kernel", 0, FR_INIT_NONE,
	  FR_CAUSE_NONE, FR_TCP_ESTABLISHED, FR_TCP_ESTABLISHED, FR_OUT_FIN,
	  FR_CAUSE_CLOSE, FR_INIT_KERNEL, NULL },
};

int main(void)
{
	bool seen[FR_CAUSE__MAX] = { false };
	size_t i;
	int c, spec_fail = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct facts *t = &cases[i];
		struct fr_record r;
		bool ok;

		memset(&r, 0, sizeof(r));
		r.type = FR_REC_TEARDOWN;
		r.flags = t->flags;
		r.first = t->first;
		r.rst_cause = t->rst_cause;
		r.state = t->state;
		r.end_from = t->end_from;
		/* garbage the classifier must overwrite */
		r.outcome = r.cause = r.initiator = 0xee;
		fr_classify(&r);

		ok = r.outcome == t->outcome && r.cause == t->cause &&
		     r.initiator == t->initiator;
		CHECKF(ok, "%s: got %s/%s/%s, want %s/%s/%s%s%s", t->what,
		       fr_outcome_name(r.outcome), fr_cause_name(r.cause),
		       fr_initiator_name(r.initiator),
		       fr_outcome_name(t->outcome), fr_cause_name(t->cause),
		       fr_initiator_name(t->initiator),
		       t->spec ? "\n  [SPEC] " : "", t->spec ? t->spec : "");
		if (!ok && t->spec)
			spec_fail++;
		if (t->cause < FR_CAUSE__MAX)
			seen[t->cause] = true;
	}
	/* Every SPEC §2 cause is covered by some fact set above (all but
	 * FR_CAUSE_NONE, which fr_classify() never leaves, and no_socket,
	 * which only RST records have: bpf/nosock.bpf.h sets it). */
	for (c = FR_CAUSE_NONE + 1; c < FR_CAUSE__MAX; c++)
		CHECKF(seen[c] || c == FR_CAUSE_NO_SOCKET,
		       "no case for cause %s", fr_cause_name((unsigned)c));
	if (spec_fail)
		fprintf(stderr,
			"test_classify: %d failure(s) marked [SPEC] are rules "
			"of bpf/finrst.h that disagree with SPEC.md §2\n",
			spec_fail);
	return check_exit("test_classify");
}
