/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock.bpf.h - socket entries (the record under construction, one per
 * socket, in `socks`), the socket filters, the snapshot of a socket at its
 * end, and the liveness of an entry (the exit reconciliation and the sweep).
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_SOCK_BPF_H
#define FINRST_SOCK_BPF_H

/* Per-socket state, from the first event to tcp_destroy_sock. */
struct fr_sock {
	struct fr_record rec;
	__u64 cookie; /* the socket's cookie: whose entry this is */
	__u64 birth_ns;
	__u64 close_start_ns; /* close() began to wait in linger */
	__u64 fin_acked_ns;   /* our FIN was acknowledged */
	__u32 closer_tid;
	__u32 owner_pid;     /* the task that accepted it (server) */
	__u32 segs_at_close; /* tp->data_segs_in at the local close */
	/* the timewait socket that takes over (tcp_time_wait): its
	 * tw_rcv_nxt and receive window, and whether its substate is
	 * FIN_WAIT2 (no FIN from the peer yet) */
	__u32 tw_rcv_nxt;
	__u32 tw_rcv_wnd;
	__u8 tw_fin_wait2;
	__u32 seq_at_peer_fin; /* tp->write_seq when the peer's FIN came */
	char owner_comm[FR_COMM_LEN];
	__u8 pending; /* ended; waiting for the RST it will send */
	__u8 emitted;
	__u8 state_set; /* rec.state holds the state at a local call */
	__u8 born;
	__u8 marked;	/* counted live by the exit reconciliation */
	__u8 local_rst; /* its RST comes from a local call (task) */
	/* ended by tcp_done() in tcp_rcv_state_process(); its caller's
	 * reply RST (tcp_v{4,6}_do_rcv, reset:) finishes the record */
	__u8 reply_rst;
	__u8 destroyed; /* ... and tcp_destroy_sock ran before that RST */
	/* ended inside close() after its FIN: a memory RST may follow */
	__u8 maybe_rst;
	/* the new state of the last transition handled (0: none yet), to
	 * tell that the kernel skipped one (state.bpf.h, catch_up) */
	__u8 last_state;
	/* sk_err to take if the socket's is 0 (handle_destroy) */
	__u8 err_hint;
	/* its socket was destroyed and its record finished (sock_done) */
	__u8 dead;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FR_MAX_SOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* struct sock address */
	__type(value, struct fr_sock);
} socks SEC(".maps");

/*
 * Why a hash and not socket local storage (BPF_MAP_TYPE_SK_STORAGE): creating
 * local storage (bpf_local_storage_alloc: two memcg-charged kzallocs under a
 * lock taken with interrupts off) and freeing it in __sk_destruct() cost
 * about 1.2 us more per connection than this map's insert and delete (from
 * the BPF memory allocator's per-CPU caches, 6.1+), measured on 6.18.
 * The price: an entry outlives its socket when no program ran for the
 * socket's tcp_destroy_sock. The cookie tells such an entry from the state
 * of a new socket at the same address (sock_entry), and sock_liveness
 * from a live one; the next socket at that address takes the entry over,
 * and the sweep (FR_LIVE_SWEEP) deletes the others.
 */
static const struct fr_sock fr_sock_zero;

static __always_inline bool port_match(__u16 sport, __u16 dport)
{
	if (!nr_filter_ports)
		return true;
	for (int i = 0; i < FR_MAX_PORTS; i++) {
		if (i >= nr_filter_ports)
			break;
		if (filter_ports[i] == sport || filter_ports[i] == dport)
			return true;
	}
	return false;
}

/* --cgroup: is the socket's cgroup the one asked for, or below it?  A
 * socket belongs to the cgroup of the task that created it; accepted ones
 * to their listener's (cgroup_sk_alloc, cgroup_sk_clone).  The walk goes
 * up cgroup->self.parent (struct cgroup starts with its css). */
#define FR_CGROUP_MAX_DEPTH 32

static __always_inline bool cgroup_wanted(struct sock *sk)
{
	struct cgroup *cg = sk_cgroup(sk);

	for (int i = 0; i < FR_CGROUP_MAX_DEPTH && cg; i++) {
		if (BPF_CORE_READ(cg, kn, id) == filter_cgroup)
			return true;
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	return false;
}

/* The socket filters that do not depend on the record: netns, family, ports.
 * On the hot path the tp_btf arguments are BTF pointers, read directly
 * (CO-RE relocated loads) rather than through bpf_probe_read_kernel(). */
static __always_inline bool sk_wanted(struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET && family != AF_INET6)
		return false;
	if (filter_family && family != filter_family)
		return false;
	if (filter_netns &&
	    sk->__sk_common.skc_net.net->ns.inum != filter_netns)
		return false;
	if (filter_cgroup && !cgroup_wanted(sk))
		return false;
	if (nr_filter_ports) {
		/* a BTF load past struct sock is refused: read it */
		struct inet_sock *inet = (struct inet_sock *)sk;
		__u16 sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
		__u16 dport = bpf_ntohs(sk->__sk_common.skc_dport);

		if (!port_match(sport, dport))
			return false;
	}
	return true;
}

static __always_inline bool sk_flag(struct sock *sk, int bit)
{
	return sk->__sk_common.skc_flags & (1UL << bit);
}

/*
 * The entry of @sk: found, or created (zeroed) if asked and missing, or taken
 * over (zeroed) from a socket that was at the same address before. It takes
 * the socket's cookie when @cookie_final: at every event but the birth of a
 * listener's child, whose cookie inet_csk_clone_lock() sets from the
 * request's ir_cookie after the SYN_RECV state change (6.1); such an entry
 * takes it at the child's next event.
 */
static __always_inline struct fr_sock *sock_entry(struct sock *sk, bool create,
						  bool cookie_final)
{
	__u64 key = (__u64)sk;
	struct fr_sock *s = bpf_map_lookup_elem(&socks, &key);

	/* The cookie is read directly: the entry took it through
	 * sock_gen_cookie() (set once, never 0), and sk_prot_alloc() zeroes
	 * it for the next socket at this address. */
	if (s && (s->dead ||
		  (s->cookie &&
		   s->cookie != (__u64)sk->__sk_common.skc_cookie.counter))) {
		/* An earlier socket's: dead (sock_done), or one whose
		 * tcp_destroy_sock no program saw; if that one's record was
		 * started, it counts as lost at exit (tracked, never ended,
		 * not live). */
		if (!create)
			return NULL;
		__builtin_memset(s, 0, sizeof(*s));
	}
	if (!s) {
		if (!create)
			return NULL;
		bpf_map_update_elem(&socks, &key, &fr_sock_zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&socks, &key);
		if (!s) {
			count(FR_CNT_NO_STORAGE); /* the map is full */
			return NULL;
		}
	}
	if (!s->cookie && cookie_final)
		s->cookie = sk_cookie(sk);
	return s;
}

/* The socket's last event: its entry goes. */
static __always_inline void sock_drop(struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&socks, &key);
}

/*
 * The socket is destroyed and its record finished. Its entry is marked
 * dead and left for the next socket at the same address, which takes it
 * over (sock_entry) instead of inserting one: TCP sockets come from a slab
 * that hands a freed object out again first, so ~100 addresses served
 * 545,000 connections in a run here. A hash delete at every destroy and
 * an insert at every birth (the BPF memory allocator refilling and
 * draining its per-CPU caches, with memcg charges) cost ~1.2 us per
 * connection more on 6.18 (tools/bench/bpfcost). The sweep
 * (FR_LIVE_SWEEP) deletes the dead entries of addresses nobody took over.
 * Without the sweep (the reconciliation part refused) entries are deleted
 * here, as they were.
 */
static __always_inline void sock_done(struct sock *sk, struct fr_sock *s)
{
	if (test_stale_entries)
		return;
	if (recycle_entries)
		s->dead = 1;
	else
		sock_drop(sk);
}

static __always_inline struct fr_sock *sock_state(struct sock *sk, bool create)
{
	struct fr_sock *s;

	create = create && !tracking_off;
	s = sock_entry(sk, create, true);
	if (s && create && !s->born) {
		/* First sight of a socket that existed before finrst. */
		s->born = 1;
		s->rec.flags = FR_F_PREDATES;
		count(FR_CNT_TRACKED);
	}
	return s;
}

/* The current task's command; an io_uring worker thread ("iou-wrk-N")
 * works for its process: that one's. */
static __always_inline void current_comm(char *comm)
{
	struct task_struct *t = current_task();

	if (have_task_btf) {
		if (t->flags & PF_IO_WORKER)
			t = t->group_leader;
		/* Loads through the BTF pointer, not bpf_get_current_comm(),
		 * whose strscpy_pad() was ~10 % of tp_set_state with records
		 * (6.18). The kernel keeps comm NUL-terminated and
		 * zero-padded (__set_task_comm: strscpy_pad), and userspace
		 * reads a comm up to its NUL anyway. */
		__builtin_memcpy(comm, t->comm, FR_COMM_LEN);
		return;
	}
	if (BPF_CORE_READ(t, flags) & PF_IO_WORKER)
		t = BPF_CORE_READ(t, group_leader);
	bpf_core_read(comm, FR_COMM_LEN, &t->comm);
}

static __always_inline void set_task(struct fr_record *r)
{
	/* only records and --pid name a task: --metrics alone counts
	 * without one (bpf_get_current_comm() is ~40 ns) */
	if (!records_on && !filter_pid)
		return;
	r->pid = bpf_get_current_pid_tgid() >> 32;
	current_comm(r->comm);
}

/*
 * Bytes written but not acknowledged. A SYN still out (SYN_SENT) or our
 * FIN, queued by tcp_send_fin() and not yet acknowledged, takes one
 * sequence number between snd_una and write_seq that is no byte.
 */
static __always_inline __u32 unsent_bytes(struct tcp_sock *tp, bool syn_out,
					  bool fin_out)
{
	return tp->write_seq - tp->snd_una - (syn_out || fin_out);
}

/*
 * Snapshot everything the record needs from the socket.  Called when the
 * socket ends: tcp_disconnect() clears the tuple, byte counters and queues
 * right after the state change, so nothing can wait for later.
 */
static __always_inline void snapshot(struct sock *sk, struct tcp_sock *tp,
				     struct fr_sock *s)
{
	struct fr_record *r = &s->rec;
	__u16 family = sk->__sk_common.skc_family;

	r->family = family;
	if (family == AF_INET) {
		__builtin_memcpy(r->saddr, &sk->__sk_common.skc_rcv_saddr, 4);
		__builtin_memcpy(r->daddr, &sk->__sk_common.skc_daddr, 4);
	} else {
		__builtin_memcpy(
			r->saddr,
			sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(r->daddr,
				 sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8,
				 16);
	}
	/* inet_num is zeroed by inet_put_port() before the CLOSE tracepoint;
	 * inet_sport survives (tcp_set_state). */
	r->sport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	r->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	r->netns = sk->__sk_common.skc_net.net->ns.inum;
	r->cgroup_id = sk_cgroup_id(sk);
	/* bytes_acked counts the client's SYN (tcp_ack in SYN_SENT) and an
	 * acknowledged FIN; bytes_received counts the peer's FIN (tcp_fin
	 * sets SOCK_DONE).  Report payload only. */
	r->bytes_sent = tp->bytes_acked;
	if (r->role == FR_ROLE_CLIENT && r->bytes_sent)
		r->bytes_sent--;
	if (r->flags & FR_F_LOCAL_FIN && tp->snd_una == tp->write_seq &&
	    r->bytes_sent)
		r->bytes_sent--;
	r->bytes_received = tp->bytes_received;
	if (sk_flag(sk, SOCK_DONE) && r->bytes_received)
		r->bytes_received--;
	if (!(r->flags & FR_F_CLOSED))
		r->unsent_bytes = unsent_bytes(
			tp, sk->__sk_common.skc_state == FR_TCP_SYN_SENT,
			false);
	r->err = sk->sk_err ?: s->err_hint;
	/* tcp_retransmit_timer() counts the SYN's retransmissions in
	 * icsk_retransmits (a __u8, widened in later kernels: CO-RE) */
	if (r->end_from == FR_TCP_SYN_SENT)
		r->syns = 1 +
			  (__u8)BPF_CORE_READ(&tp->inet_conn, icsk_retransmits);
}

/* Received bytes nobody read.  A received FIN takes one sequence number;
 * __tcp_close() subtracts it too (len-- for TCPHDR_FIN).  Only tcp_fin()
 * sets SOCK_DONE, on every way into CLOSE_WAIT, CLOSING and TIME_WAIT. */
static __always_inline __u32 unread_bytes(struct sock *sk, struct tcp_sock *tp)
{
	__u32 n = tp->rcv_nxt - tp->copied_seq;

	if (sk_flag(sk, SOCK_DONE) && n > 0)
		n--;
	return n;
}

/*
 * Socket liveness, run by userspace on demand through BPF_PROG_TEST_RUN
 * (raw_tp programs take it since 5.10, commit 1b4d60ec162f) rather than a
 * map iterator, which some kernels refuse (KERNELS.md, 6.18 fc-v1045).
 * Userspace walks the keys of `socks` and passes them in batches; ctx
 * args[0] is the operation (FR_LIVE_*), args[1..] the keys, 0 ends a batch.
 *
 * FR_LIVE_COUNT, the exit reconciliation (user/loader.c): count the live
 * sockets whose record is started and not finished. A socket whose last
 * events no program saw (the kernel skipped the programs without counting
 * a miss: seen on 6.18 in a softirq on another task's stack) is in none of
 * the counts, and shows as FR_CNT_TRACKED - FR_CNT_ENDED - live.
 *
 * FR_LIVE_SWEEP: delete the entries of dead sockets (their
 * tcp_destroy_sock went unseen), so that they cannot fill the map over
 * weeks of uptime.
 */
static __always_inline bool entry_alive(__u64 key, const struct fr_sock *s)
{
	/* TCP sockets come from SLAB_TYPESAFE_BY_RCU caches
	 * (tcp_prot.slab_flags), so the address still holds a socket, or a
	 * freed one (reference count 0), or another socket (another cookie);
	 * the reads cannot fault anyway. */
	struct sock *sk = (struct sock *)key;

	if (!BPF_CORE_READ(sk, __sk_common.skc_refcnt.refs.counter))
		return false;
	/* no cookie yet: a listener's child before its next event */
	return !s->cookie ||
	       (__u64)BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) ==
		       s->cookie;
}

static __always_inline bool live_one(__u64 op, __u64 key)
{
	struct fr_sock *s;
	__u64 cookie;

	if (!key)
		return false;
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return true;
	cookie = s->cookie;
	if (entry_alive(key, s)) {
		if (op == FR_LIVE_COUNT && s->born && !s->emitted) {
			s->marked = 1;
			__sync_fetch_and_add(&live_unended, 1);
		}
		return true;
	}
	/* A socket now at this address may have taken the entry over since
	 * (sock_entry): its cookie is then another. */
	if (op != FR_LIVE_SWEEP || s->cookie != cookie)
		return true;
	/* a dead entry's record was finished: nothing to count */
	if (s->dead) {
		bpf_map_delete_elem(&socks, &key);
		return true;
	}
	if (s->born && !s->emitted)
		count(FR_CNT_SWEPT_UNENDED);
	if (!bpf_map_delete_elem(&socks, &key))
		count(FR_CNT_SWEPT);
	return true;
}

#endif
