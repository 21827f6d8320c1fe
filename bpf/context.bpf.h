/* SPDX-License-Identifier: GPL-2.0 */
/*
 * context.bpf.h - the call context: which local call (close, shutdown,
 * connect(AF_UNSPEC), exit) runs on which socket, what shutdown() asked for,
 * when close() returned, whether a RST is an active one, and who accepted a
 * socket. Each backend learns it its own way (finrst.bpf.c).
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_CONTEXT_BPF_H
#define FINRST_CONTEXT_BPF_H

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
	__type(key, __u32); /* tid */
	__type(value, struct fr_call);
} calls SEC(".maps");

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

/* Threads with an entry in `lingering`: lets the syscall hooks skip work. */
__u64 nr_lingering;

/*
 * shutdown(): what it asked for goes into the socket's entry, and the state
 * at the call is the record's state (the first local call's, note_state).
 * It used to go into an LRU map of its own, keyed by the socket's address
 * and read at the record's end: a shutdown() of a socket without a record
 * (a listener, another netns) left an entry there that a later socket at
 * the same address took for its own ("state":"LISTEN", "shutdown":"rdwr"),
 * and every record's end paid a lookup. A socket with no entry is not one
 * finrst follows, or one older than finrst whose first event this is: its
 * record then lacks the shutdown. The entry is the socket's if it has no
 * cookie yet or the socket's cookie (@sk is read, as in accepted()).
 */
static __always_inline void shutdown_called(__u64 sk, int how, int state)
{
	struct sock *skp = (struct sock *)sk;
	struct fr_sock *s;

	/* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 */
	if (how < 0 || how > 2)
		return;
	s = bpf_map_lookup_elem(&socks, &sk);
	if (!s || s->emitted)
		return;
	if (s->cookie &&
	    s->cookie !=
		    (__u64)BPF_CORE_READ(skp, __sk_common.skc_cookie.counter))
		return;
	s->rec.shutdown |= how == 0 ? FR_SHUT_RD :
			   how == 1 ? FR_SHUT_WR :
				      FR_SHUT_RD | FR_SHUT_WR;
	if (!s->state_set) {
		s->rec.state = state;
		s->state_set = 1;
	}
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
	struct task_struct *task = current_task();
	unsigned int tflags = task_flags(task);
	bool owned = sk->sk_lock.owned;
	/* inet_csk_listen_stop() resets never-accepted children under
	 * bh_lock_sock only: not owned, no struct socket, not yet orphaned. */
	bool child = !owned && !sk->sk_socket && !sk_flag(sk, SOCK_DEAD);

	*exiting = tflags & PF_EXITING;
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

	long nr = task_syscall_nr(task);
	int kind;

	/* io_uring runs close, shutdown and accept in io_uring_enter(), at
	 * its return (fput's task_work), or in an io-wq worker
	 * (PF_IO_WORKER, whose saved registers hold no syscall). A close
	 * runs in the file's final release (__fput); a shutdown holds the
	 * file, and tells what it shut in sk_shutdown (inet_shutdown:
	 * how + 1, SHUT_RD -> RCV_SHUTDOWN 1). */
	if (nr == NR_io_uring_enter || tflags & PF_IO_WORKER) {
		struct socket *so = sk->sk_socket;
		int shut = sk->sk_shutdown & 3;

		if (so && so->file && !file_released(so->file)) {
			if (!owned || !shut)
				return CALL_NONE;
			shutdown_called((__u64)sk, shut - 1,
					sk->__sk_common.skc_state);
			return CALL_SHUTDOWN;
		}
		kind = CALL_CLOSE;
	} else
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

/* What the hooks of every backend share. */

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
static __always_inline void accepted(__u64 sk, bool if_unowned)
{
	struct sock *skp = (struct sock *)sk;
	struct fr_sock *s;

	if (!sk)
		return;
	s = bpf_map_lookup_elem(&socks, &sk);
	if (!s || s->emitted || (if_unowned && s->owner_pid))
		return;
	if (s->cookie &&
	    s->cookie !=
		    (__u64)BPF_CORE_READ(skp, __sk_common.skc_cookie.counter))
		return;
	s->owner_pid = bpf_get_current_pid_tgid() >> 32;
	current_comm(s->owner_comm);
}

/* fd -> struct file of @task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	struct file **fds, *file = NULL;
	struct fdtable *fdt;
	unsigned int max;

	if (fd < 0)
		return NULL;
	/* BTF pointers from the current task (5.11+): direct loads, not
	 * helper calls; the table's slot is past a variable index, so it is
	 * read */
	fdt = task_fdt(task);
	if (have_task_btf) {
		fds = fdt->fd;
		max = fdt->max_fds;
	} else {
		fds = BPF_CORE_READ(fdt, fd);
		max = BPF_CORE_READ(fdt, max_fds);
	}
	if ((unsigned int)fd >= max)
		return NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), fds + fd))
		return NULL;
	return file;
}

/* A socket's file -> its struct sock (sock_alloc_file: private_data). */
static __always_inline __u64 file_sock(struct file *file)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);

	return (__u64)BPF_CORE_READ(sock, sk);
}

/* fd -> struct sock, for shutdown(fd, how): 0 if not a socket. */
static __always_inline __u64 fd_to_sock(struct task_struct *task, int fd)
{
	struct file *file = fd_file(task, fd);

	if (!file ||
	    (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	return file_sock(file);
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

/* accept() returned a socket's descriptor: no need to check the inode's
 * type (two reads less). Another thread closing it and opening another
 * file at that number before this runs would give an address that has no
 * entry, or another cookie: accepted() then does nothing. */
static __always_inline void accept_returned(long ret)
{
	struct file *file;

	if (ret < 0)
		return;
	file = fd_file(current_task(), (int)ret);
	if (file)
		accepted(file_sock(file), false);
}

/* io_uring: an IORING_OP_ACCEPT completion hands the ring's task the new
 * descriptor (res), as accept(2) returns it. A fixed-file accept returns
 * an index instead: the lookup then finds another socket of the same
 * process, or none, whose owner is this process all the same. */
static __always_inline void uring_completed(void *req, int res)
{
	struct io_kiocb *k = req;

	if (!k || res < 0 ||
	    BPF_CORE_READ(k, opcode) !=
		    bpf_core_enum_value(enum io_uring_op, IORING_OP_ACCEPT))
		return;
	accept_returned(res);
}

#endif
