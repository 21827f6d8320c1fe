// SPDX-License-Identifier: GPL-2.0
/*
 * finrst-scenario [--hooks=MODE] [--finrst PATH] [--sockets-only]
 *                 SCENARIO [ipv4|ipv6]
 *
 * Exit status: 0 pass, 1 fail, 2 usage, 77 skip (not root, no IPv6, no
 * nftables for the scenarios that drop segments, or a --hooks backend that
 * this kernel cannot run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

#define ORACLE_TEARDOWNS 300
#define ORACLE_DEFAULT_SEED 20261121UL

bool verbose;
struct modes modes;

static char nstat_history[] = "/tmp/finrst-scenario-nstat.XXXXXX";

static void usage(FILE *to)
{
	fprintf(to,
		"usage: finrst-scenario [--hooks=MODE] [--finrst PATH] [--sockets-only] [-v]\n"
		"                       [--signature FILE] [--stack] [--rst-only] [--summary]\n"
		"                       [--cgroup] [--metrics] [--refuse PART]\n"
		"                       SCENARIO [ipv4|ipv6]\n"
		"       finrst-scenario --list\n"
		"MODE defaults to $FINRST_HOOKS, else tracepoint; PATH to $FINRST, else\n"
		"finrst from PATH. --sockets-only makes the teardowns and checks the\n"
		"kernel counters without finrst; -v prints every record. The oracle\n"
		"scenario mixes both families unless one is named; its seed comes\n"
		"from $FINRST_SEED. --signature appends to FILE one line per checked\n"
		"record with the fields every backend and kernel must agree on.\n"
		"--stack, --rst-only, --summary, --cgroup and --metrics run finrst with that\n"
		"option and check what it promises (scenario.h, struct modes);\n"
		"--refuse PART runs it with --test-refuse PART.\n");
}

static void skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(EXIT_SKIP);
}

static void rm_history(void)
{
	unlink(nstat_history);
}

static unsigned long oracle_seed(void)
{
	const char *s = getenv("FINRST_SEED");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return ORACLE_DEFAULT_SEED;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr,
			"finrst-scenario: FINRST_SEED: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

/* A seeded mix of the teardowns the oracle draws, in one run. */
static void oracle(struct run *r, struct pair *p, const int *fams, int nfam)
{
	const struct scenario *pick[32];
	int npick = 0, made[32] = { 0 };
	unsigned long seed = oracle_seed();

	for (const struct scenario *s = scenarios; s->name; s++)
		if (s->in_oracle)
			pick[npick++] = s;
	printf("  oracle: %d teardowns, seed %lu (set FINRST_SEED to repeat)\n",
	       ORACLE_TEARDOWNS, seed);
	srandom(seed);
	for (int i = 0; i < ORACLE_TEARDOWNS; i++) {
		int k = random() % npick;
		const struct scenario *s = pick[k];
		long span = s->oracle_hi - s->oracle_lo + 1;
		long param = s->oracle_lo + (span > 1 ? random() % span : 0);
		int family = fams[random() % nfam];

		s->body(r, p, family, param);
		made[k]++;
	}
	printf("  oracle mix:");
	for (int k = 0; k < npick; k++)
		printf(" %s=%d", pick[k]->name, made[k]);
	putchar('\n');
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hooks", required_argument, NULL, 'H' },
		{ "finrst", required_argument, NULL, 'f' },
		{ "sockets-only", no_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "signature", required_argument, NULL, 'S' },
		{ "stack", no_argument, NULL, 1 },
		{ "rst-only", no_argument, NULL, 2 },
		{ "summary", no_argument, NULL, 3 },
		{ "cgroup", no_argument, NULL, 4 },
		{ "refuse", required_argument, NULL, 5 },
		{ "metrics", no_argument, NULL, 6 },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *hooks = getenv("FINRST_HOOKS");
	const char *finrst = getenv("FINRST");
	const struct scenario *sc = NULL;
	bool sockets_only = false, is_oracle;
	int fams[2] = { AF_INET, AF_INET6 }, nfam = 2, status, fd, c;
	unsigned long long netns;
	char name[128];
	struct pair pair;
	struct run *r;

	if (!hooks || !*hooks)
		hooks = "tracepoint";
	if (!finrst || !*finrst)
		finrst = "finrst";
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			hooks = optarg;
			break;
		case 1:
			modes.stack = true;
			break;
		case 2:
			modes.rst_only = true;
			break;
		case 3:
			modes.summary = true;
			break;
		case 4:
			modes.cgroup = true;
			break;
		case 5:
			modes.refuse = optarg;
			break;
		case 6:
			modes.metrics = true;
			break;
		case 'f':
			finrst = optarg;
			break;
		case 's':
			sockets_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'S':
			signature_out = fopen(optarg, "a");
			if (!signature_out) {
				fprintf(stderr,
					"finrst-scenario: --signature %s: %s\n",
					optarg, strerror(errno));
				return 2;
			}
			setvbuf(signature_out, NULL, _IOLBF, 0);
			break;
		case 'l':
			scenario_list();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		usage(stderr);
		return 2;
	}
	is_oracle = !strcmp(argv[optind], "oracle");
	if (!is_oracle && !(sc = scenario_find(argv[optind]))) {
		fprintf(stderr,
			"finrst-scenario: unknown scenario: %s (see --list)\n",
			argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		if (!strcmp(argv[optind + 1], "ipv4")) {
			nfam = 1;
		} else if (!strcmp(argv[optind + 1], "ipv6")) {
			fams[0] = AF_INET6;
			nfam = 1;
		} else {
			fprintf(stderr,
				"finrst-scenario: family: expected ipv4 or ipv6, got %s\n",
				argv[optind + 1]);
			return 2;
		}
	} else if (!is_oracle) {
		nfam = 1;
	}
	snprintf(name, sizeof(name), "%s%s%s%s%s%s%s%s%s%s%s",
		 modes.stack ? "stack:" : "", modes.rst_only ? "rst-only:" : "",
		 modes.summary ? "summary:" : "", modes.cgroup ? "cgroup:" : "",
		 modes.metrics ? "metrics:" : "", modes.refuse ? "refuse=" : "",
		 modes.refuse ? modes.refuse : "", modes.refuse ? ":" : "",
		 argv[optind], optind + 1 < argc ? "/" : "",
		 optind + 1 < argc ? argv[optind + 1] : "");

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0)
		skip("needs root (a network namespace, BPF, nftables)");
	if (netns_enter(&netns))
		skip("cannot make a network namespace with lo up");
	if (!family_usable(fams[nfam - 1])) {
		if (nfam == 1)
			skip("IPv6 is not available in this kernel");
		nfam = 1;
	}
	if (sc && sc->needs_global_sysctls && !global_sysctls_allowed())
		skip("changes the host-wide net.ipv4.tcp_max_orphans: only with FINRST_GLOBAL_SYSCTLS=1, in a VM (tools/vmtest)");
	if (sc && sc->needs_nft && !nft_usable())
		skip("nft cannot make rules in a network namespace (nftables package, CONFIG_NF_TABLES)");
	/* nstat would otherwise keep its history in a shared /tmp file */
	fd = mkstemp(nstat_history);
	if (fd < 0)
		fatal("mkstemp: %s", strerror(errno));
	close(fd);
	atexit(rm_history);
	setenv("NSTAT_HISTORY", nstat_history, 1);

	printf("  %s: netns %llu, hooks %s\n", name, netns,
	       sockets_only ? "(finrst not run)" : hooks);
	r = run_begin(name, netns, sockets_only ? NULL : finrst, hooks,
		      &status);
	if (!r)
		return status;
	pair.cli = worker_start("fr-client");
	pair.srv = worker_start("fr-server");
	run_adopt(r, pair.cli);
	run_adopt(r, pair.srv);
	if (is_oracle)
		oracle(r, &pair, fams, nfam);
	else
		sc->body(r, &pair, fams[0], sc->param);
	return run_finish(r);
}
