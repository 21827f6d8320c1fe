// SPDX-License-Identifier: GPL-2.0
/*
 * finrst-weirdcomm: make two real TCP teardowns on 127.0.0.1 under a
 * hostile command name, for tests/ops/comm.sh.
 *
 * Usage: finrst-weirdcomm HEX PORT
 *   HEX   the comm, as hex bytes (1 to 15 bytes, no NUL): the shell cannot
 *         pass every byte value through argv as is, hex can
 *   PORT  the listening port on 127.0.0.1
 *
 * Sets its comm with prctl(PR_SET_NAME), checks that the kernel kept every
 * byte (PR_GET_NAME), then, with one listener on PORT:
 *   1. unread: the server end writes 100 bytes, the client closes without
 *      reading them (RST, cause unread_data), the server end reads
 *      ECONNRESET and closes (peer_reset);
 *   2. graceful: the client closes first (FIN, cause close), the server end
 *      reads EOF and closes (peer_close).
 * Four teardown records in all, each with this process's pid and comm.
 * Prints "pid=PID" on stdout; exit 0, or 1 with the failed call on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PAYLOAD 100

static void die(const char *what)
{
	fprintf(stderr, "finrst-weirdcomm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A connected pair through the listener: *cfd the client, *sfd the
 * accepted server end. */
static void pair(int lfd, const struct sockaddr_in *sa, int *cfd, int *sfd)
{
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0)
		die("socket");
	if (connect(*cfd, (const struct sockaddr *)sa, sizeof(*sa)))
		die("connect");
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		die("accept");
}

/* Until the peer's FIN or RST has arrived: read returns 0 or fails. */
static void drain(int fd)
{
	char buf[PAYLOAD];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && errno != ECONNRESET)
		die("read");
}

int main(int argc, char **argv)
{
	char comm[16] = { 0 }, back[17] = { 0 }, buf[PAYLOAD];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pfd;
	size_t n, len;
	char *end;
	long port;
	int one = 1, lfd, cfd, sfd;

	if (argc != 3) {
		fprintf(stderr, "usage: finrst-weirdcomm HEX PORT\n");
		return 2;
	}
	len = strlen(argv[1]);
	if (!len || len % 2 || len / 2 > 15) {
		fprintf(stderr, "finrst-weirdcomm: HEX: 1 to 15 bytes\n");
		return 2;
	}
	for (n = 0; n < len / 2; n++) {
		int hi = hexval(argv[1][2 * n]),
		    lo = hexval(argv[1][2 * n + 1]);

		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			fprintf(stderr,
				"finrst-weirdcomm: HEX: bad byte %.2s\n",
				argv[1] + 2 * n);
			return 2;
		}
		comm[n] = (char)(hi << 4 | lo);
	}
	errno = 0;
	port = strtol(argv[2], &end, 10);
	if (errno || *end || port < 1 || port > 65535) {
		fprintf(stderr, "finrst-weirdcomm: PORT: 1..65535\n");
		return 2;
	}

	if (prctl(PR_SET_NAME, comm, 0, 0, 0))
		die("prctl(PR_SET_NAME)");
	if (prctl(PR_GET_NAME, back, 0, 0, 0))
		die("prctl(PR_GET_NAME)");
	if (memcmp(comm, back, sizeof(comm))) {
		fprintf(stderr,
			"finrst-weirdcomm: the kernel changed the comm\n");
		return 1;
	}

	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	if (listen(lfd, 4))
		die("listen");

	/* 1. close with unread data: RST */
	pair(lfd, &sa, &cfd, &sfd);
	memset(buf, 'x', sizeof(buf));
	if (write(sfd, buf, sizeof(buf)) != sizeof(buf))
		die("write");
	pfd.fd = cfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		die("poll (the payload did not arrive)");
	close(cfd);
	drain(sfd);
	close(sfd);

	/* 2. graceful: the client closes first */
	pair(lfd, &sa, &cfd, &sfd);
	close(cfd);
	drain(sfd);
	close(sfd);

	close(lfd);
	printf("pid=%d\n", (int)getpid());
	return 0;
}
