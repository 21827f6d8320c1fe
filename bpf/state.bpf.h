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

/*
 * A new entry is made whole in a per-CPU slot and inserted with one update:
 * one hash operation at a birth instead of three (a lookup, the insert of
 * zeroes, the lookup of what was inserted). Only tp_set_state makes births,
 * and the kernel never runs it nested on one CPU (prog->active), so the
 * slot of a CPU is never shared.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_sock);
} newborn SEC(".maps");

static __always_inline void start_record(struct fr_sock *s, int role)
{
	s->born = 1;
	s->last_state = role == FR_ROLE_CLIENT ? FR_TCP_SYN_SENT :
						 FR_TCP_SYN_RECV;
	s->birth_ns = bpf_ktime_get_ns();
	s->rec.role = role;
	/* connect() runs in its caller: that task owns the socket. */
	if (role == FR_ROLE_CLIENT)
		set_task(&s->rec);
}

/* A fresh connection on this socket (connect, or a child of a listener). */
static __always_inline void birth(struct sock *sk, int role)
{
	__u64 key = (__u64)sk;
	struct fr_sock *s;
	__u32 zero = 0;
	bool tracked;

	if (tracking_off)
		return;
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s) {
		s = bpf_map_lookup_elem(&newborn, &zero);
		if (!s)
			return;
		__builtin_memset(s, 0, sizeof(*s));
		/* a listener's child takes its cookie later (sock_entry) */
		if (role == FR_ROLE_CLIENT)
			s->cookie = sk_cookie(sk);
		start_record(s, role);
		if (bpf_map_update_elem(&socks, &key, s, BPF_NOEXIST)) {
			count(FR_CNT_NO_STORAGE); /* the map is full */
			return;
		}
		count(FR_CNT_TRACKED);
		return;
	}
	/* The address has an entry: a dead socket's (sock_done), which this
	 * one takes over, as a rule; or one whose end no program saw
	 * (another cookie); or this socket's own, after tcp_disconnect(), or
	 * unfinished: a second birth without an end restarts the record but
	 * is not a new one. */
	tracked = !s->dead && s->born && !s->emitted &&
		  (!s->cookie ||
		   s->cookie == (__u64)sk->__sk_common.skc_cookie.counter);
	__builtin_memset(s, 0, sizeof(*s));
	if (!tracked)
		count(FR_CNT_TRACKED);
	/* a listener's child takes its cookie later (sock_entry) */
	if (role == FR_ROLE_CLIENT)
		s->cookie = sk_cookie(sk);
	start_record(s, role);
}

/*
 * A transition to CLOSE: the end of the socket's life, unless a RST from the
 * same call is still to come (tcp_set_state(CLOSE) runs before
 * tcp_send_active_reset in __tcp_close and tcp_disconnect).
 */
static __always_inline void on_close_state(struct sock *sk, struct tcp_sock *tp,
					   struct fr_sock *s, int old,
					   __u64 now, int kind, bool exiting,
					   bool child)
{
	struct fr_record *r = &s->rec;

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

/*
 * No twin program catches the transitions the kernel skips: a tracing
 * program runs at most once per CPU at a time (__bpf_trace_run(),
 * prog->active, counted in recursion_misses), so a softirq that changes
 * another socket's state while tp_set_state runs in process context goes
 * unseen. A second program on every event cost ~70 ns per event (7 of a
 * connection's 14 runs on 6.18) for about one event in 40,000 at full
 * churn; these events are now re-derived instead. Only softirq events are
 * ever skipped (connect, close and shutdown run in process context, and
 * tracepoints run with preemption off), and the only ones that have been
 * seen skipped are an orphan's FIN_WAIT1 -> FIN_WAIT2 and its end. So:
 * the socket's next event finds that its old state is not the last one
 * handled (last_state), and replays what the skipped transitions record,
 * from the socket as it is (catch_up); a skipped CLOSE leaves the record
 * to tcp_destroy_sock, which ends it (handle_destroy). What cannot be
 * replayed: a skipped birth (the record then has role unknown and no
 * lifetime, as for a socket older than finrst), and the exact times of a
 * skipped FIN_WAIT2 or CLOSE. Every skip counts in the exit line's
 * skipped= (fr_loader_missed), and a record nothing finished counts in
 * lost= (the exit reconciliation), so nothing goes silently.
 */
static __always_inline void catch_up(struct tcp_sock *tp, struct fr_sock *s,
				     int old)
{
	struct fr_record *r = &s->rec;
	int last = s->last_state;

	/* the handshake's end is never handled (handle_set_state) */
	if (!last || old == last ||
	    (old == FR_TCP_ESTABLISHED &&
	     (last == FR_TCP_SYN_SENT || last == FR_TCP_SYN_RECV)))
		return;
	if ((old == FR_TCP_CLOSE_WAIT || old == FR_TCP_LAST_ACK) &&
	    !(r->flags & FR_F_PEER_FIN)) {
		/* tcp_fin() in ESTABLISHED: the peer's FIN came first. Its
		 * ACK covered what was sent before it, as a rule: the bytes
		 * still unacknowledged are taken as written after it. */
		r->flags |= FR_F_PEER_FIN;
		s->seq_at_peer_fin = tp->snd_una;
		set_first(r, FR_INIT_PEER);
	} else if (old == FR_TCP_FIN_WAIT2 && last == FR_TCP_FIN_WAIT1) {
		r->flags |= FR_F_FIN_ACKED;
		s->fin_acked_ns = bpf_ktime_get_ns();
	} else if (old == FR_TCP_CLOSING && last == FR_TCP_FIN_WAIT1) {
		r->flags |= FR_F_SIMULT | FR_F_PEER_FIN;
		r->first = FR_INIT_SIMULTANEOUS;
	}
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
	catch_up(tp, s, old);
	s->last_state = new;

	switch (new) {
	case FR_TCP_CLOSE:
		if (old != FR_TCP_CLOSE) {
			int kind = local_call(sk, &exiting, &child);

			on_close_state(sk, tp, s, old, bpf_ktime_get_ns(), kind,
				       exiting, child);
		}
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
			/* only a close() blocked in linger, which began
			 * before (note_close), compares it (emit) */
			if (s->rec.flags & FR_F_LINGER_WAIT)
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
	catch_up(tp, s, state);
	s->last_state = state;
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
		if (s->destroyed)
			sock_done(sk, s);
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

/* A RST received in @state (tcp_reset). */
static __always_inline void rst_received(struct tcp_sock *tp, struct fr_sock *s,
					 int state)
{
	struct fr_record *r = &s->rec;

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
	catch_up(tp, s, state);
	s->last_state = state;
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
	rst_received(tp, s, state);
}

/*
 * Did tcp_keepalive_timer() reset this connection? It sends the RST
 * (tcp_send_active_reset) and ends the socket (tcp_write_err) when its
 * probes went unanswered: SO_KEEPALIVE on, icsk_probes_out at
 * keepalive_probes(), or one probe out with TCP_USER_TIMEOUT set. It
 * probes only a connection with nothing to send or to acknowledge
 * (tcp_write_queue_empty, no packets_out), so snd_una is write_seq; the
 * zero-window probe timer's end (tcp_probe_timer) leaves data unsent.
 * icsk_probes_out outlives tcp_done().
 */
static __always_inline bool keepalive_reset(struct sock *sk,
					    struct tcp_sock *tp)
{
	struct inet_connection_sock *icsk = &tp->inet_conn;
	__u8 probes = BPF_CORE_READ(icsk, icsk_probes_out);
	__u8 limit;

	if (!sk_flag(sk, SOCK_KEEPOPEN) || !probes ||
	    tp->snd_una != tp->write_seq)
		return false;
	if (BPF_CORE_READ(icsk, icsk_user_timeout))
		return true;
	limit = BPF_CORE_READ(tp, keepalive_probes) ?:
			BPF_CORE_READ(sk, __sk_common.skc_net.net,
				      ipv4.sysctl_tcp_keepalive_probes);
	return probes >= limit;
}

/*
 * What ended a socket whose CLOSE no program saw (handle_destroy), from
 * the state before it. The CLOSE ran in a softirq (it was skipped), so no
 * local call made it: from these states an error, a RST or an abort leads
 * to CLOSE, and the process may have read sk_err away (sock_error) before
 * its close(). A keepalive timeout shows in the probes (its RST went
 * unseen with the CLOSE: the live path's record, handle_sock_rst), a
 * retransmission timeout in the retransmissions tcp_write_timeout()
 * counted, a zero-window probe timeout (tcp_probe_timer) in the probes
 * with data unsent. What is left in ESTABLISHED and CLOSE_WAIT is a RST
 * received: no other softirq path ends a socket that has its file there
 * (tcp_abort and tcp_disconnect run in process context; ICMP errors end
 * only SYN_SENT and SYN_RECV, tcp_v4_err), and tcp_reset() sets
 * ECONNRESET, or EPIPE in CLOSE_WAIT.
 */
static __always_inline void replay_end(struct sock *sk, struct tcp_sock *tp,
				       struct fr_sock *s, int old)
{
	struct inet_connection_sock *icsk = &tp->inet_conn;
	struct fr_record *r = &s->rec;
	int err = sk->sk_err;

	if (r->flags & (FR_F_RST_SENT | FR_F_RST_RCVD))
		return;
	/* a socket with a file: not the orphan's FIN_WAIT2 timeout, whose
	 * tcp_done() destroys it in the same softirq */
	if ((old == FR_TCP_ESTABLISHED || old == FR_TCP_CLOSE_WAIT ||
	     old == FR_TCP_FIN_WAIT2) &&
	    keepalive_reset(sk, tp)) {
		r->flags |= FR_F_RST_SENT;
		if (bpf_core_enum_value_exists(
			    enum sk_rst_reason,
			    SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT)) {
			r->flags |= FR_F_KREASON;
			r->kernel_reason = bpf_core_enum_value(
				enum sk_rst_reason,
				SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT);
		}
		r->rst_cause = FR_CAUSE_KEEPALIVE_TIMEOUT;
		set_first(r, FR_INIT_KERNEL);
		/* tcp_write_err(), unless sk_err_soft gave another */
		s->err_hint = ETIMEDOUT;
		return;
	}
	if (old != FR_TCP_ESTABLISHED && old != FR_TCP_CLOSE_WAIT &&
	    old != FR_TCP_SYN_SENT)
		return;
	if (!err &&
	    (BPF_CORE_READ(icsk, icsk_retransmits) ||
	     (old != FR_TCP_SYN_SENT && BPF_CORE_READ(icsk, icsk_probes_out) &&
	      tp->snd_una != tp->write_seq))) {
		s->err_hint = ETIMEDOUT;
		return;
	}
	if (old != FR_TCP_SYN_SENT &&
	    (!err || err == ECONNRESET || err == EPIPE))
		rst_received(tp, s, old);
}

static __always_inline void handle_destroy(struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct fr_sock *s;

	if (!tp)
		return;
	s = sock_state(sk, false);
	if (!s)
		return;
	if (s->born && !s->emitted && !s->pending && !s->rec.end_from) {
		/* The kernel skipped this socket's CLOSE (catch_up): the
		 * record ends here, in the same softirq when tcp_done()
		 * destroyed an orphan, else at the last close(). The CLOSE
		 * ran in a softirq (it was skipped), so no local call made
		 * it. An orphan whose FIN was acknowledged left FIN_WAIT2
		 * (tcp_rcv_state_process). */
		int old = s->last_state;

		if (!old) /* never seen before (sock_state): cannot be */
			old = sk->__sk_common.skc_state;
		/* ESTABLISHED is never handled: a client's SYN was
		 * acknowledged (tcp_ack() counted it in bytes_acked), a
		 * child is established right after its birth */
		if ((old == FR_TCP_SYN_SENT && tp->bytes_acked) ||
		    old == FR_TCP_SYN_RECV)
			old = FR_TCP_ESTABLISHED;
		if (old == FR_TCP_FIN_WAIT1 && tp->snd_una == tp->write_seq)
			old = FR_TCP_FIN_WAIT2;
		catch_up(tp, s, old);
		replay_end(sk, tp, s, old);
		on_close_state(sk, tp, s, old, bpf_ktime_get_ns(), CALL_NONE,
			       false, false);
	}
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
	sock_done(sk, s);
}

#endif
