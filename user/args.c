// SPDX-License-Identifier: GPL-2.0
/*
 * args.c - the command line (SPEC §3).
 *
 * fr_parse_args() never prints (except the -h/--version output it was asked
 * for) and never exits: errors come back as one line in err, so main() owns
 * the exit status and the tests can call it again and again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getopt_long */
#endif
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "args.h"
#include "parts.h"

#define FR_PID_MAX 4194304	 /* PID_MAX_LIMIT on 64-bit */
#define FR_DURATION_MAX 31536000 /* one year */

enum {
	OPT_NETNS = 256,
	OPT_HOOKS,
	OPT_VERSION,
	OPT_RINGBUF_KB,
	OPT_METRICS,
	OPT_METRICS_PORTS,
	OPT_WEB_CONFIG,
	OPT_TEXT,
	OPT_RST_ONLY,
	OPT_SUMMARY,
	OPT_CGROUP,
	OPT_STACK,
	OPT_TEST_REFUSE,
	OPT_TEST_STALE,
	OPT_TEST_SWEEP,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pid", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, 'P' },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "duration", required_argument, NULL, 'd' },
	{ "hooks", required_argument, NULL, OPT_HOOKS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-ports", required_argument, NULL, OPT_METRICS_PORTS },
	{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
	{ "text", no_argument, NULL, OPT_TEXT },
	{ "rst-only", no_argument, NULL, OPT_RST_ONLY },
	{ "summary", optional_argument, NULL, OPT_SUMMARY },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "stack", no_argument, NULL, OPT_STACK },
	/* A small ring buffer also makes the loss path testable. */
	{ "ringbuf-kb", required_argument, NULL, OPT_RINGBUF_KB },
	/* Testing only: the degraded paths, on any kernel. */
	{ "test-refuse", required_argument, NULL, OPT_TEST_REFUSE },
	{ "test-stale-entries", no_argument, NULL, OPT_TEST_STALE },
	{ "test-sweep-every", required_argument, NULL, OPT_TEST_SWEEP },
	{ NULL, 0, NULL, 0 },
};

/* Leading ':': a missing argument returns ':' rather than '?'. */
static const char short_opts[] = ":jp:P:46d:vh";

static const struct env env_defaults = {
	.hooks = FR_HOOKS_AUTO,
	.ringbuf_kb = FR_RINGBUF_KB_DEFAULT,
	.sweep_s = FR_SWEEP_DEFAULT_S,
};

/* --hooks values, and the names the ready line prints. */
static const char *const hooks_names[] = {
	[FR_HOOKS_AUTO] = "auto",
	[FR_HOOKS_FENTRY] = "fentry",
	[FR_HOOKS_KPROBE] = "kprobe",
	[FR_HOOKS_TRACEPOINT] = "tracepoint",
};

const char *fr_hooks_name(enum fr_hooks h)
{
	if ((unsigned int)h >= sizeof(hooks_names) / sizeof(hooks_names[0]))
		return "unknown";
	return hooks_names[h];
}

void fr_usage(FILE *out)
{
	fprintf(out,
		"Usage: finrst [OPTIONS]\n"
		"Trace TCP connection teardowns and explain each one: FIN or "
		"RST, who\nstarted it, and why.\n"
		"\n"
		"  -j, --json              one JSON object per teardown, one "
		"per line\n"
		"  -p, --pid PID           only teardowns started by process "
		"PID\n"
		"  -P, --port PORT         only connections with PORT at "
		"either end\n"
		"                          (repeatable, up to %d ports)\n"
		"  -4                      only IPv4\n"
		"  -6                      only IPv6\n"
		"      --netns PATH|INODE  only this network namespace, e.g.\n"
		"                          /proc/PID/ns/net or "
		"/run/netns/NAME\n"
		"      --cgroup PATH       only sockets of this cgroup v2 "
		"directory and\n"
		"                          its descendants\n"
		"      --rst-only          only teardowns that did not end "
		"with FINs\n"
		"      --summary[=SECONDS] a table of teardowns by outcome, "
		"cause, port and\n"
		"                          command every SECONDS (default "
		"%d) and at exit,\n"
		"                          instead of records (with -j: "
		"besides them)\n"
		"      --stack             kernel and user stacks of the code "
		"that sent\n"
		"                          each RST\n"
		"  -d, --duration SECONDS  stop after SECONDS (default: until "
		"SIGINT/SIGTERM)\n"
		"      --hooks=KIND        auto (default), fentry, kprobe or "
		"tracepoint\n"
		"      --metrics [ADDR:]PORT  serve Prometheus metrics at "
		"/metrics (ADDR:\n"
		"                          127.0.0.1 by default, [::1] for "
		"IPv6); alone, no\n"
		"                          records are printed: add -j or "
		"--text for them\n"
		"      --metrics-ports PORT[,PORT...]  service ports that "
		"always get their\n"
		"                          own port label (besides the first "
		"%d listener\n"
		"                          ports seen; the rest are "
		"\"other\")\n"
		"      --web-config FILE   with --metrics, TLS and basic "
		"auth from FILE, a\n"
		"                          Prometheus exporter-toolkit web "
		"configuration\n"
		"      --text              with --metrics, also print text "
		"records\n"
		"      --ringbuf-kb KB     ring buffer size in KiB, a power "
		"of two (default\n"
		"                          %d): raise it when finrst says "
		"records were\n"
		"                          lost to a full ring buffer\n"
		"  -v, --verbose           say what was probed and chosen\n"
		"  -h, --help              print this help and exit\n"
		"      --version           print the version and exit\n"
		"\n"
		"Testing only (each makes finrst worse on purpose):\n"
		"      --test-refuse PART[,PART...]  treat these optional "
		"parts as refused\n"
		"                          by the kernel: reconciliation, "
		"stack,\n"
		"                          nosock-compat, io-uring\n"
		"      --test-stale-entries  leave each socket's map entry "
		"behind when it\n"
		"                          is destroyed, as if the kernel "
		"ran no program\n"
		"      --test-sweep-every SECONDS  sweep the socket map that "
		"often\n"
		"                          (default %d)\n"
		"\n"
		"Examples:\n"
		"  finrst                  every teardown, explained\n"
		"  finrst -j -P 443        JSON records for port 443\n"
		"  finrst --netns /run/netns/blue -d 60\n"
		"  finrst --rst-only --stack   who sends resets, and from "
		"where\n"
		"\n"
		"Needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN.\n",
		FR_MAX_PORTS, FR_SUMMARY_DEFAULT_S, FR_METRICS_DYN_PORTS,
		FR_RINGBUF_KB_DEFAULT, FR_SWEEP_DEFAULT_S);
}

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t errlen,
						     const char *fmt, ...)
{
	char msg[256], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The arguments quoted in msg may hold any byte: keep it one line,
	 * with no terminal escapes. */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (err && errlen)
		snprintf(err, errlen, "finrst: %s", msg);
	return FR_ARGS_BAD;
}

/* "--port" for 'P': the long name where there is one, else "-4". */
static const char *opt_name(int val, char buf[32])
{
	const struct option *o;

	for (o = long_opts; o->name; o++) {
		if (o->val == val) {
			snprintf(buf, 32, "--%s", o->name);
			return buf;
		}
	}
	snprintf(buf, 32, "-%c", val);
	return buf;
}

/*
 * A decimal number in [min, max]: strtoul() alone would accept leading
 * blanks, a sign (negating the value) and trailing junk.
 */
static bool parse_ulong(const char *s, unsigned long min, unsigned long max,
			unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* One port into a list of at most FR_MAX_PORTS, no duplicates. */
static int add_port(const char *arg, const char *name, unsigned short *ports,
		    int *nr, char *err, size_t errlen)
{
	unsigned long v;
	int i;

	if (!parse_ulong(arg, 1, 65535, &v))
		return bad(err, errlen, "invalid %s '%s': must be 1..65535",
			   name, arg);
	for (i = 0; i < *nr; i++)
		if (ports[i] == v)
			return bad(err, errlen, "duplicate %s '%s'", name, arg);
	if (*nr >= FR_MAX_PORTS)
		return bad(err, errlen, "invalid %s '%s': at most %d ports",
			   name, arg, FR_MAX_PORTS);
	ports[(*nr)++] = (unsigned short)v;
	return FR_ARGS_OK;
}

static int parse_port(const char *arg, const char *name, struct env *env,
		      char *err, size_t errlen)
{
	return add_port(arg, name, env->ports, &env->nr_ports, err, errlen);
}

/* --metrics-ports 80,443 (and repeatable) */
static int parse_metrics_ports(const char *arg, struct env *env, char *err,
			       size_t errlen)
{
	char one[16];
	size_t n;
	int ret;

	for (;;) {
		n = strcspn(arg, ",");
		if (n >= sizeof(one))
			return bad(err, errlen,
				   "invalid --metrics-ports '%.*s': must be "
				   "1..65535",
				   (int)n, arg);
		memcpy(one, arg, n);
		one[n] = '\0';
		ret = add_port(one, "--metrics-ports", env->metrics_ports,
			       &env->nr_metrics_ports, err, errlen);
		if (ret)
			return ret;
		if (!arg[n])
			return FR_ARGS_OK;
		arg += n + 1;
	}
}

/* --metrics PORT, ADDR:PORT or [ADDR6]:PORT; ADDR is a numeric address. */
static int parse_metrics(const char *arg, struct env *env, char *err,
			 size_t errlen)
{
	const char *colon, *port = arg;
	char host[INET6_ADDRSTRLEN + 2];
	unsigned long v;
	size_t n;

	env->metrics = true;
	env->metrics_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", env->metrics_addr);
	colon = strrchr(arg, ':');
	if (colon) {
		n = (size_t)(colon - arg);
		if (n >= 2 && arg[0] == '[' && arg[n - 1] == ']') {
			arg++;
			n -= 2;
		}
		if (!n || n >= sizeof(host))
			return bad(err, errlen,
				   "invalid --metrics '%s': expected "
				   "[ADDR:]PORT",
				   arg);
		memcpy(host, arg, n);
		host[n] = '\0';
		if (inet_pton(AF_INET, host, env->metrics_addr) == 1) {
			env->metrics_family = AF_INET;
		} else if (inet_pton(AF_INET6, host, env->metrics_addr) == 1) {
			env->metrics_family = AF_INET6;
		} else {
			return bad(err, errlen,
				   "invalid --metrics address '%s': not a "
				   "numeric IPv4 or IPv6 address",
				   host);
		}
		port = colon + 1;
	}
	if (!parse_ulong(port, 1, 65535, &v))
		return bad(err, errlen,
			   "invalid --metrics port '%s': must be 1..65535",
			   port);
	env->metrics_port = (unsigned short)v;
	return FR_ARGS_OK;
}

/* An inode number, or a path to an nsfs file such as /proc/PID/ns/net. */
static int parse_netns(const char *arg, struct env *env, char *err,
		       size_t errlen)
{
	unsigned long v;
	struct stat st;

	if (all_digits(arg)) {
		if (!parse_ulong(arg, 1, UINT32_MAX, &v))
			return bad(err, errlen,
				   "invalid --netns '%s': inode must be "
				   "1..%lu",
				   arg, (unsigned long)UINT32_MAX);
		env->netns = (unsigned int)v;
		return FR_ARGS_OK;
	}
	if (stat(arg, &st))
		return bad(err, errlen, "invalid --netns '%s': %s", arg,
			   strerror(errno));
	/* Namespace inodes are 32-bit proc inums (ns_alloc_inum()). */
	if (!st.st_ino || (unsigned long long)st.st_ino > UINT32_MAX)
		return bad(err, errlen,
			   "invalid --netns '%s': inode %llu is not a "
			   "namespace inode",
			   arg, (unsigned long long)st.st_ino);
	env->netns = (unsigned int)st.st_ino;
	return FR_ARGS_OK;
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* A cgroup v2 directory: its id is its inode number (kernfs_ino(), 64-bit
 * kernels), the same number bpf_get_current_cgroup_id() and kn->id give. */
static int parse_cgroup(const char *arg, struct env *env, char *err,
			size_t errlen)
{
	struct statfs fs;
	struct stat st;

	if (env->cgroup_id)
		return bad(err, errlen, "duplicate --cgroup '%s'", arg);
	if (statfs(arg, &fs) || stat(arg, &st))
		return bad(err, errlen, "invalid --cgroup '%s': %s", arg,
			   strerror(errno));
	if (fs.f_type != CGROUP2_SUPER_MAGIC || !S_ISDIR(st.st_mode))
		return bad(err, errlen,
			   "invalid --cgroup '%s': not a cgroup v2 directory "
			   "(see /proc/self/cgroup and the cgroup2 mount in "
			   "/proc/mounts)",
			   arg);
	env->cgroup_id = (unsigned long long)st.st_ino;
	return FR_ARGS_OK;
}

/* --summary, or --summary=SECONDS: the only optional argument (arg may
 * be NULL) */
static int parse_summary(const char *arg, struct env *env, char *err,
			 size_t errlen)
{
	unsigned long v = FR_SUMMARY_DEFAULT_S;

	if (env->summary_s)
		return bad(err, errlen, "duplicate --summary");
	if (arg && !parse_ulong(arg, 1, FR_DURATION_MAX, &v))
		return bad(err, errlen,
			   "invalid --summary '%s': must be 1..%d seconds", arg,
			   FR_DURATION_MAX);
	env->summary_s = v;
	return FR_ARGS_OK;
}

static int parse_hooks(const char *arg, struct env *env, char *err,
		       size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(hooks_names) / sizeof(hooks_names[0]); i++) {
		if (!strcmp(arg, hooks_names[i])) {
			env->hooks = (enum fr_hooks)i;
			return FR_ARGS_OK;
		}
	}
	return bad(err, errlen,
		   "invalid --hooks '%s': must be auto, fentry, kprobe or "
		   "tracepoint",
		   arg);
}

/* BPF_MAP_TYPE_RINGBUF: a power of two, a multiple of the page size. */
static int parse_ringbuf_kb(const char *arg, struct env *env, char *err,
			    size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long v, min_kb;

	if (page <= 0)
		page = 4096;
	/* libbpf-tools use >= 4 pages; power of two implies page multiple. */
	min_kb = 4 * (unsigned long)page / 1024;
	if (!parse_ulong(arg, min_kb, FR_RINGBUF_KB_MAX, &v) || (v & (v - 1)))
		return bad(err, errlen,
			   "invalid --ringbuf-kb '%s': must be a power of two "
			   "from %lu to %d",
			   arg, min_kb, FR_RINGBUF_KB_MAX);
	env->ringbuf_kb = (unsigned int)v;
	return FR_ARGS_OK;
}

/* --test-refuse PART[,PART...] */
static int parse_test_refuse(const char *arg, struct env *env, char *err,
			     size_t errlen)
{
	const char *p = arg;

	for (;;) {
		size_t n = strcspn(p, ",");
		int part = fr_part_by_name(p, n);

		if (part <= FR_PART_CORE)
			return bad(err, errlen,
				   "invalid --test-refuse '%s': parts are "
				   "reconciliation, stack, nosock-compat "
				   "and io-uring",
				   arg);
		env->test_refuse |= 1u << part;
		if (!p[n])
			return FR_ARGS_OK;
		p += n + 1;
	}
}

int fr_parse_args(int argc, char **argv, struct env *env, char *err,
		  size_t errlen)
{
	unsigned long v;
	char sbuf[32];
	const char *name;
	int c, ret;

	*env = env_defaults;
	if (err && errlen)
		err[0] = '\0';
	/*
	 * optind = 0, not 1: glibc (and musl) then also forget a half-parsed
	 * "-abc" cluster left over from an earlier call that stopped on an
	 * error.  Errors are ours to report, so getopt must stay quiet.
	 */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) !=
	       -1) {
		ret = FR_ARGS_OK;
		switch (c) {
		case 'j':
			env->json = true;
			break;
		case 'v':
			env->verbose = true;
			break;
		case 'p':
			if (!parse_ulong(optarg, 1, FR_PID_MAX, &v))
				return bad(err, errlen,
					   "invalid --pid '%s': must be "
					   "1..%d",
					   optarg, FR_PID_MAX);
			env->pid = (unsigned int)v;
			break;
		case 'P':
			ret = parse_port(optarg, opt_name(c, sbuf), env, err,
					 errlen);
			break;
		case '4':
		case '6':
			if (env->family &&
			    env->family != (c == '4' ? AF_INET : AF_INET6))
				return bad(err, errlen,
					   "-4 and -6 cannot be used together");
			env->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case OPT_NETNS:
			ret = parse_netns(optarg, env, err, errlen);
			break;
		case 'd':
			if (!parse_ulong(optarg, 1, FR_DURATION_MAX, &v))
				return bad(err, errlen,
					   "invalid --duration '%s': must be "
					   "1..%d seconds",
					   optarg, FR_DURATION_MAX);
			env->duration_s = v;
			break;
		case OPT_HOOKS:
			ret = parse_hooks(optarg, env, err, errlen);
			break;
		case OPT_RINGBUF_KB:
			ret = parse_ringbuf_kb(optarg, env, err, errlen);
			break;
		case OPT_METRICS:
			if (env->metrics)
				return bad(err, errlen,
					   "duplicate --metrics '%s'", optarg);
			ret = parse_metrics(optarg, env, err, errlen);
			break;
		case OPT_METRICS_PORTS:
			ret = parse_metrics_ports(optarg, env, err, errlen);
			break;
		case OPT_WEB_CONFIG:
			if (env->web_config)
				return bad(err, errlen,
					   "duplicate --web-config '%s'",
					   optarg);
			if (!*optarg)
				return bad(err, errlen,
					   "invalid --web-config '': needs a "
					   "file");
			env->web_config = optarg;
			break;
		case OPT_TEXT:
			env->text = true;
			break;
		case OPT_RST_ONLY:
			env->rst_only = true;
			break;
		case OPT_STACK:
			env->stack = true;
			break;
		case OPT_CGROUP:
			ret = parse_cgroup(optarg, env, err, errlen);
			break;
		case OPT_SUMMARY:
			ret = parse_summary(optarg, env, err, errlen);
			break;
		case OPT_TEST_REFUSE:
			ret = parse_test_refuse(optarg, env, err, errlen);
			break;
		case OPT_TEST_STALE:
			env->test_stale_entries = true;
			break;
		case OPT_TEST_SWEEP:
			if (!parse_ulong(optarg, 1, FR_DURATION_MAX, &v))
				return bad(err, errlen,
					   "invalid --test-sweep-every '%s': "
					   "must be 1..%d seconds",
					   optarg, FR_DURATION_MAX);
			env->sweep_s = v;
			break;
		case 'h':
			fr_usage(stdout);
			return FR_ARGS_EXIT;
		case OPT_VERSION:
			printf("finrst %s\n", FINRST_VERSION);
			return FR_ARGS_EXIT;
		case ':':
			return bad(err, errlen, "option %s needs an argument",
				   opt_name(optopt, sbuf));
		case '?':
		default:
			/*
			 * optopt is 0 for an unknown or ambiguous long option
			 * (getopt_long has stepped past it), one of ours for
			 * "--json=x", else the unknown short option.
			 */
			if (!optopt) {
				name = argv[optind - 1];
				return bad(err, errlen, "unknown option '%.*s'",
					   (int)strcspn(name, "="), name);
			}
			if (optopt >= 256 ||
			    (optopt != ':' && strchr(short_opts + 1, optopt)))
				return bad(err, errlen,
					   "option %s takes no argument",
					   opt_name(optopt, sbuf));
			return bad(err, errlen, "unknown option '-%c'", optopt);
		}
		if (ret != FR_ARGS_OK)
			return ret;
	}
	if (optind < argc)
		return bad(err, errlen, "unexpected argument '%s'",
			   argv[optind]);
	if (env->text && !env->metrics)
		return bad(err, errlen,
			   "--text needs --metrics (text is the default "
			   "output otherwise)");
	if (env->text && env->json)
		return bad(err, errlen,
			   "--text and -j cannot be used together");
	if (env->nr_metrics_ports && !env->metrics)
		return bad(err, errlen, "--metrics-ports needs --metrics");
	if (env->web_config && !env->metrics)
		return bad(err, errlen,
			   "--web-config needs --metrics (it configures the "
			   "metrics endpoint)");
	if (env->summary_s && env->text)
		return bad(err, errlen,
			   "--summary and --text cannot be used together "
			   "(--summary prints its table instead of text "
			   "records)");
	return FR_ARGS_OK;
}
