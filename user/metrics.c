// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - SPEC §4. The BPF side counts teardowns per (service port, role,
 * outcome, cause) in a per-CPU hash, with the linger histogram and a few
 * counters beside it (bpf/finrst.bpf.c, account()). A scrape sums the CPUs
 * and writes the Prometheus text exposition format (version 0.0.4). The
 * label values are bounded in the kernel: svc_ports holds --metrics-ports
 * plus FR_METRICS_DYN_PORTS ports, every other port is "other".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "finrst.h"
#include "finrst.skel.h"
#include "format.h"
#include "metrics.h"
#include "sb.h"

#define PORT_LABEL_LEN 12

static void port_label(__u16 port, char out[PORT_LABEL_LEN])
{
	if (port)
		snprintf(out, PORT_LABEL_LEN, "%u", (unsigned)port);
	else
		snprintf(out, PORT_LABEL_LEN, "other");
}

struct entry {
	struct fr_mkey k;
	struct fr_mval v;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct fr_mkey *x = &((const struct entry *)a)->k;
	const struct fr_mkey *y = &((const struct entry *)b)->k;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	if (x->outcome != y->outcome)
		return x->outcome < y->outcome ? -1 : 1;
	return (x->cause > y->cause) - (x->cause < y->cause);
}

/* The per-CPU hash, summed over the CPUs, sorted. */
static struct entry *read_tstats(int fd, int ncpu, size_t *n)
{
	struct fr_mval *vals = calloc((size_t)ncpu, sizeof(*vals));
	struct entry *e = NULL, *tmp;
	struct fr_mkey key, next;
	size_t cap = 0;
	void *prev = NULL;

	*n = 0;
	if (!vals)
		return NULL;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue; /* deleted meanwhile: never, here */
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(e, cap * sizeof(*e));
			if (!tmp) {
				free(e);
				free(vals);
				*n = 0;
				return NULL;
			}
			e = tmp;
		}
		memset(&e[*n], 0, sizeof(e[*n]));
		e[*n].k = key;
		for (int c = 0; c < ncpu; c++) {
			e[*n].v.teardowns += vals[c].teardowns;
			e[*n].v.time_wait += vals[c].time_wait;
			e[*n].v.unread_discarded += vals[c].unread_discarded;
		}
		(*n)++;
	}
	free(vals);
	if (*n)
		qsort(e, *n, sizeof(*e), cmp_entry);
	return e;
}

static void render_teardowns(struct sb *b, const struct entry *e, size_t n)
{
	char port[PORT_LABEL_LEN];

	sb_printf(b, "# HELP finrst_teardowns_total TCP connection ends, by "
		     "outcome, cause, role and service port (local for a "
		     "server, remote for a client; \"other\" past the bound).\n"
		     "# TYPE finrst_teardowns_total counter\n");
	for (size_t i = 0; i < n; i++) {
		port_label(e[i].k.port, port);
		sb_printf(b,
			  "finrst_teardowns_total{outcome=\"%s\",cause=\"%s\","
			  "role=\"%s\",port=\"%s\"} %llu\n",
			  fr_outcome_name(e[i].k.outcome),
			  fr_cause_name(e[i].k.cause),
			  fr_role_name(e[i].k.role), port,
			  (unsigned long long)e[i].v.teardowns);
	}
}

/* By (role, port): the entries are sorted by port, then role. */
static void render_time_wait(struct sb *b, const struct entry *e, size_t n)
{
	char port[PORT_LABEL_LEN];

	sb_printf(b,
		  "# HELP finrst_time_wait_entered_total Sockets that handed "
		  "over to a TIME_WAIT socket, by role and service port.\n"
		  "# TYPE finrst_time_wait_entered_total counter\n");
	for (size_t i = 0; i < n;) {
		unsigned long long sum = 0;
		size_t j = i;

		while (j < n && e[j].k.port == e[i].k.port &&
		       e[j].k.role == e[i].k.role)
			sum += e[j++].v.time_wait;
		port_label(e[i].k.port, port);
		sb_printf(b,
			  "finrst_time_wait_entered_total{role=\"%s\","
			  "port=\"%s\"} %llu\n",
			  fr_role_name(e[i].k.role), port, sum);
		i = j;
	}
}

static void render_hist(struct sb *b, struct fr_loader *l)
{
	static const unsigned long long le[FR_HIST_BUCKETS] = FR_HIST_LE_NS;
	unsigned long long slot[FR_HIST_SLOTS], cum = 0;

	for (__u32 i = 0; i < FR_HIST_SLOTS; i++)
		slot[i] = fr_loader_percpu_sum(l->skel->maps.hist, i);
	sb_printf(b, "# HELP finrst_close_blocked_seconds How long close() "
		     "blocked in SO_LINGER.\n"
		     "# TYPE finrst_close_blocked_seconds histogram\n");
	for (int i = 0; i < FR_HIST_BUCKETS; i++) {
		cum += slot[i];
		sb_printf(b,
			  "finrst_close_blocked_seconds_bucket{le=\"%g\"} "
			  "%llu\n",
			  (double)le[i] / 1e9, cum);
	}
	cum += slot[FR_HIST_BUCKETS];
	sb_printf(b,
		  "finrst_close_blocked_seconds_bucket{le=\"+Inf\"} %llu\n"
		  "finrst_close_blocked_seconds_sum %.9f\n"
		  "finrst_close_blocked_seconds_count %llu\n",
		  cum, (double)slot[FR_HIST_SUM] / 1e9, cum);
}

int fr_metrics_render(struct fr_loader *l, struct sb *b)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long unread = 0;
	struct entry *e;
	size_t n;

	if (!l->skel || ncpu <= 0)
		return -EINVAL;
	e = read_tstats(bpf_map__fd(l->skel->maps.tstats), ncpu, &n);
	if (!e && n)
		return -ENOMEM;
	render_teardowns(b, e, n);
	render_time_wait(b, e, n);
	for (size_t i = 0; i < n; i++)
		unread += e[i].v.unread_discarded;
	free(e);

	sb_printf(b,
		  "# HELP finrst_rst_sent_no_socket_total RSTs sent in "
		  "answer to segments no socket took (closed port, "
		  "request socket).\n"
		  "# TYPE finrst_rst_sent_no_socket_total counter\n"
		  "finrst_rst_sent_no_socket_total %llu\n",
		  fr_loader_counter(l, FR_CNT_RST_NOSOCK));
	sb_printf(b,
		  "# HELP finrst_rst_sent_after_close_total RSTs sent by "
		  "TIME_WAIT sockets for data that arrived after the local "
		  "close.\n"
		  "# TYPE finrst_rst_sent_after_close_total counter\n"
		  "finrst_rst_sent_after_close_total %llu\n",
		  fr_loader_counter(l, FR_CNT_RST_AFTER_CLOSE));
	sb_printf(b,
		  "# HELP finrst_unread_bytes_discarded_total Received bytes "
		  "never read, thrown away by a close() that sent RST.\n"
		  "# TYPE finrst_unread_bytes_discarded_total counter\n"
		  "finrst_unread_bytes_discarded_total %llu\n",
		  unread);
	render_hist(b, l);
	sb_printf(b,
		  "# HELP finrst_events_lost_total Teardowns finrst could not "
		  "record or count (ring buffer full, socket map full, "
		  "metrics table full).\n"
		  "# TYPE finrst_events_lost_total counter\n"
		  "finrst_events_lost_total %llu\n",
		  fr_loader_lost(l) +
			  fr_loader_counter(l, FR_CNT_METRICS_FULL));
	sb_printf(b,
		  "# HELP finrst_build_info The running finrst: version and "
		  "the hook backend that attached.\n"
		  "# TYPE finrst_build_info gauge\n"
		  "finrst_build_info{version=\"%s\",hooks=\"%s\"} 1\n",
		  FINRST_VERSION, fr_hooks_name(l->hooks));
	return b->overflow ? -ENOMEM : 0;
}
