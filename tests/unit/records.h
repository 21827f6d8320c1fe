/* SPDX-License-Identifier: GPL-2.0 */
/*
 * records.h - hand-built fr_record values for the formatting tests, filled
 * the way the BPF side fills them, then classified with fr_classify().
 */
#ifndef FR_TEST_RECORDS_H
#define FR_TEST_RECORDS_H

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "finrst.h"

/* 2026-11-21T06:31:02.123456789Z, reached from a monotonic 5000 s. */
#define T_REAL_NS 1795242662123456789LL
#define T_MONO_NS 5000000000000LL
#define T_OFFSET_NS (T_REAL_NS - T_MONO_NS)

static inline void rec_init(struct fr_record *r, int family, const char *laddr,
			    unsigned lport, const char *raddr, unsigned rport)
{
	memset(r, 0, sizeof(*r));
	r->type = FR_REC_TEARDOWN;
	r->end_ns = T_MONO_NS;
	r->family = (__u16)family;
	inet_pton(family, laddr, r->saddr);
	inet_pton(family, raddr, r->daddr);
	r->sport = (__u16)lport;
	r->dport = (__u16)rport;
	r->netns = 4026531840u;
}

static inline void rec_task(struct fr_record *r, const char *comm, unsigned pid)
{
	size_t i;

	/* Like the kernel's comm: up to 16 bytes, NUL-padded, maybe unended. */
	memset(r->comm, 0, sizeof(r->comm));
	for (i = 0; i < FR_COMM_LEN && comm[i]; i++)
		r->comm[i] = comm[i];
	r->pid = pid;
}

/* curl closes first: FIN, the peer's FIN, then TIME_WAIT. */
static inline struct fr_record rec_close(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET, "192.168.1.10", 40000, "93.184.216.34", 443);
	rec_task(&r, "curl", 4321);
	r.role = FR_ROLE_CLIENT;
	r.cgroup_id = 5678;
	r.flags = FR_F_LOCAL_FIN | FR_F_FIN_ACKED | FR_F_PEER_FIN |
		  FR_F_CLOSED | FR_F_TIME_WAIT;
	r.first = FR_INIT_LOCAL;
	r.state = FR_TCP_ESTABLISHED;
	r.end_from = FR_TCP_FIN_WAIT2;
	r.lifetime_ns = 2500123456ULL;
	r.bytes_sent = 78;
	r.bytes_received = 1256;
	fr_classify(&r);
	return r;
}

/* nginx closes with 1000 bytes unread: RST (RFC 2525 §2.17). */
static inline struct fr_record rec_unread(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET, "10.0.0.1", 8080, "10.0.0.2", 51234);
	rec_task(&r, "nginx", 1234);
	r.role = FR_ROLE_SERVER;
	r.cgroup_id = 7;
	r.flags = FR_F_RST_SENT | FR_F_CLOSED | FR_F_KREASON;
	r.kernel_reason = 3;
	r.rst_cause = FR_CAUSE_UNREAD_DATA;
	r.first = FR_INIT_LOCAL;
	r.state = FR_TCP_ESTABLISHED;
	r.end_from = FR_TCP_ESTABLISHED;
	r.unread_bytes = 1000;
	r.lifetime_ns = 1500000;
	r.bytes_sent = 10;
	r.bytes_received = 1010;
	fr_classify(&r);
	return r;
}

/* The peer resets a redis connection with 512 bytes in flight. */
static inline struct fr_record rec_peer_reset(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET, "127.0.0.1", 6379, "127.0.0.1", 33000);
	rec_task(&r, "redis-server", 999);
	r.role = FR_ROLE_SERVER;
	r.flags = FR_F_RST_RCVD;
	r.first = FR_INIT_PEER;
	r.state = FR_TCP_ESTABLISHED;
	r.end_from = FR_TCP_ESTABLISHED;
	r.unsent_bytes = 512;
	r.lifetime_ns = 60000000000ULL;
	r.bytes_sent = 4096;
	r.bytes_received = 100;
	r.err = 104;
	fr_classify(&r);
	return r;
}

/*
 * SO_LINGER {on, 5}: close() waits the full 5 s without the FIN being
 * acknowledged and returns; the connection then ends normally.
 */
static inline struct fr_record rec_linger(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET, "10.1.2.3", 50000, "10.9.8.7", 873);
	rec_task(&r, "backup", 31337);
	r.role = FR_ROLE_CLIENT;
	r.flags = FR_F_LOCAL_FIN | FR_F_CLOSED | FR_F_LINGER_ON |
		  FR_F_LINGER_WAIT | FR_F_LINGER_EXPIRED | FR_F_FIN_ACKED |
		  FR_F_PEER_FIN | FR_F_TIME_WAIT;
	r.shutdown = FR_SHUT_RD;
	r.linger_secs = 5;
	r.close_blocked_ns = 5000250000ULL;
	r.first = FR_INIT_LOCAL;
	r.state = FR_TCP_ESTABLISHED;
	r.end_from = FR_TCP_FIN_WAIT2;
	r.lifetime_ns = 9000000000ULL;
	r.bytes_sent = 1048576;
	r.bytes_received = 0;
	fr_classify(&r);
	return r;
}

/*
 * IPv6: a server half-closes with shutdown(SHUT_WR) and exits; the TIME_WAIT
 * table is full.
 */
static inline struct fr_record rec_ipv6(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET6, "2001:db8::10", 443, "2001:db8::beef", 60000);
	rec_task(&r, "envoy", 77);
	r.role = FR_ROLE_SERVER;
	r.cgroup_id = 123456789012ULL;
	r.flags = FR_F_LOCAL_FIN | FR_F_FIN_BY_SHUTDOWN | FR_F_FIN_ACKED |
		  FR_F_PEER_FIN | FR_F_CLOSED | FR_F_BY_EXIT | FR_F_TW_SKIPPED;
	r.shutdown = FR_SHUT_WR;
	r.first = FR_INIT_LOCAL;
	r.state = FR_TCP_ESTABLISHED;
	r.end_from = FR_TCP_FIN_WAIT2;
	r.lifetime_ns = 1000;
	fr_classify(&r);
	return r;
}

/* A RST for a segment that matches no socket (closed port 9). */
static inline struct fr_record rec_no_socket(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET, "10.0.0.1", 9, "10.0.0.2", 40000);
	r.type = FR_REC_RST;
	r.outcome = FR_OUT_RST_SENT;
	r.cause = FR_CAUSE_NO_SOCKET;
	r.flags = FR_F_KREASON;
	r.kernel_reason = 2;
	return r;
}

/* The RST of a TIME_WAIT socket, whose close finrst saw. */
static inline struct fr_record rec_tw_rst(void)
{
	struct fr_record r;

	rec_init(&r, AF_INET, "10.0.0.1", 8080, "10.0.0.2", 41000);
	r.type = FR_REC_RST;
	r.outcome = FR_OUT_RST_SENT;
	r.cause = FR_CAUSE_DATA_AFTER_CLOSE;
	r.state = FR_TCP_TIME_WAIT;
	r.late_bytes = 42;
	r.pid = 1234;
	memcpy(r.comm, "nginx", 6);
	return r;
}

#endif /* FR_TEST_RECORDS_H */
