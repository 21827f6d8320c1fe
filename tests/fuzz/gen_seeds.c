// SPDX-License-Identifier: GPL-2.0
/*
 * gen_seeds.c - write the seed corpora of the fuzz targets:
 *
 *	gen_seeds DIR	writes DIR/fuzz_args/, DIR/fuzz_format/ and
 *			DIR/fuzz_json/ (the directories must exist)
 *
 * `cmake --build build --target fuzz_seeds` rewrites tests/fuzz/corpus/ with
 * it.  The seeds are real: the command lines of the README, the records of
 * the unit tests (tests/unit/records.h) and the comm and explain strings they
 * carry, plus a few hostile ones.  Inputs the fuzzers found are added to
 * the corpus by hand, under names that say what they broke.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "record_codec.h"
#include "records.h"

static const char *root;
static int failed;

static FILE *open_seed(const char *target, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		failed = 1;
	}
	return f;
}

static void close_seed(FILE *f, bool ok)
{
	if (fclose(f) || !ok)
		failed = 1;
}

/* A command line: its arguments with a NUL between each two. */
static void args_seed(const char *name, const char *const *argv)
{
	FILE *f = open_seed("fuzz_args", name);
	bool ok = true;
	int i;

	if (!f)
		return;
	for (i = 0; argv[i]; i++) {
		if (i)
			ok = ok && fputc('\0', f) != EOF;
		ok = ok && fputs(argv[i], f) != EOF;
	}
	close_seed(f, ok);
}

#define ARGS(name, ...) \
	args_seed(name, (const char *const[]){ __VA_ARGS__, NULL })

static void args_seeds(void)
{
	/* the README and the usage text */
	ARGS("json-port", "-j", "-P", "443");
	ARGS("netns-path-duration", "--netns", "/run/netns/blue", "-d", "60");
	ARGS("netns-inode", "-j", "--netns", "4026532177");
	ARGS("netns-proc", "--netns=/proc/self/ns/net", "-4");
	ARGS("metrics", "--metrics", "127.0.0.1:9464");
	ARGS("metrics-v6-ports-text", "--metrics", "[::1]:9464",
	     "--metrics-ports", "80,443", "--text");
	ARGS("metrics-json", "--metrics", "0.0.0.0:19465", "-j",
	     "--metrics-ports=8080", "--metrics-ports", "9090");
	ARGS("hooks-verbose", "--hooks=tracepoint", "-v");
	ARGS("hooks-split", "--hooks", "fentry", "--duration", "5");
	ARGS("pid-ringbuf", "-4", "-p", "1234", "--ringbuf-kb", "64");
	ARGS("ports", "-6", "--port=22", "-P", "80", "-P65535");
	ARGS("cluster", "-j4vP", "443", "--pid=1");
	ARGS("help", "-h");
	ARGS("version", "--version");
	/* bad ones */
	ARGS("bad-families", "-4", "-6");
	ARGS("bad-hooks", "--hooks=bogus");
	ARGS("bad-port", "-P", "0");
	ARGS("bad-text", "--text", "-j");
	ARGS("bad-text-json", "--metrics", "80", "--text", "-j");
	ARGS("bad-17-ports", "-P1", "-P2", "-P3", "-P4", "-P5", "-P6", "-P7",
	     "-P8", "-P9", "-P10", "-P11", "-P12", "-P13", "-P14", "-P15",
	     "-P16", "-P17");
	ARGS("bad-unknown", "--jso=1", "x");
	ARGS("bad-missing", "-p");
}

/* A record, then the formatting options of fuzz_format.c. */
static void format_seed(const char *name, const struct fr_record *r,
			unsigned char opts, unsigned short cap,
			const char *reason)
{
	FILE *f = open_seed("fuzz_format", name);
	long long offset = T_OFFSET_NS;
	bool ok;

	if (!f)
		return;
	ok = fr_codec_put(r, f);
	ok = ok && fwrite(&offset, sizeof(offset), 1, f) == 1;
	ok = ok && fwrite(&opts, sizeof(opts), 1, f) == 1;
	ok = ok && fwrite(&cap, sizeof(cap), 1, f) == 1;
	ok = ok && fwrite(reason, 1, strlen(reason), f) == strlen(reason);
	close_seed(f, ok);
}

static void format_seeds(void)
{
	struct fr_record r;

	r = rec_close();
	format_seed("close", &r, 0, 4096, "");
	r = rec_unread();
	format_seed("unread-reason", &r, 2, 4096, "TCP_ABORT_ON_CLOSE");
	r = rec_unread();
	format_seed("unread-color-small", &r, 1, 200, "");
	r = rec_peer_reset();
	format_seed("peer-reset", &r, 2 | 4, 4096, "");
	r = rec_linger();
	format_seed("linger-expired", &r, 0, 1024, "");
	r = rec_ipv6();
	format_seed("ipv6-shutdown-exit", &r, 1, 4096, "");
	r = rec_no_socket();
	format_seed("no-socket", &r, 2, 4096, "NO_SOCKET");
	r = rec_no_socket();
	format_seed("no-socket-defaults", &r, 8, 600, "");

	/* a comm with quotes, escapes, DEL, ESC and broken UTF-8; enums
	 * and the family out of range */
	r = rec_close();
	memcpy(r.comm, "a\"\\\n\x1b[31m\x7f\xc3\x28\xe2\x82\xf0\x9f\x98", 16);
	r.family = 1;
	r.outcome = 200;
	r.cause = 99;
	r.role = 7;
	r.initiator = 9;
	r.state = 255;
	format_seed("hostile", &r, 1 | 2, 4096, "\"\x01\xff");
	r = rec_ipv6();
	r.type = 3;
	format_seed("unknown-type", &r, 0, 4096, "");
}

static void json_seed(const char *name, const char *s, size_t n)
{
	FILE *f = open_seed("fuzz_json", name);

	if (f)
		close_seed(f, fwrite(s, 1, n, f) == n);
}

#define JSON(name, s) json_seed(name, s, sizeof(s) - 1)

static void json_seeds(void)
{
	JSON("comm", "python3");
	JSON("comm-full", "redis-server\0\0\0\0");
	JSON("escapes", "a\"b\\c\n\t\r\b\f\x01\x1f\x7f/");
	JSON("utf8", "na\xc3\xafve \xe2\x82\xac \xf0\x9d\x84\x9e");
	JSON("invalid-utf8", "\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"
			     "\xe2\x82\xc3");
	JSON("explain", "python3[14911] closed the socket with 1000 unread "
			"bytes; the kernel discarded them and sent RST "
			"(RFC 2525 \xc2\xa7"
			"2.17).");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	root = argv[1];
	args_seeds();
	format_seeds();
	json_seeds();
	return failed;
}
