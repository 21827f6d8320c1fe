// SPDX-License-Identifier: GPL-2.0
/* startup.c - see startup.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "privs.h"
#include "startup.h"

#define NEEDS_BTF                                                   \
	"finrst needs a kernel built with CONFIG_DEBUG_INFO_BTF=y " \
	"(Debian's kernels have it)"

int fr_startup_probe(const struct env *env, struct fr_loader *l,
		     struct fr_reasons *reasons, char *err, size_t errlen)
{
	struct btf *vmlinux;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "kernel BTF not found at "
			 "/sys/kernel/btf/vmlinux: " NEEDS_BTF);
		return -1;
	}
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) { /* libbpf says ESRCH when no candidate parsed */
		snprintf(err, errlen,
			 "cannot load the kernel BTF from "
			 "/sys/kernel/btf/vmlinux (%s): " NEEDS_BTF,
			 errno == ESRCH ? "empty or not valid BTF" :
					  strerror(errno));
		return -1;
	}
	if (fr_reasons_load(vmlinux, reasons) && env->verbose)
		fprintf(stderr, "finrst: kernel has no enum sk_rst_reason "
				"(< 6.10): kernel_reason will be null\n");
	l->send_reset_reason = fr_send_reset_has_reason(vmlinux);
	l->kfree_reason = fr_kfree_skb_has_reason(vmlinux);
	l->close_sync = fr_close_is_sync(vmlinux);
	l->uring_args = fr_uring_complete_args(vmlinux);
	l->helpers = fr_tracing_helpers(vmlinux);
	/* libbpf parses the kernel's BTF again to load: free this copy
	 * first, so the two are never resident together. */
	btf__free(vmlinux);
	if (env->verbose)
		fprintf(stderr,
			"finrst: tcp:tcp_send_reset has a reason: %s; "
			"close(2) releases before it returns: %s; "
			"tracing helpers: socket cookie %s, task BTF %s, "
			"task registers %s\n",
			l->send_reset_reason ? "yes" : "no",
			l->close_sync ? "yes" : "no",
			l->helpers & FR_HELPER_SK_COOKIE ? "yes" : "no",
			l->helpers & FR_HELPER_TASK_BTF ? "yes" : "no",
			l->helpers & FR_HELPER_TASK_PT_REGS ? "yes" : "no");

	l->hz = fr_kernel_hz();
	if (!l->hz) {
		snprintf(err, errlen,
			 "cannot find the kernel's CONFIG_HZ (no "
			 "/proc/config.gz, no /boot/config-$(uname -r), no "
			 "/proc/timer_list): install the kernel's config "
			 "file in /boot");
		return -1;
	}
	if (env->verbose)
		fprintf(stderr, "finrst: kernel HZ=%u\n", l->hz);
	return 0;
}

void fr_startup_why(const struct env *env, const struct fr_loader *l, int ret,
		    const char *err, char *out, size_t outlen)
{
	char why[512];
	int missing = 0;

	/* What is missing, and how to get it (SPEC §3): first the
	 * capabilities, then tracefs, which only the tracepoint backend
	 * needs. */
	if (ret == -EPERM || ret == -EACCES)
		missing = fr_missing_caps(why, sizeof(why));
	if (missing > 0)
		snprintf(out, outlen,
			 "missing %s to load BPF programs (%s): %s", why,
			 strerror(-ret),
			 geteuid() ? "run as root, or with CAP_BPF, "
				     "CAP_PERFMON and CAP_NET_ADMIN" :
				     "this process is root but lacks them (a "
				     "capability bounding set or a drop took "
				     "them); run it with CAP_BPF, CAP_PERFMON "
				     "and CAP_NET_ADMIN");
	else if ((env->hooks == FR_HOOKS_AUTO ||
		  env->hooks == FR_HOOKS_TRACEPOINT) &&
		 fr_tracefs_problem(why, sizeof(why)))
		snprintf(out, outlen, "%s (%s)", why, err);
	else if (l->fail_part == FR_PART_STACK)
		snprintf(out, outlen, "--stack cannot work on this kernel: %s",
			 err);
	else if (env->hooks == FR_HOOKS_FENTRY && l->fail_fentry)
		snprintf(out, outlen,
			 "%s: this kernel refuses fentry programs "
			 "(BPF trampolines missing, or kernel lockdown); try "
			 "--hooks=auto",
			 err);
	else if (env->hooks == FR_HOOKS_KPROBE && l->fail_kprobe &&
		 !fr_kprobes_available())
		snprintf(out, outlen,
			 "%s: this kernel has no kprobes "
			 "(CONFIG_KPROBES); try --hooks=auto",
			 err);
	else
		snprintf(out, outlen, "%s", err);
}

void fr_startup_report_parts(const struct fr_loader *l, const struct env *env)
{
	/* a kernel limit, said like a refused part's */
	if (l->hooks == FR_HOOKS_TRACEPOINT && !l->send_reset_reason &&
	    !l->kfree_reason &&
	    l->parts[FR_PART_NOSOCK_COMPAT].state == FR_PART_ON)
		fprintf(stderr,
			"finrst: tracepoint backend on this kernel: RSTs "
			"this host sends for segments that have no socket "
			"(closed ports) are not reported: skb:kfree_skb has "
			"no drop reason before 5.17 (--hooks=fentry or "
			"kprobe report them)\n");
	for (int p = 0; p < FR_PART__MAX; p++) {
		const struct fr_part_status *st = &l->parts[p];
		const char *name = fr_part_name((enum fr_part)p);

		/* an option is never ignored silently, test ones included */
		if (st->state == FR_PART_UNUSED && env->test_refuse & (1u << p))
			fprintf(stderr,
				"finrst: --test-refuse %s: this part "
				"is not used here (not asked for, or "
				"not needed by this kernel)\n",
				name);

		if (st->state == FR_PART_REFUSED && st->step)
			fprintf(stderr,
				"finrst: optional part %s refused by "
				"the kernel (%s of program %s: %s): "
				"%s\n",
				name, st->step, st->prog, strerror(-st->err),
				fr_part_loss((enum fr_part)p));
		else if (st->state == FR_PART_REFUSED)
			fprintf(stderr,
				"finrst: optional part %s refused "
				"(%s): %s\n",
				name, st->prog, fr_part_loss((enum fr_part)p));
		else if (env->verbose)
			fprintf(stderr, "finrst: part %s: %s\n", name,
				st->state == FR_PART_ON ?
					"on" :
					"not needed (not asked for, or not on this "
					"kernel)");
	}
}
