// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the --metrics endpoint, on libmicrohttpd: GET /metrics and nothing
 * else. It runs in libmicrohttpd's own polling thread; a scrape only reads
 * BPF maps (bpf(2) is thread-safe) and builds its answer in a fresh buffer.
 *
 * libmicrohttpd is opened with dlopen() when --metrics asks for it, after
 * the BPF side is loaded: it brings GnuTLS and five more libraries (about
 * 3 MiB resident) that a run without --metrics should not carry, and that
 * should not add to the peak while libbpf parses the kernel's BTF.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "metrics.h"
#include "sb.h"

#define MHD_SONAME "libmicrohttpd.so.12"

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
} mhd;

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
#undef SYM
	return NULL;
}

struct fr_http {
	struct MHD_Daemon *d;
	struct fr_loader *l;
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

struct fr_http *fr_http_start(const struct env *env, struct fr_loader *l,
			      char *err, size_t errlen)
{
	/* epoll where there is one: select() would cap the connections at
	 * FD_SETSIZE */
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
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
	errno = 0;
	h->d = mhd.start_daemon(flags, env->metrics_port, NULL, NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				/* Hostile clients must not starve the scrapes
				 * (tests/metrics/hostile.sh): an address
				 * gets a few connections, and all of them
				 * together a small share of the total; one
				 * that is idle or sends its request slowly
				 * is closed soon. A scrape's request fits
				 * in a small pool many times over. */
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)FR_HTTP_MAX_CONNS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned int)FR_HTTP_MAX_CONNS_PER_ADDR,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)FR_HTTP_IDLE_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)FR_HTTP_POOL_BYTES, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen,
			 "--metrics: cannot listen on %s%s%s:%u: %s",
			 env->metrics_family == AF_INET6 ? "[" : "", addr,
			 env->metrics_family == AF_INET6 ? "]" : "",
			 env->metrics_port,
			 errno ? strerror(errno) : "libmicrohttpd failed");
		free(h);
		return NULL;
	}
	return h;
}

void fr_http_stop(struct fr_http *h)
{
	if (!h)
		return;
	mhd.stop_daemon(h->d);
	free(h);
}
