// SPDX-License-Identifier: GPL-2.0
/*
 * The private network namespace and the system tools used as oracles:
 * nstat (kernel MIB counters), ss (TIME_WAIT sockets) and nft (to make
 * one direction of a connection go silent).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* net.ipv4.tcp_max_orphans of the whole host (no namespace has its own),
 * opened before the namespace is: only where FINRST_GLOBAL_SYSCTLS=1 (the
 * VMs of tools/vmtest), never on a shared machine. */
static int max_orphans_fd = -1;
static char max_orphans_was[32]; /* restored at exit */

static void restore_max_orphans(void)
{
	if (max_orphans_was[0])
		set_max_orphans(max_orphans_was);
}

bool global_sysctls_allowed(void)
{
	const char *v = getenv("FINRST_GLOBAL_SYSCTLS");

	return v && !strcmp(v, "1") && max_orphans_fd >= 0;
}

int set_max_orphans(const char *value)
{
	static bool armed;

	size_t n = strlen(value);

	if (max_orphans_fd < 0)
		return -1;
	if (!armed) {
		ssize_t got = pread(max_orphans_fd, max_orphans_was,
				    sizeof(max_orphans_was) - 1, 0);

		if (got <= 0)
			return -1;
		max_orphans_was[got] = '\0';
		armed = true;
		atexit(restore_max_orphans);
	}
	return pwrite(max_orphans_fd, value, n, 0) == (ssize_t)n ? 0 : -1;
}

/* The value tcp_max_orphans had before set_max_orphans() changed it. */
int restore_max_orphans_now(void)
{
	return max_orphans_was[0] ? set_max_orphans(max_orphans_was) : 0;
}

int netns_enter(unsigned long long *ino)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	const char *g = getenv("FINRST_GLOBAL_SYSCTLS");
	struct stat st;
	int fd;

	if (g && !strcmp(g, "1"))
		max_orphans_fd = open("/proc/sys/net/ipv4/tcp_max_orphans",
				      O_RDWR | O_CLOEXEC);
	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr))) {
		close(fd);
		return -1;
	}
	close(fd);
	/*
	 * tcp_tw_reuse=2 (the default) lets a loopback connect() take over
	 * a TIME_WAIT 4-tuple, which would make the ss count drift from the
	 * teardowns made. Per namespace, so only ours changes.
	 */
	fd = open("/proc/sys/net/ipv4/tcp_tw_reuse", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (stat("/proc/self/ns/net", &st))
		return -1;
	*ino = st.st_ino;
	return 0;
}

/* ::1 exists once lo is up, unless IPv6 is off in this kernel. */
bool family_usable(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return family != AF_INET6 ||
	       access("/proc/sys/net/ipv6/conf/lo/disable_ipv6", F_OK) == 0;
}

/* tcp:tcp_send_reset carries enum sk_rst_reason since Linux 6.10. */
bool kernel_has_rst_reason(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 10);
}

int run_capture(const char *const argv[], char *out, size_t len)
{
	size_t used = 0;
	int pfd[2], status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(pfd[1], 1);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "finrst-scenario: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char sink[4096];
		char *dst = used + 1 < len ? out + used : sink;
		size_t room = used + 1 < len ? len - 1 - used : sizeof(sink);
		ssize_t n = read(pfd[0], dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			used += n;
	}
	close(pfd[0]);
	if (len)
		out[used] = '\0';
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool counter(const char *text, const char *name, long long *val)
{
	size_t nlen = strlen(name);

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
		if (!strncmp(l, name, nlen) &&
		    (l[nlen] == ' ' || l[nlen] == '\t'))
			return sscanf(l + nlen, "%lld", val) == 1;
	}
	return false;
}

/*
 * Absolute values (-a) of every counter (-z), without touching the history
 * file (-s); NSTAT_HISTORY points at a private file all the same.
 */
int nstat_read(struct nstat *ns)
{
	static const char *const argv[] = { "nstat", "-a", "-s", "-z", NULL };
	static char text[1 << 16];

	if (run_capture(argv, text, sizeof(text)))
		return -1;
	if (!counter(text, "TcpOutRsts", &ns->out_rsts) ||
	    !counter(text, "TcpExtTCPAbortOnClose", &ns->abort_on_close) ||
	    !counter(text, "TcpExtTCPAbortOnData", &ns->abort_on_data) ||
	    !counter(text, "TcpExtTCPAbortOnTimeout", &ns->abort_on_timeout) ||
	    !counter(text, "TcpRetransSegs", &ns->retrans_segs))
		return -1;
	return 0;
}

static int port_of(const char *hostport)
{
	const char *c = strrchr(hostport, ':');

	return c ? atoi(c + 1) : -1;
}

int ss_state(const char *state, int *lports, int max)
{
	const char *const argv[] = { "ss", "-tanH", "state", state, NULL };
	static char text[1 << 20];
	int n = 0;

	if (run_capture(argv, text, sizeof(text)))
		return -1;
	/* With a state filter there is no State column: recvq sendq local peer */
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char local[128];

		if (sscanf(l, "%*s %*s %127s %*s", local) != 1)
			continue;
		if (n < max)
			lports[n] = port_of(local);
		n++;
	}
	return n;
}

static int nft(const char *cmd)
{
	const char *const argv[] = { "nft", cmd, NULL };
	char out[256];

	return run_capture(argv, out, sizeof(out));
}

int nft_drop(int sport, int dport)
{
	char rule[160];

	snprintf(rule, sizeof(rule),
		 "add rule inet frt out tcp sport %d tcp dport %d drop", sport,
		 dport);
	if (nft("add table inet frt") ||
	    nft("add chain inet frt out { type filter hook output priority 0 ; }") ||
	    nft(rule))
		return -1;
	return 0;
}

bool nft_usable(void)
{
	return nft("list tables") == 0;
}

int nft_flush(void)
{
	return nft("delete table inet frt");
}
