// SPDX-License-Identifier: GPL-2.0
/*
 * kernel_reason names (issue 5): finrst takes them from the running
 * kernel's BTF (enum sk_rst_reason), never from a table of its own, since
 * the numbering changed between 6.10 and 6.12. They must be exactly the
 * names the kernel's own tracepoint prints: the __print_symbolic() pairs of
 * /sys/kernel/tracing/events/tcp/tcp_send_reset/format, value for value.
 * Before 6.10 neither has any, and finrst must say so.
 *
 * Exit 77 (skipped) when tracefs cannot be read (not root, not mounted).
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "sysinfo.h"

#define FORMAT "/sys/kernel/tracing/events/tcp/tcp_send_reset/format"
#define MAX_PAIRS 1024

int main(void)
{
	static char buf[65536];
	static char *names[MAX_PAIRS];
	struct fr_reasons r = { 0 };
	struct btf *btf;
	size_t n, npairs = 0;
	char *p;
	FILE *f;
	int ret;

	f = fopen(FORMAT, "r");
	if (!f) {
		printf("SKIP: %s: %s (tracefs)\n", FORMAT, strerror(errno));
		return 77;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';

	btf = btf__load_vmlinux_btf();
	CHECKF(btf, "btf__load_vmlinux_btf: %s", strerror(errno));
	if (!btf)
		return check_exit("test_reasons");
	ret = fr_reasons_load(btf, &r);

	/* "REC->reason, { 0, "NOT_SPECIFIED" }, { 1, "NO_SOCKET" }, ..." */
	p = strstr(buf, "REC->reason, {");
	if (!p) {
		printf("no reason in the tracepoint (< 6.10)\n");
		CHECKF(ret != 0 && r.n == 0,
		       "the tracepoint has no reason, but finrst found %u "
		       "names in the BTF",
		       r.n);
		return check_exit("test_reasons");
	}
	p += strlen("REC->reason, ");
	for (;;) {
		unsigned int v;
		char name[128];
		int used;

		if (sscanf(p, "{ %u, \"%127[^\"]\" }%n", &v, name, &used) != 2)
			break;
		CHECKF(v < MAX_PAIRS && !names[v], "format: value %u twice", v);
		if (v < MAX_PAIRS && !names[v])
			names[v] = strdup(name);
		npairs++;
		p += used;
		if (strncmp(p, ", ", 2))
			break;
		p += 2;
	}
	printf("format file: %zu reasons; BTF: %u values\n", npairs, r.n);
	CHECKF(ret == 0, "fr_reasons_load failed on a kernel with reasons");
	CHECKF(npairs > 10, "only %zu pairs parsed from the format file",
	       npairs);
	for (unsigned int v = 0; v < MAX_PAIRS; v++) {
		const char *mine = fr_reason_name(v, &r);

		if (!names[v] && !mine)
			continue;
		CHECKF(names[v] && mine && !strcmp(names[v], mine),
		       "reason %u: kernel prints %s, finrst says %s", v,
		       names[v] ? names[v] : "(none)", mine ? mine : "(none)");
		free(names[v]);
	}
	fr_reasons_free(&r);
	btf__free(btf);
	return check_exit("test_reasons");
}
