// SPDX-License-Identifier: GPL-2.0
/*
 * finrst-loadgen: churn loopback TCP connections as fast as it can, and
 * count them. Each client thread loops connect -> (payload) -> teardown;
 * one acceptor thread per listening address serves the other ends. Or
 * scan closed ports: every connect() is refused.
 *
 * Modes (what each connection's teardown is):
 *   graceful  the server closes first, the client reads EOF and closes:
 *             FIN both ways, the server's end goes to TIME_WAIT
 *   linger0   the client sets SO_LINGER {1,0} and closes: RST
 *   unread    the server sends a payload the client never reads; the
 *             client's close() discards it and sends RST
 *   mixed     the three in turn
 *   scan      no listener: connect to 127.0.0.1 ports PORT .. PORT+N-1
 *             (-n N, each port once), where nothing may listen; each
 *             connect() must fail with ECONNREFUSED (the kernel answers
 *             the SYN with a RST from no socket). Anything else is an
 *             error. Keep the range below the ephemeral ports
 *             (net.ipv4.ip_local_port_range), or a connect could meet
 *             its own source port.
 *
 * Connections are spread over 127.0.0.1 .. 127.0.0.N (-a N: one listener
 * each, served by a thread of its own, so N is also the number of server
 * threads; -t the client threads) so that neither ephemeral ports nor
 * TIME_WAIT run out. Every connection is
 * two socket ends, so a tracer must report 2 x connections teardowns; a
 * refused scan attempt is one socket end and one RST for no socket.
 *
 * Output (stdout, one line): connections=N seconds=S rate=R errors=E
 * (in scan mode, connections counts the refused attempts)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS 64
#define MAX_THREADS 256
#define PAYLOAD 100

enum mode { M_GRACEFUL, M_LINGER0, M_UNREAD, M_MIXED, M_SCAN };
static const char *const mode_names[] = { "graceful", "linger0", "unread",
					  "mixed", "scan" };

static enum mode mode = M_GRACEFUL;
static int nthreads = 8, naddrs = 8, port = 7100;
static double duration = 5;
static long long limit; /* -n: connections to make (scan: ports) */

static atomic_bool stop;	 /* clients: no new connection */
static atomic_bool clients_done; /* acceptors: every client is out */
static atomic_llong made, errors;
static atomic_int first_errno; /* FIRST_CONNECTED: a scan connected */
static atomic_llong next_port; /* scan: offset of the next port */

#define FIRST_CONNECTED (-1)

struct listener {
	int fd;
	struct in_addr addr;
	pthread_t thr;
};
static struct listener listeners[MAX_ADDRS];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "finrst-loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void note_error_code(int e)
{
	int none = 0;

	atomic_fetch_add(&errors, 1);
	atomic_compare_exchange_strong(&first_errno, &none, e);
}

static void note_error(void)
{
	note_error_code(errno ? errno : EIO);
}

static enum mode conn_mode(unsigned long long n)
{
	return mode == M_MIXED ? (enum mode)(n % 3) : mode;
}

/* The server end: which teardown follows from the first byte the client
 * sends, so that mixed mode needs no other coordination. */
static void *acceptor(void *arg)
{
	struct listener *l = arg;
	char buf[PAYLOAD];

	memset(buf, 'x', sizeof(buf));
	/* Serve until every client has returned: a client that connected
	 * just before the stop still waits for its server end. */
	while (!atomic_load(&clients_done)) {
		int fd = accept(l->fd, NULL, NULL);
		char m;
		ssize_t n;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (atomic_load(&clients_done))
				break;
			note_error();
			continue;
		}
		n = read(fd, &m, 1);
		if (n == 1 && m == 'u') {
			if (write(fd, buf, sizeof(buf)) != sizeof(buf))
				note_error();
			/* until the client's RST or FIN */
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		} else if (n == 1 && m == 'z') {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		}
		/* 'g': close first */
		close(fd);
	}
	return NULL;
}

static bool client_once(struct sockaddr_in *sa, enum mode m)
{
	static const struct linger zero = { .l_onoff = 1, .l_linger = 0 };
	char c = m == M_UNREAD ? 'u' : m == M_LINGER0 ? 'z' : 'g';
	char buf[PAYLOAD];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    write(fd, &c, 1) != 1)
		goto out;
	switch (m) {
	case M_GRACEFUL:
		/* the server closes first: wait for its FIN */
		ok = read(fd, buf, sizeof(buf)) == 0;
		break;
	case M_LINGER0:
		ok = !setsockopt(fd, SOL_SOCKET, SO_LINGER, &zero,
				 sizeof(zero));
		break;
	case M_UNREAD:
		/* the payload is here, and stays unread */
		ok = recv(fd, buf, 1, MSG_PEEK) == 1;
		break;
	default:
		break;
	}
out:
	close(fd);
	return ok;
}

static void *client(void *arg)
{
	unsigned long long i = (unsigned long long)(long)arg, n = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	while (!atomic_load(&stop)) {
		sa.sin_addr = listeners[(i + n) % naddrs].addr;
		errno = 0;
		if (client_once(&sa, conn_mode(i + n)))
			atomic_fetch_add(&made, 1);
		else
			note_error();
		n++;
		if (limit && atomic_load(&made) >= limit)
			atomic_store(&stop, true);
	}
	return NULL;
}

/* Scan mode: each thread takes the next port of the range until none is
 * left; a refused connect() is the expected outcome. */
static void *scanner(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	long long k;

	(void)arg;
	while (!atomic_load(&stop)) {
		int fd;

		k = atomic_fetch_add(&next_port, 1);
		if (k >= limit) {
			atomic_store(&stop, true);
			break;
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			note_error();
			continue;
		}
		sa.sin_port = htons((uint16_t)(port + k));
		errno = 0;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			note_error_code(FIRST_CONNECTED);
		else if (errno == ECONNREFUSED)
			atomic_fetch_add(&made, 1);
		else
			note_error();
		close(fd);
	}
	return NULL;
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: finrst-loadgen [-m graceful|linger0|unread|mixed] [-t THREADS]\n"
		"                      [-a ADDRS] [-p PORT] [-d SECONDS | -n CONNECTIONS]\n"
		"       finrst-loadgen -m scan -n PORTS [-p BASE] [-t THREADS] [-d SECONDS]\n"
		"Churns loopback TCP connections from THREADS client threads to\n"
		"127.0.0.1..ADDRS, each address served by a server thread of its own,\n"
		"and prints connections=N seconds=S rate=R errors=E. Defaults: graceful,\n"
		"8 client threads, 8 addresses (8 server threads), port 7100, 5 seconds.\n"
		"scan connects to 127.0.0.1 ports BASE..BASE+PORTS-1, where nothing may\n"
		"listen: connections counts the refused attempts, any other outcome is\n"
		"an error.\n");
}

static long num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr,
			"finrst-loadgen: %s: expected %ld..%ld, got %s\n", opt,
			lo, hi, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	pthread_t thr[MAX_THREADS];
	double t0, t1;
	int c, one = 1;

	while ((c = getopt(argc, argv, "m:t:a:p:d:n:h")) != -1) {
		switch (c) {
		case 'm':
			for (mode = 0; mode <= M_SCAN; mode++)
				if (!strcmp(optarg, mode_names[mode]))
					break;
			if (mode > M_SCAN) {
				fprintf(stderr,
					"finrst-loadgen: -m: unknown mode %s\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			nthreads = (int)num("-t", optarg, 1, MAX_THREADS);
			break;
		case 'a':
			naddrs = (int)num("-a", optarg, 1, MAX_ADDRS);
			break;
		case 'p':
			port = (int)num("-p", optarg, 1, 65535);
			break;
		case 'd':
			duration = (double)num("-d", optarg, 1, 86400);
			break;
		case 'n':
			limit = num("-n", optarg, 1, 1L << 40);
			duration = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (mode == M_SCAN) {
		if (!limit) {
			fprintf(stderr,
				"finrst-loadgen: -m scan: -n PORTS is required\n");
			return 2;
		}
		if (port + limit - 1 > 65535) {
			fprintf(stderr,
				"finrst-loadgen: -m scan: ports %d..%lld pass 65535\n",
				port, port + limit - 1);
			return 2;
		}
		naddrs = 0; /* no listener */
	}
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < naddrs; i++) {
		struct listener *l = &listeners[i];
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(port) };

		l->addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)i);
		sa.sin_addr = l->addr;
		l->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (l->fd < 0)
			die("socket");
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("bind");
		if (listen(l->fd, 4096))
			die("listen");
		if (pthread_create(&l->thr, NULL, acceptor, l))
			die("pthread_create");
	}

	t0 = now_s();
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&thr[i], NULL,
				   mode == M_SCAN ? scanner : client,
				   (void *)(long)i))
			die("pthread_create");
	while (!atomic_load(&stop)) {
		usleep(10000);
		if (duration > 0 && now_s() - t0 >= duration)
			atomic_store(&stop, true);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(thr[i], NULL);
	t1 = now_s();
	atomic_store(&clients_done, true);
	/* wake the acceptors: shutdown() makes a blocked accept() return */
	for (int i = 0; i < naddrs; i++)
		shutdown(listeners[i].fd, SHUT_RDWR);
	for (int i = 0; i < naddrs; i++) {
		pthread_join(listeners[i].thr, NULL);
		close(listeners[i].fd);
	}
	printf("connections=%lld seconds=%.3f rate=%.0f errors=%lld\n",
	       atomic_load(&made), t1 - t0,
	       (double)atomic_load(&made) / (t1 - t0), atomic_load(&errors));
	if (atomic_load(&errors)) {
		int e = atomic_load(&first_errno);

		fprintf(stderr,
			"finrst-loadgen: %lld failed connections, the first: %s%s\n",
			atomic_load(&errors),
			e == FIRST_CONNECTED ?
				"connected: something listens in the scanned range" :
				strerror(e),
			e == ENETUNREACH ?
				" (is lo up in this network namespace?)" :
				"");
		return 1;
	}
	return 0;
}
