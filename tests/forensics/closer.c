// SPDX-License-Identifier: GPL-2.0
/*
 * finrst-closer: close a TCP connection with unread data from a function of
 * known name, for the --stack test (tests/forensics/run.sh).
 *
 * In the current network namespace: listen on 127.0.0.1, connect, send
 * BYTES from the client, and let the server side close without reading them:
 * the kernel discards them and sends a RST (__tcp_close, data_was_unread).
 * Prints "lport rport pid" of the server end on stdout, then waits for its
 * stdin to close, so that the process is still there when finrst reads its
 * /proc/PID/maps.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#define BYTES 1000

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The function the test looks for among the user frames. */
__attribute__((noinline)) void finrst_test_close_unread(int fd)
{
	if (close(fd))
		die("close");
	/* keep this frame from becoming a tail call */
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char buf[BYTES], c;
	int l, cli, srv, inq = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		die("listener");
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	srv = accept(l, NULL, NULL);
	if (srv < 0)
		die("accept");
	memset(buf, 'x', sizeof(buf));
	if (write(cli, buf, sizeof(buf)) != sizeof(buf))
		die("write");
	for (int i = 0; i < 1000 && inq < BYTES; i++) {
		if (ioctl(srv, SIOCINQ, &inq))
			die("SIOCINQ");
		if (inq < BYTES)
			usleep(1000);
	}
	if (inq != BYTES) {
		fprintf(stderr, "finrst-closer: %d bytes queued, not %d\n", inq,
			BYTES);
		return 1;
	}
	struct sockaddr_in s, p;
	socklen_t sl = sizeof(s), pl = sizeof(p);

	if (getsockname(srv, (struct sockaddr *)&s, &sl) ||
	    getpeername(srv, (struct sockaddr *)&p, &pl))
		die("getsockname");
	finrst_test_close_unread(srv);
	printf("%u %u %d\n", ntohs(s.sin_port), ntohs(p.sin_port), getpid());
	fflush(stdout);
	/* until the test has its record */
	while (read(0, &c, 1) > 0)
		;
	close(cli);
	close(l);
	return 0;
}
