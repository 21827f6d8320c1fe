/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state.bpf.h - the per-socket state machine: births, local calls, FINs,
 * RSTs sent and received, and the end of a socket's life.
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_STATE_BPF_H
#define FINRST_STATE_BPF_H

/* The state at the first local call (close, shutdown, disconnect). */
static __always_inline void note_state(struct fr_sock *s, int old)
{
	if (!s->state_set) {
		s->rec.state = old;
		s->state_set = 1;
	}
}

/* The facts of a close() of the last reference, taken when it happens. */
static __always_inline void note_close(struct sock *sk, struct tcp_sock *tp,
				       struct fr_sock *s, int old, int new,
				       bool exiting)
{
	struct fr_record *r = &s->rec;
	unsigned long lt = sk->sk_lingertime;

	if (r->flags & FR_F_CLOSED)
		return;
	r->flags |= FR_F_CLOSED;
	if (exiting)
		r->flags |= FR_F_BY_EXIT;
	if (sk_flag(sk, SOCK_LINGER)) {
		r->flags |= FR_F_LINGER_ON;
		/* sk_lingertime is in jiffies (sock_setsockopt: l_linger * HZ) */
		r->linger_secs = hz ? lt / hz : 0;
	}
	r->unread_bytes = unread_bytes(sk, tp);
	/* tcp_segs_in() counts a segment before tcp_v4_do_rcv() handles it:
	 * any data segment after this one met a closed socket */
	s->segs_at_close = tp->data_segs_in;
	/* before this close's tcp_send_fin(); an earlier FIN (shutdown) is
	 * still out in exactly these states. Told by the state, not by the
	 * FIN_WAIT1 -> FIN_WAIT2 event, which 6.18 was seen to skip. */
	r->unsent_bytes = unsent_bytes(tp, old == FR_TCP_SYN_SENT,
				       old == FR_TCP_FIN_WAIT1 ||
					       old == FR_TCP_CLOSING ||
					       old == FR_TCP_LAST_ACK);
	set_task(r);
	note_state(s, old);
	/* __tcp_close() waits in sk_stream_wait_close() while the state is
	 * FIN_WAIT1, CLOSING or LAST_ACK, unless the close comes from exit
	 * (then timeout is 0: inet_release checks PF_EXITING). */
	if ((r->flags & FR_F_LINGER_ON) && lt && !exiting &&
	    (new == FR_TCP_FIN_WAIT1 || new == FR_TCP_CLOSING ||
	     new == FR_TCP_LAST_ACK)) {
		__u32 tid = current_tid();
		__u64 skp = (__u64)sk;

		r->flags |= FR_F_LINGER_WAIT;
		s->close_start_ns = bpf_ktime_get_ns();
		s->closer_tid = tid;
		bpf_map_delete_elem(&close_ends, &skp);
		if (!bpf_map_update_elem(&lingering, &tid, &skp, BPF_ANY))
			__sync_fetch_and_add(&nr_lingering, 1);
	}
}

static __always_inline void note_shutdown_call(struct fr_sock *s, int old)
{
	note_state(s, old);
	if (!(s->rec.flags & FR_F_CLOSED))
		set_task(&s->rec);
}

static __always_inline void set_first(struct fr_record *r, __u8 who)
{
	if (r->first == FR_INIT_NONE)
		r->first = who;
}

/* A fresh connection on this socket (connect, or a child of a listener). */
static __always_inline void birth(struct sock *sk, int role)
{
	struct fr_sock *s;
	bool tracked;
	__u64 cookie;

	if (tracking_off)
		return;
	s = sock_entry(sk, true, role != FR_ROLE_SERVER);
	if (!s)
		return;
	/* A second birth without an end (the same event handled twice, see
	 * struct fr_event) restarts the record but is not a new one. */
	tracked = s->born && !s->emitted;
	cookie = s->cookie;
	__builtin_memset(s, 0, sizeof(*s));
	if (!tracked)
		count(FR_CNT_TRACKED);
	s->cookie = cookie;
	s->born = 1;
	s->birth_ns = bpf_ktime_get_ns();
	s->rec.role = role;
	/* connect() runs in its caller: that task owns the socket. */
	if (role == FR_ROLE_CLIENT)
		set_task(&s->rec);
}

/*
 * A transition to CLOSE: the end of the socket's life, unless a RST from the
 * same call is still to come (tcp_set_state(CLOSE) runs before
 * tcp_send_active_reset in __tcp_close and tcp_disconnect).
 */
static __always_inline void on_close_state(struct sock *sk, struct tcp_sock *tp,
					   struct fr_sock *s, int old,
					   __u64 now)
{
	struct fr_record *r = &s->rec;
	bool exiting, child;
	int kind = local_call(sk, &exiting, &child);

	r->end_from = old;
	snapshot(sk, tp, s);

	if (s->reply_rst) {
		/* data after close: tcp_reset() set sk_err, no RST came in */
		s->pending = 1;
		return;
	}

	if (r->flags & FR_F_RST_RCVD || old == FR_TCP_SYN_SENT) {
		/* tcp_reset() / SYN_SENT: refused, reset, timed out, or
		 * closed before the handshake finished. */
		if (r->err == ETIMEDOUT)
			r->flags |= FR_F_TIMED_OUT;
		if (kind == CALL_CLOSE && !(r->flags & FR_F_RST_RCVD))
			note_close(sk, tp, s, old, FR_TCP_CLOSE, exiting);
		else if (kind != CALL_NONE && !(r->flags & FR_F_RST_RCVD))
			set_task(r);
		emit(sk, s, now);
		return;
	}
	if (r->flags & FR_F_RST_SENT) {
		/* A timer's RST came first (keepalive, FIN_WAIT2, memory):
		 * handle_sock_rst() has set rst_cause. */
		emit(sk, s, now);
		return;
	}
	if (r->err) {
		/* tcp_write_err(): retransmissions or TCP_USER_TIMEOUT give
		 * ETIMEDOUT (or the soft error an ICMP left in sk_err_soft) */
		r->flags |= FR_F_TIMED_OUT;
		set_first(r, FR_INIT_KERNEL);
		emit(sk, s, now);
		return;
	}

	if (kind == CALL_CLOSE) {
		note_close(sk, tp, s, old, FR_TCP_CLOSE, exiting);
		s->local_rst = 1;
		if (child) {
			r->rst_cause = FR_CAUSE_LISTENER_CLOSED;
		} else if (r->unread_bytes) {
			r->rst_cause = FR_CAUSE_UNREAD_DATA;
		} else if (sk_flag(sk, SOCK_LINGER) && !sk->sk_lingertime) {
			r->rst_cause = FR_CAUSE_LINGER_ZERO;
		} else if (old == FR_TCP_FIN_WAIT2 && sk_flag(sk, SOCK_DEAD) &&
			   tp->linger2 < 0) {
			r->rst_cause = FR_CAUSE_LINGER2;
		} else if (old == FR_TCP_ESTABLISHED ||
			   old == FR_TCP_CLOSE_WAIT || old == FR_TCP_SYN_RECV) {
			r->rst_cause = FR_CAUSE_MEMORY; /* tcp_check_oom() */
		} else {
			/* After its FIN, __tcp_close() either resets for
			 * memory right after this (tcp_check_oom(),
			 * TCPAbortOnMemory), or this is the end that the
			 * segments it took from the backlog, or FIN_WAIT2's
			 * tcp_time_wait(), made. The RST, or else
			 * tcp_destroy_sock (within the same close), tells. */
			r->rst_cause = FR_CAUSE_MEMORY;
			s->maybe_rst = 1;
		}
	} else if (kind == CALL_DISCONNECT) {
		/* connect(AF_UNSPEC) -> tcp_disconnect(); not a close */
		r->rst_cause = FR_CAUSE_DISCONNECT;
		s->local_rst = 1;
		r->unread_bytes = unread_bytes(sk, tp);
		set_task(r);
		note_state(s, old);
	} else if (old == FR_TCP_ESTABLISHED || old == FR_TCP_CLOSE_WAIT ||
		   old == FR_TCP_SYN_RECV) {
		/* Only an abort leaves these states for CLOSE without a RST
		 * received or an error (tcp_abort, netns teardown, ...). */
		r->rst_cause = FR_CAUSE_RST_OTHER;
	} else if (old == FR_TCP_FIN_WAIT2 && r->flags & FR_F_CLOSED &&
		   sk_flag(sk, SOCK_DEAD)) {
		/* tcp_rcv_state_process(), an orphan's FIN_WAIT1 -> FIN_WAIT2:
		 * with TCP_LINGER2 < 0, or new data with the ACK of its FIN,
		 * it calls tcp_done() at once (TCPAbortOnData) and its caller
		 * replies with RST; otherwise tcp_time_wait() (below). */
		if (tp->linger2 < 0)
			r->rst_cause = FR_CAUSE_LINGER2;
		else if (tp->data_segs_in != s->segs_at_close)
			r->rst_cause = FR_CAUSE_DATA_AFTER_CLOSE;
		s->reply_rst = r->rst_cause != FR_CAUSE_NONE;
	}

	/* FIN_WAIT1/FIN_WAIT2/CLOSING -> CLOSE with no RST and no error is
	 * tcp_time_wait(): a timewait socket takes over (KERNELS.md). */
	if ((r->rst_cause == FR_CAUSE_NONE || s->maybe_rst) &&
	    (old == FR_TCP_FIN_WAIT1 || old == FR_TCP_FIN_WAIT2 ||
	     old == FR_TCP_CLOSING)) {
		r->flags |= tw_table_full(sk) ? FR_F_TW_SKIPPED :
						FR_F_TIME_WAIT;
		/* tcp_time_wait() copies these (tcptw->tw_rcv_nxt,
		 * tw_rcv_wnd = tcp_receive_window()); tcp_fin() sets
		 * SOCK_DONE, and without it the substate is FIN_WAIT2 */
		s->tw_rcv_nxt = tp->rcv_nxt;
		s->tw_rcv_wnd = tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt;
		if ((int)s->tw_rcv_wnd < 0)
			s->tw_rcv_wnd = 0;
		s->tw_fin_wait2 = old == FR_TCP_FIN_WAIT2 &&
				  !sk_flag(sk, SOCK_DONE);
	}
	if (r->rst_cause != FR_CAUSE_NONE) {
		set_first(r, FR_INIT_LOCAL);
		s->pending = 1;
		return;
	}
	emit(sk, s, now);
}

static __always_inline int handle_set_state(struct sock *sk, int old, int new)
{
	struct tcp_sock *tp;
	struct fr_sock *s;
	bool exiting, child;

	/* The handshake's end (SYN_SENT or SYN_RECV -> ESTABLISHED) changes
	 * nothing in a record: two of a connection's ten runs stop here. */
	if (new == FR_TCP_ESTABLISHED || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || !sk_wanted(sk))
		return 0;

	if (new == FR_TCP_SYN_SENT) {
		birth(sk, FR_ROLE_CLIENT);
		return 0;
	}
	if (new == FR_TCP_SYN_RECV && old == FR_TCP_LISTEN) {
		/* inet_csk_clone_lock(): the child starts as a listener copy */
		birth(sk, FR_ROLE_SERVER);
		return 0;
	}
	if (old == FR_TCP_LISTEN || new == FR_TCP_LISTEN) {
		/* Listeners are not connections: no record. Their port is a
		 * service port for the metrics. */
		if (metrics_on && new == FR_TCP_LISTEN)
			label_port(sk->__sk_common.skc_num);
		s = sock_state(sk, false);
		if (s) {
			if (s->born && !s->emitted)
				count(FR_CNT_ENDED); /* not a connection */
			sock_drop(sk);
		}
		return 0;
	}

	s = sock_state(sk, true);
	if (!s || s->emitted)
		return 0;

	switch (new) {
	case FR_TCP_CLOSE:
		if (old != FR_TCP_CLOSE)
			on_close_state(sk, tp, s, old, bpf_ktime_get_ns());
		return 0;
	case FR_TCP_CLOSE_WAIT:
		/* tcp_fin(): the peer's FIN, in whatever context it lands */
		s->rec.flags |= FR_F_PEER_FIN;
		s->seq_at_peer_fin = tp->write_seq;
		set_first(&s->rec, FR_INIT_PEER);
		return 0;
	case FR_TCP_CLOSING:
		if (old == FR_TCP_FIN_WAIT1) {
			/* tcp_fin() in FIN_WAIT1: the FINs crossed */
			s->rec.flags |= FR_F_SIMULT | FR_F_PEER_FIN;
			s->rec.first = FR_INIT_SIMULTANEOUS;
			return 0;
		}
		break;
	case FR_TCP_FIN_WAIT2:
		if (old == FR_TCP_FIN_WAIT1) {
			s->rec.flags |= FR_F_FIN_ACKED;
			s->fin_acked_ns = bpf_ktime_get_ns();
			return 0;
		}
		break;
	}

	/* Transitions a local call makes: tcp_close_state() from __tcp_close
	 * or tcp_shutdown (ESTABLISHED->FIN_WAIT1, CLOSE_WAIT->LAST_ACK, and
	 * same-state calls such as FIN_WAIT2->FIN_WAIT2). */
	int kind = local_call(sk, &exiting, &child);

	if (kind == CALL_NONE)
		return 0;
	if (kind == CALL_CLOSE)
		note_close(sk, tp, s, old, new, exiting);
	else if (kind == CALL_SHUTDOWN)
		note_shutdown_call(s, old);

	if ((new == FR_TCP_FIN_WAIT1 &&old != FR_TCP_FIN_WAIT1) ||
	    (new == FR_TCP_LAST_ACK &&old == FR_TCP_CLOSE_WAIT)) {
		/* tcp_send_fin() follows tcp_close_state() */
		if (!(s->rec.flags & FR_F_LOCAL_FIN)) {
			s->rec.flags |= FR_F_LOCAL_FIN;
			if (kind == CALL_SHUTDOWN)
				s->rec.flags |= FR_F_FIN_BY_SHUTDOWN;
		}
		set_first(&s->rec, FR_INIT_LOCAL);
	}
	return 0;
}

/* Why did a timer send this RST on a live socket? */
static __always_inline __u8 timer_rst_cause(struct sock *sk, int state)
{
	if (state == FR_TCP_FIN_WAIT2 && sk_flag(sk, SOCK_DEAD))
		return FR_CAUSE_LINGER2; /* tcp_keepalive_timer, FIN_WAIT2 */
	if (sk_flag(sk, SOCK_DEAD))
		return FR_CAUSE_MEMORY; /* tcp_out_of_resources: orphans only */
	if (sk_flag(sk, SOCK_KEEPOPEN))
		return FR_CAUSE_KEEPALIVE_TIMEOUT; /* tcp_keepalive_timer: probes out */
	return FR_CAUSE_RST_OTHER;
}

/* A RST this host sends for a full socket. */
static __always_inline void handle_sock_rst(struct sock *sk,
					    const struct sk_buff *skb,
					    bool active, __u32 reason,
					    bool has_reason)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct fr_sock *s;
	int state;

	if (!tp || !sk_wanted(sk))
		return;
	state = sk->__sk_common.skc_state;
	/* A reply RST from a live socket (e.g. to an ACK it cannot accept):
	 * the connection goes on, and this RST is not part of its end. */
	if (state != FR_TCP_CLOSE && !active)
		return;
	s = sock_state(sk, true);
	if (!s || s->emitted)
		return;
	s->rec.flags |= FR_F_RST_SENT;
	if (has_reason) {
		s->rec.flags |= FR_F_KREASON;
		s->rec.kernel_reason = reason;
	}
	if (s->pending) {
		if (s->rec.rst_cause == FR_CAUSE_DATA_AFTER_CLOSE && skb)
			s->rec.late_bytes = seg_payload(skb);
		/* tcp_check_oom(): no timewait socket after all */
		if (s->maybe_rst)
			s->rec.flags &= ~(FR_F_TIME_WAIT | FR_F_TW_SKIPPED);
		emit(sk, s, bpf_ktime_get_ns());
		/* an orphan's tcp_destroy_sock came first (tcp_done) */
		if (s->destroyed && !test_stale_entries)
			sock_drop(sk);
		return;
	}
	if (state != FR_TCP_CLOSE) {
		/* Timers reset first and close after (tcp_keepalive_timer,
		 * tcp_out_of_resources): the CLOSE transition ends it. */
		s->rec.rst_cause = timer_rst_cause(sk, state);
		set_first(&s->rec, FR_INIT_KERNEL);
		return;
	}
	s->rec.rst_cause = FR_CAUSE_RST_OTHER;
	set_first(&s->rec, FR_INIT_LOCAL);
	emit(sk, s, bpf_ktime_get_ns());
}

static __always_inline void handle_send_reset(const struct sock *csk,
					      const struct sk_buff *skb,
					      __u32 reason, bool has_reason)
{
	struct sock *sk = (struct sock *)csk;

	if (!sk || !bpf_skc_to_tcp_sock(sk) ||
	    sk->__sk_common.skc_state == FR_TCP_LISTEN) {
		struct fr_seg g;

		if (skb && seg_parse(skb, &g))
			handle_nosock_rst(sk, skb, &g, reason, has_reason,
					  sk && sk->__sk_common.skc_state ==
							  FR_TCP_TIME_WAIT);
		return;
	}
	handle_sock_rst(sk, skb, rst_active(sk, skb), reason, has_reason);
}

static __always_inline void handle_receive_reset(struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct fr_record *r;
	struct fr_sock *s;
	int state;

	if (!tp || !sk_wanted(sk))
		return;
	s = sock_state(sk, true);
	if (!s || s->emitted)
		return;
	r = &s->rec;
	state = sk->__sk_common.skc_state;
	/* tcp_rcv_state_process(): new data in FIN_WAIT1/2 (or CLOSING,
	 * LAST_ACK) after the receive side was shut calls tcp_reset() too
	 * (TCPAbortOnData), and the caller then sends a RST: no RST was
	 * received. A data segment since the close tells it (tcp_segs_in()
	 * counted it, and the first one after close() is the one). */
	/* sk_shutdown: a plain u8 on every kernel finrst supports (a
	 * bitfield before 5.6) */
	if (r->flags & FR_F_CLOSED && sk->sk_shutdown & RCV_SHUTDOWN &&
	    tp->data_segs_in != s->segs_at_close &&
	    (state == FR_TCP_FIN_WAIT1 || state == FR_TCP_FIN_WAIT2 ||
	     state == FR_TCP_CLOSING || state == FR_TCP_LAST_ACK)) {
		r->rst_cause = FR_CAUSE_DATA_AFTER_CLOSE;
		s->reply_rst = 1;
		set_first(r, FR_INIT_LOCAL);
		return;
	}
	/* tcp_reset() fires this before it sets sk_err and calls tcp_done() */
	r->flags |= FR_F_RST_RCVD;
	set_first(r, FR_INIT_PEER);
	/* CLOSE_WAIT or LAST_ACK: did this side write after the peer's FIN?
	 * (tcp_send_fin() takes a sequence number for our own FIN) */
	if (r->flags & FR_F_PEER_FIN &&
	    (state == FR_TCP_CLOSE_WAIT || state == FR_TCP_LAST_ACK)) {
		__u32 late = tp->write_seq - s->seq_at_peer_fin;

		if (state == FR_TCP_LAST_ACK && late)
			late--;
		if (late) {
			r->flags |= FR_F_LATE_WRITE;
			r->late_bytes = late;
		}
	}
}

static __always_inline void handle_destroy(struct sock *sk)
{
	struct fr_sock *s;

	if (!bpf_skc_to_tcp_sock(sk))
		return;
	s = sock_state(sk, false);
	if (!s)
		return;
	/* An orphan that tcp_rcv_state_process() ended: tcp_done()
	 * destroys it before the caller sends the RST that finishes the
	 * record (handle_sock_rst). */
	if (s->pending && !s->emitted && s->reply_rst) {
		s->destroyed = 1;
		return;
	}
	/* A record still waiting for its RST (allocation failure in
	 * tcp_send_active_reset): deliver what is known. */
	if (s->pending && !s->emitted)
		emit(sk, s, bpf_ktime_get_ns());
	/* tcp_v4_destroy_sock(), for IPv6 too: the socket's last event */
	if (!test_stale_entries)
		sock_drop(sk);
}

#endif
