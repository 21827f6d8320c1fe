// SPDX-License-Identifier: GPL-2.0
/*
 * test_args.c - user/args.c: good command lines fill struct env, bad ones
 * return FR_ARGS_BAD with the offending argument named in err.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "check.h"

#define MAX_ARGS 64

/*
 * fr_parse_args() on "finrst" followed by the NULL-terminated arguments.  The
 * strings are copied: getopt_long may permute argv, and argv is not const.
 */
static int parse(struct env *env, char *err, size_t errlen, ...)
{
	static char store[MAX_ARGS][64];
	char *argv[MAX_ARGS + 1];
	const char *a;
	int argc = 0;
	va_list ap;

	snprintf(store[argc], sizeof(store[0]), "finrst");
	argv[argc] = store[argc];
	argc++;
	va_start(ap, errlen);
	while ((a = va_arg(ap, const char *)) && argc < MAX_ARGS) {
		snprintf(store[argc], sizeof(store[0]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return fr_parse_args(argc, argv, env, err, errlen);
}

#define PARSE(env, err, ...) parse(env, err, sizeof(err), __VA_ARGS__, NULL)

/* A bad command line: FR_ARGS_BAD, and err names each of the needles. */
static void bad(const char *what, const char *n1, const char *n2, int rc,
		const char *err)
{
	CHECKF(rc == FR_ARGS_BAD, "%s: returned %d", what, rc);
	CHECKF(!strncmp(err, "finrst: ", 8), "%s: err \"%s\"", what, err);
	CHECKF(!strchr(err, '\n'), "%s: newline in err", what);
	CHECKF(strstr(err, n1), "%s: err \"%s\" lacks \"%s\"", what, err, n1);
	if (n2)
		CHECKF(strstr(err, n2), "%s: err \"%s\" lacks \"%s\"", what,
		       err, n2);
}

#define BAD(n1, n2, ...)                                   \
	do {                                               \
		char err_[256];                            \
		struct env env_;                           \
		int rc_ = PARSE(&env_, err_, __VA_ARGS__); \
		bad(#__VA_ARGS__, n1, n2, rc_, err_);      \
	} while (0)

static void test_defaults(void)
{
	struct env env;
	char err[256];

	memset(&env, 0xff, sizeof(env));
	CHECK_INT(parse(&env, err, sizeof(err), NULL), FR_ARGS_OK);
	CHECK_STR(err, "");
	CHECK(!env.json);
	CHECK(!env.verbose);
	CHECK_INT(env.hooks, FR_HOOKS_AUTO);
	CHECK_INT(env.duration_s, 0);
	CHECK_INT(env.pid, 0);
	CHECK_INT(env.nr_ports, 0);
	CHECK_INT(env.family, 0);
	CHECK_INT(env.netns, 0);
	CHECK_INT(env.ringbuf_kb, 4096);
}

static void test_good(void)
{
	struct env env;
	char err[256];
	struct stat st;
	int i;

	CHECK_INT(PARSE(&env, err, "-j", "-v", "-p", "1234", "-P", "80",
			"--port", "443", "-P", "65535", "--port=1", "-4", "-d",
			"60", "--hooks=fentry", "--ringbuf-kb", "64"),
		  FR_ARGS_OK);
	CHECK(env.json);
	CHECK(env.verbose);
	CHECK_INT(env.pid, 1234);
	CHECK_INT(env.nr_ports, 4);
	CHECK_INT(env.ports[0], 80);
	CHECK_INT(env.ports[1], 443);
	CHECK_INT(env.ports[2], 65535);
	CHECK_INT(env.ports[3], 1);
	CHECK_INT(env.family, AF_INET);
	CHECK_INT(env.duration_s, 60);
	CHECK_INT(env.hooks, FR_HOOKS_FENTRY);
	CHECK_INT(env.ringbuf_kb, 64);
	CHECK(!env.metrics);

	CHECK_INT(PARSE(&env, err, "--metrics", "9464", "--metrics-ports",
			"80,443", "--metrics-ports", "8080", "--text"),
		  FR_ARGS_OK);
	CHECK(env.metrics && env.text && !env.json);
	CHECK_INT(env.metrics_family, AF_INET);
	CHECK_INT(env.metrics_port, 9464);
	CHECK(!memcmp(env.metrics_addr, "\x7f\0\0\x01", 4));
	CHECK_INT(env.nr_metrics_ports, 3);
	CHECK_INT(env.metrics_ports[0], 80);
	CHECK_INT(env.metrics_ports[2], 8080);
	CHECK_INT(PARSE(&env, err, "--metrics", "0.0.0.0:65535"), FR_ARGS_OK);
	CHECK(!memcmp(env.metrics_addr, "\0\0\0\0", 4));
	CHECK_INT(env.metrics_port, 65535);
	CHECK_INT(PARSE(&env, err, "--metrics=[::1]:1"), FR_ARGS_OK);
	CHECK_INT(env.metrics_family, AF_INET6);
	CHECK_INT(env.metrics_addr[15], 1);
	CHECK_INT(env.metrics_port, 1);
	CHECK(!env.web_config);
	CHECK_INT(PARSE(&env, err, "--metrics", "1", "--web-config", "w.yml"),
		  FR_ARGS_OK);
	CHECK_STR(env.web_config, "w.yml");

	CHECK_INT(PARSE(&env, err, "--json", "--verbose", "--pid=4194304",
			"--duration=31536000", "--hooks", "tracepoint", "-6",
			"--netns", "4026531840"),
		  FR_ARGS_OK);
	CHECK(env.json && env.verbose);
	CHECK_INT(env.pid, 4194304);
	CHECK_INT(env.duration_s, 31536000);
	CHECK_INT(env.hooks, FR_HOOKS_TRACEPOINT);
	CHECK_INT(env.family, AF_INET6);
	CHECK_INT(env.netns, 4026531840u);

	/* clusters, attached arguments, repeats, abbreviations, "--" */
	CHECK_INT(PARSE(&env, err, "-jvP22", "-p1", "-4", "-4", "--dur=5",
			"--hooks=kprobe", "--hooks=auto", "--"),
		  FR_ARGS_OK);
	CHECK(env.json && env.verbose);
	CHECK_INT(env.nr_ports, 1);
	CHECK_INT(env.ports[0], 22);
	CHECK_INT(env.pid, 1);
	CHECK_INT(env.family, AF_INET);
	CHECK_INT(env.duration_s, 5);
	CHECK_INT(env.hooks, FR_HOOKS_AUTO);

	CHECK_INT(PARSE(&env, err, "--hooks", "kprobe"), FR_ARGS_OK);
	CHECK_INT(env.hooks, FR_HOOKS_KPROBE);
	CHECK_INT(PARSE(&env, err, "-d", "1"), FR_ARGS_OK);
	CHECK_INT(env.duration_s, 1);
	/* leading zeros are still decimal */
	CHECK_INT(PARSE(&env, err, "-P", "0080"), FR_ARGS_OK);
	CHECK_INT(env.ports[0], 80);

	/* a namespace file gives its inode */
	if (!stat("/proc/self/ns/net", &st)) {
		CHECK_INT(PARSE(&env, err, "--netns", "/proc/self/ns/net"),
			  FR_ARGS_OK);
		CHECK_INT(env.netns, st.st_ino);
	}
	CHECK_INT(PARSE(&env, err, "--netns=4294967295"), FR_ARGS_OK);
	CHECK_INT(env.netns, 4294967295u);

	/* FR_MAX_PORTS distinct ports fit */
	{
		char *argv[2 * FR_MAX_PORTS + 2], args[FR_MAX_PORTS][8];
		char opt[] = "-P";

		argv[0] = opt;
		for (i = 0; i < FR_MAX_PORTS; i++) {
			snprintf(args[i], sizeof(args[i]), "%d", 1000 + i);
			argv[1 + 2 * i] = opt;
			argv[2 + 2 * i] = args[i];
		}
		argv[1 + 2 * FR_MAX_PORTS] = NULL;
		CHECK_INT(fr_parse_args(1 + 2 * FR_MAX_PORTS, argv, &env, err,
					sizeof(err)),
			  FR_ARGS_OK);
		CHECK_INT(env.nr_ports, FR_MAX_PORTS);
		CHECK_INT(env.ports[FR_MAX_PORTS - 1], 1000 + FR_MAX_PORTS - 1);
	}

	/* the smallest and largest ring buffers */
	{
		char min[24];

		snprintf(min, sizeof(min), "%ld",
			 4 * sysconf(_SC_PAGESIZE) / 1024);
		CHECK_INT(PARSE(&env, err, "--ringbuf-kb", min), FR_ARGS_OK);
		CHECK_INT(env.ringbuf_kb, atoi(min));
		CHECK_INT(PARSE(&env, err, "--ringbuf-kb=1048576"), FR_ARGS_OK);
		CHECK_INT(env.ringbuf_kb, 1048576);
	}
}

static void test_bad(void)
{
	char big[24], half[24];
	long min_kb = 4 * sysconf(_SC_PAGESIZE) / 1024;

	BAD("--port", "'70000'", "-P", "70000");
	BAD("--port", "'abc'", "-P", "abc");
	BAD("--port", "'0'", "-P", "0");
	BAD("--port", "''", "-P", "");
	BAD("--port", "'-1'", "-P", "-1");
	BAD("--port", "'+80'", "--port=+80");
	BAD("--port", "' 80'", "-P", " 80");
	BAD("--port", "'80 '", "-P", "80 ");
	BAD("--port", "'0x50'", "-P", "0x50");
	BAD("--port", "'99999999999999999999999'", "-P",
	    "99999999999999999999999");
	BAD("duplicate", "'80'", "-P", "80", "-P", "80");
	BAD("duplicate", "'443'", "-P", "443", "-P", "80", "--port=443");
	BAD("--port", "'1016'", "-P", "1000", "-P", "1001", "-P", "1002", "-P",
	    "1003", "-P", "1004", "-P", "1005", "-P", "1006", "-P", "1007",
	    "-P", "1008", "-P", "1009", "-P", "1010", "-P", "1011", "-P",
	    "1012", "-P", "1013", "-P", "1014", "-P", "1015", "-P", "1016");
	BAD("--port", "needs an argument", "-P");
	BAD("--port", "needs an argument", "--port");

	BAD("--pid", "'0'", "-p", "0");
	BAD("--pid", "'4194305'", "-p", "4194305");
	BAD("--pid", "'12a'", "--pid", "12a");
	BAD("--pid", "'-5'", "-p", "-5");

	BAD("--netns", "'/nonexistent'", "--netns", "/nonexistent");
	BAD("'/nonexistent'", "No such file or directory", "--netns",
	    "/nonexistent");
	BAD("--netns", "'0'", "--netns", "0");
	BAD("--netns", "'4294967296'", "--netns", "4294967296");
	BAD("--netns", "''", "--netns=");
	BAD("--netns", "needs an argument", "--netns");

	BAD("--duration", "'-1'", "-d", "-1");
	BAD("--duration", "'0'", "-d", "0");
	BAD("--duration", "'1x'", "-d", "1x");
	BAD("--duration", "'31536001'", "--duration", "31536001");
	BAD("--duration", "'1.5'", "-d", "1.5");
	BAD("--duration", "'18446744073709551616'", "-d",
	    "18446744073709551616");

	BAD("-4", "-6", "-4", "-6");
	BAD("-4", "-6", "-6", "-4");
	BAD("-4", "-6", "-46");

	BAD("--hooks", "'bogus'", "--hooks=bogus");
	BAD("--hooks", "'FENTRY'", "--hooks", "FENTRY");
	BAD("--hooks", "''", "--hooks=");
	BAD("--hooks", "needs an argument", "--hooks");

	BAD("--ringbuf-kb", "'100'", "--ringbuf-kb", "100");
	BAD("--ringbuf-kb", "'0'", "--ringbuf-kb", "0");
	snprintf(half, sizeof(half), "%ld", min_kb / 2);
	BAD("--ringbuf-kb", half, "--ringbuf-kb", half);
	snprintf(big, sizeof(big), "%d", 2 * FR_RINGBUF_KB_MAX);
	BAD("--ringbuf-kb", big, "--ringbuf-kb", big);

	BAD("unknown option", "'--bogus'", "--bogus");
	BAD("unknown option", "'--bogus'", "--bogus=1");
	BAD("'--h'", NULL, "--h"); /* ambiguous: --help, --hooks */
	BAD("unknown option", "'-x'", "-x");
	BAD("unknown option", "'-x'", "-jx");
	BAD("unknown option", "'-?'", "-?");
	BAD("--json", "takes no argument", "--json=1");
	BAD("--version", "takes no argument", "--version=2");

	BAD("--metrics port", "'999999'", "--metrics", "999999");
	BAD("--metrics port", "'abc'", "--metrics", "abc");
	BAD("--metrics port", "''", "--metrics", "127.0.0.1:");
	BAD("--metrics address", "'localhost'", "--metrics", "localhost:80");
	BAD("--metrics port", "''", "--metrics", "[::1]:");
	BAD("--metrics", "':80'", "--metrics", ":80");
	BAD("duplicate --metrics", "'81'", "--metrics", "80", "--metrics",
	    "81");
	BAD("--metrics", "needs an argument", "--metrics");
	BAD("--metrics-ports", "'0'", "--metrics", "80", "--metrics-ports",
	    "0");
	BAD("--metrics-ports", "''", "--metrics", "80", "--metrics-ports",
	    "80,,443");
	BAD("duplicate --metrics-ports", "'80'", "--metrics", "80",
	    "--metrics-ports", "80,443", "--metrics-ports", "80");
	BAD("--metrics-ports", "needs --metrics", "--metrics-ports", "80");
	BAD("--web-config", "needs --metrics", "--web-config", "w.yml");
	BAD("duplicate --web-config", "'b'", "--metrics", "1", "--web-config",
	    "a", "--web-config", "b");
	BAD("--web-config", "''", "--metrics", "1", "--web-config", "");
	BAD("--text", "needs --metrics", "--text");
	BAD("--text", "-j", "--metrics", "80", "--text", "-j");

	BAD("unexpected argument", "'stray'", "stray");
	BAD("unexpected argument", "'stray'", "-j", "stray", "-v");
	BAD("unexpected argument", "'-j'", "--", "-j");

	/* err stays one line without terminal escapes, whatever the bytes */
	BAD("--port", "'80?'", "-P", "80\n");
	BAD("--hooks", "'tr?[31m?'", "--hooks=tr\033[31m\177");
	BAD("unexpected argument", "'a?b'", "a\rb");
}

/* Run fr_parse_args() with stdout captured into out. */
static int parse_captured(char *out, size_t cap, const char *arg)
{
	struct env env;
	char err[256];
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	out[0] = '\0';
	if (!CHECK(tmp))
		return -1;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(tmp), STDOUT_FILENO);
	rc = parse(&env, err, sizeof(err), arg, NULL);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, cap - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return rc;
}

static void test_help_version(void)
{
	char out[8192];

	CHECK_INT(parse_captured(out, sizeof(out), "-h"), FR_ARGS_EXIT);
	CHECK(!strncmp(out, "Usage: finrst", 13));
	CHECK_CONTAINS(out, "--json");
	CHECK_CONTAINS(out, "--hooks");
	/* the exit message tells users to raise it: --help names it */
	CHECK_CONTAINS(out, "--ringbuf-kb KB");
	CHECK_INT(parse_captured(out, sizeof(out), "--help"), FR_ARGS_EXIT);
	CHECK(!strncmp(out, "Usage: finrst", 13));
	CHECK_INT(parse_captured(out, sizeof(out), "--version"), FR_ARGS_EXIT);
	CHECK_STR(out, "finrst " FINRST_VERSION "\n");
}

static void test_repeat_calls(void)
{
	struct env env;
	char err[256], tiny[12];

	/*
	 * An error in the middle of "-jx4" leaves getopt positioned inside
	 * that cluster: the next call must start afresh, not pick up "4".
	 */
	CHECK_INT(PARSE(&env, err, "-jx4"), FR_ARGS_BAD);
	CHECK_INT(PARSE(&env, err, "-v"), FR_ARGS_OK);
	CHECK(env.verbose);
	CHECK(!env.json);
	CHECK_INT(env.family, 0);

	/* env is reset on every call */
	CHECK_INT(PARSE(&env, err, "-j", "-P", "80"), FR_ARGS_OK);
	CHECK_INT(parse(&env, err, sizeof(err), NULL), FR_ARGS_OK);
	CHECK(!env.json);
	CHECK_INT(env.nr_ports, 0);

	/* err may be tiny or absent */
	CHECK_INT(PARSE(&env, tiny, "-P", "70000"), FR_ARGS_BAD);
	CHECK_INT(strlen(tiny), sizeof(tiny) - 1);
	CHECK_INT(parse(&env, NULL, 0, "-P", "70000", NULL), FR_ARGS_BAD);
	CHECK_INT(parse(&env, NULL, 0, "-j", NULL), FR_ARGS_OK);

	/* the caller's strings are left alone */
	{
		char a0[] = "finrst", a1[] = "-P", a2[] = "8080";
		char *argv[] = { a0, a1, a2, NULL };

		CHECK_INT(fr_parse_args(3, argv, &env, err, sizeof(err)),
			  FR_ARGS_OK);
		CHECK_STR(a2, "8080");
	}
}

int main(void)
{
	test_defaults();
	test_good();
	test_bad();
	test_help_version();
	test_repeat_calls();
	return check_exit("test_args");
}
