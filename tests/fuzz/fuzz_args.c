// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_args.c - libFuzzer target: fr_parse_args() over any command line.
 *
 * Input: the arguments after "finrst", separated by NUL bytes (each one
 * malloc()ed to its exact size, so that AddressSanitizer sees a read past
 * its end).  "--netns PATH" stat()s whatever path comes: harmless.
 *
 * Properties: the result is FR_ARGS_OK, FR_ARGS_EXIT or FR_ARGS_BAD; OK
 * leaves a struct env that keeps the documented bounds; BAD leaves one
 * non-empty line in err ("finrst: ...", no control bytes), truncated safely
 * in a small err and not written at all with err == NULL; EXIT printed
 * exactly the usage or the version on stdout, and nothing else prints
 * anything.  Each input is parsed three times (big, small and no err
 * buffer), which also checks that fr_parse_args() can be called again and
 * again with the same result.
 *
 * stdout goes to a temporary file, read back after each call.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "fuzz_common.h"

#define MAX_ARGS 256
#define ERR_CAP 1024 /* main()'s */
#define ERR_SMALL 12
#define PID_MAX 4194304	      /* args.c: PID_MAX_LIMIT on 64-bit */
#define DURATION_MAX 31536000 /* args.c: one year */

static char *usage, *version;
static size_t usage_len, version_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *tmp = tmpfile(), *m;

	(void)argc;
	(void)argv;
	FUZZ_CHECK(tmp);
	fflush(stdout);
	FUZZ_CHECK(dup2(fileno(tmp), STDOUT_FILENO) == STDOUT_FILENO);

	m = open_memstream(&usage, &usage_len);
	FUZZ_CHECK(m);
	fr_usage(m);
	FUZZ_CHECK(!fclose(m));
	m = open_memstream(&version, &version_len);
	FUZZ_CHECK(m);
	fprintf(m, "finrst %s\n", FINRST_VERSION);
	FUZZ_CHECK(!fclose(m));
	return 0;
}

/* What the last call printed on stdout; empties it for the next. */
static size_t take_stdout(char *buf, size_t cap)
{
	ssize_t n;

	FUZZ_CHECK(!fflush(stdout));
	n = pread(STDOUT_FILENO, buf, cap, 0);
	FUZZ_CHECK(n >= 0 && (size_t)n < cap);
	rewind(stdout);
	FUZZ_CHECK(!ftruncate(STDOUT_FILENO, 0));
	return (size_t)n;
}

static int parse(int argc, char *const args[], char *err, size_t errlen,
		 struct env *env)
{
	char *argv[MAX_ARGS + 2];

	/* getopt_long() permutes argv: each call gets a fresh copy */
	memcpy(argv, args, sizeof(argv[0]) * (size_t)argc);
	argv[argc] = NULL;
	return fr_parse_args(argc, argv, env, err, errlen);
}

static void check_ports(const unsigned short *ports, int nr)
{
	int i, j;

	FUZZ_CHECK(nr >= 0 && nr <= FR_MAX_PORTS);
	for (i = 0; i < nr; i++) {
		FUZZ_CHECK(ports[i]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(ports[i] != ports[j]);
	}
}

static void check_env(const struct env *env)
{
	long page = sysconf(_SC_PAGESIZE);

	check_ports(env->ports, env->nr_ports);
	check_ports(env->metrics_ports, env->nr_metrics_ports);
	FUZZ_CHECK(env->family == 0 || env->family == AF_INET ||
		   env->family == AF_INET6);
	FUZZ_CHECK(env->hooks >= FR_HOOKS_AUTO &&
		   env->hooks <= FR_HOOKS_TRACEPOINT);
	FUZZ_CHECK(strcmp(fr_hooks_name(env->hooks), "unknown"));
	FUZZ_CHECK(env->duration_s <= DURATION_MAX);
	FUZZ_CHECK(env->pid <= PID_MAX);
	FUZZ_CHECK(env->ringbuf_kb <= FR_RINGBUF_KB_MAX);
	FUZZ_CHECK(env->ringbuf_kb >= 4 * (unsigned long)page / 1024);
	FUZZ_CHECK(!(env->ringbuf_kb & (env->ringbuf_kb - 1)));
	if (env->metrics) {
		FUZZ_CHECK(env->metrics_port);
		FUZZ_CHECK(env->metrics_family == AF_INET ||
			   env->metrics_family == AF_INET6);
	}
	FUZZ_CHECK(env->metrics || !env->nr_metrics_ports);
	FUZZ_CHECK(!env->text || (env->metrics && !env->json));
}

/* err after a call: one line for BAD, empty otherwise. */
static void check_err(int ret, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	FUZZ_CHECK(n < errlen);
	if (ret != FR_ARGS_BAD) {
		FUZZ_CHECK(n == 0);
		return;
	}
	FUZZ_CHECK(n == errlen - 1 || n > strlen("finrst: "));
	FUZZ_CHECK(!strncmp(err, "finrst: ", n < 8 ? n : 8));
	FUZZ_CHECK(fuzz_no_controls(err, n, 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS + 1], err[ERR_CAP], out[8192];
	char *small = malloc(ERR_SMALL);
	struct env env, env2;
	size_t i = 0, n, len;
	int argc = 0, ret, ret2;

	FUZZ_CHECK(small);
	args[argc++] = strdup("finrst");
	while (i < size && argc < MAX_ARGS) {
		const uint8_t *end = memchr(data + i, 0, size - i);

		len = end ? (size_t)(end - (data + i)) : size - i;
		args[argc] = malloc(len + 1);
		FUZZ_CHECK(args[argc]);
		memcpy(args[argc], data + i, len);
		args[argc][len] = '\0';
		argc++;
		i += len + 1;
	}

	ret = parse(argc, args, err, sizeof(err), &env);
	n = take_stdout(out, sizeof(out));
	FUZZ_CHECK(ret == FR_ARGS_OK || ret == FR_ARGS_EXIT ||
		   ret == FR_ARGS_BAD);
	check_err(ret, err, sizeof(err));
	if (ret == FR_ARGS_OK)
		check_env(&env);
	if (ret == FR_ARGS_EXIT)
		FUZZ_CHECK((n == usage_len && !memcmp(out, usage, n)) ||
			   (n == version_len && !memcmp(out, version, n)));
	else
		FUZZ_CHECK(n == 0);

	/* again, into a small err: the same result, err cut short */
	ret2 = parse(argc, args, small, ERR_SMALL, &env2);
	FUZZ_CHECK(take_stdout(out, sizeof(out)) == n);
	FUZZ_CHECK(ret2 == ret);
	check_err(ret2, small, ERR_SMALL);
	FUZZ_CHECK(!strncmp(small, err, strlen(small)));

	/* and with no err at all */
	ret2 = parse(argc, args, NULL, 0, &env2);
	FUZZ_CHECK(take_stdout(out, sizeof(out)) == n);
	FUZZ_CHECK(ret2 == ret);

	for (i = 0; i < (size_t)argc; i++)
		free(args[i]);
	free(small);
	return 0;
}
