// SPDX-License-Identifier: GPL-2.0
/*
 * webconfig.c - --web-config FILE (webconfig.h says which keys), parsed with
 * libyaml into its document tree, and the basic-auth check with libxcrypt.
 *
 * Both libraries are linked, not dlopen()ed like libmicrohttpd: every run
 * maps them, but that costs 100-160 KiB of clean, shared file pages and
 * 16 KiB of private ones (measured with smaps on Debian 12), within the
 * run-to-run noise of a 12 MiB RSS.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "webconfig.h"

/* What one parse carries: the tree, the file's name, the first error. */
struct wc_parse {
	yaml_document_t *doc;
	const char *path;
	struct fr_webconfig *wc;
	const yaml_node_t *tls; /* tls_server_config, for the line */
	char *err;
	size_t errlen;
	bool failed;
};

/* Append s to the string in err; control bytes (of the file's content or
 * of the path) show as '?'. */
static void put_clean(char *err, size_t errlen, const char *s)
{
	size_t n = strlen(err);

	for (; *s && n + 1 < errlen; s++, n++) {
		err[n] = *s;
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			err[n] = '?';
	}
	err[n] = '\0';
}

/*
 * The one line: "finrst: invalid --web-config PATH: line N: KEY: why"
 * (line and key where there is one). The first error wins.
 */
__attribute__((format(printf, 4, 5))) static int wc_fail(struct wc_parse *p,
							 const yaml_node_t *at,
							 const char *key,
							 const char *fmt, ...)
{
	char msg[512], where[32];
	va_list ap;

	if (p->failed)
		return -1;
	p->failed = true;
	if (!p->err || !p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err[0] = '\0';
	put_clean(p->err, p->errlen, "finrst: invalid --web-config ");
	put_clean(p->err, p->errlen, p->path);
	put_clean(p->err, p->errlen, ": ");
	if (at) {
		snprintf(where, sizeof(where),
			 "line %lu: ", (unsigned long)at->start_mark.line + 1);
		put_clean(p->err, p->errlen, where);
	}
	if (key) {
		put_clean(p->err, p->errlen, key);
		put_clean(p->err, p->errlen, ": ");
	}
	put_clean(p->err, p->errlen, msg);
	return -1;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (n->data.scalar.length == strlen(nulls[i]) &&
		    !memcmp(n->data.scalar.value, nulls[i],
			    n->data.scalar.length))
			return true;
	return false;
}

/* A scalar as a new string: NULL for a null, or on an error (p->failed). */
static char *scalar(struct wc_parse *p, const yaml_node_t *n, const char *key)
{
	char *s;

	if (n->type != YAML_SCALAR_NODE) {
		wc_fail(p, n, key, "expected a string, found a %s",
			n->type == YAML_MAPPING_NODE ? "mapping" : "list");
		return NULL;
	}
	if (is_null(n))
		return NULL;
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length)) {
		wc_fail(p, n, key, "holds a NUL byte");
		return NULL;
	}
	s = strndup((const char *)n->data.scalar.value, n->data.scalar.length);
	if (!s)
		wc_fail(p, n, key, "out of memory");
	return s;
}

/* The key of a mapping pair, as a C string in buf ("" after an error). */
static const char *key_of(struct wc_parse *p, const yaml_node_t *k,
			  const char *parent, char *buf, size_t len)
{
	size_t n;

	buf[0] = '\0';
	if (!k || k->type != YAML_SCALAR_NODE) {
		wc_fail(p, k, parent, "a key must be a string");
		return buf;
	}
	n = k->data.scalar.length;
	if (n >= len || memchr(k->data.scalar.value, '\0', n)) {
		wc_fail(p, k, parent, "key too long, or holding a NUL byte");
		return buf;
	}
	memcpy(buf, k->data.scalar.value, n);
	buf[n] = '\0';
	return buf;
}

/* Each key once in a mapping. */
static bool duplicate(struct wc_parse *p, const yaml_node_t *map,
		      const yaml_node_pair_t *upto, const yaml_node_t *k)
{
	const yaml_node_pair_t *q;

	for (q = map->data.mapping.pairs.start; q < upto; q++) {
		const yaml_node_t *o = yaml_document_get_node(p->doc, q->key);

		if (o && o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == k->data.scalar.length &&
		    !memcmp(o->data.scalar.value, k->data.scalar.value,
			    k->data.scalar.length))
			return true;
	}
	return false;
}

/* A mapping (or a null: empty); false after an error. */
static bool mapping(struct wc_parse *p, const yaml_node_t *n, const char *key)
{
	if (n->type == YAML_MAPPING_NODE || is_null(n))
		return true;
	wc_fail(p, n, key, "expected a mapping");
	return false;
}

/* $2a$, $2b$ or $2y$, a two-digit cost 04..31, '$', 53 of [./A-Za-z0-9]:
 * what htpasswd -B, Go's bcrypt and crypt(3) write. */
static bool is_bcrypt(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    !strchr("aby", h[2]) || h[3] != '$' || h[6] != '$')
		return false;
	if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	return cost >= 4 && cost <= 31 && strspn(h + 7, b64) == 53;
}

static void parse_tls(struct wc_parse *p, const yaml_node_t *map)
{
	struct fr_webconfig *wc = p->wc;
	const yaml_node_pair_t *pr;
	char kbuf[64], full[96];

	p->tls = map;
	if (!mapping(p, map, "tls_server_config") ||
	    map->type != YAML_MAPPING_NODE)
		return;
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top && !p->failed; pr++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		const yaml_node_t *v =
			yaml_document_get_node(p->doc, pr->value);
		const char *name =
			key_of(p, k, "tls_server_config", kbuf, sizeof(kbuf));
		char **dst = NULL, *s;

		if (p->failed || !v)
			return;
		snprintf(full, sizeof(full), "tls_server_config.%s", name);
		if (duplicate(p, map, pr, k)) {
			wc_fail(p, k, full, "duplicate key");
			return;
		}
		if (!strcmp(name, "cert_file"))
			dst = &wc->cert_file;
		else if (!strcmp(name, "key_file"))
			dst = &wc->key_file;
		else if (!strcmp(name, "client_ca_file"))
			dst = &wc->client_ca_file;
		else if (strcmp(name, "client_auth_type")) {
			wc_fail(p, k, full,
				"not supported (finrst knows cert_file, "
				"key_file, client_auth_type and "
				"client_ca_file)");
			return;
		}
		s = scalar(p, v, full);
		if (p->failed)
			return;
		if (dst) {
			if (s && !*s) {
				free(s);
				s = NULL;
			}
			*dst = s;
			continue;
		}
		if (!s || !strcmp(s, "NoClientCert")) {
			wc->client_auth = FR_CLIENT_AUTH_NONE;
		} else if (!strcmp(s, "RequireAndVerifyClientCert")) {
			wc->client_auth = FR_CLIENT_AUTH_REQUIRE;
		} else {
			wc_fail(p, v, full,
				"'%.64s' is not supported: NoClientCert or "
				"RequireAndVerifyClientCert",
				s);
		}
		free(s);
	}
}

static void parse_users(struct wc_parse *p, const yaml_node_t *map)
{
	struct fr_webconfig *wc = p->wc;
	const yaml_node_pair_t *pr;
	char kbuf[256], full[300];
	ptrdiff_t n;

	if (!mapping(p, map, "basic_auth_users") ||
	    map->type != YAML_MAPPING_NODE)
		return;
	n = map->data.mapping.pairs.top - map->data.mapping.pairs.start;
	if (n > FR_WEBCONFIG_MAX_USERS) {
		wc_fail(p, map, "basic_auth_users", "more than %d users",
			FR_WEBCONFIG_MAX_USERS);
		return;
	}
	wc->users = calloc((size_t)n + 1, sizeof(*wc->users));
	if (!wc->users) {
		wc_fail(p, map, "basic_auth_users", "out of memory");
		return;
	}
	for (pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top && !p->failed; pr++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		const yaml_node_t *v =
			yaml_document_get_node(p->doc, pr->value);
		const char *name =
			key_of(p, k, "basic_auth_users", kbuf, sizeof(kbuf));
		struct fr_webuser *u = &wc->users[wc->nr_users];

		if (p->failed || !v)
			return;
		snprintf(full, sizeof(full), "basic_auth_users.%s", name);
		if (!*name || strchr(name, ':')) {
			wc_fail(p, k, full,
				"a user name must be non-empty, without ':' "
				"(RFC 7617)");
			return;
		}
		if (duplicate(p, map, pr, k)) {
			wc_fail(p, k, full, "duplicate user");
			return;
		}
		u->hash = scalar(p, v, full);
		if (p->failed)
			return;
		if (!u->hash || !is_bcrypt(u->hash)) {
			wc_fail(p, v, full,
				"not a bcrypt hash ($2y$10$ and 53 more "
				"characters; htpasswd -nBC 10 USER makes one)");
			return;
		}
		u->name = strdup(name);
		if (!u->name) {
			wc_fail(p, k, full, "out of memory");
			return;
		}
		wc->nr_users++;
	}
}

/* What the keys say together. */
static void check_tls(struct wc_parse *p)
{
	struct fr_webconfig *wc = p->wc;
	const yaml_node_t *root = p->tls;

	if (wc->key_file && !wc->cert_file)
		wc_fail(p, root, "tls_server_config.cert_file",
			"missing (key_file needs it)");
	else if (wc->cert_file && !wc->key_file)
		wc_fail(p, root, "tls_server_config.key_file",
			"missing (cert_file needs it)");
	else if ((wc->client_ca_file ||
		  wc->client_auth != FR_CLIENT_AUTH_NONE) &&
		 !wc->cert_file)
		wc_fail(p, root, "tls_server_config.cert_file",
			"missing (client certificates need TLS)");
	else if (wc->client_auth == FR_CLIENT_AUTH_REQUIRE &&
		 !wc->client_ca_file)
		wc_fail(p, root, "tls_server_config.client_ca_file",
			"missing (RequireAndVerifyClientCert checks the "
			"client's certificate against it)");
	else if (wc->client_ca_file && wc->client_auth == FR_CLIENT_AUTH_NONE)
		wc_fail(p, root, "tls_server_config.client_auth_type",
			"client_ca_file is set but no client certificate is "
			"asked for: set RequireAndVerifyClientCert");
}

static void parse_root(struct wc_parse *p, const yaml_node_t *root)
{
	const yaml_node_pair_t *pr;
	char kbuf[64];

	if (root->type != YAML_MAPPING_NODE) {
		if (!is_null(root))
			wc_fail(p, root, NULL,
				"expected a mapping with tls_server_config "
				"and/or basic_auth_users");
		return;
	}
	for (pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top && !p->failed; pr++) {
		const yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		const yaml_node_t *v =
			yaml_document_get_node(p->doc, pr->value);
		const char *name = key_of(p, k, NULL, kbuf, sizeof(kbuf));

		if (p->failed || !v)
			return;
		if (duplicate(p, root, pr, k))
			wc_fail(p, k, name, "duplicate key");
		else if (!strcmp(name, "tls_server_config"))
			parse_tls(p, v);
		else if (!strcmp(name, "basic_auth_users"))
			parse_users(p, v);
		else
			wc_fail(p, k, name,
				"not supported (finrst knows "
				"tls_server_config and basic_auth_users)");
	}
	if (!p->failed)
		check_tls(p);
}

int fr_webconfig_parse(const char *buf, size_t len, const char *path,
		       struct fr_webconfig *wc, char *err, size_t errlen)
{
	struct wc_parse p = { .path = path,
			      .wc = wc,
			      .err = err,
			      .errlen = errlen };
	yaml_document_t doc, more;
	yaml_parser_t parser;
	yaml_node_t *root, at;

	memset(wc, 0, sizeof(*wc));
	if (err && errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return wc_fail(&p, NULL, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		memset(&at, 0, sizeof(at));
		at.start_mark = parser.problem_mark;
		wc_fail(&p, &at, NULL, "not YAML: %s%s%s",
			parser.problem ? parser.problem : "parse error",
			parser.context ? " " : "",
			parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		parse_root(&p, root);
		/* A second document would be ignored: refuse it. */
		if (!p.failed) {
			if (!yaml_parser_load(&parser, &more)) {
				wc_fail(&p, NULL, NULL,
					"not YAML after the first document");
			} else {
				if (yaml_document_get_root_node(&more))
					wc_fail(&p, NULL, NULL,
						"more than one YAML document");
				yaml_document_delete(&more);
			}
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (p.failed) {
		fr_webconfig_free(wc);
		return -1;
	}
	return 0;
}

/* The whole of a regular file of at most FR_WEBCONFIG_MAX_BYTES, NUL-ended;
 * NULL with errno (EFBIG: too big, EINVAL: not a regular file). */
static char *slurp(const char *path, size_t *len)
{
	size_t n = 0, cap = FR_WEBCONFIG_MAX_BYTES + 1;
	struct stat st;
	char *buf;
	ssize_t r;
	int fd, e;

	/* O_NONBLOCK: a FIFO must not hang the start */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	e = fstat(fd, &st) ? errno : S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (e) {
		close(fd);
		errno = e;
		return NULL;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	e = errno;
	close(fd);
	if (r < 0 || n == cap) {
		free(buf);
		errno = r < 0 ? e : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Read the PEM file that key names into *pem; it must hold marker. */
static int read_pem(struct wc_parse *p, const char *key, const char *file,
		    const char *marker, char **pem)
{
	const char *slash = strrchr(p->path, '/');
	char *full = NULL;
	size_t len = 0;

	/* relative to the configuration file's directory */
	if (file[0] != '/' && slash) {
		if (asprintf(&full, "%.*s/%s", (int)(slash - p->path), p->path,
			     file) < 0)
			return wc_fail(p, NULL, key, "out of memory");
		file = full;
	}
	*pem = slurp(file, &len);
	if (!*pem) {
		wc_fail(p, NULL, key, "cannot read '%s': %s", file,
			errno == EFBIG	? "larger than 1 MiB" :
			errno == EINVAL ? "not a regular file" :
					  strerror(errno));
	} else if (memchr(*pem, '\0', len) || !strstr(*pem, "-----BEGIN ") ||
		   !strstr(*pem, marker)) {
		wc_fail(p, NULL, key, "'%s' holds no PEM %s", file, marker);
	}
	free(full);
	return p->failed ? -1 : 0;
}

int fr_webconfig_load(const char *path, struct fr_webconfig *wc, char *err,
		      size_t errlen)
{
	struct wc_parse p = { .path = path,
			      .wc = wc,
			      .err = err,
			      .errlen = errlen };
	size_t len = 0;
	char *buf;

	memset(wc, 0, sizeof(*wc));
	buf = slurp(path, &len);
	if (!buf)
		return wc_fail(&p, NULL, NULL, "%s",
			       errno == EFBIG  ? "larger than 1 MiB" :
			       errno == EINVAL ? "not a regular file" :
						 strerror(errno));
	if (fr_webconfig_parse(buf, len, path, wc, err, errlen)) {
		free(buf);
		return -1;
	}
	free(buf);
	if (wc->cert_file &&
	    (read_pem(&p, "tls_server_config.cert_file", wc->cert_file,
		      "CERTIFICATE", &wc->cert_pem) ||
	     read_pem(&p, "tls_server_config.key_file", wc->key_file,
		      "PRIVATE KEY", &wc->key_pem)))
		goto fail;
	if (wc->client_ca_file &&
	    read_pem(&p, "tls_server_config.client_ca_file", wc->client_ca_file,
		     "CERTIFICATE", &wc->ca_pem))
		goto fail;
	return 0;
fail:
	fr_webconfig_free(wc);
	return -1;
}

void fr_webconfig_free(struct fr_webconfig *wc)
{
	int i;

	if (!wc)
		return;
	/* past nr_users too: the entry a parse failed in (the array ends
	 * with a zeroed one) */
	for (i = 0; wc->users && (wc->users[i].name || wc->users[i].hash);
	     i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->client_ca_file);
	free(wc->cert_pem);
	/* the private key does not outlive its use in freed memory */
	if (wc->key_pem)
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
	free(wc->key_pem);
	free(wc->ca_pem);
	memset(wc, 0, sizeof(*wc));
}

/* a == b, in a time that depends on their lengths only */
static bool same(const char *a, const char *b)
{
	size_t n = strlen(a), i;
	volatile unsigned char d = 0;

	if (n != strlen(b))
		return false;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

bool fr_webconfig_auth(const struct fr_webconfig *wc, const char *user,
		       const char *password)
{
	const struct fr_webuser *u = NULL;
	struct crypt_data *cd;
	const char *h;
	bool ok;
	int i;

	if (!wc || !wc->nr_users || !user || !password)
		return false;
	for (i = 0; i < wc->nr_users; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	/* 32 KiB: on the heap, not the HTTP thread's stack */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	/* an unknown user: the first user's hash, for the same cost */
	h = crypt_rn(password, (u ? u : &wc->users[0])->hash, cd,
		     (int)sizeof(*cd));
	ok = u && h && same(h, u->hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}
