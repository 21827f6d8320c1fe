// SPDX-License-Identifier: GPL-2.0
/*
 * finrst.bpf.c - per-socket teardown aggregation in the kernel.
 *
 * The record under construction lives in a hash map keyed by the socket's
 * address (`socks`) and crosses to userspace once, when the socket's life
 * ends.  The state machine runs in
 * tp_btf handlers on sock:inet_sock_set_state, tcp:tcp_send_reset,
 * tcp:tcp_receive_reset and tcp:tcp_destroy_sock, in every backend.  The
 * backends differ only in how they learn the *call context* (which local
 * call is running on which socket, when close() returned, what shutdown()
 * asked for, whether a RST is an active one):
 *
 *   fentry:     fentry/fexit tcp_close, tcp_shutdown, tcp_disconnect,
 *               fentry tcp_send_active_reset
 *   kprobe:     the same through kprobes and kretprobes
 *   tracepoint: the syscall number of the current task, and raw syscall
 *               enter/exit for shutdown() and for the end of close()
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "finrst.h"
#include "kernel_defs.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Configuration, set by userspace before load. */
const volatile __u32 mode = FR_HOOKS_TRACEPOINT;	/* enum fr_hooks */
const volatile __u32 hz = 250;		/* kernel CONFIG_HZ, for sk_lingertime */
const volatile __u32 filter_netns;
const volatile __u32 filter_pid;
const volatile __u16 filter_family;
const volatile __u16 nr_filter_ports;
const volatile __u16 filter_ports[FR_MAX_PORTS];
const volatile bool records_on = true;	/* records to the ring buffer */
const volatile bool metrics_on;		/* aggregate for --metrics */
const volatile bool rst_only;		/* --rst-only: no "fin" records */
const volatile bool stacks_on;		/* --stack */
const volatile __u64 filter_cgroup;	/* --cgroup: cgroup v2 id, 0 = any */
/* --test-stale-entries (testing only): leave a socket's entry behind at
 * tcp_destroy_sock, as when the kernel runs no program there, so that the
 * sweep has dead entries to find. */
const volatile bool test_stale_entries;

/* Per-socket state, from the first event to tcp_destroy_sock. */
struct fr_sock {
	struct fr_record rec;
	__u64 cookie;		/* the socket's cookie: whose entry this is */
	__u64 birth_ns;
	__u64 close_start_ns;	/* close() began to wait in linger */
	__u64 fin_acked_ns;	/* our FIN was acknowledged */
	__u32 closer_tid;
	__u32 owner_pid;	/* the task that accepted it (server) */
	char owner_comm[FR_COMM_LEN];
	__u8 pending;		/* ended; waiting for the RST it will send */
	__u8 emitted;
	__u8 state_set;		/* rec.state holds the state at a local call */
	__u8 born;
	__u8 marked;		/* counted live by the exit reconciliation */
	__u8 local_rst;		/* its RST comes from a local call (task) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FR_MAX_SOCKS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);		/* struct sock address */
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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by userspace */
} records SEC(".maps");


struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FR_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * The kernel runs a tracing program at most once per CPU at a time
 * (__bpf_trace_run(): prog->active; the skips are counted as the program's
 * recursion_misses). A softirq that interrupts tp_set_state in process
 * context and changes another socket's state would go unseen, and that
 * socket's record would be lost. So each shared tracepoint has a twin,
 * attached after it (probes run in attach order): the twin handles what
 * its primary did not. The primary stores the arguments of the event it
 * handled in its slot; the twin, running next for the same event, finds
 * them and clears the slot, while for an event nested in the primary the
 * slot holds other arguments (a socket cannot change state inside its own
 * change) and the twin handles it.
 */
enum fr_twin { TWIN_SET_STATE, TWIN_SEND_RESET, TWIN_RECEIVE_RESET,
	       TWIN_DESTROY, TWIN__MAX };

struct fr_event {
	__u64 a, b, c;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TWIN__MAX);
	__type(key, __u32);
	__type(value, struct fr_event);
} twins SEC(".maps");

static __always_inline void twin_done(__u32 slot, __u64 a, __u64 b, __u64 c)
{
	struct fr_event *e = bpf_map_lookup_elem(&twins, &slot);

	if (e) {
		e->a = a;
		e->b = b;
		e->c = c;
	}
}

/* In a twin: did the primary handle this event? */
static __always_inline bool twin_handled(__u32 slot, __u64 a, __u64 b,
					 __u64 c)
{
	struct fr_event *e = bpf_map_lookup_elem(&twins, &slot);

	if (!e)
		return false;
	if (e->a == a && e->b == b && e->c == c) {
		e->a = e->b = e->c = 0;
		return true;
	}
	return false;
}

/* A local call in progress on a thread (fentry/kprobe backends). */
enum fr_call_kind {
	CALL_NONE,
	CALL_CLOSE,
	CALL_SHUTDOWN,
	CALL_DISCONNECT,
};

struct fr_call {
	__u64 sk;
	__u32 kind;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);		/* tid */
	__type(value, struct fr_call);
} calls SEC(".maps");

/* What shutdown() asked for, keyed by socket address. */
struct fr_shut {
	__u8 how;			/* FR_SHUT_* */
	__u8 state;			/* TCP state at the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct fr_shut);
} shuts SEC(".maps");

/* A close() blocked in linger: tid -> socket, then socket -> end time. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} lingering SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} close_ends SEC(".maps");

/* tid -> socket inside tcp_send_active_reset (fentry/kprobe backends). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} active_rst SEC(".maps");

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

/* --stack: the stacks of the last RST sent on this CPU, and its socket.
 * The record that RST ends goes out on the same CPU, in the same call
 * chain (tcp_send_active_reset, then tcp_done for the timers). */
struct fr_stack_slot {
	__u64 sk;
	struct fr_stack st;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fr_stack_slot);
} stack_slot SEC(".maps");

/* Threads with an entry in `lingering`: lets the syscall hooks skip work. */
__u64 nr_lingering;
/* Entries in `shuts`, or more (an LRU eviction is not counted): while it is
 * 0, a record's end needs no lookup there. */
__u64 nr_shuts;

/*
 * Set by userspace at exit, before the reconciliation: start no new
 * records, so that every started record is either finished, or live in
 * `socks` (counted by sock_liveness), or lost.
 */
__u32 tracking_off;
/* Written by sock_liveness: started, unfinished records of live sockets. */
__u64 live_unended;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	/* Atomic although per-CPU: a program in a softirq can interrupt
	 * another between its load and its store (the twins exist for
	 * that), and a lost CNT_ENDED would count a delivered record as
	 * lost in the exit reconciliation. */
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

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
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);

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
	if (s && s->cookie &&
	    s->cookie != (__u64)sk->__sk_common.skc_cookie.counter) {
		/* An earlier socket's, whose tcp_destroy_sock no program saw:
		 * if its record was started, it counts as lost at exit
		 * (tracked, never ended, not live). */
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
			count(FR_CNT_NO_STORAGE);	/* the map is full */
			return NULL;
		}
	}
	if (!s->cookie && cookie_final)
		s->cookie = bpf_get_socket_cookie(sk);
	return s;
}

/* The socket's last event: its entry goes. */
static __always_inline void sock_drop(struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&socks, &key);
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

static __always_inline void set_task(struct fr_record *r)
{
	r->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
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
		__builtin_memcpy(r->saddr,
				 sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8,
				 16);
		__builtin_memcpy(r->daddr,
				 sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8,
				 16);
	}
	/* inet_num is zeroed by inet_put_port() before the CLOSE tracepoint;
	 * inet_sport survives (tcp_set_state). */
	r->sport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	r->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	r->netns = sk->__sk_common.skc_net.net->ns.inum;
	r->cgroup_id = sk->sk_cgrp_data.cgroup->kn->id;
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
		r->unsent_bytes = tp->write_seq - tp->snd_una -
				  (sk->__sk_common.skc_state == FR_TCP_SYN_SENT);
	r->err = sk->sk_err;
}

/* Before 6.1 (commit e9bd0cca09d1) netns_ipv4 held a pointer to the
 * death row; since then it is embedded. */
struct netns_ipv4___dr_ptr {
	struct inet_timewait_death_row *tcp_death_row;
};

struct net___dr_ptr {
	struct netns_ipv4___dr_ptr ipv4;
};

/*
 * Was the TIME_WAIT socket refused because the table is full?
 * inet_twsk_alloc() refuses when tw_refcount - 1 >= sysctl_max_tw_buckets
 * (TCPTimeWaitOverflow); after a success the count is at most the maximum.
 * So at the CLOSE that follows, a count at or above it means no timewait
 * socket was kept (wrong only for the one that filled the last slot).
 */
static __always_inline bool tw_table_full(struct sock *sk)
{
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	struct inet_timewait_death_row *dr;
	int refs, max;

	if (!bpf_core_field_exists(struct inet_timewait_death_row, tw_refcount))
		return false;		/* < 5.19: atomic tw_count */
	if (bpf_core_field_size(net->ipv4.tcp_death_row) == sizeof(void *))
		dr = BPF_CORE_READ((struct net___dr_ptr *)net, ipv4.tcp_death_row);
	else
		dr = &net->ipv4.tcp_death_row;
	refs = BPF_CORE_READ(dr, tw_refcount.refs.counter);
	max = BPF_CORE_READ(dr, sysctl_max_tw_buckets);
	return refs - 1 >= max;
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
 * Is the current task running a local call on @sk (close, shutdown,
 * connect(AF_UNSPEC), or process exit)?  On loopback the peer's transitions
 * run in the softirq of the sender's syscall, so the syscall alone proves
 * nothing: the socket must also be owned by the caller (lock_sock), which a
 * softirq never sees.  Returns an enum fr_call_kind.
 */
static __always_inline int local_call(struct sock *sk, bool *exiting,
				      bool *listener_child)
{
	struct task_struct *task = bpf_get_current_task_btf();
	bool owned = sk->sk_lock.owned;
	/* inet_csk_listen_stop() resets never-accepted children under
	 * bh_lock_sock only: not owned, no struct socket, not yet orphaned. */
	bool child = !owned && !sk->sk_socket && !sk_flag(sk, SOCK_DEAD);

	*exiting = task->flags & PF_EXITING;
	*listener_child = false;

	if (mode != FR_HOOKS_TRACEPOINT) {
		__u32 tid = current_tid();
		struct fr_call *c = bpf_map_lookup_elem(&calls, &tid);

		if (!c)
			return CALL_NONE;
		if (c->sk == (__u64)sk && owned)
			return c->kind;
		if (c->kind == CALL_CLOSE && child) {
			*listener_child = true;
			return CALL_CLOSE;
		}
		return CALL_NONE;
	}

	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = regs->orig_ax;
	int kind;

	switch (nr) {
	case NR_connect:
		kind = CALL_DISCONNECT;
		break;
	case NR_shutdown:
		kind = CALL_SHUTDOWN;
		break;
	case NR_close:
	case NR_close_range:
	case NR_dup2:
	case NR_dup3:
	case NR_execve:
	case NR_execveat:
	case NR_exit:
	case NR_exit_group:
		kind = CALL_CLOSE;
		break;
	default:
		kind = *exiting ? CALL_CLOSE : CALL_NONE;
		break;
	}
	if (kind == CALL_NONE)
		return CALL_NONE;
	if (owned)
		return kind;
	if (kind == CALL_CLOSE && child) {
		*listener_child = true;
		return CALL_CLOSE;
	}
	return CALL_NONE;
}

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
	/* before tcp_send_fin() queues the FIN (one sequence number) */
	r->unsent_bytes = tp->write_seq - tp->snd_una -
			  (old == FR_TCP_SYN_SENT || (r->flags & FR_F_LOCAL_FIN &&
						      !(r->flags & FR_F_FIN_ACKED)));
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
		__sync_fetch_and_add(p, v);	/* see count() */
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

	/* The service port: ours for a server (a listener's, even one older
	 * than finrst), the peer's for a client, labelled only if it is a
	 * listener seen here or a --metrics-ports one (SPEC §4). */
	if (r->role == FR_ROLE_SERVER)
		k.port = label_port(r->sport);
	else if (r->role == FR_ROLE_CLIENT)
		k.port = bpf_map_lookup_elem(&svc_ports, &r->dport) ? r->dport : 0;
	else
		k.port = bpf_map_lookup_elem(&svc_ports, &r->sport) ? r->sport :
			 bpf_map_lookup_elem(&svc_ports, &r->dport) ? r->dport : 0;

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

/* Send the finished record to userspace, once. */
static __always_inline void emit(struct sock *sk, struct fr_sock *s, __u64 now)
{
	struct fr_record *r = &s->rec;
	__u64 skp = (__u64)sk;
	struct fr_shut *sh;

	if (s->emitted)
		return;
	s->emitted = 1;
	s->pending = 0;
	count(FR_CNT_ENDED);
	if (s->marked)
		count(FR_CNT_MARKED_ENDED);

	sh = nr_shuts ? bpf_map_lookup_elem(&shuts, &skp) : NULL;
	if (sh) {
		r->shutdown |= sh->how;
		/* shutdown() always precedes close(): its state comes first */
		r->state = sh->state;
		s->state_set = 1;
		if (!bpf_map_delete_elem(&shuts, &skp))
			__sync_fetch_and_add(&nr_shuts, -1);
	}
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
		if (end && (!(r->flags & FR_F_FIN_ACKED) || s->fin_acked_ns > e))
			r->flags |= FR_F_LINGER_EXPIRED;
	}

	r->type = FR_REC_TEARDOWN;
	r->end_ns = now;
	if (s->birth_ns && !(r->flags & FR_F_PREDATES))
		r->lifetime_ns = now - s->birth_ns;

	if (filter_pid && r->pid != filter_pid)
		return;

	fr_classify(r);
	if (metrics_on)
		account(r);
	if (records_on && !(rst_only && r->outcome == FR_OUT_FIN))
		submit(skp, r);
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
static __always_inline void on_close_state(struct sock *sk,
					   struct tcp_sock *tp,
					   struct fr_sock *s, int old, __u64 now)
{
	struct fr_record *r = &s->rec;
	bool exiting, child;
	int kind = local_call(sk, &exiting, &child);

	r->end_from = old;
	snapshot(sk, tp, s);

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
			r->rst_cause = FR_CAUSE_MEMORY;	/* tcp_check_oom() */
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
	}

	if (r->rst_cause != FR_CAUSE_NONE) {
		set_first(r, FR_INIT_LOCAL);
		s->pending = 1;
		return;
	}

	/* FIN_WAIT1/FIN_WAIT2/CLOSING -> CLOSE with no RST and no error is
	 * tcp_time_wait(): a timewait socket takes over (KERNELS.md). */
	if (old == FR_TCP_FIN_WAIT1 || old == FR_TCP_FIN_WAIT2 ||
	    old == FR_TCP_CLOSING)
		r->flags |= tw_table_full(sk) ? FR_F_TW_SKIPPED : FR_F_TIME_WAIT;
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
				count(FR_CNT_ENDED);	/* not a connection */
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

	if ((new == FR_TCP_FIN_WAIT1 && old != FR_TCP_FIN_WAIT1) ||
	    (new == FR_TCP_LAST_ACK && old == FR_TCP_CLOSE_WAIT)) {
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
		return FR_CAUSE_LINGER2;	/* tcp_keepalive_timer, FIN_WAIT2 */
	if (sk_flag(sk, SOCK_DEAD))
		return FR_CAUSE_MEMORY;	/* tcp_out_of_resources: orphans only */
	if (sk_flag(sk, SOCK_KEEPOPEN))
		return FR_CAUSE_KEEPALIVE_TIMEOUT; /* tcp_keepalive_timer: probes out */
	return FR_CAUSE_RST_OTHER;
}

/*
 * --stack: take the stacks of the RST being sent on @sk.  User frames only
 * inside a local call: in a timer or softirq the current task's user stack
 * has nothing to do with the RST.
 */
static __always_inline void take_stack(void *ctx, struct sock *sk, bool user)
{
	struct fr_stack_slot *slot;
	__u32 zero = 0;
	long n;

	slot = bpf_map_lookup_elem(&stack_slot, &zero);
	if (!slot)
		return;
	slot->sk = (__u64)sk;
	n = bpf_get_stack(ctx, slot->st.ip, FR_STACK_DEPTH * 8, 0);
	slot->st.nr_kernel = n > 0 ? (__u64)n / 8 : 0;
	slot->st.nr_user = 0;
	slot->st.user_ret = 0;
	slot->st.pid = 0;
	if (!user)
		return;
	slot->st.pid = bpf_get_current_pid_tgid() >> 32;
	n = bpf_get_stack(ctx, &slot->st.ip[FR_STACK_DEPTH], FR_STACK_DEPTH * 8,
			  BPF_F_USER_STACK);
	slot->st.nr_user = n > 0 ? (__u64)n / 8 : 0;
#ifdef __TARGET_ARCH_x86
	/* A syscall wrapper (libc close()) makes no frame, so unwinding by
	 * frame pointers skips its caller; that caller's return address is
	 * then the word at the user stack pointer.  Keep it if the bytes
	 * before it are a call: e8 rel32, or ff 15 disp32 (-fno-plt). */
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	__u64 ret = 0;
	__u8 code[6];

	if (!bpf_probe_read_user(&ret, sizeof(ret), (void *)regs->sp) &&
	    ret > 6 &&
	    !bpf_probe_read_user(code, sizeof(code), (void *)(ret - 6)) &&
	    (code[1] == 0xe8 || (code[0] == 0xff && code[1] == 0x15)))
		slot->st.user_ret = ret;
#endif
}

/* Is this RST an active one (tcp_send_active_reset), not a reply? */
static __always_inline bool rst_active(const struct sock *sk,
				       const struct sk_buff *skb)
{
	__u32 tid;
	__u64 *a;

	/* tracepoint: tcp_send_active_reset passes no skb; replies pass the
	 * segment they answer (tcp_v4_send_reset). */
	if (mode == FR_HOOKS_TRACEPOINT)
		return !skb;
	tid = current_tid();
	a = bpf_map_lookup_elem(&active_rst, &tid);
	return a && *a == (__u64)sk;
}

/* A RST this host sends for a full socket. */
static __always_inline void handle_sock_rst(struct sock *sk, bool active,
					    __u32 reason, bool has_reason)
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
		emit(sk, s, bpf_ktime_get_ns());
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

/* A RST answering a segment that has no full socket: closed port,
 * timewait or request socket, or a listener. */
/* Where a segment's headers are, and its IP version (4 or 6). */
struct fr_seg {
	unsigned char *head;
	__u16 nh, th;
	__u8 ver;
};

static __always_inline bool seg_parse(const struct sk_buff *skb,
				      struct fr_seg *g)
{
	g->head = BPF_CORE_READ(skb, head);
	g->nh = BPF_CORE_READ(skb, network_header);
	g->th = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(&g->ver, 1, g->head + g->nh))
		return false;
	g->ver >>= 4;
	return g->ver == 4 || g->ver == 6;
}

static __always_inline void handle_nosock_rst(const struct sock *sk,
					      const struct sk_buff *skb,
					      const struct fr_seg *g,
					      __u32 reason, bool has_reason)
{
	unsigned char *head = g->head;
	__u16 nh = g->nh, th = g->th;
	__u8 ver = g->ver;
	struct fr_record *r;
	__u32 netns;

	if (sk)
		netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else
		netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	if (filter_netns && netns != filter_netns)
		return;
	if (filter_family &&
	    !((ver == 4 && filter_family == AF_INET) ||
	      (ver == 6 && filter_family == AF_INET6)))
		return;
	if (filter_pid)
		return;		/* no task sends these */

	struct tcphdr tcph;

	bpf_probe_read_kernel(&tcph, sizeof(tcph), head + th);
	/* The RST goes back to the sender: our side is the segment's
	 * destination. */
	if (!port_match(bpf_ntohs(tcph.dest), bpf_ntohs(tcph.source)))
		return;
	if (metrics_on)
		count(FR_CNT_RST_NOSOCK);
	if (!records_on)
		return;

	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		count(FR_CNT_LOST);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->type = FR_REC_RST;
	r->end_ns = bpf_ktime_get_ns();
	r->netns = netns;
	r->sport = bpf_ntohs(tcph.dest);
	r->dport = bpf_ntohs(tcph.source);
	if (has_reason) {
		r->flags |= FR_F_KREASON;
		r->kernel_reason = reason;
	}
	if (ver == 4) {
		struct iphdr ip;

		bpf_probe_read_kernel(&ip, sizeof(ip), head + nh);
		r->family = AF_INET;
		__builtin_memcpy(r->saddr, &ip.daddr, 4);
		__builtin_memcpy(r->daddr, &ip.saddr, 4);
	} else {
		struct ipv6hdr ip6;

		bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh);
		r->family = AF_INET6;
		__builtin_memcpy(r->saddr, &ip6.daddr, 16);
		__builtin_memcpy(r->daddr, &ip6.saddr, 16);
	}
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	count(FR_CNT_EMITTED);
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
			handle_nosock_rst(sk, skb, &g, reason, has_reason);
		return;
	}
	handle_sock_rst(sk, rst_active(sk, skb), reason, has_reason);
}

/* ---- tracepoints, in every backend ---- */

/*
 * --stack: its own program, so that a kernel refusing its helpers
 * (bpf_get_stack, bpf_task_pt_regs) refuses --stack and nothing else.
 * Before tp_send_reset* in this file, so attached before them: the
 * record that this RST ends goes out in tp_send_reset*, with these stacks.
 * Only the first two arguments: the program fits kernels with and without
 * the reason argument.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(stack_send_reset, const struct sock *csk,
	     const struct sk_buff *skb)
{
	struct sock *sk = (struct sock *)csk;
	struct fr_sock *s;
	__u64 key = (__u64)sk;

	if (!sk || !bpf_skc_to_tcp_sock(sk) || !sk_wanted(sk))
		return 0;
	if (sk->__sk_common.skc_state != FR_TCP_CLOSE && !rst_active(sk, skb))
		return 0;
	s = bpf_map_lookup_elem(&socks, &key);
	take_stack(ctx, sk, s && s->pending && s->local_rst);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_set_state, const struct sock *sk, const int old, const int new)
{
	handle_set_state((struct sock *)sk, old, new);
	twin_done(TWIN_SET_STATE, (__u64)sk, old, new);
	return 0;
}

/* >= 6.10: the tracepoint carries enum sk_rst_reason (commit 5cb2cb3cb271). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tp_send_reset_reason, const struct sock *sk,
	     const struct sk_buff *skb, int reason)
{
	handle_send_reset(sk, skb, reason, true);
	twin_done(TWIN_SEND_RESET, (__u64)sk, (__u64)skb, reason);
	return 0;
}

/* < 6.10: no reason argument. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tp_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	handle_send_reset(sk, skb, 0, false);
	twin_done(TWIN_SEND_RESET, (__u64)sk, (__u64)skb, 0);
	return 0;
}

/* ---- < 6.10: reply RSTs that tcp:tcp_send_reset does not show ----
 *
 * Before 6.10 (19822a980e19, "trace: tcp: fully support
 * trace_tcp_send_reset") tcp_v4_send_reset() and tcp_v6_send_reset() fire
 * the tracepoint only for a full socket (sk && sk_fullsock(sk)): a RST to a
 * segment for a closed port, a TIME_WAIT or a request socket is untraced.
 * 6.10 also added the reason argument, so the loader enables these
 * programs exactly when the tracepoint lacks it.
 */

/* Would tcp_v{4,6}_send_reset(sk, skb) send a RST for this segment? */
static __always_inline bool reply_rst_sent(const struct sock *sk,
					   const struct sk_buff *skb,
					   const struct fr_seg *g)
{
	unsigned long dst;
	__u8 l4, flags;

	if (g->ver == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), g->head + g->nh))
			return false;
		l4 = ip.protocol;
	} else {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), g->head + g->nh))
			return false;
		l4 = ip6.nexthdr;
	}
	if (l4 != IPPROTO_TCP ||
	    bpf_probe_read_kernel(&flags, 1, g->head + g->th + 13))
		return false;
	/* "Never send a reset in response to a reset." */
	if (flags & TCP_RST_BIT)
		return false;
	if (sk)
		return true;
	/* No socket: tcp_v4_send_reset wants a local route (rt_type
	 * RTN_LOCAL), tcp_v6_send_reset ipv6_unicast_destination(). */
	dst = BPF_CORE_READ(skb, _skb_refdst) & ~SKB_DST_NOREF;
	if (!dst)
		return false;
	if (g->ver == 4)
		return BPF_CORE_READ((struct rtable *)dst, rt_type) ==
		       RTN_LOCAL;
	return BPF_CORE_READ((struct rt6_info *)dst, rt6i_flags) & RTF_LOCAL;
}

/* fentry/kprobe on tcp_v{4,6}_send_reset, < 6.10 */
static __always_inline void reply_rst_untraced(const struct sock *sk,
					       const struct sk_buff *skb)
{
	struct fr_seg g;

	if (sk) {
		int state = BPF_CORE_READ(sk, __sk_common.skc_state);

		/* sk_fullsock(): the tracepoint reports these itself */
		if (state != FR_TCP_TIME_WAIT && state != FR_TCP_NEW_SYN_RECV)
			return;
	}
	if (seg_parse(skb, &g) && reply_rst_sent(sk, skb, &g))
		handle_nosock_rst(sk, skb, &g, 0, false);
}

/* Tracepoint backend, < 6.10: tcp_v4_rcv()/tcp_v6_rcv() free a segment
 * for a closed port with SKB_DROP_REASON_NO_SOCKET right after
 * tcp_v{4,6}_send_reset(NULL, skb). The reason argument exists since 5.17
 * and its numbering changes between versions (CO-RE enum value). TIME_WAIT
 * and request-socket RSTs leave no trace here. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(tp_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	struct fr_seg g;

	if (reason != bpf_core_enum_value(enum skb_drop_reason,
					  SKB_DROP_REASON_NO_SOCKET))
		return 0;
	if (seg_parse(skb, &g) && reply_rst_sent(NULL, skb, &g))
		handle_nosock_rst(NULL, skb, &g, 0, false);
	return 0;
}

static __always_inline void handle_receive_reset(struct sock *sk)
{
	struct fr_sock *s;

	if (!bpf_skc_to_tcp_sock(sk) || !sk_wanted(sk))
		return;
	s = sock_state(sk, true);
	if (!s || s->emitted)
		return;
	/* tcp_reset() fires this before it sets sk_err and calls tcp_done() */
	s->rec.flags |= FR_F_RST_RCVD;
	set_first(&s->rec, FR_INIT_PEER);
}

static __always_inline void handle_destroy(struct sock *sk)
{
	struct fr_sock *s;

	if (!bpf_skc_to_tcp_sock(sk))
		return;
	s = sock_state(sk, false);
	if (!s)
		return;
	/* A record still waiting for its RST (allocation failure in
	 * tcp_send_active_reset): deliver what is known. */
	if (s->pending && !s->emitted)
		emit(sk, s, bpf_ktime_get_ns());
	/* tcp_v4_destroy_sock(), for IPv6 too: the socket's last event */
	if (!test_stale_entries)
		sock_drop(sk);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tp_receive_reset, struct sock *sk)
{
	handle_receive_reset(sk);
	twin_done(TWIN_RECEIVE_RESET, (__u64)sk, 0, 0);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tp_destroy_sock, struct sock *sk)
{
	handle_destroy(sk);
	twin_done(TWIN_DESTROY, (__u64)sk, 0, 0);
	return 0;
}

/* The twins (see struct fr_event): after their primaries in this file, so
 * that the skeleton attaches them after. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(twin_set_state, const struct sock *sk, const int old,
	     const int new)
{
	if (!twin_handled(TWIN_SET_STATE, (__u64)sk, old, new))
		handle_set_state((struct sock *)sk, old, new);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(twin_send_reset_reason, const struct sock *sk,
	     const struct sk_buff *skb, int reason)
{
	if (!twin_handled(TWIN_SEND_RESET, (__u64)sk, (__u64)skb, reason))
		handle_send_reset(sk, skb, reason, true);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(twin_send_reset, const struct sock *sk,
	     const struct sk_buff *skb)
{
	if (!twin_handled(TWIN_SEND_RESET, (__u64)sk, (__u64)skb, 0))
		handle_send_reset(sk, skb, 0, false);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(twin_receive_reset, struct sock *sk)
{
	if (!twin_handled(TWIN_RECEIVE_RESET, (__u64)sk, 0, 0))
		handle_receive_reset(sk);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(twin_destroy_sock, struct sock *sk)
{
	if (!twin_handled(TWIN_DESTROY, (__u64)sk, 0, 0))
		handle_destroy(sk);
	return 0;
}

/* ---- call context: shared bodies ---- */

static __always_inline void close_returned(void)
{
	__u32 tid = current_tid();
	__u64 *skp = bpf_map_lookup_elem(&lingering, &tid);
	__u64 sk, now;

	if (!skp)
		return;
	sk = *skp;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&close_ends, &sk, &now, BPF_ANY);
	if (!bpf_map_delete_elem(&lingering, &tid))
		__sync_fetch_and_add(&nr_lingering, -1);
}

static __always_inline void shutdown_called(__u64 sk, int how, int state)
{
	struct fr_shut *v, init = {};
	__u8 bits;

	/* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 */
	if (how < 0 || how > 2)
		return;
	bits = how == 0 ? FR_SHUT_RD : how == 1 ? FR_SHUT_WR :
						  FR_SHUT_RD | FR_SHUT_WR;
	v = bpf_map_lookup_elem(&shuts, &sk);
	if (v) {
		v->how |= bits;
		return;
	}
	init.how = bits;
	init.state = state;
	/* counted before it is visible, so emit() never skips an entry */
	__sync_fetch_and_add(&nr_shuts, 1);
	if (!bpf_map_update_elem(&shuts, &sk, &init, BPF_NOEXIST))
		return;
	__sync_fetch_and_add(&nr_shuts, -1);
	/* another CPU's shutdown() of the same socket got in first */
	v = bpf_map_lookup_elem(&shuts, &sk);
	if (v)
		v->how |= bits;
}

static __always_inline void call_enter(__u64 sk, __u32 kind)
{
	__u32 tid = current_tid();
	struct fr_call c = { .sk = sk, .kind = kind };

	if (kind == CALL_DISCONNECT) {
		/* tcp_disconnect inside tcp_close is SO_LINGER {1,0} */
		struct fr_call *cur = bpf_map_lookup_elem(&calls, &tid);

		if (cur && cur->kind == CALL_CLOSE)
			return;
	}
	bpf_map_update_elem(&calls, &tid, &c, BPF_ANY);
}

static __always_inline void call_exit(__u32 kind)
{
	__u32 tid = current_tid();
	struct fr_call *cur = bpf_map_lookup_elem(&calls, &tid);

	if (cur && cur->kind == kind)
		bpf_map_delete_elem(&calls, &tid);
	if (kind == CALL_CLOSE)
		close_returned();
}

static __always_inline void active_reset_enter(__u64 sk)
{
	__u32 tid = current_tid();

	bpf_map_update_elem(&active_rst, &tid, &sk, BPF_ANY);
}

static __always_inline void active_reset_exit(void)
{
	__u32 tid = current_tid();

	bpf_map_delete_elem(&active_rst, &tid);
}

/*
 * accept() handed @sk to the current task: the owner of a server record that
 * no local call names (a RST received, a timer). Only a socket with an entry
 * gets one: its birth passed the filters. The entry is the socket's if it
 * has no cookie yet (a listener's child takes its cookie after accept, see
 * sock_entry) or the socket's cookie, read here: @sk is an address from the
 * file table, not a BTF pointer.
 */
static __always_inline void accepted(__u64 sk)
{
	struct sock *skp = (struct sock *)sk;
	struct fr_sock *s;

	if (!sk)
		return;
	s = bpf_map_lookup_elem(&socks, &sk);
	if (!s || s->emitted)
		return;
	if (s->cookie &&
	    s->cookie != (__u64)BPF_CORE_READ(skp, __sk_common.skc_cookie.counter))
		return;
	s->owner_pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(s->owner_comm, sizeof(s->owner_comm));
}

/* ---- fentry backend ---- */

/* inet_accept(sock, newsock, ...): the arguments after these two changed
 * in 6.10 (flags/kern -> struct proto_accept_arg), so read only these. */
SEC("fexit/inet_accept")
int BPF_PROG(fexit_inet_accept, struct socket *sock, struct socket *newsock)
{
	accepted((__u64)BPF_CORE_READ(newsock, sk));
	return 0;
}


SEC("fentry/tcp_close")
int BPF_PROG(fentry_tcp_close, struct sock *sk, long timeout)
{
	call_enter((__u64)sk, CALL_CLOSE);
	return 0;
}

SEC("fexit/tcp_close")
int BPF_PROG(fexit_tcp_close, struct sock *sk, long timeout)
{
	call_exit(CALL_CLOSE);
	return 0;
}

/* tcp_shutdown() gets how + 1 (inet_shutdown: how++), SHUT_RD included. */
SEC("fentry/tcp_shutdown")
int BPF_PROG(fentry_tcp_shutdown, struct sock *sk, int how)
{
	shutdown_called((__u64)sk, how - 1, sk->__sk_common.skc_state);
	call_enter((__u64)sk, CALL_SHUTDOWN);
	return 0;
}

SEC("fexit/tcp_shutdown")
int BPF_PROG(fexit_tcp_shutdown, struct sock *sk, int how)
{
	call_exit(CALL_SHUTDOWN);
	return 0;
}

SEC("fentry/tcp_disconnect")
int BPF_PROG(fentry_tcp_disconnect, struct sock *sk, int flags)
{
	call_enter((__u64)sk, CALL_DISCONNECT);
	return 0;
}

SEC("fexit/tcp_disconnect")
int BPF_PROG(fexit_tcp_disconnect, struct sock *sk, int flags, int ret)
{
	call_exit(CALL_DISCONNECT);
	return 0;
}

/* (sk, priority); 6.10 added enum sk_rst_reason. Only sk is read. */
SEC("fentry/tcp_send_active_reset")
int BPF_PROG(fentry_tcp_send_active_reset, struct sock *sk)
{
	active_reset_enter((__u64)sk);
	return 0;
}

SEC("fexit/tcp_send_active_reset")
int BPF_PROG(fexit_tcp_send_active_reset, struct sock *sk)
{
	active_reset_exit();
	return 0;
}

/* < 6.10 only (see reply_rst_untraced); 6.10 added a reason argument */
SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(fentry_tcp_v4_send_reset, const struct sock *sk,
	     struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(fentry_tcp_v6_send_reset, const struct sock *sk,
	     struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

/* ---- kprobe backend ---- */

/* (sk, flags, err, kern) until 6.10, then (sk, arg): only the return
 * value is read. */
SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(kretprobe_inet_csk_accept, struct sock *newsk)
{
	accepted((__u64)newsk);
	return 0;
}

SEC("kprobe/tcp_close")
int BPF_KPROBE(kprobe_tcp_close, struct sock *sk)
{
	call_enter((__u64)sk, CALL_CLOSE);
	return 0;
}

SEC("kretprobe/tcp_close")
int BPF_KRETPROBE(kretprobe_tcp_close)
{
	call_exit(CALL_CLOSE);
	return 0;
}

SEC("kprobe/tcp_shutdown")
int BPF_KPROBE(kprobe_tcp_shutdown, struct sock *sk, int how)
{
	shutdown_called((__u64)sk, how - 1,
			BPF_CORE_READ(sk, __sk_common.skc_state));
	call_enter((__u64)sk, CALL_SHUTDOWN);
	return 0;
}

SEC("kretprobe/tcp_shutdown")
int BPF_KRETPROBE(kretprobe_tcp_shutdown)
{
	call_exit(CALL_SHUTDOWN);
	return 0;
}

SEC("kprobe/tcp_disconnect")
int BPF_KPROBE(kprobe_tcp_disconnect, struct sock *sk)
{
	call_enter((__u64)sk, CALL_DISCONNECT);
	return 0;
}

SEC("kretprobe/tcp_disconnect")
int BPF_KRETPROBE(kretprobe_tcp_disconnect)
{
	call_exit(CALL_DISCONNECT);
	return 0;
}

SEC("kprobe/tcp_send_active_reset")
int BPF_KPROBE(kprobe_tcp_send_active_reset, struct sock *sk)
{
	active_reset_enter((__u64)sk);
	return 0;
}

SEC("kretprobe/tcp_send_active_reset")
int BPF_KRETPROBE(kretprobe_tcp_send_active_reset)
{
	active_reset_exit();
	return 0;
}

/* < 6.10 only, as the fentry pair above */
SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(kprobe_tcp_v4_send_reset, const struct sock *sk,
	       struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(kprobe_tcp_v6_send_reset, const struct sock *sk,
	       struct sk_buff *skb)
{
	reply_rst_untraced(sk, skb);
	return 0;
}

/* ---- tracepoint backend: syscalls ---- */

/* fd -> struct sock, for shutdown(fd, how). */
static __always_inline __u64 fd_to_sock(struct task_struct *task, int fd)
{
	struct file **fds, *file = NULL;
	struct fdtable *fdt;
	struct socket *sock;
	unsigned int max;
	umode_t imode;

	if (fd < 0)
		return 0;
	/* BTF pointers from the current task: direct loads, not helper
	 * calls; the table's slot is past a variable index, so it is read */
	fdt = task->files->fdt;
	fds = fdt->fd;
	max = fdt->max_fds;
	if ((unsigned int)fd >= max)
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), fds + fd) || !file)
		return 0;
	imode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((imode & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	return (__u64)BPF_CORE_READ(sock, sk);
}

/*
 * Syscall tracepoints: the kernel runs each program for its own syscall
 * only (perf_syscall_enter/exit test a bitmap first), not for every
 * syscall on the host. Their records are struct syscall_trace_enter/exit:
 * the syscall number, then the arguments or the return value, 8 bytes each.
 */
struct fr_sys_enter {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct fr_sys_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

SEC("tracepoint/syscalls/sys_enter_shutdown")
int tps_shutdown(struct fr_sys_enter *ctx)
{
	__u64 sk = fd_to_sock(bpf_get_current_task_btf(), (int)ctx->args[0]);
	struct sock *skp = (struct sock *)sk;

	if (!sk || BPF_CORE_READ(skp, sk_protocol) != IPPROTO_TCP ||
	    BPF_CORE_READ(skp, sk_type) != SOCK_STREAM)
		return 0;
	shutdown_called(sk, (int)ctx->args[1],
			BPF_CORE_READ(skp, __sk_common.skc_state));
	return 0;
}

static __always_inline void accept_returned(long ret)
{
	if (ret >= 0)
		accepted(fd_to_sock(bpf_get_current_task_btf(), (int)ret));
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tps_accept(struct fr_sys_exit *ctx)
{
	accept_returned(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tps_accept4(struct fr_sys_exit *ctx)
{
	accept_returned(ctx->ret);
	return 0;
}

/* close(2) runs __fput_sync() since commit 021a160abf62 (Aug 2023; the
 * loader probes it in BTF, fr_close_is_sync): tcp_close has returned here. */
SEC("tracepoint/syscalls/sys_exit_close")
int tps_close(struct fr_sys_exit *ctx)
{
	if (nr_lingering)
		close_returned();
	return 0;
}

/* Before it, close(2) left fput to task_work after the syscall's exit, so
 * the end of a lingering close shows only at the thread's next syscall.
 * The loader attaches this on those kernels only: it runs for every
 * syscall. */
SEC("tp_btf/sys_enter")
int BPF_PROG(tpold_sys_enter, struct pt_regs *regs, long id)
{
	if (nr_lingering)
		close_returned();
	return 0;
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
	if (s->born && !s->emitted)
		count(FR_CNT_SWEPT_UNENDED);
	if (!bpf_map_delete_elem(&socks, &key))
		count(FR_CNT_SWEPT);
	return true;
}

SEC("raw_tp")
int sock_liveness(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 op = ctx->args[0];

#pragma unroll
	for (int i = 1; i <= FR_LIVE_BATCH; i++)
		if (!live_one(op, ctx->args[i]))
			break;
	return 0;
}
