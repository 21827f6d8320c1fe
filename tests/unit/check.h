/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the unit tests' assertions: no framework, one line per failed
 * check on stderr, and check_exit() turns failures into a non-zero status.
 */
#ifndef FR_CHECK_H
#define FR_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int check_nr, check_nr_failed;

__attribute__((format(printf, 4, 5))) static inline bool
check_report(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	check_nr++;
	if (ok)
		return true;
	check_nr_failed++;
	fprintf(stderr, "%s:%d: FAIL: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

/* Print s with non-printable bytes escaped, for failure messages. */
static inline void check_print_escaped(FILE *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", out);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

static inline bool check_str(const char *got, const char *want,
			     const char *file, int line, const char *expr)
{
	bool ok = got && want && !strcmp(got, want);

	check_nr++;
	if (ok)
		return true;
	check_nr_failed++;
	fprintf(stderr, "%s:%d: FAIL: %s\n  got:  ", file, line, expr);
	if (got)
		check_print_escaped(stderr, got, strlen(got));
	else
		fputs("(null)", stderr);
	fputs("\n  want: ", stderr);
	if (want)
		check_print_escaped(stderr, want, strlen(want));
	else
		fputs("(null)", stderr);
	fputc('\n', stderr);
	return false;
}

static inline bool check_int(long long got, long long want, const char *file,
			     int line, const char *expr)
{
	return check_report(got == want, file, line, "%s: got %lld, want %lld",
			    expr, got, want);
}

static inline bool check_contains(const char *hay, const char *needle,
				  const char *file, int line, const char *expr)
{
	return check_report(hay && strstr(hay, needle), file, line,
			    "%s contains \"%s\": got \"%s\"", expr, needle,
			    hay ? hay : "(null)");
}

/* Each evaluates to true if the check passed, for "if (!CHECK(...)) ..." */
#define CHECK(cond) check_report(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) \
	check_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_STR(got, want) \
	check_str((got), (want), __FILE__, __LINE__, #got " == " #want)
#define CHECK_INT(got, want)                                               \
	check_int((long long)(got), (long long)(want), __FILE__, __LINE__, \
		  #got " == " #want)
#define CHECK_CONTAINS(hay, needle) \
	check_contains((hay), (needle), __FILE__, __LINE__, #hay)

/* Summary line; the test's exit status. */
static inline int check_exit(const char *name)
{
	fprintf(check_nr_failed ? stderr : stdout, "%s: %d checks, %d failed\n",
		name, check_nr, check_nr_failed);
	return check_nr_failed ? 1 : 0;
}

#endif /* FR_CHECK_H */
