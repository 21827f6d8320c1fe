// SPDX-License-Identifier: GPL-2.0
/*
 * test_webconfig.c - --web-config (user/webconfig.c): what a good file
 * gives, and the basic-auth check against bcrypt hashes of each flavour
 * ($2y$ as htpasswd writes, $2b$ as crypt(3), $2a$ as Go's bcrypt). The
 * bad files are tests/metrics/webconfig_bad.sh's (through finrst itself)
 * and fuzz_webconfig's.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "webconfig.h"

/* "scrape-me", cost 10; "hunter2", cost 5 (quick) */
#define H_2Y "$2y$10$Qm9yZWFsaXMgdGVzdCBzYOoxN4nXCkVCxhBI1965Nr/MWTdj.2lvi"
#define H_2B "$2b$05$c2FsdHNhbHRzYWx0c2Fsd.g6XSffWxphT/f9NBtmVuecu5CM1ncZO"
#define H_2A "$2a$05$YW5vdGhlcnNhbHRmb3JnbO9SGDEz75FkDfgwZQD8U7FqZv84jKreG"

static int parse(const char *yaml, struct fr_webconfig *wc, char *err,
		 size_t errlen)
{
	return fr_webconfig_parse(yaml, strlen(yaml), "t/web.yml", wc, err,
				  errlen);
}

static void test_good(void)
{
	struct fr_webconfig wc;
	char err[512];

	CHECK_INT(parse("", &wc, err, sizeof(err)), 0);
	CHECK(!fr_webconfig_tls(&wc) && !wc.nr_users);
	fr_webconfig_free(&wc);
	CHECK_INT(parse("# only a comment\n", &wc, err, sizeof(err)), 0);
	fr_webconfig_free(&wc);
	CHECK_INT(parse("tls_server_config:\nbasic_auth_users: {}\n", &wc, err,
			sizeof(err)),
		  0);
	CHECK(!fr_webconfig_tls(&wc) && !wc.nr_users);
	fr_webconfig_free(&wc);

	CHECK_INT(parse("tls_server_config:\n"
			"  cert_file: tls.crt\n"
			"  key_file: \"/etc/finrst/tls.key\"\n"
			"  client_auth_type: RequireAndVerifyClientCert\n"
			"  client_ca_file: 'ca.crt'\n"
			"basic_auth_users:\n"
			"  prometheus: " H_2Y "\n"
			"  'bob': '" H_2B "'\n",
			&wc, err, sizeof(err)),
		  0);
	CHECK_STR(err, "");
	CHECK(fr_webconfig_tls(&wc));
	CHECK_STR(wc.cert_file, "tls.crt");
	CHECK_STR(wc.key_file, "/etc/finrst/tls.key");
	CHECK_STR(wc.client_ca_file, "ca.crt");
	CHECK_INT(wc.client_auth, FR_CLIENT_AUTH_REQUIRE);
	CHECK(!wc.cert_pem && !wc.key_pem && !wc.ca_pem);
	CHECK_INT(wc.nr_users, 2);
	CHECK_STR(wc.users[0].name, "prometheus");
	CHECK_STR(wc.users[1].hash, H_2B);
	fr_webconfig_free(&wc);
	CHECK(!wc.users && !wc.cert_file);

	CHECK_INT(parse("{tls_server_config: {cert_file: a, key_file: b, "
			"client_auth_type: NoClientCert}}",
			&wc, err, sizeof(err)),
		  0);
	CHECK_INT(wc.client_auth, FR_CLIENT_AUTH_NONE);
	fr_webconfig_free(&wc);
}

static void test_bad(void)
{
	struct fr_webconfig wc;
	char err[512];

	CHECK_INT(parse("tls_server_config:\n  cert_file: a\n", &wc, err,
			sizeof(err)),
		  -1);
	CHECK_STR(err, "finrst: invalid --web-config t/web.yml: line 2: "
		       "tls_server_config.key_file: missing (cert_file needs "
		       "it)");
	CHECK(!wc.cert_file);
	CHECK_INT(parse("basic_auth_users:\n  alice: x\n", &wc, err, 40), -1);
	CHECK_INT((int)strlen(err), 39);
	CHECK_INT(parse("x: 1\n", &wc, NULL, 0), -1);
}

static void test_auth(void)
{
	struct fr_webconfig wc;
	char err[512];

	CHECK_INT(parse("basic_auth_users:\n"
			"  alice: " H_2Y "\n"
			"  bob: " H_2B "\n"
			"  carol: " H_2A "\n",
			&wc, err, sizeof(err)),
		  0);
	CHECK(fr_webconfig_auth(&wc, "alice", "scrape-me"));
	CHECK(fr_webconfig_auth(&wc, "bob", "hunter2"));
	CHECK(fr_webconfig_auth(&wc, "carol", "hunter2"));
	CHECK(!fr_webconfig_auth(&wc, "alice", "hunter2"));
	CHECK(!fr_webconfig_auth(&wc, "bob", "hunter3"));
	CHECK(!fr_webconfig_auth(&wc, "bob", ""));
	CHECK(!fr_webconfig_auth(&wc, "bob", "hunter2 "));
	CHECK(!fr_webconfig_auth(&wc, "Bob", "hunter2"));
	CHECK(!fr_webconfig_auth(&wc, "dave", "scrape-me"));
	CHECK(!fr_webconfig_auth(&wc, "", ""));
	CHECK(!fr_webconfig_auth(&wc, NULL, "hunter2"));
	CHECK(!fr_webconfig_auth(&wc, "bob", NULL));
	fr_webconfig_free(&wc);
	/* no users: nobody gets in through this check */
	CHECK_INT(parse("", &wc, err, sizeof(err)), 0);
	CHECK(!fr_webconfig_auth(&wc, "alice", "scrape-me"));
	fr_webconfig_free(&wc);
}

int main(void)
{
	test_good();
	test_bad();
	test_auth();
	return check_exit("test_webconfig");
}
