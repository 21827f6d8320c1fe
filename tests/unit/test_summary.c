// SPDX-License-Identifier: GPL-2.0
/*
 * --summary and --stack formatting (user/summary.c, user/format.c): counts,
 * the top-N rows and their "other", strict JSON whatever a comm or a symbol
 * holds, and no control byte on a terminal.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "format.h"
#include "json_check.h"
#include "summary.h"

static struct fr_record rec(unsigned role, unsigned sport, unsigned dport,
			    unsigned outcome, unsigned cause, const char *comm)
{
	struct fr_record r;

	memset(&r, 0, sizeof(r));
	r.type = FR_REC_TEARDOWN;
	r.family = AF_INET;
	r.role = (__u8)role;
	r.sport = (__u16)sport;
	r.dport = (__u16)dport;
	r.outcome = (__u8)outcome;
	r.cause = (__u8)cause;
	memcpy(r.comm, comm, strnlen(comm, FR_COMM_LEN));
	return r;
}

static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n') ||
		    s[i] == 0x7f)
			return true;
	return false;
}

static void test_counts(void)
{
	static char buf[FR_SUMMARY_BUF];
	struct fr_summary *s = fr_summary_new();
	struct fr_summary_info info = { .now_ns = 1,
					.elapsed_s = 3,
					.lost = 7 };
	struct fr_record r;
	const char *v;
	size_t n, vlen;

	if (!CHECK(s))
		return;
	/* server on 443: local port; client to 80: remote port */
	for (int i = 0; i < 5; i++) {
		r = rec(FR_ROLE_SERVER, 443, 50000 + i, FR_OUT_FIN,
			FR_CAUSE_CLOSE, "nginx");
		fr_summary_add(s, &r);
	}
	for (int i = 0; i < 3; i++) {
		r = rec(FR_ROLE_CLIENT, 40000 + i, 80, FR_OUT_RST_SENT,
			FR_CAUSE_UNREAD_DATA, "curl");
		fr_summary_add(s, &r);
	}
	/* 30 one-off ports: 20 rows in all, the rest "other" */
	for (int i = 0; i < 30; i++) {
		r = rec(FR_ROLE_SERVER, 9000 + i, 60000, FR_OUT_RST_RECEIVED,
			FR_CAUSE_PEER_RESET, "a\n\"\\\xff\x1b[2J");
		fr_summary_add(s, &r);
	}
	r = rec(FR_ROLE_UNKNOWN, 0, 0, 0, 0, "");
	r.type = FR_REC_RST;
	r.outcome = FR_OUT_RST_SENT;
	r.cause = FR_CAUSE_NO_SOCKET;
	r.sport = 9;
	fr_summary_add(s, &r);
	/* out of range: not counted */
	r = rec(FR_ROLE_SERVER, 1, 2, FR_OUT__MAX, 0, "x");
	fr_summary_add(s, &r);

	n = fr_summary_format(s, true, &info, buf, sizeof(buf));
	CHECK(n > 0 && buf[n - 1] == '\n');
	CHECKF(json_valid(buf, n), "summary JSON is not valid: %s", buf);
	CHECK(json_object_get(buf, "records", &v, &vlen) && vlen == 2 &&
	      !strncmp(v, "39", 2));
	CHECK(json_object_get(buf, "teardowns", &v, &vlen) &&
	      !strncmp(v, "38", vlen));
	CHECK(json_object_get(buf, "rst_no_socket", &v, &vlen) &&
	      !strncmp(v, "1", vlen));
	CHECK(json_object_get(buf, "lost", &v, &vlen) &&
	      !strncmp(v, "7", vlen));
	CHECK_CONTAINS(buf,
		       "{\"outcome\":\"fin\",\"cause\":\"close\",\"count\":5}");
	CHECK_CONTAINS(
		buf,
		"{\"outcome\":\"rst_sent\",\"cause\":\"unread_data\",\"count\":3}");
	CHECK_CONTAINS(
		buf,
		"{\"outcome\":\"rst_sent\",\"cause\":\"no_socket\",\"count\":1}");
	CHECK_CONTAINS(
		buf,
		"\"by_port\":[{\"port\":443,\"count\":5},{\"port\":80,\"count\":3},{\"port\":9,\"count\":1},{\"port\":9000,\"count\":1}");
	/* 33 ports with records, 20 rows: 13 in other */
	CHECK_CONTAINS(buf, "\"by_port_other\":13");
	CHECK_CONTAINS(
		buf,
		"{\"comm\":\"a\\n\\\"\\\\\\ufffd\\u001b[2J\",\"count\":30}");
	CHECK_CONTAINS(buf, "\"by_comm_other\":0");

	n = fr_summary_format(s, false, &info, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(!has_control(buf, n));
	CHECK_CONTAINS(buf,
		       "  rst_sent       unread_data                     3\n");
	CHECK_CONTAINS(buf,
		       "  443                                            5\n");
	CHECK_CONTAINS(buf,
		       "  other                                         13\n");
	CHECK_CONTAINS(buf, "  TOTAL 39 records (+0 since the last summary)");
	CHECK_CONTAINS(buf, "; 7 lost\n");
	/* a buffer too small: nothing, never a prefix */
	CHECK(fr_summary_format(s, true, &info, buf, 100) == 0 && !buf[0]);
	fr_summary_free(s);
}

static void test_stack_format(void)
{
	static char buf[65536];
	struct fr_record r = rec(FR_ROLE_SERVER, 80, 5000, FR_OUT_RST_SENT,
				 FR_CAUSE_UNREAD_DATA, "srv");
	struct fr_frame fr[3] = {
		{ .kernel = true,
		  .sym = "tcp_send_active_reset",
		  .offset = 0x160 },
		{ .kernel = false,
		  .sym = "evil\x1b[2J\"",
		  .offset = 9,
		  .module = "/bin/x\n",
		  .addr = 0x1234 },
		{ .kernel = false, .module = NULL, .addr = 0xdead },
	};
	size_t n;

	r.flags = FR_F_CLOSED;
	r.unread_bytes = 10;
	n = fr_format_json(&r, fr, 3, NULL, buf, sizeof(buf));
	CHECKF(n && json_valid(buf, n), "stack JSON is not valid: %s", buf);
	CHECK_CONTAINS(
		buf,
		",\"stack\":[{\"kernel\":true,\"sym\":\"tcp_send_active_reset\",\"offset\":352,\"module\":null},");
	CHECK_CONTAINS(
		buf,
		"{\"kernel\":false,\"sym\":\"evil\\u001b[2J\\\"\",\"offset\":9,\"module\":\"/bin/x\\n\",\"addr\":\"0x1234\"}");
	CHECK_CONTAINS(
		buf,
		"{\"kernel\":false,\"sym\":null,\"offset\":0,\"module\":null,\"addr\":\"0xdead\"}]}");
	n = fr_format_json(&r, fr, 0, NULL, buf, sizeof(buf));
	CHECK_CONTAINS(buf, ",\"stack\":null}");
	n = fr_format_json(&r, NULL, 0, NULL, buf, sizeof(buf));
	CHECK(n && !strstr(buf, "\"stack\""));

	n = fr_format_text(&r, fr, 3, NULL, buf, sizeof(buf));
	CHECK(n > 0 && !has_control(buf, n));
	CHECK_CONTAINS(buf, "\n    kernel  tcp_send_active_reset+0x160\n");
	CHECK_CONTAINS(buf, "\n    user    evil?[2J\"+0x9 (/bin/x?)\n");
	CHECK_CONTAINS(buf, "\n    user    0xdead (no mapping)\n");
	n = fr_format_text(&r, fr, 0, NULL, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "\n    (no stack: it could not be taken)\n");
}

int main(void)
{
	test_counts();
	test_stack_format();
	return check_exit("test_summary");
}
