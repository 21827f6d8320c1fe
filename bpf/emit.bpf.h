/* SPDX-License-Identifier: GPL-2.0 */
/*
 * emit.bpf.h - a finished record: classified, counted for --metrics, and
 * sent to userspace once.
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_EMIT_BPF_H
#define FINRST_EMIT_BPF_H

/* --metrics: service ports with their own label value (userspace puts the
 * --metrics-ports ones first), the teardown counts and the histogram. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FR_METRICS_DYN_PORTS + FR_MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} svc_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FR_METRICS_KEYS);
	__type(key, struct fr_mkey);
	__type(value, struct fr_mval);
} tstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FR_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* A listener's port becomes a service port with a label value of its own
 * while svc_ports has room (userspace sizes it: --metrics-ports +
 * FR_METRICS_DYN_PORTS); the map's size is the bound, races included.
 * Returns the port, or 0 ("other") when it did not fit. */
static __always_inline __u16 label_port(__u16 port)
{
	__u8 one = 1;
	long err;

	if (!port)
		return 0;
	if (bpf_map_lookup_elem(&svc_ports, &port))
		return port;
	err = bpf_map_update_elem(&svc_ports, &port, &one, BPF_NOEXIST);
	return !err || err == -EEXIST ? port : 0;
}

static const __u64 hist_le[FR_HIST_BUCKETS] = FR_HIST_LE_NS;

static __always_inline void hist_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&hist, &idx);

	if (p)
		__sync_fetch_and_add(p, v); /* see count() */
}

/* --metrics: count a classified record. */
static __always_inline void account(const struct fr_record *r)
{
	struct fr_mkey k = {
		.role = r->role,
		.outcome = r->outcome,
		.cause = r->cause,
	};
	struct fr_mval *v, zero = {};
	__u16 port = fr_service_port(r);

	/* Labelled only if it is a listener's (a server's own port, even
	 * a listener older than finrst), a listener seen here, or a
	 * --metrics-ports one (SPEC §4); else "other" (0). */
	if (r->role == FR_ROLE_SERVER)
		k.port = label_port(port);
	else
		k.port = bpf_map_lookup_elem(&svc_ports, &port) ? port : 0;

	v = bpf_map_lookup_elem(&tstats, &k);
	if (!v) {
		bpf_map_update_elem(&tstats, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&tstats, &k);
		if (!v) {
			count(FR_CNT_METRICS_FULL);
			return;
		}
	}
	/* atomic, although per-CPU: see count() */
	__sync_fetch_and_add(&v->teardowns, 1);
	if (r->flags & FR_F_TIME_WAIT)
		__sync_fetch_and_add(&v->time_wait, 1);
	if (r->outcome == FR_OUT_RST_SENT && r->cause == FR_CAUSE_UNREAD_DATA)
		__sync_fetch_and_add(&v->unread_discarded, r->unread_bytes);

	if (r->flags & FR_F_LINGER_WAIT) {
		__u32 b = FR_HIST_BUCKETS;

		for (__u32 i = 0; i < FR_HIST_BUCKETS; i++) {
			if (r->close_blocked_ns <= hist_le[i]) {
				b = i;
				break;
			}
		}
		hist_add(b, 1);
		hist_add(FR_HIST_SUM, r->close_blocked_ns);
	}
}

/* A finished record into the ring buffer; with --stack, a RST this host
 * sent takes along the stacks take_stack() left for its socket. */
static __always_inline void submit(__u64 skp, const struct fr_record *r)
{
	struct fr_stack_slot *slot = NULL;
	struct fr_record_stack *out;
	__u32 zero = 0;

	if (stacks_on && r->outcome == FR_OUT_RST_SENT) {
		slot = bpf_map_lookup_elem(&stack_slot, &zero);
		if (slot && slot->sk == skp) {
			slot->sk = 0;
		} else {
			count(FR_CNT_STACK_MISSED);
			slot = NULL;
		}
	}
	if (slot)
		out = bpf_ringbuf_reserve(&records, sizeof(*out), 0);
	else
		out = bpf_ringbuf_reserve(&records, sizeof(out->rec), 0);
	if (!out) {
		count(FR_CNT_LOST);
		return;
	}
	__builtin_memcpy(&out->rec, r, sizeof(out->rec));
	if (slot) {
		out->rec.flags |= FR_F_STACK;
		__builtin_memcpy(&out->st, &slot->st, sizeof(out->st));
	}
	/* No wakeup per record: userspace drains on a short timer. */
	bpf_ringbuf_submit(out, BPF_RB_NO_WAKEUP);
	count(FR_CNT_EMITTED);
}

/*
 * The closes behind TIME_WAIT sockets: a TIME_WAIT socket that answers a
 * late segment with RST (tcp_timewait_state_process: new data after a
 * half-duplex close) has no process and no record of its own; this table
 * names the process that closed its connection. An LRU bound: a miss
 * costs only the name (the RST record then has pid 0).
 *
 * Not a direct-mapped array with a seq lock, though that is cheaper than
 * the LRU's update: the lock needs BPF's fetching atomics (cmpxchg,
 * fetch-add), 5.12 (commit 5ca419f2864a), and before that the verifier
 * refuses the whole program for one of them, even on a path the loader's
 * flags prune (resolve_pseudo_ldimm64: "BPF_STX uses reserved fields").
 * tests/unit/test_bpf_insns.c checks the object for them.
 */
#define FR_CLOSED_MAX 8192

struct fr_tuple {
	__u8 laddr[16]; /* IPv4 in the first 4 bytes, as in the record */
	__u8 raddr[16];
	__u32 netns;
	__u16 lport;
	__u16 rport;
	__u16 family;
	__u16 pad;
};

struct fr_closer {
	__u32 pid;
	char comm[FR_COMM_LEN];
	/* for tw_segment() (nosock.bpf.h): the timewait socket's state */
	__u32 rcv_nxt;
	__u32 rcv_wnd;
	__u8 fin_wait2;
};

/* The tracepoint backend before 6.10 sees a timewait socket's RST only
 * by emulating its decision (tw_segment): the loader sets this there. */
const volatile bool tw_emulate;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FR_CLOSED_MAX);
	__type(key, struct fr_tuple);
	__type(value, struct fr_closer);
} closed SEC(".maps");

/* The 4-tuple of a record (teardown or RST), as the table's key. */
static __always_inline void record_tuple(const struct fr_record *r,
					 struct fr_tuple *k)
{
	__builtin_memcpy(k->laddr, r->saddr, sizeof(k->laddr));
	__builtin_memcpy(k->raddr, r->daddr, sizeof(k->raddr));
	k->netns = r->netns;
	k->lport = r->sport;
	k->rport = r->dport;
	k->family = r->family;
	k->pad = 0;
}

static __always_inline void remember_closer(const struct fr_sock *s)
{
	const struct fr_record *r = &s->rec;
	struct fr_closer c = {
		.pid = r->pid,
		.rcv_nxt = s->tw_rcv_nxt,
		.rcv_wnd = s->tw_rcv_wnd,
		.fin_wait2 = s->tw_fin_wait2,
	};
	struct fr_tuple k;

	record_tuple(r, &k);
	__builtin_memcpy(c.comm, r->comm, sizeof(c.comm));
	bpf_map_update_elem(&closed, &k, &c, BPF_ANY);
}

/* Send the finished record to userspace, once. */
static __always_inline void emit(struct sock *sk, struct fr_sock *s, __u64 now)
{
	struct fr_record *r = &s->rec;
	__u64 skp = (__u64)sk;

	if (s->emitted)
		return;
	s->emitted = 1;
	s->pending = 0;
	count(FR_CNT_ENDED);
	if (s->marked)
		count(FR_CNT_MARKED_ENDED);

	if (!s->state_set)
		r->state = r->end_from;
	if (!r->pid && s->owner_pid) {
		r->pid = s->owner_pid;
		__builtin_memcpy(r->comm, s->owner_comm, sizeof(r->comm));
	}

	if (r->flags & FR_F_LINGER_WAIT) {
		__u64 *end = bpf_map_lookup_elem(&close_ends, &skp);
		__u64 e = end ? *end : now;

		if (end) {
			bpf_map_delete_elem(&close_ends, &skp);
		} else {
			/* close() still blocked, or returned without a hook
			 * seeing it: it is over now either way */
			__u32 tid = s->closer_tid;

			if (!bpf_map_delete_elem(&lingering, &tid))
				__sync_fetch_and_add(&nr_lingering, -1);
		}
		if (e > s->close_start_ns)
			r->close_blocked_ns = e - s->close_start_ns;
		/* The linger timeout ran out: close() returned (end known)
		 * before our FIN was acknowledged.  A reset during the wait
		 * ends the socket before close() returns, so end is unknown. */
		if (end &&
		    (!(r->flags & FR_F_FIN_ACKED) || s->fin_acked_ns > e))
			r->flags |= FR_F_LINGER_EXPIRED;
	}

	r->type = FR_REC_TEARDOWN;
	r->end_ns = now;
	if (s->birth_ns && !(r->flags & FR_F_PREDATES))
		r->lifetime_ns = now - s->birth_ns;

	if (filter_pid && r->pid != filter_pid)
		return;

	fr_classify(r);
	/* a TIME_WAIT socket takes over: its RST may come later (nosock) */
	if (r->flags & FR_F_TIME_WAIT && ((records_on && r->pid) || tw_emulate))
		remember_closer(s);
	if (metrics_on)
		account(r);
	if (records_on && !(rst_only && r->outcome == FR_OUT_FIN))
		submit(skp, r);
}

#endif
