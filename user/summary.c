// SPDX-License-Identifier: GPL-2.0
/*
 * summary.c - --summary: counts kept in userspace from the records (the
 * command is not a metrics label, so the kernel's counters cannot give it).
 * Memory is bounded: one counter per port, FR_SUMMARY_COMMS commands.
 */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json.h"
#include "sb.h"
#include "summary.h"

#define NPORTS 65536

struct comm_count {
	char comm[FR_COMM_LEN];
	unsigned long long count;
	bool used;
};

struct fr_summary {
	unsigned long long by_cause[FR_OUT__MAX][FR_CAUSE__MAX];
	unsigned long long rsts[FR_CAUSE__MAX]; /* RST records, by cause */
	unsigned long long nrsts;
	unsigned long long teardowns;
	unsigned long long last_records; /* at the last format */
	unsigned long long *ports;	 /* NPORTS */
	struct comm_count comms[FR_SUMMARY_COMMS];
	size_t ncomms;
	unsigned long long comm_other;
	/* scratch for sorting, sized for the larger table */
	struct row {
		unsigned long long count;
		unsigned int key; /* port, or comms index */
	} rows[NPORTS];
};

struct fr_summary *fr_summary_new(void)
{
	struct fr_summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ports = calloc(NPORTS, sizeof(*s->ports));
	if (!s->ports) {
		free(s);
		return NULL;
	}
	return s;
}

void fr_summary_free(struct fr_summary *s)
{
	if (!s)
		return;
	free(s->ports);
	free(s);
}

/* FNV-1a over the comm, up to its NUL */
static size_t comm_hash(const char *c)
{
	unsigned int h = 2166136261u;

	for (size_t i = 0; i < FR_COMM_LEN && c[i]; i++)
		h = (h ^ (unsigned char)c[i]) * 16777619u;
	return h % FR_SUMMARY_COMMS;
}

static void count_comm(struct fr_summary *s, const char *comm)
{
	size_t i = comm_hash(comm);

	for (size_t n = 0; n < FR_SUMMARY_COMMS; n++) {
		struct comm_count *c = &s->comms[(i + n) % FR_SUMMARY_COMMS];

		if (!c->used) {
			/* keep a quarter free: probes stay short */
			if (s->ncomms >= FR_SUMMARY_COMMS * 3 / 4)
				break;
			c->used = true;
			memcpy(c->comm, comm, FR_COMM_LEN);
			s->ncomms++;
		}
		if (!strncmp(c->comm, comm, FR_COMM_LEN)) {
			c->count++;
			return;
		}
	}
	s->comm_other++;
}

void fr_summary_add(struct fr_summary *s, const struct fr_record *r)
{
	char comm[FR_COMM_LEN] = { 0 };

	if (r->type == FR_REC_RST && r->cause < FR_CAUSE__MAX) {
		s->rsts[r->cause]++;
		s->nrsts++;
		strncpy(comm, r->comm, FR_COMM_LEN);
	} else if (r->type == FR_REC_TEARDOWN && r->outcome < FR_OUT__MAX &&
		   r->cause < FR_CAUSE__MAX) {
		s->teardowns++;
		s->by_cause[r->outcome][r->cause]++;
		strncpy(comm, r->comm, FR_COMM_LEN);
	} else {
		return;
	}
	s->ports[fr_service_port(r) % NPORTS]++;
	count_comm(s, comm);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The rows of the port (comm = false) or command table, largest first;
 * returns how many, *other gets the sum of those past FR_SUMMARY_TOP. */
static size_t top_rows(struct fr_summary *s, bool comm,
		       unsigned long long *other)
{
	size_t n = 0;

	if (comm) {
		for (size_t i = 0; i < FR_SUMMARY_COMMS; i++)
			if (s->comms[i].used && s->comms[i].count)
				s->rows[n++] = (struct row){ s->comms[i].count,
							     (unsigned int)i };
		*other = s->comm_other;
	} else {
		for (size_t i = 0; i < NPORTS; i++)
			if (s->ports[i])
				s->rows[n++] = (struct row){ s->ports[i],
							     (unsigned int)i };
		*other = 0;
	}
	qsort(s->rows, n, sizeof(s->rows[0]), row_cmp);
	for (size_t i = FR_SUMMARY_TOP; i < n; i++)
		*other += s->rows[i].count;
	return n < FR_SUMMARY_TOP ? n : FR_SUMMARY_TOP;
}

/* A row of the cause table: teardowns, and RST records of that cause
 * (no_socket, or data_after_close from a TIME_WAIT socket) */
static unsigned long long cause_count(const struct fr_summary *s,
				      unsigned int o, unsigned int c)
{
	return s->by_cause[o][c] + (o == FR_OUT_RST_SENT ? s->rsts[c] : 0);
}

static unsigned long long outcome_total(const struct fr_summary *s,
					unsigned int o)
{
	unsigned long long t = 0;

	for (unsigned int c = 0; c < FR_CAUSE__MAX; c++)
		t += s->by_cause[o][c];
	return t;
}

static size_t format_json(struct fr_summary *s,
			  const struct fr_summary_info *info, char *buf,
			  size_t cap)
{
	unsigned long long other;
	char time[96];
	struct jw w;
	size_t n;

	fr_time_utc(info->now_ns, time, sizeof(time));
	jw_init(&w, buf, cap);
	jw_start_object(&w);
	jw_lit_string(&w, "event", "summary");
	jw_lit_string(&w, "time", time);
	jw_lit_bool(&w, "final", info->final);
	jw_lit_uint(&w, "elapsed_s", info->elapsed_s);
	jw_lit_uint(&w, "records", s->teardowns + s->nrsts);
	jw_lit_uint(&w, "teardowns", s->teardowns);
	jw_lit_uint(&w, "rst_no_socket", s->rsts[FR_CAUSE_NO_SOCKET]);
	jw_lit_uint(&w, "rst_after_close", s->rsts[FR_CAUSE_DATA_AFTER_CLOSE]);
	jw_lit_uint(&w, "lost", info->lost);
	jw_key(&w, "by_outcome");
	jw_start_object(&w);
	for (unsigned int o = 0; o < FR_OUT__MAX; o++) {
		jw_name(&w, fr_outcome_name(o));
		jw_uint(&w, outcome_total(s, o));
	}
	jw_end_object(&w);

	jw_key(&w, "by_cause");
	jw_start_array(&w);
	for (unsigned int o = 0; o < FR_OUT__MAX; o++) {
		for (unsigned int c = 0; c < FR_CAUSE__MAX; c++) {
			if (!cause_count(s, o, c))
				continue;
			jw_start_object(&w);
			jw_lit_string(&w, "outcome", fr_outcome_name(o));
			jw_lit_string(&w, "cause", fr_cause_name(c));
			jw_lit_uint(&w, "count", cause_count(s, o, c));
			jw_end_object(&w);
		}
	}
	jw_end_array(&w);

	n = top_rows(s, false, &other);
	jw_key(&w, "by_port");
	jw_start_array(&w);
	for (size_t i = 0; i < n; i++) {
		jw_start_object(&w);
		jw_lit_uint(&w, "port", s->rows[i].key);
		jw_lit_uint(&w, "count", s->rows[i].count);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_lit_uint(&w, "by_port_other", other);

	n = top_rows(s, true, &other);
	jw_key(&w, "by_comm");
	jw_start_array(&w);
	for (size_t i = 0; i < n; i++) {
		const char *c = s->comms[s->rows[i].key].comm;

		jw_start_object(&w);
		jw_key(&w, "comm");
		jw_string_n(&w, c, strnlen(c, FR_COMM_LEN));
		jw_lit_uint(&w, "count", s->rows[i].count);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_lit_uint(&w, "by_comm_other", other);
	jw_end_object(&w);
	if (w.sb.overflow || w.sb.len + 1 >= cap) {
		if (cap)
			buf[0] = '\0';
		return 0;
	}
	buf[w.sb.len++] = '\n';
	buf[w.sb.len] = '\0';
	return w.sb.len;
}

static size_t format_text(struct fr_summary *s,
			  const struct fr_summary_info *info, char *buf,
			  size_t cap)
{
	unsigned long long other, records = s->teardowns + s->nrsts;
	char time[96], comm[FR_COMM_LEN + 1];
	struct sb b;
	size_t n;

	fr_time_local(info->now_ns, time, sizeof(time));
	sb_init(&b, buf, cap);
	sb_printf(&b, "\n%s summary at %s, %llu s since start\n",
		  info->final ? "Final" : "Periodic", time, info->elapsed_s);
	sb_printf(&b, "  %-14s %-20s %12s\n", "OUTCOME", "CAUSE", "COUNT");
	for (unsigned int o = 0; o < FR_OUT__MAX; o++)
		for (unsigned int c = 0; c < FR_CAUSE__MAX; c++)
			if (cause_count(s, o, c))
				sb_printf(&b, "  %-14s %-20s %12llu\n",
					  fr_outcome_name(o), fr_cause_name(c),
					  cause_count(s, o, c));

	n = top_rows(s, false, &other);
	sb_printf(&b, "  %-35s %12s\n", "SERVICE PORT", "COUNT");
	for (size_t i = 0; i < n; i++)
		sb_printf(&b, "  %-35u %12llu\n", s->rows[i].key,
			  s->rows[i].count);
	if (other)
		sb_printf(&b, "  %-35s %12llu\n", "other", other);

	n = top_rows(s, true, &other);
	sb_printf(&b, "  %-35s %12s\n", "COMMAND", "COUNT");
	for (size_t i = 0; i < n; i++) {
		fr_safe_comm(s->comms[s->rows[i].key].comm, comm);
		sb_printf(&b, "  %-35s %12llu\n", comm[0] ? comm : "-",
			  s->rows[i].count);
	}
	if (other)
		sb_printf(&b, "  %-35s %12llu\n", "other", other);

	sb_printf(&b,
		  "  TOTAL %llu records (+%llu since the last summary): "
		  "%llu teardowns (",
		  records, records - s->last_records, s->teardowns);
	for (unsigned int o = 0; o < FR_OUT__MAX; o++)
		sb_printf(&b, "%s%s %llu", o ? ", " : "", fr_outcome_name(o),
			  outcome_total(s, o));
	sb_printf(&b,
		  "), %llu RSTs without a socket, %llu from TIME_WAIT "
		  "sockets; %llu lost\n",
		  s->rsts[FR_CAUSE_NO_SOCKET],
		  s->rsts[FR_CAUSE_DATA_AFTER_CLOSE], info->lost);
	return sb_finish(&b);
}

size_t fr_summary_format(struct fr_summary *s, bool json,
			 const struct fr_summary_info *info, char *buf,
			 size_t cap)
{
	size_t n = json ? format_json(s, info, buf, cap) :
			  format_text(s, info, buf, cap);

	if (n)
		s->last_records = s->teardowns + s->nrsts;
	return n;
}
