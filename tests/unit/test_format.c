// SPDX-License-Identifier: GPL-2.0
/*
 * test_format.c - user/format.c: names, the exact JSON of representative
 * records, explanations, text columns, hostile comm values and full buffers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setenv */
#endif
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "format.h"
#include "json_check.h"
#include "records.h"

#define GUARD 0xa5

static const char *reason_name(unsigned value, void *arg)
{
	(void)arg;
	return value == 3 ? "TCP_ABORT_ON_CLOSE" : NULL;
}

static const struct fr_fmt fmt = {
	.mono_to_real_ns = T_OFFSET_NS,
	.reason_name = reason_name,
};

static const char want_close[] =
	"{\"event\":\"teardown\","
	"\"time\":\"2026-11-21T06:31:02.123456Z\",\"family\":\"ipv4\","
	"\"laddr\":\"192.168.1.10\",\"lport\":40000,"
	"\"raddr\":\"93.184.216.34\",\"rport\":443,"
	"\"netns\":4026531840,\"cgroup_id\":5678,\"role\":\"client\","
	"\"pid\":4321,\"comm\":\"curl\",\"initiator\":\"local\","
	"\"outcome\":\"fin\",\"cause\":\"close\","
	"\"state\":\"ESTABLISHED\",\"shutdown\":null,"
	"\"linger\":{\"on\":false,\"seconds\":0},"
	"\"close_blocked_us\":0,\"linger_expired\":false,"
	"\"by_exit\":false,\"unread_bytes\":0,\"unsent_bytes\":0,"
	"\"late_bytes\":0,\"time_wait\":true,\"time_wait_skipped\":false,"
	"\"lifetime_us\":2500123,\"bytes_sent\":78,"
	"\"bytes_received\":1256,\"kernel_reason\":null,"
	"\"explain\":\"curl[4321] called close() (state ESTABLISHED) "
	"and sent the first FIN; the connection closed cleanly. This "
	"side then entered TIME_WAIT, which keeps the 4-tuple from "
	"reuse for 60 s. Normal active close; nothing to do.\"}\n";

static const char want_unread[] =
	"{\"event\":\"teardown\","
	"\"time\":\"2026-11-21T06:31:02.123456Z\",\"family\":\"ipv4\","
	"\"laddr\":\"10.0.0.1\",\"lport\":8080,\"raddr\":\"10.0.0.2\","
	"\"rport\":51234,\"netns\":4026531840,\"cgroup_id\":7,"
	"\"role\":\"server\",\"pid\":1234,\"comm\":\"nginx\","
	"\"initiator\":\"local\",\"outcome\":\"rst_sent\","
	"\"cause\":\"unread_data\",\"state\":\"ESTABLISHED\","
	"\"shutdown\":null,\"linger\":{\"on\":false,\"seconds\":0},"
	"\"close_blocked_us\":0,\"linger_expired\":false,"
	"\"by_exit\":false,\"unread_bytes\":1000,\"unsent_bytes\":0,"
	"\"late_bytes\":0,\"time_wait\":false,\"time_wait_skipped\":false,"
	"\"lifetime_us\":1500,\"bytes_sent\":10,"
	"\"bytes_received\":1010,"
	"\"kernel_reason\":\"TCP_ABORT_ON_CLOSE\","
	"\"explain\":\"nginx[1234] closed the socket with 1000 unread "
	"bytes; the kernel discarded them and sent RST (RFC 2525 "
	"§2.17). Read to EOF, or shutdown(SHUT_WR) and drain, before "
	"close().\"}\n";

static const char want_peer_reset[] =
	"{\"event\":\"teardown\","
	"\"time\":\"2026-11-21T06:31:02.123456Z\",\"family\":\"ipv4\","
	"\"laddr\":\"127.0.0.1\",\"lport\":6379,"
	"\"raddr\":\"127.0.0.1\",\"rport\":33000,\"netns\":4026531840,"
	"\"cgroup_id\":0,\"role\":\"server\",\"pid\":999,"
	"\"comm\":\"redis-server\",\"initiator\":\"peer\","
	"\"outcome\":\"rst_received\",\"cause\":\"peer_reset\","
	"\"state\":\"ESTABLISHED\",\"shutdown\":null,\"linger\":null,"
	"\"close_blocked_us\":0,\"linger_expired\":false,"
	"\"by_exit\":false,\"unread_bytes\":0,\"unsent_bytes\":512,"
	"\"late_bytes\":0,\"time_wait\":false,\"time_wait_skipped\":false,"
	"\"lifetime_us\":60000000,\"bytes_sent\":4096,"
	"\"bytes_received\":100,\"kernel_reason\":null,"
	"\"explain\":\"The peer reset the connection (state "
	"ESTABLISHED); redis-server[999] got ECONNRESET. 512 bytes "
	"written but not yet acknowledged were discarded. Look at the "
	"peer: it closed with unread data or SO_LINGER {on, 0}, "
	"crashed or restarted, or a middlebox reset the "
	"connection.\"}\n";

static const char want_linger[] =
	"{\"event\":\"teardown\","
	"\"time\":\"2026-11-21T06:31:02.123456Z\",\"family\":\"ipv4\","
	"\"laddr\":\"10.1.2.3\",\"lport\":50000,\"raddr\":\"10.9.8.7\","
	"\"rport\":873,\"netns\":4026531840,\"cgroup_id\":0,"
	"\"role\":\"client\",\"pid\":31337,\"comm\":\"backup\","
	"\"initiator\":\"local\",\"outcome\":\"fin\","
	"\"cause\":\"close\",\"state\":\"ESTABLISHED\","
	"\"shutdown\":\"rd\",\"linger\":{\"on\":true,\"seconds\":5},"
	"\"close_blocked_us\":5000250,\"linger_expired\":true,"
	"\"by_exit\":false,\"unread_bytes\":0,\"unsent_bytes\":0,"
	"\"late_bytes\":0,\"time_wait\":true,\"time_wait_skipped\":false,"
	"\"lifetime_us\":9000000,\"bytes_sent\":1048576,"
	"\"bytes_received\":0,\"kernel_reason\":null,"
	"\"explain\":\"backup[31337] called close() (state "
	"ESTABLISHED) and sent the first FIN; the connection closed "
	"cleanly. close() blocked for the whole 5 s SO_LINGER timeout "
	"(5.000 s) and returned before the FIN was acknowledged; on "
	"Linux that is no error and the connection is not reset, it "
	"lives on orphaned (to know the peer got everything, "
	"shutdown(SHUT_WR) and read to EOF instead). This side then "
	"entered TIME_WAIT, which keeps the 4-tuple from reuse for 60 "
	"s. Normal active close; nothing to do.\"}\n";

static const char want_ipv6[] =
	"{\"event\":\"teardown\","
	"\"time\":\"2026-11-21T06:31:02.123456Z\",\"family\":\"ipv6\","
	"\"laddr\":\"2001:db8::10\",\"lport\":443,"
	"\"raddr\":\"2001:db8::beef\",\"rport\":60000,"
	"\"netns\":4026531840,\"cgroup_id\":123456789012,"
	"\"role\":\"server\",\"pid\":77,\"comm\":\"envoy\","
	"\"initiator\":\"local\",\"outcome\":\"fin\","
	"\"cause\":\"shutdown\",\"state\":\"ESTABLISHED\","
	"\"shutdown\":\"wr\",\"linger\":{\"on\":false,\"seconds\":0},"
	"\"close_blocked_us\":0,\"linger_expired\":false,"
	"\"by_exit\":true,\"unread_bytes\":0,\"unsent_bytes\":0,"
	"\"late_bytes\":0,\"time_wait\":false,\"time_wait_skipped\":true,"
	"\"lifetime_us\":1,\"bytes_sent\":0,\"bytes_received\":0,"
	"\"kernel_reason\":null,\"explain\":\"envoy[77] called "
	"shutdown(SHUT_WR) (state ESTABLISHED) and sent the first FIN "
	"(half-close); the connection then closed cleanly. The socket "
	"was closed by process exit. It should have entered TIME_WAIT "
	"but the table was full (net.ipv4.tcp_max_tw_buckets, "
	"TCPTimeWaitOverflow), so old duplicates can reach a reused "
	"4-tuple. Normal; note that shutdown() acts on every process "
	"sharing the socket.\"}\n";

static const char want_no_socket[] =
	"{\"event\":\"rst\",\"time\":\"2026-11-21T06:31:02.123456Z\","
	"\"direction\":\"sent\",\"cause\":\"no_socket\",\"pid\":0,"
	"\"comm\":\"\","
	"\"family\":\"ipv4\",\"laddr\":\"10.0.0.1\",\"lport\":9,"
	"\"raddr\":\"10.0.0.2\",\"rport\":40000,\"netns\":4026531840,"
	"\"late_bytes\":0,\"kernel_reason\":\"2\"}\n";

static void test_names(void)
{
	static const char *const causes[] = {
		"close",
		"shutdown",
		"peer_close",
		"simultaneous_close",
		"unread_data",
		"linger_zero",
		"disconnect",
		"listener_closed",
		"linger2",
		"memory",
		"keepalive_timeout",
		"rst_other",
		"data_after_close",
		"no_socket",
		"peer_reset",
		"write_after_peer_close",
		"retransmit_timeout",
		"connection_refused",
		"connect_abandoned",
	};
	unsigned i;

	/* FR_CAUSE_NONE (0) is internal: the causes follow it */
	CHECK_INT(sizeof(causes) / sizeof(causes[0]) + 1, FR_CAUSE__MAX);
	for (i = 0; i + 1 < FR_CAUSE__MAX; i++)
		CHECK_STR(fr_cause_name(FR_CAUSE_CLOSE + i), causes[i]);
	CHECK_STR(fr_cause_name(FR_CAUSE_NONE), "unknown");
	CHECK_STR(fr_cause_name(FR_CAUSE__MAX), "unknown");

	CHECK_STR(fr_outcome_name(FR_OUT_FIN), "fin");
	CHECK_STR(fr_outcome_name(FR_OUT_RST_SENT), "rst_sent");
	CHECK_STR(fr_outcome_name(FR_OUT_RST_RECEIVED), "rst_received");
	CHECK_STR(fr_outcome_name(FR_OUT_TIMEOUT), "timeout");
	CHECK_STR(fr_outcome_name(FR_OUT_REFUSED), "refused");
	CHECK_STR(fr_outcome_name(FR_OUT__MAX), "unknown");

	CHECK_STR(fr_initiator_name(FR_INIT_LOCAL), "local");
	CHECK_STR(fr_initiator_name(FR_INIT_PEER), "peer");
	CHECK_STR(fr_initiator_name(FR_INIT_SIMULTANEOUS), "simultaneous");
	CHECK_STR(fr_initiator_name(FR_INIT_KERNEL), "kernel");
	CHECK_STR(fr_initiator_name(FR_INIT_NONE), "unknown");
	CHECK_STR(fr_initiator_name(FR_INIT__MAX), "unknown");

	CHECK_STR(fr_role_name(FR_ROLE_UNKNOWN), "unknown");
	CHECK_STR(fr_role_name(FR_ROLE_CLIENT), "client");
	CHECK_STR(fr_role_name(FR_ROLE_SERVER), "server");
	CHECK_STR(fr_role_name(FR_ROLE__MAX), "unknown");

	CHECK_STR(fr_state_name(0), "UNKNOWN");
	CHECK_STR(fr_state_name(FR_TCP_ESTABLISHED), "ESTABLISHED");
	CHECK_STR(fr_state_name(FR_TCP_SYN_SENT), "SYN_SENT");
	CHECK_STR(fr_state_name(FR_TCP_SYN_RECV), "SYN_RECV");
	CHECK_STR(fr_state_name(FR_TCP_FIN_WAIT1), "FIN_WAIT1");
	CHECK_STR(fr_state_name(FR_TCP_FIN_WAIT2), "FIN_WAIT2");
	CHECK_STR(fr_state_name(FR_TCP_TIME_WAIT), "TIME_WAIT");
	CHECK_STR(fr_state_name(FR_TCP_CLOSE), "CLOSE");
	CHECK_STR(fr_state_name(FR_TCP_CLOSE_WAIT), "CLOSE_WAIT");
	CHECK_STR(fr_state_name(FR_TCP_LAST_ACK), "LAST_ACK");
	CHECK_STR(fr_state_name(FR_TCP_LISTEN), "LISTEN");
	CHECK_STR(fr_state_name(FR_TCP_CLOSING), "CLOSING");
	CHECK_STR(fr_state_name(FR_TCP_NEW_SYN_RECV), "NEW_SYN_RECV");
	CHECK_STR(fr_state_name(FR_TCP_MAX_STATES), "UNKNOWN");
	CHECK_STR(fr_state_name(255), "UNKNOWN");
}

/* The "explain" member of a JSON line must be fr_explain()'s text. */
static void check_explain_member(const char *line, const struct fr_record *r)
{
	char want[2048], got[2048];
	const char *val;
	size_t vlen, glen;

	if (!CHECK(json_object_get(line, "explain", &val, &vlen)))
		return;
	CHECK(json_string_decode(val, vlen, got, sizeof(got), &glen));
	CHECK(fr_explain(r, want, sizeof(want)) > 0);
	CHECK_STR(got, want);
}

static void check_json(const char *name, const struct fr_record *r,
		       const char *want)
{
	char buf[4096];
	size_t n;

	n = fr_format_json(r, NULL, 0, &fmt, buf, sizeof(buf));
	if (!CHECK_STR(buf, want))
		fprintf(stderr, "  (the %s record)\n", name);
	CHECK_INT(n, strlen(want));
	/* one line: the object, then '\n' */
	CHECK(n > 0 && buf[n - 1] == '\n' && !memchr(buf, '\n', n - 1));
	CHECK(json_valid(buf, n));
	if (r->type == FR_REC_TEARDOWN)
		check_explain_member(buf, r);
}

static void test_json_records(void)
{
	struct fr_record r;

	r = rec_close();
	check_json("close", &r, want_close);
	r = rec_unread();
	check_json("unread", &r, want_unread);
	r = rec_peer_reset();
	check_json("peer_reset", &r, want_peer_reset);
	r = rec_linger();
	check_json("linger", &r, want_linger);
	r = rec_ipv6();
	check_json("ipv6", &r, want_ipv6);
	r = rec_no_socket();
	check_json("no_socket", &r, want_no_socket);
}

static void json_member(const char *line, const char *key, char *out,
			size_t cap)
{
	const char *val;
	size_t vlen;

	out[0] = '\0';
	if (CHECKF(json_object_get(line, key, &val, &vlen), "no %s", key))
		snprintf(out, cap, "%.*s", (int)vlen, val);
}

static void test_kernel_reason(void)
{
	struct fr_fmt plain = { .mono_to_real_ns = T_OFFSET_NS };
	struct fr_record r = rec_unread();
	char buf[4096], v[64];

	/* no name function: the number, as a string */
	fr_format_json(&r, NULL, 0, &plain, buf, sizeof(buf));
	json_member(buf, "kernel_reason", v, sizeof(v));
	CHECK_STR(v, "\"3\"");
	/* the name function knows no name for it */
	r.kernel_reason = 77;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "kernel_reason", v, sizeof(v));
	CHECK_STR(v, "\"77\"");
	/* not valid: null, whatever the number says */
	r.flags &= ~FR_F_KREASON;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "kernel_reason", v, sizeof(v));
	CHECK_STR(v, "null");
	/* f == NULL: defaults */
	r.flags |= FR_F_KREASON;
	CHECK(fr_format_json(&r, NULL, 0, NULL, buf, sizeof(buf)) > 0);
	json_member(buf, "kernel_reason", v, sizeof(v));
	CHECK_STR(v, "\"77\"");
}

static void test_json_fields(void)
{
	struct fr_record r = rec_close();
	char buf[4096], v[64];

	/* shutdown: null, "rd", "wr", "rdwr" */
	r.shutdown = FR_SHUT_RD | FR_SHUT_WR;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "shutdown", v, sizeof(v));
	CHECK_STR(v, "\"rdwr\"");
	r.shutdown = FR_SHUT_WR;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "shutdown", v, sizeof(v));
	CHECK_STR(v, "\"wr\"");

	/* linger: null unless the last reference was closed locally */
	r.flags &= ~FR_F_CLOSED;
	r.flags |= FR_F_LINGER_ON;
	r.linger_secs = 9;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "linger", v, sizeof(v));
	CHECK_STR(v, "null");
	r.flags |= FR_F_CLOSED;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "linger", v, sizeof(v));
	CHECK_STR(v, "{\"on\":true,\"seconds\":9}");

	/* microseconds, truncated */
	r.close_blocked_ns = 1999;
	r.lifetime_ns = 999;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "close_blocked_us", v, sizeof(v));
	CHECK_STR(v, "1");
	json_member(buf, "lifetime_us", v, sizeof(v));
	CHECK_STR(v, "0");

	/* 64-bit counters in full */
	r.bytes_sent = 18446744073709551615ULL;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "bytes_sent", v, sizeof(v));
	CHECK_STR(v, "18446744073709551615");

	/* an unknown family: empty addresses, never garbage */
	r.family = 1;
	fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
	json_member(buf, "family", v, sizeof(v));
	CHECK_STR(v, "\"unknown\"");
	json_member(buf, "laddr", v, sizeof(v));
	CHECK_STR(v, "\"\"");
	CHECK(json_valid(buf, strlen(buf)));
}

static void test_time(void)
{
	struct fr_fmt f = { 0 };
	struct fr_record r = rec_no_socket();
	char buf[1024], v[64];

	/* a negative offset (realtime behind monotonic) */
	r.end_ns = 2000000000000000000ULL;
	f.mono_to_real_ns = T_REAL_NS - 2000000000000000000LL;
	fr_format_json(&r, NULL, 0, &f, buf, sizeof(buf));
	json_member(buf, "time", v, sizeof(v));
	CHECK_STR(v, "\"2026-11-21T06:31:02.123456Z\"");

	/* truncated, not rounded, to the microsecond */
	r.end_ns = 999999999;
	f.mono_to_real_ns = 0;
	fr_format_json(&r, NULL, 0, &f, buf, sizeof(buf));
	json_member(buf, "time", v, sizeof(v));
	CHECK_STR(v, "\"1970-01-01T00:00:00.999999Z\"");

	r.end_ns = 0;
	f.mono_to_real_ns = 951782400LL * 1000000000LL; /* 2000-02-29 */
	fr_format_json(&r, NULL, 0, &f, buf, sizeof(buf));
	json_member(buf, "time", v, sizeof(v));
	CHECK_STR(v, "\"2000-02-29T00:00:00.000000Z\"");
}

static void test_hostile_comm(void)
{
	static const char comms[][FR_COMM_LEN + 1] = {
		/* all 16 bytes used: no NUL to stop at */
		"\"\\\n\x01\x7f\xc3\x28\xe2\x82x\xf0\"\x1b[2J",
		"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"
		"\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0",
		"\xed\xa0\x80\xc0\xaf\xe0\x80\xaf\xf4\x90\x80\x80ok\r\t",
		"caf\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e",
		"a\0hidden-after",
		"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		"\xe2\x82\xac\xe2\x82\xac\xe2",
	};
	char buf[4096], want[64], got[64];
	const char *val;
	size_t i, j, vlen, glen;

	for (i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		struct fr_record r = rec_unread();
		size_t n;

		memcpy(r.comm, comms[i], FR_COMM_LEN);
		n = fr_format_json(&r, NULL, 0, &fmt, buf, sizeof(buf));
		CHECKF(n > 0 && json_valid(buf, n), "comm %zu: invalid JSON %s",
		       i, buf);
		CHECKF(u8_valid(buf, n), "comm %zu: invalid UTF-8", i);
		/* ill-formed bytes become U+FFFD */
		u8_expect_replaced((const unsigned char *)r.comm,
				   strnlen(r.comm, FR_COMM_LEN), want);
		if (CHECK(json_object_get(buf, "comm", &val, &vlen)) &&
		    CHECK(json_string_decode(val, vlen, got, sizeof(got),
					     &glen)))
			CHECKF(!strcmp(got, want), "comm %zu: decoded wrong",
			       i);

		/* Text: no control byte, valid UTF-8, whatever comm holds. */
		n = fr_format_text(&r, NULL, 0, &fmt, buf, sizeof(buf));
		CHECK(n > 0 && u8_valid(buf, n));
		for (j = 0; j + 1 < n; j++)
			if (!CHECKF((unsigned char)buf[j] >= 0x20 &&
					    buf[j] != 0x7f,
				    "comm %zu: byte 0x%02x at %zu in text", i,
				    (unsigned char)buf[j], j))
				break;
	}

	/* The text shows '?' for each unprintable byte of comm. */
	{
		struct fr_record r = rec_unread();

		memcpy(r.comm, "\x1b[2Jevil\x7f\xff", 11);
		fr_format_text(&r, NULL, 0, &fmt, buf, sizeof(buf));
		CHECK_CONTAINS(buf, "  ?[2Jevil??  ");
		CHECK_CONTAINS(buf, "?[2Jevil??[1234] closed");
		fr_explain(&r, buf, sizeof(buf));
		CHECK(!strchr(buf, '\x1b'));
	}
}

static void test_explain_causes(void)
{
	char buf[2048];
	unsigned c;

	/* every cause but FR_CAUSE_NONE, which never leaves fr_classify() */
	for (c = FR_CAUSE_NONE + 1; c < FR_CAUSE__MAX; c++) {
		struct fr_record r = rec_unread();
		const char *p;
		size_t n;

		r.cause = (__u8)c;
		r.flags = FR_F_LOCAL_FIN | FR_F_CLOSED;
		n = fr_explain(&r, buf, sizeof(buf));
		CHECKF(n > 40 && n == strlen(buf), "%s: length %zu",
		       fr_cause_name(c), n);
		CHECKF(n && buf[n - 1] == '.',
		       "%s: \"%s\" does not end a "
		       "sentence",
		       fr_cause_name(c), buf);
		CHECKF(!strchr(buf, '\n'), "%s: newline", fr_cause_name(c));
		/* every {placeholder} expanded; only "{on, 0}" is literal */
		for (p = strchr(buf, '{'); p; p = strchr(p + 1, '{'))
			CHECKF(!strncmp(p, "{on, 0}", 7), "%s: \"%s\"",
			       fr_cause_name(c), buf);
		CHECKF(u8_valid(buf, n), "%s: invalid UTF-8", fr_cause_name(c));
	}

	/* the facts that matter, cause by cause */
	{
		static const struct {
			unsigned cause;
			const char *needle;
		} cases[] = {
			{ FR_CAUSE_CLOSE, "nginx[1234] called close()" },
			{ FR_CAUSE_SHUTDOWN, "nginx[1234] called shutdown(" },
			{ FR_CAUSE_PEER_CLOSE, "The peer sent the first FIN" },
			{ FR_CAUSE_SIMULTANEOUS_CLOSE, "same time" },
			{ FR_CAUSE_UNREAD_DATA, "with 1000 unread bytes" },
			{ FR_CAUSE_UNREAD_DATA, "RFC 2525" },
			{ FR_CAUSE_LINGER_ZERO, "SO_LINGER {on, 0}" },
			{ FR_CAUSE_DISCONNECT, "connect(AF_UNSPEC)" },
			{ FR_CAUSE_LISTENER_CLOSED, "never accepted" },
			{ FR_CAUSE_LINGER2, "TCP_LINGER2" },
			{ FR_CAUSE_MEMORY, "tcp_max_orphans" },
			{ FR_CAUSE_KEEPALIVE_TIMEOUT, "keepalive" },
			{ FR_CAUSE_KEEPALIVE_TIMEOUT, "ETIMEDOUT" },
			{ FR_CAUSE_RST_OTHER, "kernel_reason" },
			{ FR_CAUSE_PEER_RESET, "nginx[1234] got ECONNRESET" },
			{ FR_CAUSE_RETRANSMIT_TIMEOUT, "without sending RST" },
			{ FR_CAUSE_CONNECTION_REFUSED, "10.0.0.2:51234" },
			{ FR_CAUSE_CONNECTION_REFUSED, "ECONNREFUSED" },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct fr_record r = rec_unread();

			r.cause = (__u8)cases[i].cause;
			r.flags = FR_F_LOCAL_FIN | FR_F_CLOSED;
			fr_explain(&r, buf, sizeof(buf));
			CHECK_CONTAINS(buf, cases[i].needle);
		}
	}

	/* the no_socket record */
	{
		struct fr_record r = rec_no_socket();

		fr_explain(&r, buf, sizeof(buf));
		CHECK_CONTAINS(buf, "from 10.0.0.2:40000 to local port 9");
		CHECK_CONTAINS(buf, "no socket");
	}
	/* a TIME_WAIT socket's RST names the closer and the late bytes */
	{
		struct fr_record r = rec_tw_rst();
		char json[4096];

		fr_explain(&r, buf, sizeof(buf));
		CHECK_CONTAINS(buf, "nginx[1234] closed the connection (state "
				    "TIME_WAIT), then 42 bytes arrived from "
				    "10.0.0.2:41000");
		CHECK(fr_format_json(&r, NULL, 0, NULL, json, sizeof(json)));
		CHECK_CONTAINS(json, "\"event\":\"rst\"");
		CHECK_CONTAINS(json, "\"cause\":\"data_after_close\","
				     "\"pid\":1234,\"comm\":\"nginx\"");
	}
	/* write_after_peer_close names the bytes written after the FIN */
	{
		struct fr_record r = rec_unread();

		r.cause = FR_CAUSE_WRITE_AFTER_PEER_CLOSE;
		r.outcome = FR_OUT_RST_RECEIVED;
		r.state = FR_TCP_CLOSE_WAIT;
		r.late_bytes = 77;
		fr_explain(&r, buf, sizeof(buf));
		CHECK_CONTAINS(buf, "nginx[1234] wrote 77 more bytes (state "
				    "CLOSE_WAIT)");
		CHECK_CONTAINS(buf, "idle timeout below the server's");
	}
}

static void test_explain_facts(void)
{
	struct fr_record r;
	char buf[2048];

	/* TIME_WAIT only when it happened */
	r = rec_close();
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "entered TIME_WAIT");
	r.flags &= ~FR_F_TIME_WAIT;
	fr_explain(&r, buf, sizeof(buf));
	CHECK(!strstr(buf, "TIME_WAIT"));
	r.flags |= FR_F_TW_SKIPPED;
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "tcp_max_tw_buckets");

	/* linger: expired, or blocked for a while */
	r = rec_linger();
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "whole 5 s SO_LINGER timeout (5.000 s)");
	CHECK_CONTAINS(buf, "not reset");
	r.flags &= ~FR_F_LINGER_EXPIRED;
	r.close_blocked_ns = 1500000000ULL;
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "close() blocked for 1.500 s in SO_LINGER (5 s)");
	CHECK(!strstr(buf, "whole"));

	/* process exit: linger ignored */
	r = rec_linger();
	r.flags &= ~(FR_F_LINGER_WAIT | FR_F_LINGER_EXPIRED);
	r.flags |= FR_F_BY_EXIT;
	r.close_blocked_ns = 0;
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "linger was ignored because the process exited");
	CHECK(!strstr(buf, "blocked"));
	r.flags &= ~FR_F_LINGER_ON;
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "closed by process exit.");
	CHECK(!strstr(buf, "linger was ignored"));

	/* SO_LINGER {on, 0} from exit still resets: no "ignored" */
	r = rec_unread();
	r.cause = FR_CAUSE_LINGER_ZERO;
	r.flags |= FR_F_LINGER_ON | FR_F_BY_EXIT;
	r.linger_secs = 0;
	r.unsent_bytes = 300;
	fr_explain(&r, buf, sizeof(buf));
	CHECK(!strstr(buf, "linger was ignored"));
	CHECK_CONTAINS(buf, "300 bytes written but not yet acknowledged");

	/* who: comm[pid], a bare pid, or nobody known */
	r = rec_peer_reset();
	r.comm[0] = '\0';
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "process 999 got ECONNRESET");
	r.pid = 0;
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "the local process got ECONNRESET");
	r = rec_close();
	r.pid = 0;
	fr_explain(&r, buf, sizeof(buf));
	CHECK(!strncmp(buf, "The local process called close()", 32));

	/* close() before any FIN */
	r = rec_close();
	r.flags = FR_F_CLOSED;
	r.state = FR_TCP_SYN_SENT;
	fr_classify(&r);
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "(state SYN_SENT) before any FIN or RST");

	/* shutdown(SHUT_RDWR) */
	r = rec_ipv6();
	r.shutdown = FR_SHUT_RD | FR_SHUT_WR;
	fr_explain(&r, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "envoy[77] called shutdown(SHUT_RDWR)");

	/* unsent bytes of a clean close are still being delivered */
	r = rec_close();
	r.unsent_bytes = 100;
	fr_explain(&r, buf, sizeof(buf));
	CHECK(!strstr(buf, "not yet acknowledged"));
}

/* Remove ANSI SGR sequences ("\033[...m") in place. */
static void strip_ansi(char *s)
{
	char *d = s;

	while (*s) {
		if (*s == '\033' && s[1] == '[') {
			s += 2;
			while (*s && *s != 'm')
				s++;
			if (*s)
				s++;
			continue;
		}
		*d++ = *s++;
	}
	*d = '\0';
}

/* Column starts, from the header. */
struct cols {
	size_t comm, pid_end, laddr, raddr, outcome, cause, explain;
};

static bool col_starts(const char *line, size_t at)
{
	return at >= 2 && strlen(line) > at && line[at - 1] == ' ' &&
	       line[at - 2] == ' ' && line[at] != ' ';
}

static void check_columns(const char *line, const struct cols *c,
			  const char *what)
{
	CHECKF(line[0] != ' ', "%s: time column", what);
	CHECKF(col_starts(line, c->comm), "%s: COMM column: %s", what, line);
	CHECKF(line[c->pid_end] != ' ' && line[c->pid_end + 1] == ' ' &&
		       line[c->pid_end + 2] == ' ',
	       "%s: PID column: %s", what, line);
	CHECKF(col_starts(line, c->laddr), "%s: LADDR column: %s", what, line);
	CHECKF(col_starts(line, c->raddr), "%s: RADDR column: %s", what, line);
	CHECKF(col_starts(line, c->outcome), "%s: OUTCOME column: %s", what,
	       line);
	CHECKF(col_starts(line, c->cause), "%s: CAUSE column: %s", what, line);
	CHECKF(col_starts(line, c->explain), "%s: EXPLAIN column: %s", what,
	       line);
}

static void test_text(void)
{
	struct fr_record recs[8];
	struct fr_fmt f = fmt;
	char hdr[512], buf[4096];
	struct cols c;
	size_t i, n;
	int color;

	recs[0] = rec_close();
	recs[1] = rec_unread();
	recs[2] = rec_peer_reset();
	recs[3] = rec_linger();
	recs[4] = rec_no_socket();
	/* short IPv6 and the widest IPv4 fit the address columns */
	rec_init(&recs[5], AF_INET6, "::1", 80, "::1", 65535);
	recs[5].flags = FR_F_TIMED_OUT;
	recs[5].first = FR_INIT_KERNEL;
	recs[5].state = FR_TCP_ESTABLISHED;
	fr_classify(&recs[5]);
	rec_init(&recs[6], AF_INET, "255.255.255.255", 65535, "255.255.255.255",
		 65535);
	rec_task(&recs[6], "0123456789abcdef", 4194304);
	recs[6].flags = FR_F_RST_RCVD;
	recs[6].end_from = FR_TCP_SYN_SENT;
	recs[6].first = FR_INIT_PEER;
	fr_classify(&recs[6]);
	rec_init(&recs[7], AF_INET, "1.2.3.4", 1, "5.6.7.8", 2);
	rec_task(&recs[7], "x", 1);
	recs[7].flags = FR_F_PEER_FIN | FR_F_LOCAL_FIN | FR_F_SIMULT;
	recs[7].first = FR_INIT_SIMULTANEOUS;
	fr_classify(&recs[7]);

	for (color = 0; color < 2; color++) {
		f.color = color;
		n = fr_format_text_header(&f, hdr, sizeof(hdr));
		CHECK(n > 0 && hdr[n - 1] == '\n');
		CHECK_INT(!!strchr(hdr, '\033'), color);
		strip_ansi(hdr);
		CHECK(!strncmp(hdr, "TIME ", 5));
		c.comm = (size_t)(strstr(hdr, "COMM") - hdr);
		c.pid_end = (size_t)(strstr(hdr, "PID") - hdr) + 2;
		c.laddr = (size_t)(strstr(hdr, "LADDR:LPORT") - hdr);
		c.raddr = (size_t)(strstr(hdr, "RADDR:RPORT") - hdr);
		c.outcome = (size_t)(strstr(hdr, "OUTCOME") - hdr);
		c.cause = (size_t)(strstr(hdr, "CAUSE") - hdr);
		c.explain = (size_t)(strstr(hdr, "EXPLAIN") - hdr);
		check_columns(hdr, &c, "header");

		for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
			char what[32];

			snprintf(what, sizeof(what), "record %zu%s", i,
				 color ? " (colour)" : "");
			n = fr_format_text(&recs[i], NULL, 0, &f, buf,
					   sizeof(buf));
			CHECKF(n > 0 && n == strlen(buf) &&
				       buf[n - 1] == '\n' &&
				       !memchr(buf, '\n', n - 1),
			       "%s: not one line", what);
			if (!color)
				CHECKF(!strchr(buf, '\033'), "%s: colour",
				       what);
			strip_ansi(buf);
			check_columns(buf, &c, what);
		}
	}

	/* local time, HH:MM:SS.mmm (TZ is UTC here) */
	n = fr_format_text(&recs[0], NULL, 0, &fmt, buf, sizeof(buf));
	CHECK(!strncmp(buf, "06:31:02.123  curl ", 19));
	/* bracketed IPv6 endpoints */
	fr_format_text(&recs[5], NULL, 0, &fmt, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "  [::1]:80  ");
	CHECK_CONTAINS(buf, "  [::1]:65535  ");
	/* the explanation follows the columns */
	fr_format_text(&recs[1], NULL, 0, &fmt, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "unread_data         nginx[1234] closed the "
			    "socket with 1000 unread bytes");
	/* a no_socket RST has no task */
	fr_format_text(&recs[4], NULL, 0, &fmt, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "  -                       -  10.0.0.1:9  ");
	CHECK_CONTAINS(buf, "  rst_sent      no_socket  ");
}

static void test_text_color(void)
{
	static const struct {
		unsigned outcome;
		const char *color;
	} cases[] = {
		{ FR_OUT_FIN, NULL },
		{ FR_OUT_RST_SENT, "\033[31m" },
		{ FR_OUT_RST_RECEIVED, "\033[31m" },
		{ FR_OUT_TIMEOUT, "\033[33m" },
		{ FR_OUT_REFUSED, "\033[33m" },
	};
	struct fr_fmt f = fmt;
	char buf[4096];
	size_t i;

	f.color = true;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fr_record r = rec_close();

		r.outcome = (__u8)cases[i].outcome;
		fr_format_text(&r, NULL, 0, &f, buf, sizeof(buf));
		if (cases[i].color) {
			CHECK_CONTAINS(buf, cases[i].color);
			CHECK_CONTAINS(buf, "\033[0m");
		} else {
			CHECKF(!strchr(buf, '\033'), "fin: colour in %s", buf);
		}
	}
	{
		struct fr_record r = rec_no_socket();

		fr_format_text(&r, NULL, 0, &f, buf, sizeof(buf));
		CHECK_CONTAINS(buf, "\033[31mrst_sent");
	}
}

/* Nothing is written past cap; too small gives 0 and an empty string. */
static void test_fit(void)
{
	struct fr_record recs[3] = { rec_linger(), rec_ipv6(),
				     rec_no_socket() };
	char full[4096], mem[4096 + 64];
	size_t len, cap, k, j;
	int kind;

	for (kind = 0; kind < 4; kind++) {
		for (k = 0; k < 3; k++) {
			const struct fr_record *r = &recs[k];

			switch (kind) {
			case 0:
				len = fr_format_json(r, NULL, 0, &fmt, full,
						     sizeof(full));
				break;
			case 1:
				len = fr_format_text(r, NULL, 0, &fmt, full,
						     sizeof(full));
				break;
			case 2:
				len = fr_format_text_header(&fmt, full,
							    sizeof(full));
				break;
			default:
				len = fr_explain(r, full, sizeof(full));
				break;
			}
			CHECK(len > 0);
			for (cap = 0; cap <= len + 1; cap++) {
				bool guard_ok = true;
				size_t n;

				memset(mem, GUARD, sizeof(mem));
				switch (kind) {
				case 0:
					n = fr_format_json(r, NULL, 0, &fmt,
							   mem, cap);
					break;
				case 1:
					n = fr_format_text(r, NULL, 0, &fmt,
							   mem, cap);
					break;
				case 2:
					n = fr_format_text_header(&fmt, mem,
								  cap);
					break;
				default:
					n = fr_explain(r, mem, cap);
					break;
				}
				for (j = cap; j < sizeof(mem); j++)
					guard_ok &= (unsigned char)mem[j] ==
						    GUARD;
				CHECKF(guard_ok,
				       "kind %d rec %zu cap %zu: "
				       "wrote past cap",
				       kind, k, cap);
				if (cap > len) {
					CHECKF(n == len && !strcmp(mem, full),
					       "kind %d rec %zu cap %zu: "
					       "should fit",
					       kind, k, cap);
				} else {
					CHECKF(n == 0 && (!cap || !mem[0]),
					       "kind %d rec %zu cap %zu: "
					       "should not fit",
					       kind, k, cap);
				}
			}
		}
	}

	/* an unknown record type gives nothing */
	recs[0].type = 0;
	CHECK_INT(fr_format_json(&recs[0], NULL, 0, &fmt, full, sizeof(full)),
		  0);
	CHECK_INT(fr_format_text(&recs[0], NULL, 0, &fmt, full, sizeof(full)),
		  0);
	CHECK_STR(full, "");
}

int main(void)
{
	/* Text lines show local time: pin it. */
	setenv("TZ", "UTC", 1);
	tzset();

	test_names();
	test_json_records();
	test_kernel_reason();
	test_json_fields();
	test_time();
	test_hostile_comm();
	test_explain_causes();
	test_explain_facts();
	test_text();
	test_text_color();
	test_fit();
	return check_exit("test_format");
}
