// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_webconfig.c - libFuzzer target: fr_webconfig_parse() over any file
 * content (--web-config FILE; webconfig.h).
 *
 * Input: the bytes of the file.
 *
 * Properties: the result is 0 or -1; -1 leaves one non-empty line in err
 * ("finrst: invalid --web-config PATH: ...", no control bytes), cut short
 * safely in a small err and not written at all with err == NULL, and an
 * empty *wc; 0 leaves a configuration that keeps the rules of webconfig.c
 * (a certificate with its key; a client CA exactly when client
 * certificates are required, and those only with TLS; at most
 * FR_WEBCONFIG_MAX_USERS users, each with a non-empty name without ':' and
 * a 60-character bcrypt hash) and no file read. Each input is parsed three
 * times (big, small and no err), with the same result each time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "webconfig.h"

#define PATH "fuzz/web.yml"
#define PREFIX "finrst: invalid --web-config " PATH ": "
#define ERR_CAP 1024 /* main()'s */
#define ERR_SMALL 12

static bool empty(const struct fr_webconfig *wc)
{
	static const struct fr_webconfig zero;

	return !memcmp(wc, &zero, sizeof(zero));
}

static void check_config(const struct fr_webconfig *wc)
{
	int i, j;

	FUZZ_CHECK(!wc->cert_pem && !wc->key_pem && !wc->ca_pem);
	FUZZ_CHECK(!wc->cert_file == !wc->key_file);
	FUZZ_CHECK(!wc->cert_file || *wc->cert_file);
	FUZZ_CHECK(!wc->key_file || *wc->key_file);
	FUZZ_CHECK(wc->client_auth == FR_CLIENT_AUTH_NONE ||
		   wc->client_auth == FR_CLIENT_AUTH_REQUIRE);
	FUZZ_CHECK(!wc->client_ca_file ==
		   (wc->client_auth == FR_CLIENT_AUTH_NONE));
	FUZZ_CHECK(!wc->client_ca_file || wc->cert_file);
	FUZZ_CHECK(fr_webconfig_tls(wc) == !!wc->cert_file);
	FUZZ_CHECK(wc->nr_users >= 0 && wc->nr_users <= FR_WEBCONFIG_MAX_USERS);
	FUZZ_CHECK(!wc->nr_users || wc->users);
	for (i = 0; i < wc->nr_users; i++) {
		const struct fr_webuser *u = &wc->users[i];

		FUZZ_CHECK(u->name && *u->name && !strchr(u->name, ':'));
		FUZZ_CHECK(u->hash && strlen(u->hash) == 60 &&
			   !strncmp(u->hash, "$2", 2));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(u->name, wc->users[j].name));
	}
}

static void check_err(int ret, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	FUZZ_CHECK(n < errlen);
	if (!ret) {
		FUZZ_CHECK(n == 0);
		return;
	}
	FUZZ_CHECK(n == errlen - 1 || n > strlen(PREFIX));
	FUZZ_CHECK(
		!strncmp(err, PREFIX, n < strlen(PREFIX) ? n : strlen(PREFIX)));
	FUZZ_CHECK(fuzz_no_controls(err, n, 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fr_webconfig wc, wc2;
	char err[ERR_CAP], *small = malloc(ERR_SMALL);
	/* a copy of its exact size: a read past the end is seen */
	char *buf = malloc(size ? size : 1);
	int ret, ret2;

	FUZZ_CHECK(small && buf);
	memcpy(buf, data, size);

	ret = fr_webconfig_parse(buf, size, PATH, &wc, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -1);
	check_err(ret, err, sizeof(err));
	if (ret)
		FUZZ_CHECK(empty(&wc));
	else
		check_config(&wc);

	ret2 = fr_webconfig_parse(buf, size, PATH, &wc2, small, ERR_SMALL);
	FUZZ_CHECK(ret2 == ret);
	check_err(ret2, small, ERR_SMALL);
	FUZZ_CHECK(!strncmp(small, err, strlen(small)));
	if (!ret)
		FUZZ_CHECK(wc2.nr_users == wc.nr_users);
	fr_webconfig_free(&wc2);

	ret2 = fr_webconfig_parse(buf, size, PATH, &wc2, NULL, 0);
	FUZZ_CHECK(ret2 == ret);
	fr_webconfig_free(&wc2);

	fr_webconfig_free(&wc);
	FUZZ_CHECK(empty(&wc));
	free(buf);
	free(small);
	return 0;
}
