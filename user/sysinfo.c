// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "sysinfo.h"

static unsigned int hz_from_config(const char *path)
{
	gzFile f = gzopen(path, "r"); /* reads plain files too */
	char line[256];
	unsigned int hz = 0;

	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, "CONFIG_HZ=", 10)) {
			hz = (unsigned int)strtoul(line + 10, NULL, 10);
			break;
		}
	}
	gzclose(f);
	return hz;
}

/* The number after prefix at the start of line (sscanf() cannot report an
 * overflow). */
static bool line_number(const char *line, const char *prefix,
			unsigned long long *v)
{
	size_t n = strlen(prefix);

	if (strncmp(line, prefix, n) || !isdigit((unsigned char)line[n]))
		return false;
	errno = 0;
	*v = strtoull(line + n, NULL, 10);
	return !errno;
}

/*
 * Without a kernel config, measure: /proc/timer_list shows the jiffies
 * counter and the monotonic clock; two readings 200 ms apart give HZ, which
 * is then snapped to the values Kconfig allows (kernel/Kconfig.hz).
 */
static int timer_list_sample(unsigned long long *jif, unsigned long long *ns)
{
	FILE *f = fopen("/proc/timer_list", "r");
	char line[256];
	int got = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && got != 3) {
		if (!(got & 1) && line_number(line, "now at ", ns))
			got |= 1;
		else if (!(got & 2) && line_number(line, "jiffies: ", jif))
			got |= 2;
	}
	fclose(f); /* NOLINT(cert-err33-c): read only, nothing to lose */
	return got == 3 ? 0 : -1;
}

static unsigned int hz_measured(void)
{
	static const unsigned int allowed[] = { 100, 250, 300, 1000 };
	unsigned long long j0, n0, j1, n1;
	struct timespec ts = { 0, 200L * 1000 * 1000 };
	double hz;

	if (timer_list_sample(&j0, &n0))
		return 0;
	nanosleep(&ts, NULL);
	if (timer_list_sample(&j1, &n1) || n1 <= n0)
		return 0;
	hz = (double)(j1 - j0) * 1e9 / (double)(n1 - n0);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (hz > allowed[i] * 0.9 && hz < allowed[i] * 1.1)
			return allowed[i];
	return 0;
}

unsigned int fr_kernel_hz(void)
{
	struct utsname u;
	char path[512];
	unsigned int hz;

	hz = hz_from_config("/proc/config.gz");
	if (!hz && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from_config(path);
	}
	if (!hz)
		hz = hz_measured();
	return hz;
}

int fr_reasons_load(const struct btf *btf, struct fr_reasons *r)
{
	static const char prefix[] = "SK_RST_REASON_";
	const struct btf_type *t;
	const struct btf_enum *e;
	unsigned int max = 0;
	int id;

	memset(r, 0, sizeof(*r));
	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM);
	if (id < 0)
		return -1; /* < 6.10: no reasons */
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if ((unsigned int)e[i].val + 1 > max && e[i].val >= 0 &&
		    e[i].val < 4096)
			max = (unsigned int)e[i].val + 1;
	r->names = calloc(max ? max : 1, sizeof(*r->names));
	if (!r->names)
		return -1;
	r->n = max;
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if (e[i].val < 0 || (unsigned int)e[i].val >= max || !name)
			continue;
		/* The tracepoint's format prints the names without the
		 * prefix (include/trace/events/tcp.h, __print_symbolic). */
		if (!strncmp(name, prefix, sizeof(prefix) - 1))
			name += sizeof(prefix) - 1;
		r->names[e[i].val] = strdup(name);
	}
	return 0;
}

const char *fr_reason_name(unsigned int value, void *arg)
{
	const struct fr_reasons *r = arg;

	if (!r || value >= r->n)
		return NULL;
	return r->names[value];
}

void fr_reasons_free(struct fr_reasons *r)
{
	for (unsigned int i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	r->names = NULL;
	r->n = 0;
}

static const struct btf_type *tp_proto(const struct btf *btf,
				       const char *typedef_name);

bool fr_send_reset_has_reason(const struct btf *btf)
{
	/* typedef void (*btf_trace_tcp_send_reset)(void *, sk, skb[, reason]) */
	const struct btf_type *t = tp_proto(btf, "btf_trace_tcp_send_reset");

	return t && btf_vlen(t) >= 4;
}

bool fr_kfree_skb_has_reason(const struct btf *btf)
{
	/* typedef void (*btf_trace_kfree_skb)(void *, skb, location[,
	 * reason]): 5.17, kfree_skb_reason() */
	const struct btf_type *t = tp_proto(btf, "btf_trace_kfree_skb");

	return t && btf_vlen(t) >= 4;
}

bool fr_tracefs_problem(char *buf, size_t len)
{
	/* libbpf 1.x looks under debugfs when /sys/kernel/debug/tracing is
	 * there (an automount point while debugfs is mounted), else in
	 * /sys/kernel/tracing: the same choice, so the error names the
	 * directory libbpf tried. */
	const char *dir = !faccessat(AT_FDCWD, "/sys/kernel/debug/tracing",
				     F_OK, AT_EACCESS) ?
				  "/sys/kernel/debug/tracing" :
				  "/sys/kernel/tracing";
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events", dir);
	if (stat(path, &st) && errno == ENOENT) {
		snprintf(buf, len,
			 "tracefs is not mounted (no %s): the tracepoint "
			 "backend attaches to syscall tracepoints, whose ids "
			 "only tracefs gives; mount it with 'mount -t tracefs "
			 "nodev /sys/kernel/tracing'",
			 path);
		return true;
	}
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_shutdown/id",
		 dir);
	if (!faccessat(AT_FDCWD, path, R_OK, AT_EACCESS))
		return false;
	if (errno == ENOENT)
		snprintf(buf, len,
			 "this kernel has no syscall tracepoints (no %s): "
			 "the tracepoint backend needs a kernel built with "
			 "CONFIG_FTRACE_SYSCALLS=y",
			 path);
	else
		snprintf(buf, len,
			 "cannot read %s (%s): the tracepoint backend reads "
			 "the syscall tracepoints' ids in tracefs, which only "
			 "root may read by default; run finrst as root (uid "
			 "0)",
			 path, strerror(errno));
	return true;
}

/* The prototype of a tracepoint (typedef btf_trace_NAME, a pointer to a
 * function whose first argument is the tracepoint's data), or NULL. */
static const struct btf_type *tp_proto(const struct btf *btf,
				       const char *typedef_name)
{
	const struct btf_type *t;
	int id;

	if (!btf)
		return NULL;
	id = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type); /* pointer */
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

enum fr_uring_args fr_uring_complete_args(const struct btf *btf)
{
	const struct btf_type *t = tp_proto(btf, "btf_trace_io_uring_complete");
	const struct btf_param *p;
	const struct btf_type *a;

	if (!t)
		return FR_URING_NONE;
	p = btf_params(t);
	/* 5.19, with CQE32: data, ctx, req, user_data, res, cflags,
	 * extra1, extra2 */
	if (btf_vlen(t) == 8)
		return FR_URING_RES;
	/* data, ctx, req, cqe: on 6.18 here, 6.17 by a peer's notes (not
	 * verified); 5.10 had data, ctx, user_data, res (a u64, no request),
	 * 5.11 to 5.18 data, ctx, user_data, res, cflags */
	a = btf_vlen(t) >= 3 ?
		    btf__type_by_id(btf, btf__resolve_type(btf, p[2].type)) :
		    NULL;
	if (btf_vlen(t) == 4 && a && btf_is_ptr(a)) {
		a = btf__type_by_id(btf, p[3].type);
		return a && btf_is_ptr(a) ? FR_URING_CQE : FR_URING_NONE;
	}
	return a && btf_is_int(a) ? FR_URING_NO_REQ : FR_URING_NONE;
}

int fr_kallsyms_ranges(const char *const names[], size_t n,
		       unsigned long long (*range)[2])
{
	unsigned long long addr;
	char line[512], name[256];
	FILE *f;

	for (size_t i = 0; i < n; i++)
		range[i][0] = range[i][1] = 0;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	/* the starts, then for each the lowest address above it: the file
	 * is not sorted across modules */
	for (int pass = 0; pass < 2; pass++) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			/* "ADDR TYPE NAME[\t[MODULE]]" */
			char *p, *q;

			addr = strtoull(line, &p, 16);
			if (p == line || !addr || p[0] != ' ' || !p[1] ||
			    p[2] != ' ')
				continue;
			p += 3;
			q = p + strcspn(p, " \t\n");
			if ((size_t)(q - p) >= sizeof(name))
				continue;
			memcpy(name, p, (size_t)(q - p));
			name[q - p] = '\0';
			for (size_t i = 0; i < n; i++) {
				unsigned long long *r = range[i];

				if (!pass && !r[0] && !strcmp(name, names[i]))
					r[0] = addr;
				else if (pass && r[0] && addr > r[0] &&
					 (!r[1] || addr < r[1]))
					r[1] = addr;
			}
		}
	}
	(void)fclose(f); /* read only */
	for (size_t i = 0; i < n; i++)
		if (!range[i][1])
			range[i][0] = 0;
	return 0;
}

bool fr_close_is_sync(const struct btf *btf)
{
	/* 6.7, commit 021a160abf62 ("fs: use __fput_sync in close(2)"):
	 * close(2) releases the file before it returns, and that commit
	 * split filp_flush() out of filp_close() for it. The function is
	 * in BTF exactly on kernels with the change, backports included. */
	return btf &&
	       btf__find_by_name_kind(btf, "filp_flush", BTF_KIND_FUNC) > 0;
}

/* Does a tp_btf program on tcp:tcp_destroy_sock load with these
 * instructions? */
static bool tracing_prog_loads(int btf_id, const struct bpf_insn *insns,
			       size_t n)
{
	struct bpf_prog_load_opts opts = {
		.sz = sizeof(opts),
		.expected_attach_type = BPF_TRACE_RAW_TP,
		.attach_btf_id = (__u32)btf_id,
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, n,
			       &opts);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

#define INSN(c, d, s, o, i)                                              \
	{                                                                \
		.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), \
		.imm = (i)                                               \
	}
#define CALL(fn) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define RET0                                                   \
	INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0), \
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

unsigned int fr_tracing_helpers(const struct btf *btf)
{
	/* r1 = ctx[0], the struct sock *; cookie(r1) */
	static const struct bpf_insn cookie[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_1, 0, 0),
		CALL(BPF_FUNC_get_socket_cookie),
		RET0,
	};
	static const struct bpf_insn task[] = {
		CALL(BPF_FUNC_get_current_task_btf),
		RET0,
	};
	/* bpf_task_pt_regs(bpf_get_current_task_btf()) */
	static const struct bpf_insn regs[] = {
		CALL(BPF_FUNC_get_current_task_btf),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0),
		CALL(BPF_FUNC_task_pt_regs),
		RET0,
	};
	unsigned int have = 0;
	int id;

	id = btf ? btf__find_by_name_kind(btf, "btf_trace_tcp_destroy_sock",
					  BTF_KIND_TYPEDEF) :
		   -1;
	if (id <= 0)
		return 0;
	if (tracing_prog_loads(id, cookie, sizeof(cookie) / sizeof(*cookie)))
		have |= FR_HELPER_SK_COOKIE;
	if (tracing_prog_loads(id, task, sizeof(task) / sizeof(*task))) {
		have |= FR_HELPER_TASK_BTF;
		if (tracing_prog_loads(id, regs, sizeof(regs) / sizeof(*regs)))
			have |= FR_HELPER_TASK_PT_REGS;
	}
	return have;
}

bool fr_kprobes_available(void)
{
	/* libbpf attaches kprobes through the kprobe PMU (4.17+), or the
	 * legacy kprobe_events file: with CONFIG_KPROBES off neither is
	 * there. */
	static const char *const paths[] = {
		"/sys/bus/event_source/devices/kprobe/type",
		"/sys/kernel/tracing/kprobe_events",
		"/sys/kernel/debug/tracing/kprobe_events",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], F_OK))
			return true;
	return false;
}
