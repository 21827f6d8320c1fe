// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the --metrics endpoint, on libmicrohttpd: GET /metrics and nothing
 * else. It runs in libmicrohttpd's own polling thread; a scrape only reads
 * BPF maps (bpf(2) is thread-safe) and builds its answer in a fresh buffer.
 * With --web-config (webconfig.h) it speaks TLS through libmicrohttpd's
 * GnuTLS, and asks for basic auth before anything else.
 *
 * libmicrohttpd is opened with dlopen() when --metrics asks for it, after
 * the BPF side is loaded: it brings GnuTLS and five more libraries (about
 * 3 MiB resident) that a run without --metrics should not carry, and that
 * should not add to the peak while libbpf parses the kernel's BTF.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "http.h"
#include "metrics.h"
#include "sb.h"

#define MHD_SONAME "libmicrohttpd.so.12"
/* loaded by libmicrohttpd already: only looked up (RTLD_NOLOAD) */
#define GNUTLS_SONAME "libgnutls.so.30"
/* exporter-toolkit's default: TLS 1.2 at least */
#define FR_HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define FR_HTTP_REALM "finrst"

/* The endpoint's limits (README, Metrics; finrst.8). */
#define FR_HTTP_MAX_CONNS 256
#define FR_HTTP_MAX_CONNS_PER_ADDR 4
#define FR_HTTP_IDLE_S 5
#define FR_HTTP_POOL_BYTES (16 * 1024)

static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_create_response_from_buffer) *create_response;
	__typeof__(MHD_add_response_header) *add_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_is_feature_supported) *feature;
	__typeof__(MHD_get_connection_info) *conn_info;
	__typeof__(MHD_basic_auth_get_username_password) *basic_auth;
	__typeof__(MHD_queue_basic_auth_fail_response) *auth_fail;
	__typeof__(MHD_free) *free;
} mhd;

/* The two GnuTLS calls that make a client certificate a condition of the
 * handshake (client_auth_type RequireAndVerifyClientCert). */
static struct {
	__typeof__(gnutls_certificate_server_set_request) *set_request;
	__typeof__(gnutls_session_set_verify_cert) *set_verify_cert;
} tls;

/* Resolve the few functions used; NULL, or what is missing. */
static const char *mhd_open(void)
{
	static void *lib;
	const char *e;

	if (lib)
		return NULL;
	lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return dlerror();
#define SYM(field, name)                                 \
	do {                                             \
		*(void **)&mhd.field = dlsym(lib, name); \
		if (!mhd.field) {                        \
			e = dlerror();                   \
			dlclose(lib);                    \
			lib = NULL;                      \
			return e;                        \
		}                                        \
	} while (0)
	SYM(start_daemon, "MHD_start_daemon");
	SYM(stop_daemon, "MHD_stop_daemon");
	SYM(create_response, "MHD_create_response_from_buffer");
	SYM(add_header, "MHD_add_response_header");
	SYM(queue_response, "MHD_queue_response");
	SYM(destroy_response, "MHD_destroy_response");
	SYM(feature, "MHD_is_feature_supported");
	SYM(conn_info, "MHD_get_connection_info");
	SYM(basic_auth, "MHD_basic_auth_get_username_password");
	SYM(auth_fail, "MHD_queue_basic_auth_fail_response");
	SYM(free, "MHD_free");
#undef SYM
	return NULL;
}

/* The GnuTLS that libmicrohttpd linked; NULL, or what is missing. */
static const char *tls_open(void)
{
	/* kept, as libmicrohttpd's is */
	static void *lib;

	if (lib)
		return NULL;
	lib = dlopen(GNUTLS_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
	if (!lib)
		return dlerror();
	*(void **)&tls.set_verify_cert =
		dlsym(lib, "gnutls_session_set_verify_cert");
	*(void **)&tls.set_request =
		dlsym(lib, "gnutls_certificate_server_set_request");
	if (!tls.set_request || !tls.set_verify_cert) {
		dlclose(lib);
		lib = NULL;
		return "no gnutls_session_set_verify_cert (GnuTLS < 3.4.6)";
	}
	return NULL;
}

struct fr_http {
	struct MHD_Daemon *d;
	struct fr_loader *l;
	const struct fr_webconfig *web;
	/* libmicrohttpd's first message while it starts (why it did not) */
	char why[256];
	atomic_bool started;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     char *body, size_t len,
			     enum MHD_ResponseMemoryMode m, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = mhd.create_response(len, body, m);
	if (!r) {
		if (m == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	mhd.add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	ret = mhd.queue_response(c, status, r);
	mhd.destroy_response(r);
	return ret;
}

/* Basic auth against basic_auth_users (one crypt(3) per request). */
static bool authorized(struct fr_http *h, struct MHD_Connection *c)
{
	char *pass = NULL, *user;
	bool ok;

	user = mhd.basic_auth(c, &pass);
	ok = user && pass && fr_webconfig_auth(h->web, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		mhd.free(pass);
	}
	if (user)
		mhd.free(user);
	return ok;
}

/* 401 with WWW-Authenticate: Basic realm="finrst" */
static enum MHD_Result unauthorized(struct MHD_Connection *c)
{
	static char body[] = "unauthorized: finrst's metrics need the "
			     "user and password of basic_auth_users\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = mhd.create_response(sizeof(body) - 1, body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	mhd.add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		       "text/plain; charset=utf-8");
	ret = mhd.auth_fail(c, FR_HTTP_REALM, r);
	mhd.destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	static char not_found[] = "not found: finrst serves GET /metrics\n";
	static char not_allowed[] = "method not allowed: GET only\n";
	static char failed[] = "cannot read the metrics\n";
	static const char plain[] = "text/plain; charset=utf-8";
	struct fr_http *h = cls;
	struct sb t;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	/* Credentials first, for every path: no answer tells a client
	 * without them anything. */
	if (h->web && h->web->nr_users && !authorized(h, c))
		return unauthorized(c);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, not_found,
			     sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT,
			     plain);
	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed,
			     sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT,
			     plain);
	sb_init_grow(&t);
	if (fr_metrics_render(h->l, &t)) {
		free(t.buf);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, failed,
			     sizeof(failed) - 1, MHD_RESPMEM_PERSISTENT, plain);
	}
	return reply(c, MHD_HTTP_OK, t.buf, t.len, MHD_RESPMEM_MUST_FREE,
		     "text/plain; version=0.0.4; charset=utf-8");
}

/*
 * A new connection, its TLS session made but no byte read yet (libmicrohttpd
 * sets GNUTLS_CERT_REQUEST when it has a client CA, and leaves the checking
 * to the application): require a certificate and have GnuTLS verify it
 * against the client CA in the handshake, so that a client without one
 * fails the handshake and never reaches HTTP.
 */
static void on_connection(void *cls, struct MHD_Connection *c, void **sock_cls,
			  enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;

	(void)cls;
	(void)sock_cls;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = mhd.conn_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	tls.set_request(ci->tls_session, GNUTLS_CERT_REQUIRE);
	tls.set_verify_cert(ci->tls_session, NULL, 0);
}

/* libmicrohttpd's messages: kept while it starts, for the error line;
 * dropped once it runs (a client's failed handshake is no news). */
static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct fr_http *h = cls;
	char *nl;

	/* the first message is the cause, the later ones its effects */
	if (atomic_load(&h->started) || h->why[0])
		return;
	vsnprintf(h->why, sizeof(h->why), fmt, ap);
	nl = strchr(h->why, '\n');
	if (nl)
		*nl = '\0';
}

/* The TLS options of web into o (at most 6 entries); false, with err, when
 * this libmicrohttpd cannot. */
static bool tls_options(const struct fr_webconfig *web, struct fr_http *h,
			struct MHD_OptionItem *o, char *err, size_t errlen)
{
	const char *why;

	if (mhd.feature(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen,
			 "--web-config: this libmicrohttpd was built without "
			 "TLS");
		return false;
	}
	*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
					web->cert_pem };
	*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
					web->key_pem };
	*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
					(void *)FR_HTTP_TLS_PRIORITIES };
	if (web->client_auth == FR_CLIENT_AUTH_REQUIRE) {
		why = tls_open();
		if (why) {
			snprintf(err, errlen,
				 "--web-config: RequireAndVerifyClientCert "
				 "needs GnuTLS: %s",
				 why);
			return false;
		}
		*o++ = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
						web->ca_pem };
		*o++ = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
						(intptr_t)on_connection, h };
	}
	*o = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return true;
}

struct fr_http *fr_http_start(const struct env *env,
			      const struct fr_webconfig *web,
			      struct fr_loader *l, char *err, size_t errlen)
{
	/* epoll where there is one: select() would cap the connections at
	 * FD_SETSIZE */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[8];
	struct sockaddr_storage ss;
	char addr[INET6_ADDRSTRLEN];
	const char *why;
	struct fr_http *h;

	why = mhd_open();
	if (why) {
		snprintf(err, errlen,
			 "--metrics needs libmicrohttpd (Debian package "
			 "libmicrohttpd12): %s",
			 why);
		return NULL;
	}
	memset(&ss, 0, sizeof(ss));
	if (env->metrics_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(env->metrics_port);
		memcpy(&s6->sin6_addr, env->metrics_addr, 16);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(env->metrics_port);
		memcpy(&s4->sin_addr, env->metrics_addr, 4);
	}
	inet_ntop(env->metrics_family, env->metrics_addr, addr, sizeof(addr));

	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->l = l;
	h->web = web;
	opts[0] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	if (fr_webconfig_tls(web)) {
		if (!tls_options(web, h, opts, err, errlen)) {
			free(h);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	/*
	 * Hostile clients must not starve the scrapes
	 * (tests/metrics/hostile.sh): an address gets a few connections, and
	 * all of them together a small share of the total; one that is idle
	 * or sends its request slowly (or does not finish its TLS handshake)
	 * is closed soon. A scrape's request fits in a small pool many times
	 * over. The logger comes first, to hear every message.
	 */
	errno = 0;
	h->d = mhd.start_daemon(
		flags, env->metrics_port, NULL, NULL, handle, h,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, h, MHD_OPTION_ARRAY, opts,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)FR_HTTP_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)FR_HTTP_MAX_CONNS_PER_ADDR,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)FR_HTTP_IDLE_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FR_HTTP_POOL_BYTES,
		MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen,
			 "--metrics: cannot listen on %s%s%s:%u%s: %s",
			 env->metrics_family == AF_INET6 ? "[" : "", addr,
			 env->metrics_family == AF_INET6 ? "]" : "",
			 env->metrics_port,
			 fr_webconfig_tls(web) ? " with TLS" : "",
			 h->why[0] ? h->why :
			 errno	   ? strerror(errno) :
				     "libmicrohttpd failed");
		free(h);
		return NULL;
	}
	atomic_store(&h->started, true);
	return h;
}

void fr_http_stop(struct fr_http *h)
{
	if (!h)
		return;
	mhd.stop_daemon(h->d);
	free(h);
}
