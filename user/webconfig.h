/* SPDX-License-Identifier: GPL-2.0 */
/*
 * webconfig.h - --web-config FILE: the Prometheus exporter-toolkit web
 * configuration (TLS and basic auth of the metrics endpoint), the subset
 * finrst serves:
 *
 *   tls_server_config:
 *     cert_file: PATH            # PEM; with key_file, or neither
 *     key_file: PATH
 *     client_auth_type: NoClientCert | RequireAndVerifyClientCert
 *     client_ca_file: PATH       # needed by RequireAndVerifyClientCert
 *   basic_auth_users:
 *     NAME: BCRYPT-HASH          # $2a$, $2b$ or $2y$
 *
 * Relative paths are read from the configuration file's directory, as the
 * exporter-toolkit does. Any other key is an error, not ignored: a setting
 * that was meant to protect the endpoint must not be dropped silently.
 */
#ifndef FINRST_WEBCONFIG_H
#define FINRST_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The file and each PEM file it names are read up to this size. */
#define FR_WEBCONFIG_MAX_BYTES (1024 * 1024)
#define FR_WEBCONFIG_MAX_USERS 64

enum fr_client_auth {
	FR_CLIENT_AUTH_NONE,	/* NoClientCert (the default) */
	FR_CLIENT_AUTH_REQUIRE, /* RequireAndVerifyClientCert */
};

struct fr_webuser {
	char *name;
	char *hash; /* bcrypt, as crypt(3) writes it */
};

struct fr_webconfig {
	/* tls_server_config, as written (NULL: not set) */
	char *cert_file, *key_file, *client_ca_file;
	enum fr_client_auth client_auth;
	/* What those files hold, read by fr_webconfig_load() (NUL-ended
	 * PEM text; NULL without TLS) */
	char *cert_pem, *key_pem, *ca_pem;
	struct fr_webuser *users; /* basic_auth_users */
	int nr_users;
};

/* TLS is on when the file names a certificate. */
static inline bool fr_webconfig_tls(const struct fr_webconfig *wc)
{
	return wc && wc->cert_file;
}

/*
 * Parse buf[0..len) (the content of the file named path, for the messages)
 * into *wc, zeroed first; reads no other file. 0, or -1 with
 * "finrst: invalid --web-config PATH: [line N: KEY: ]why" in err: one line,
 * control bytes shown as '?'. *wc is left empty after an error (and needs
 * fr_webconfig_free() either way).
 */
int fr_webconfig_parse(const char *buf, size_t len, const char *path,
		       struct fr_webconfig *wc, char *err, size_t errlen);

/*
 * Read and parse the file at path, then read the PEM files it names
 * (their paths relative to its directory). 0, or -1 with the one line in
 * err, as fr_webconfig_parse().
 */
int fr_webconfig_load(const char *path, struct fr_webconfig *wc, char *err,
		      size_t errlen);

void fr_webconfig_free(struct fr_webconfig *wc);

/*
 * Whether user and password match one of basic_auth_users: crypt(3) of the
 * password with the user's hash as setting, compared in constant time. An
 * unknown user costs a hash all the same, so the time taken does not tell
 * which names exist. Thread-safe (crypt_rn()).
 */
bool fr_webconfig_auth(const struct fr_webconfig *wc, const char *user,
		       const char *password);

#endif /* FINRST_WEBCONFIG_H */
