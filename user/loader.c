// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "finrst.h"
#include "finrst.skel.h"
#include "loader.h"
#include "sysinfo.h"

/* When a program is wanted, besides its backend. */
enum {
	W_REASON = 1 << 0, /* tcp:tcp_send_reset has its reason (6.10) */
	W_NO_REASON = 1 << 1,
	W_SYNC_CLOSE = 1 << 2, /* close(2) releases before returning */
	W_ASYNC_CLOSE = 1 << 3,
	W_OWNERS = 1 << 4, /* a server's owner: records, or --pid */
	W_STACK = 1 << 5,  /* --stack */
	/* io_uring:io_uring_complete's arguments (fr_uring_complete_args) */
	W_URING_RES = 1 << 6,
	W_URING_CQE = 1 << 7,
	W_URING_NO_REQ = 1 << 11,
	/* raw_syscalls:sys_enter: the end of a lingering close(2) when it
	 * returns before the release, or the registers' place when there is
	 * no bpf_task_pt_regs() (bpf/compat.bpf.h, learn_regs_off) */
	W_SYS_ENTER = 1 << 8,
	W_KFREE_REASON = 1 << 9, /* skb:kfree_skb has its reason (5.17) */
	W_KFREE_NO_REASON = 1 << 10,
};

#define B_FENTRY (1u << FR_HOOKS_FENTRY)
#define B_KPROBE (1u << FR_HOOKS_KPROBE)
#define B_TP (1u << FR_HOOKS_TRACEPOINT)
#define B_ALL (B_FENTRY | B_KPROBE | B_TP)

/* Every program of the object: its backends, when it is wanted, its part.
 * In attach order: probes on one hook run in that order, and a twin must
 * run after its primary (bpf/finrst.bpf.c, struct fr_event), the stack
 * program before the send_reset primaries that send its record. */
struct prog_role {
	size_t off; /* of the program in struct finrst_bpf */
	unsigned int backends;
	unsigned int when;
	enum fr_part part;
	bool twinned;	/* a primary whose twin runs what it skips */
	bool on_demand; /* not attached: run through test_run */
};

/* A program of the skeleton by name: renaming one breaks the build, not
 * what attaches. */
#define ROLE(name, b, w, p, ...)                                       \
	{                                                              \
		.off = offsetof(struct finrst_bpf, progs.name),        \
		.backends = (b), .when = (w), .part = (p), __VA_ARGS__ \
	}

static const struct prog_role roles[] = {
	ROLE(stack_send_reset, B_ALL, W_STACK, FR_PART_STACK),
	ROLE(tp_set_state, B_ALL, 0, FR_PART_CORE),
	ROLE(tp_send_reset_reason, B_ALL, W_REASON, FR_PART_CORE,
	     .twinned = true),
	ROLE(tp_send_reset, B_ALL, W_NO_REASON, FR_PART_CORE, .twinned = true),
	ROLE(tp_receive_reset, B_ALL, 0, FR_PART_CORE, .twinned = true),
	ROLE(tp_destroy_sock, B_ALL, 0, FR_PART_CORE),
	ROLE(twin_send_reset_reason, B_ALL, W_REASON, FR_PART_CORE),
	ROLE(twin_send_reset, B_ALL, W_NO_REASON, FR_PART_CORE),
	ROLE(twin_receive_reset, B_ALL, 0, FR_PART_CORE),

	ROLE(fexit_inet_accept, B_FENTRY, W_OWNERS, FR_PART_CORE),
	ROLE(fentry_tcp_close, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fexit_tcp_close, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fentry_tcp_shutdown, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fexit_tcp_shutdown, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fentry_tcp_disconnect, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fexit_tcp_disconnect, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fentry_tcp_send_active_reset, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fexit_tcp_send_active_reset, B_FENTRY, 0, FR_PART_CORE),
	ROLE(fentry_tcp_v4_send_reset, B_FENTRY, W_NO_REASON,
	     FR_PART_NOSOCK_COMPAT),
	ROLE(fentry_tcp_v6_send_reset, B_FENTRY, W_NO_REASON,
	     FR_PART_NOSOCK_COMPAT),

	ROLE(kretprobe_inet_csk_accept, B_KPROBE, W_OWNERS, FR_PART_CORE),
	ROLE(kprobe_tcp_close, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kretprobe_tcp_close, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kprobe_tcp_shutdown, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kretprobe_tcp_shutdown, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kprobe_tcp_disconnect, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kretprobe_tcp_disconnect, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kprobe_tcp_send_active_reset, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kretprobe_tcp_send_active_reset, B_KPROBE, 0, FR_PART_CORE),
	ROLE(kprobe_tcp_v4_send_reset, B_KPROBE, W_NO_REASON,
	     FR_PART_NOSOCK_COMPAT),
	ROLE(kprobe_tcp_v6_send_reset, B_KPROBE, W_NO_REASON,
	     FR_PART_NOSOCK_COMPAT),

	ROLE(tps_shutdown, B_TP, 0, FR_PART_CORE),
	ROLE(tps_accept, B_TP, W_OWNERS, FR_PART_CORE),
	ROLE(tps_accept4, B_TP, W_OWNERS, FR_PART_CORE),
	ROLE(tps_close, B_TP, W_SYNC_CLOSE, FR_PART_CORE),
	ROLE(tpold_sys_enter, B_ALL, W_SYS_ENTER, FR_PART_CORE),
	ROLE(tp_kfree_skb, B_TP, W_NO_REASON | W_KFREE_REASON,
	     FR_PART_NOSOCK_COMPAT),
	ROLE(tp_kfree_skb_tw, B_TP, W_NO_REASON | W_KFREE_NO_REASON,
	     FR_PART_NOSOCK_COMPAT),
	ROLE(tpu_complete, B_TP, W_OWNERS | W_URING_RES, FR_PART_IO_URING),
	ROLE(tpu_complete_cqe, B_TP, W_OWNERS | W_URING_CQE, FR_PART_IO_URING),
	ROLE(tpu_complete_noreq, B_TP, W_OWNERS | W_URING_NO_REQ,
	     FR_PART_IO_URING),

	ROLE(sock_liveness, B_ALL, 0, FR_PART_LIVENESS, .on_demand = true),
};

#define NR_ROLES (sizeof(roles) / sizeof(roles[0]))

static struct bpf_program *role_prog(const struct finrst_bpf *s,
				     const struct prog_role *r)
{
	return *(struct bpf_program *const *)((const char *)s + r->off);
}

static const struct prog_role *role_of(const struct finrst_bpf *s,
				       const char *name)
{
	for (size_t i = 0; i < NR_ROLES; i++)
		if (!strcmp(bpf_program__name(role_prog(s, &roles[i])), name))
			return &roles[i];
	return NULL;
}

/*
 * Tracepoint backend before 6.10: a timewait socket's RST shows nowhere
 * but in the kfree_skb_reason() of tcp_v4_rcv()/tcp_v6_rcv() that follows
 * it (bpf/nosock.bpf.h, tw_segment): give the programs their addresses.
 * Without them (no kallsyms), those RSTs go unreported.
 */
static void set_tw_emulation(struct finrst_bpf *s)
{
	/* the freeing functions: where location points when it does not
	 * name the caller (arm64 5.10's kfree_skb.part.0) */
	static const char *const fns[] = { "tcp_v4_rcv", "tcp_v6_rcv",
					   "kfree_skb", "kfree_skb.part.0",
					   "kfree_skb_reason" };
	unsigned long long r[5][2];

	if (fr_kallsyms_ranges(fns, 5, r) || !r[0][0])
		return;
	for (size_t i = 0; i < 2; i++) {
		s->rodata->tcp_rcv_ip[2 * i] = r[i][0];
		s->rodata->tcp_rcv_ip[2 * i + 1] = r[i][1];
	}
	for (size_t i = 0; i < 3; i++) {
		s->rodata->kfree_ip[2 * i] = r[2 + i][0];
		s->rodata->kfree_ip[2 * i + 1] = r[2 + i][1];
	}
	s->rodata->tw_emulate = true;
}

static unsigned int wanted_conditions(const struct fr_loader *l,
				      const struct env *env, enum fr_hooks h)
{
	unsigned int w = l->send_reset_reason ? W_REASON : W_NO_REASON;

	w |= l->close_sync ? W_SYNC_CLOSE : W_ASYNC_CLOSE;
	w |= l->kfree_reason ? W_KFREE_REASON : W_KFREE_NO_REASON;
	if (l->uring_args == FR_URING_RES)
		w |= W_URING_RES;
	else if (l->uring_args == FR_URING_CQE)
		w |= W_URING_CQE;
	else if (l->uring_args == FR_URING_NO_REQ)
		w |= W_URING_NO_REQ;
	/* accept() only tells a server socket's owner (pid, comm):
	 * --metrics alone counts without them, unless --pid filters */
	if (fr_records_wanted(env) || env->pid)
		w |= W_OWNERS;
	if (env->stack)
		w |= W_STACK;
	/* the tracepoint backend's end of a lingering close, and its
	 * syscall numbers; --stack's user stack pointer in every backend */
	if ((h == FR_HOOKS_TRACEPOINT &&
	     (!l->close_sync || !(l->helpers & FR_HELPER_TASK_PT_REGS))) ||
	    (env->stack && !(l->helpers & FR_HELPER_TASK_PT_REGS)))
		w |= W_SYS_ENTER;
	return w;
}

/* Does backend h need the program, on this kernel, for these options? */
static bool role_needed(const struct prog_role *r, enum fr_hooks h,
			unsigned int w)
{
	static const unsigned int pairs[] = {
		W_REASON | W_NO_REASON, W_SYNC_CLOSE | W_ASYNC_CLOSE,
		W_URING_RES | W_URING_CQE | W_URING_NO_REQ,
		W_KFREE_REASON | W_KFREE_NO_REASON
	};

	if (!(r->backends & (1u << h)))
		return false;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if ((r->when & pairs[i]) && !(r->when & w & pairs[i]))
			return false;
	return (r->when & (W_OWNERS | W_STACK | W_SYS_ENTER) & ~w) == 0;
}

/*
 * Which program did libbpf fail to load? It says so in one warning,
 * "prog 'NAME': failed to load: ERR" (bpf_object__load_progs, libbpf
 * 0.x to 1.x), on the print callback this hook sits in front of.
 */
static struct {
	libbpf_print_fn_t next;
	char prog[64];
	int err;
} capture;

static int capture_print(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	if (level == LIBBPF_WARN && strstr(fmt, "failed to load")) {
		const char *p, *q;
		char line[256];
		va_list aq;

		va_copy(aq, ap);
		vsnprintf(line, sizeof(line), fmt, aq);
		va_end(aq);
		p = strstr(line, "prog '");
		q = p ? strstr(p, "': failed to load: ") : NULL;
		if (q && (size_t)(q - p) - 6 < sizeof(capture.prog)) {
			snprintf(capture.prog, sizeof(capture.prog), "%.*s",
				 (int)(q - p) - 6, p + 6);
			capture.err = (int)strtol(q + 19, NULL, 10);
		}
	}
	return capture.next ? capture.next(level, fmt, ap) : 0;
}

static struct finrst_bpf *open_configured(struct fr_loader *l,
					  const struct env *env,
					  enum fr_hooks h, char *err,
					  size_t errlen)
{
	unsigned int w = wanted_conditions(l, env, h);
	struct bpf_program *p;
	struct finrst_bpf *s;
	int ret;

	s = finrst_bpf__open();
	if (!s) {
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		return NULL;
	}
	s->rodata->mode = h;
	s->rodata->hz = l->hz;
	s->rodata->filter_netns = env->netns;
	s->rodata->filter_pid = env->pid;
	s->rodata->filter_family = (__u16)env->family;
	s->rodata->nr_filter_ports = (__u16)env->nr_ports;
	for (int i = 0; i < env->nr_ports && i < FR_MAX_PORTS; i++)
		s->rodata->filter_ports[i] = env->ports[i];
	s->rodata->records_on = fr_records_wanted(env);
	s->rodata->metrics_on = env->metrics;
	s->rodata->rst_only = env->rst_only;
	s->rodata->stacks_on = env->stack;
	s->rodata->filter_cgroup = env->cgroup_id;
	s->rodata->test_stale_entries = env->test_stale_entries;
	s->rodata->have_sk_cookie = l->helpers & FR_HELPER_SK_COOKIE;
	s->rodata->have_task_btf = l->helpers & FR_HELPER_TASK_BTF;
	s->rodata->have_task_pt_regs = l->helpers & FR_HELPER_TASK_PT_REGS;
	if (h == FR_HOOKS_TRACEPOINT && !l->send_reset_reason)
		set_tw_emulation(s);
	/* the bound on port label values: --metrics-ports + the first seen */
	ret = bpf_map__set_max_entries(s->maps.svc_ports,
				       FR_METRICS_DYN_PORTS +
					       (unsigned)env->nr_metrics_ports);
	if (ret) {
		snprintf(err, errlen, "svc_ports: %s", strerror(-ret));
		goto fail;
	}
	/* --metrics alone: nothing crosses the ring buffer, keep it small */
	ret = bpf_map__set_max_entries(
		s->maps.records,
		fr_records_wanted(env) ? env->ringbuf_kb * 1024u : 16384u);
	if (ret) {
		snprintf(err, errlen, "--ringbuf-kb %u: %s", env->ringbuf_kb,
			 strerror(-ret));
		goto fail;
	}
	bpf_object__for_each_program(p, s->obj) {
		const struct prog_role *r = role_of(s, bpf_program__name(p));

		if (!r) {
			snprintf(err, errlen,
				 "program '%s' has no role in "
				 "user/loader.c",
				 bpf_program__name(p));
			goto fail;
		}
		bpf_program__set_autoload(p, role_needed(r, h, w) &&
						     l->parts[r->part].state !=
							     FR_PART_REFUSED);
	}
	return s;
fail:
	finrst_bpf__destroy(s);
	return NULL;
}

static void refuse(struct fr_loader *l, enum fr_part part, const char *prog,
		   int err, const char *step)
{
	struct fr_part_status *st = &l->parts[part];

	st->state = FR_PART_REFUSED;
	st->err = err;
	st->step = step;
	snprintf(st->prog, sizeof(st->prog), "%s", prog);
}

static void set_fail(struct fr_loader *l, const struct finrst_bpf *s,
		     const struct prog_role *r)
{
	unsigned int b = r ? r->backends : 0;

	l->fail_part = r ? r->part : FR_PART_CORE;
	l->fail_fentry = b == B_FENTRY;
	l->fail_kprobe = b == B_KPROBE;
	snprintf(l->fail_prog, sizeof(l->fail_prog), "%s",
		 r ? bpf_program__name(role_prog(s, r)) : "");
}

static void detach_all(struct fr_loader *l)
{
	for (int i = 0; i < l->nr_links; i++)
		bpf_link__destroy(l->links[i]);
	l->nr_links = 0;
}

/*
 * Attach in the roles' order. A program of an optional part that cannot
 * attach refuses its part (its links go); one of the core fails.
 */
static int attach_all(struct fr_loader *l, struct finrst_bpf *s,
		      enum fr_hooks h, const struct env *env, char *err,
		      size_t errlen)
{
	enum fr_part part_of[FR_MAX_LINKS] = { FR_PART_CORE };

	l->nr_links = 0;
	for (size_t i = 0; i < NR_ROLES; i++) {
		const struct prog_role *r = &roles[i];
		struct bpf_program *p = role_prog(s, r);
		struct bpf_link *link;
		int ret, n = 0;

		if (!bpf_program__autoload(p) || r->on_demand ||
		    l->parts[r->part].state == FR_PART_REFUSED)
			continue;
		link = bpf_program__attach(p);
		if (link && l->nr_links < FR_MAX_LINKS) {
			part_of[l->nr_links] = r->part;
			l->links[l->nr_links++] = link;
			continue;
		}
		ret = link ? -E2BIG : -errno;
		bpf_link__destroy(link);
		if (r->part == FR_PART_CORE ||
		    (r->part == FR_PART_STACK && env->stack)) {
			set_fail(l, s, r);
			snprintf(err, errlen,
				 "%s backend: cannot attach program '%s' "
				 "(%s): %s",
				 fr_hooks_name(h), bpf_program__name(p),
				 bpf_program__section_name(p), strerror(-ret));
			detach_all(l);
			return ret;
		}
		refuse(l, r->part, bpf_program__name(p), ret, "attach");
		/* the part's links so far go */
		for (int k = 0; k < l->nr_links; k++) {
			if (part_of[k] == r->part) {
				bpf_link__destroy(l->links[k]);
				continue;
			}
			part_of[n] = part_of[k];
			l->links[n++] = l->links[k];
		}
		l->nr_links = n;
	}
	return 0;
}

/* Run sock_liveness over up to FR_LIVE_BATCH keys (0 ends a batch). */
static int liveness_run(struct fr_loader *l, __u64 op, const __u64 *keys, int n)
{
	__u64 args[1 + FR_LIVE_BATCH] = { op };
	struct bpf_test_run_opts opts;
	int ret;

	for (int i = 0; i < n && i < FR_LIVE_BATCH; i++)
		args[1 + i] = keys[i];
	/* Not LIBBPF_OPTS: libbpf 1.1's compound literal can leave a struct's
	 * tail padding non-zero, which the kernel refuses ("non-zero extra
	 * bytes"), seen in the -O0 build. */
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.ctx_in = args;
	opts.ctx_size_in = sizeof(args);
	ret = bpf_prog_test_run_opts(
		bpf_program__fd(l->skel->progs.sock_liveness), &opts);
	return ret < 0 ? -errno : 0;
}

static int try_backend(struct fr_loader *l, const struct env *env,
		       enum fr_hooks h, char *err, size_t errlen)
{
	struct finrst_bpf *s;
	int ret;

	memset(l->parts, 0, sizeof(l->parts));
	for (int p = 0; p < FR_PART__MAX; p++)
		if (env->test_refuse & (1u << p))
			refuse(l, (enum fr_part)p, "--test-refuse", -EPERM,
			       NULL);
	/* An optional part refused at load: load again without it. Each
	 * round refuses one more part, so this ends. */
	for (int round = 0;; round++) {
		const struct prog_role *r;

		s = open_configured(l, env, h, err, errlen);
		if (!s) {
			set_fail(l, NULL, NULL);
			return -EINVAL;
		}
		capture.prog[0] = '\0';
		capture.err = 0;
		capture.next = libbpf_set_print(capture_print);
		ret = finrst_bpf__load(s);
		libbpf_set_print(capture.next);
		if (!ret)
			break;
		r = capture.prog[0] ? role_of(s, capture.prog) : NULL;
		if (capture.prog[0] && capture.err < 0)
			ret = capture.err;
		if (r && r->part != FR_PART_CORE &&
		    !(r->part == FR_PART_STACK && env->stack) &&
		    round < FR_PART__MAX) {
			refuse(l, r->part, capture.prog, ret, "load");
			finrst_bpf__destroy(s);
			continue;
		}
		set_fail(l, s, r);
		if (r)
			snprintf(err, errlen,
				 "%s backend: the kernel refused program '%s' "
				 "(%s): %s",
				 fr_hooks_name(h), capture.prog,
				 bpf_program__section_name(role_prog(s, r)),
				 strerror(-ret));
		else
			snprintf(err, errlen, "%s backend: loading failed: %s",
				 fr_hooks_name(h), strerror(-ret));
		finrst_bpf__destroy(s);
		return ret;
	}
	/* A part no program of which this backend needs is unused, even if
	 * refused (--test-refuse of a part this kernel does not need). */
	{
		unsigned int w = wanted_conditions(l, env, h);
		bool needed[FR_PART__MAX] = { false };

		for (size_t i = 0; i < NR_ROLES; i++)
			if (role_needed(&roles[i], h, w))
				needed[roles[i].part] = true;
		for (int p = 0; p < FR_PART__MAX; p++)
			if (!needed[p])
				l->parts[p].state = FR_PART_UNUSED;
			else if (l->parts[p].state != FR_PART_REFUSED)
				l->parts[p].state = FR_PART_ON;
	}

	ret = attach_all(l, s, h, env, err, errlen);
	if (ret) {
		finrst_bpf__destroy(s);
		return ret;
	}
	/* --stack asked for, and refused before the load (--test-refuse) */
	if (env->stack && l->parts[FR_PART_STACK].state == FR_PART_REFUSED) {
		set_fail(l, NULL, NULL);
		l->fail_part = FR_PART_STACK;
		snprintf(err, errlen, "%s backend: part stack refused (%s)",
			 fr_hooks_name(h), l->parts[FR_PART_STACK].prog);
		detach_all(l);
		finrst_bpf__destroy(s);
		return l->parts[FR_PART_STACK].err;
	}
	l->skel = s;
	l->hooks = h;
	/* Loaded is not enough: the reconciliation runs the program through
	 * BPF_PROG_TEST_RUN, which a kernel may refuse on its own. */
	if (l->parts[FR_PART_LIVENESS].state == FR_PART_ON) {
		ret = liveness_run(l, FR_LIVE_COUNT, NULL, 0);
		if (ret)
			refuse(l, FR_PART_LIVENESS, "sock_liveness", ret,
			       "test run");
	}
	/* The sweep works: destroyed sockets' entries are left for the next
	 * socket at the address (bpf/sock.bpf.h, sock_done). */
	if (l->parts[FR_PART_LIVENESS].state == FR_PART_ON)
		s->bss->recycle_entries = 1;
	return 0;
}

int fr_loader_start(struct fr_loader *l, const struct env *env, char *err,
		    size_t errlen)
{
	static const enum fr_hooks order[] = {
		FR_HOOKS_FENTRY,
		FR_HOOKS_KPROBE,
		FR_HOOKS_TRACEPOINT,
	};
	char why[3][320];
	int ret = -ENOENT;

	l->skel = NULL;
	l->nr_links = 0;
	if (env->hooks != FR_HOOKS_AUTO)
		return try_backend(l, env, env->hooks, err, errlen);

	for (size_t i = 0; i < 3; i++) {
		ret = try_backend(l, env, order[i], why[i], sizeof(why[i]));
		if (!ret) {
			if (env->verbose)
				for (size_t j = 0; j < i; j++)
					fprintf(stderr, "finrst: %s\n", why[j]);
			return 0;
		}
		/* --stack refused: no other backend has other stacks */
		if (l->fail_part == FR_PART_STACK) {
			snprintf(err, errlen, "%s", why[i]);
			return ret;
		}
	}
	snprintf(err, errlen, "no usable hook backend (%s; %s; %s)", why[0],
		 why[1], why[2]);
	return ret;
}

void fr_loader_stop(struct fr_loader *l)
{
	detach_all(l);
	finrst_bpf__destroy(l->skel);
	l->skel = NULL;
}

unsigned long long fr_loader_percpu_sum(const struct bpf_map *map, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u64 *vals;

	if (!map || ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map__lookup_elem(map, &idx, sizeof(idx), vals,
				  sizeof(*vals) * (size_t)ncpu, 0))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

unsigned long long fr_loader_counter(struct fr_loader *l, unsigned int idx)
{
	return l->skel ? fr_loader_percpu_sum(l->skel->maps.counters, idx) : 0;
}

unsigned long long fr_loader_lost(struct fr_loader *l)
{
	return fr_loader_counter(l, FR_CNT_LOST) +
	       fr_loader_counter(l, FR_CNT_NO_STORAGE) +
	       fr_loader_counter(l, FR_CNT_SWEPT_UNENDED);
}

/*
 * Pass every key of `socks` to sock_liveness with @op. The keys come in
 * chunks from BPF_MAP_LOOKUP_BATCH (5.6), whose cursor is a hash bucket:
 * unlike get_next_key, entries deleted meanwhile cannot restart the walk.
 */
#define WALK_CHUNK 256

static int liveness_walk(struct fr_loader *l, __u64 op)
{
	int mfd = bpf_map__fd(l->skel->maps.socks);
	size_t vsize = bpf_map__value_size(l->skel->maps.socks);
	__u32 chunk = WALK_CHUNK;
	__u64 *keys = NULL, cursor = 0;
	void *vals = NULL;
	bool first = true;
	int ret = 0;

	if (l->parts[FR_PART_LIVENESS].state != FR_PART_ON)
		return -EOPNOTSUPP;
	for (;;) {
		struct bpf_map_batch_opts opts;
		__u32 n = chunk;
		int err;

		if (!keys) {
			keys = calloc(chunk, sizeof(*keys));
			vals = calloc(chunk, vsize);
			if (!keys || !vals) {
				ret = -ENOMEM;
				break;
			}
		}
		memset(&opts, 0, sizeof(opts)); /* see liveness_run */
		opts.sz = sizeof(opts);
		err = bpf_map_lookup_batch(mfd, first ? NULL : &cursor, &cursor,
					   keys, vals, &n, &opts);
		err = err ? -errno : 0;
		if (err == -ENOSPC && n == 0 && chunk < FR_MAX_SOCKS) {
			/* a bucket holds more than a chunk: a bigger one */
			chunk *= 4;
			free(keys);
			free(vals);
			keys = NULL;
			vals = NULL;
			continue;
		}
		if (err && err != -ENOENT) {
			ret = err;
			break;
		}
		for (__u32 i = 0; i < n && !ret; i += FR_LIVE_BATCH)
			ret = liveness_run(l, op, keys + i,
					   (int)(n - i < FR_LIVE_BATCH ?
							 n - i :
							 FR_LIVE_BATCH));
		if (ret || err == -ENOENT)
			break;
		first = false;
	}
	free(keys);
	free(vals);
	return ret;
}

int fr_loader_unaccounted(struct fr_loader *l, bool verbose,
			  unsigned long long *lost)
{
	unsigned long long tracked, ended, marked, live;
	struct timespec settle = { 0, 10000000 }; /* 10 ms */
	int ret;

	*lost = 0;
	if (!l->skel)
		return -ENOENT;
	if (l->parts[FR_PART_LIVENESS].state != FR_PART_ON)
		return -EOPNOTSUPP;
	/* No new records from here on; let programs already past the check
	 * finish (they run in microseconds). */
	__atomic_store_n(&l->skel->bss->tracking_off, 1, __ATOMIC_SEQ_CST);
	nanosleep(&settle, NULL);

	ret = liveness_walk(l, FR_LIVE_COUNT);
	if (ret)
		return ret;
	live = __atomic_load_n(&l->skel->bss->live_unended, __ATOMIC_SEQ_CST);
	/* Marked records finish on both counters: read that one first. */
	marked = fr_loader_counter(l, FR_CNT_MARKED_ENDED);
	ended = fr_loader_counter(l, FR_CNT_ENDED);
	tracked = fr_loader_counter(l, FR_CNT_TRACKED);
	if (verbose)
		fprintf(stderr,
			"finrst: reconciliation: records started=%llu "
			"finished=%llu (after the count: %llu) "
			"live=%llu\n",
			tracked, ended, marked, live);
	ended -= marked;
	/* the swept ones are counted already (fr_loader_lost) */
	ended += fr_loader_counter(l, FR_CNT_SWEPT_UNENDED);
	if (tracked > ended + live)
		*lost = tracked - ended - live;
	return 0;
}

long fr_loader_sweep(struct fr_loader *l)
{
	unsigned long long before;
	int ret;

	if (!l->skel)
		return -ENOENT;
	before = fr_loader_counter(l, FR_CNT_SWEPT);
	ret = liveness_walk(l, FR_LIVE_SWEEP);
	if (ret)
		return ret;
	return (long)(fr_loader_counter(l, FR_CNT_SWEPT) - before);
}

unsigned long long fr_loader_missed(struct fr_loader *l)
{
	unsigned long long sum = 0;

	if (!l->skel)
		return 0;
	for (size_t i = 0; i < NR_ROLES; i++) {
		struct bpf_program *p = role_prog(l->skel, &roles[i]);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		/* A primary with a twin: the twin runs what it skips. The
		 * twin's own skips bound the events both skipped (nested two
		 * deep, seen a few times per 100,000 connections at full
		 * churn), so they count, though most of them lost nothing. */
		if (roles[i].twinned || roles[i].on_demand || fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}
