/* Prometheus metrics: the families table, series, histograms, exposition. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/errors.h"
#include "gateway/metrics.h"
#include "policy/endpoint.h"
#include "policy/pii.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

enum family_type { FT_COUNTER, FT_GAUGE, FT_HISTOGRAM };

struct family {
	const char *name;
	int type;		/* enum family_type */
	const char *help;
	unsigned char labels[3];	/* enum metrics_label; ML_NONE ends */
	int micro;		/* counted in millionths, written in units */
};

/*
 * The one table of families. Names follow Prometheus' conventions: base
 * units (seconds, bytes), _total for counters, no type in the name.
 */
static const struct family families[MF__COUNT] = {
	[MF_REQUESTS] = { "eugate_requests_total", FT_COUNTER,
	    "Client API requests received (request heads parsed).", { 0 }, 0 },
	[MF_RESPONSES] = { "eugate_responses_total", FT_COUNTER,
	    "Client API answers, by status class.", { ML_CLASS }, 0 },
	[MF_REQUEST_DURATION] = { "eugate_request_duration_seconds",
	    FT_HISTOGRAM, "Time from a request's head to its last byte, by "
	    "route (the operation's path template) and status class.",
	    { ML_ROUTE, ML_CLASS }, 0 },
	[MF_FIRST_BYTE] = { "eugate_upstream_first_byte_seconds",
	    FT_HISTOGRAM, "Time from the start of an upstream attempt to its "
	    "response head, by upstream.", { ML_UPSTREAM }, 0 },
	[MF_TOKENS] = { "eugate_tokens_total", FT_COUNTER, "Tokens of "
	    "answered requests, by team, model and direction (input: "
	    "prompt, output: completion).", { ML_TEAM, ML_MODEL,
	    ML_DIRECTION }, 0 },
	[MF_SPEND] = { "eugate_spend_total", FT_COUNTER, "Money charged to "
	    "requests, in units of the currency, by team and currency.",
	    { ML_TEAM, ML_CURRENCY }, 1 },
	[MF_BUDGET_USED] = { "eugate_budget_used_ratio", FT_GAUGE, "Share of "
	    "the team's budget used in its current period (spent and "
	    "reserved), as of the team's last request.", { ML_TEAM }, 0 },
	[MF_PII] = { "eugate_pii_detections_total", FT_COUNTER, "Personal "
	    "data found in requests, by entity type and the action the "
	    "policy took.", { ML_PII_TYPE, ML_PII_ACTION }, 0 },
	[MF_REFUSALS] = { "eugate_refusals_total", FT_COUNTER, "Answers the "
	    "gateway made itself in the error envelope, by error code.",
	    { ML_CODE }, 0 },
	[MF_RATE_LIMITED] = { "eugate_rate_limited_total", FT_COUNTER,
	    "Requests refused by a rate limit (429 rate_limited).", { 0 }, 0 },
	[MF_BUDGET_REFUSED] = { "eugate_budget_refused_total", FT_COUNTER,
	    "Requests refused by a budget (429 budget_exceeded).", { 0 }, 0 },
	[MF_SPEND_EXCESS] = { "eugate_spend_excess_total", FT_COUNTER,
	    "Requests whose usage cost more than their reservation.", { 0 },
	    0 },
	[MF_USAGE_INVALID] = { "eugate_usage_invalid_total", FT_COUNTER,
	    "Upstream usages out of bounds (the reservation was charged).",
	    { 0 }, 0 },
	[MF_STREAM_CUTS] = { "eugate_stream_cuts_total", FT_COUNTER,
	    "Upstream answers cut after their head.", { 0 }, 0 },
	[MF_CLIENT_ABORTS] = { "eugate_client_aborts_total", FT_COUNTER,
	    "Clients that left before their answer ended.", { 0 }, 0 },
	[MF_UPSTREAM_UP] = { "eugate_upstream_up", FT_GAUGE, "1 when the "
	    "upstream is enabled and its circuit breaker is not open.",
	    { ML_UPSTREAM, ML_REGION }, 0 },
	[MF_UPSTREAM_FAILURES] = { "eugate_upstream_failures_total",
	    FT_COUNTER, "Failed upstream attempts and health checks "
	    "(no connection, timeout, 500, 502, 503, 504), by upstream.",
	    { ML_UPSTREAM }, 0 },
	[MF_UPSTREAM_FAILOVERS] = { "eugate_upstream_failovers_total",
	    FT_COUNTER, "Requests that failed over to another upstream, by "
	    "the upstream they left.", { ML_UPSTREAM }, 0 },
	[MF_BREAKER_OPENED] = { "eugate_upstream_breaker_opened_total",
	    FT_COUNTER, "Times the upstream's circuit breaker opened.",
	    { ML_UPSTREAM }, 0 },
	[MF_CONNECTIONS] = { "eugate_connections", FT_GAUGE, "Open client "
	    "connections.", { 0 }, 0 },
	[MF_IN_FLIGHT] = { "eugate_in_flight", FT_GAUGE, "Client requests "
	    "in flight.", { 0 }, 0 },
	[MF_UPSTREAM_TRANSFERS] = { "eugate_upstream_transfers", FT_GAUGE,
	    "Upstream transfers in flight.", { 0 }, 0 },
	[MF_AUDIT_FAILURES] = { "eugate_audit_write_failures_total",
	    FT_COUNTER, "Request records that storage failed to commit (the "
	    "answer was refused or cut).", { 0 }, 0 },
	[MF_STORAGE_TRANSACTIONS] = { "eugate_storage_transactions_total",
	    FT_COUNTER, "Storage transactions committed (group commits).",
	    { 0 }, 0 },
	[MF_STORAGE_OPERATIONS] = { "eugate_storage_operations_total",
	    FT_COUNTER, "Storage operations done.", { 0 }, 0 },
	[MF_STORAGE_CHECKPOINTS] = { "eugate_storage_wal_checkpoints_total",
	    FT_COUNTER, "SQLite WAL checkpoints.", { 0 }, 0 },
	[MF_SPANS_EXPORTED] = { "eugate_trace_spans_exported_total",
	    FT_COUNTER, "Spans the OTLP collector accepted.", { 0 }, 0 },
	[MF_SPANS_DROPPED] = { "eugate_trace_spans_dropped_total", FT_COUNTER,
	    "Spans dropped: the queue was full, or the collector failed or "
	    "timed out.", { ML_REASON }, 0 },
	[MF_PROCESS_CPU] = { "process_cpu_seconds_total", FT_COUNTER,
	    "User and system CPU time of the process.", { 0 }, 0 },
	[MF_PROCESS_RSS] = { "process_resident_memory_bytes", FT_GAUGE,
	    "Resident memory of the process.", { 0 }, 0 },
	[MF_PROCESS_OPEN_FDS] = { "process_open_fds", FT_GAUGE,
	    "Open file descriptors.", { 0 }, 0 },
	[MF_PROCESS_MAX_FDS] = { "process_max_fds", FT_GAUGE, "The soft "
	    "limit of open file descriptors (RLIMIT_NOFILE).", { 0 }, 0 },
	[MF_PROCESS_START] = { "process_start_time_seconds", FT_GAUGE,
	    "Start time of the process, Unix seconds.", { 0 }, 0 },
	[MF_BUILD_INFO] = { "eugate_build_info", FT_GAUGE, "1, labelled with "
	    "eugate's version.", { ML_VERSION }, 0 },
};

static const char *const label_names[ML__COUNT] = {
	[ML_CLASS] = "class", [ML_ROUTE] = "route", [ML_CODE] = "code",
	[ML_PII_TYPE] = "type", [ML_PII_ACTION] = "action",
	[ML_DIRECTION] = "direction", [ML_CURRENCY] = "currency",
	[ML_REASON] = "reason", [ML_VERSION] = "version", [ML_TEAM] = "team",
	[ML_MODEL] = "model", [ML_UPSTREAM] = "upstream",
	[ML_REGION] = "region",
};

/*
 * Histogram buckets (upper bounds, microseconds): from the gateway's own
 * sub-millisecond overhead to multi-minute completions.
 */
static const uint64_t bucket_us[] = { 250, 500, 1000, 2500, 5000, 10000,
	25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 30000000, 60000000, 120000000, 300000000 };
static const char *const bucket_le[] = { "0.00025", "0.0005", "0.001",
	"0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
	"2.5", "5", "10", "30", "60", "120", "300" };
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

static const char *const class_names[] = { "1xx", "2xx", "3xx", "4xx",
	"5xx", "other" };
static const char *const action_names[] = { "off", "detect", "redact",
	"pseudonymize", "block" };
static const char *const direction_names[] = { "input", "output" };
static const char *const currency_names[] = { "EUR", "USD" };
static const char *const reason_names[] = { "queue_full", "export_failed" };

#define PRESENT (1ull << 63)
#define MAX_OUT (64u * 1024 * 1024)

struct hist {
	uint64_t b[N_BUCKETS];	/* not cumulative */
	uint64_t count;
	uint64_t sum_us;
};

struct series {
	uint64_t key;		/* PRESENT | family << 48 | labels */
	uint64_t v;		/* a counter's count */
	double g;		/* a value set (gauges) */
	int is_set;
	size_t hist;		/* histograms: index in m->hists */
};

/* An open label set: interned strings, and an index by hash. */
struct strset {
	char **v;
	size_t n;
	unsigned *slot;		/* id + 1, 0: empty */
	size_t cap;		/* power of two, > 2 * max */
};

struct metrics {
	size_t max_labels;
	struct series *s;
	size_t cap, n;		/* power of two; n used */
	struct hist *hists;
	size_t n_hists, cap_hists;
	struct strset sets[4];	/* ML_TEAM .. ML_REGION */
};

static uint64_t
hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct metrics *
metrics_new(size_t max_labels)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->max_labels = max_labels;
	m->cap = 1024;
	m->s = calloc(m->cap, sizeof(*m->s));
	if (m->s == NULL)
		goto fail;
	for (size_t i = 0; i < 4; i++) {
		struct strset *ss = &m->sets[i];

		ss->cap = 16;
		while (ss->cap <= 2 * max_labels)
			ss->cap *= 2;
		ss->slot = calloc(ss->cap, sizeof(*ss->slot));
		ss->v = calloc(max_labels + 1, sizeof(*ss->v));
		if (ss->slot == NULL || ss->v == NULL)
			goto fail;
	}
	return m;
fail:
	metrics_free(m);
	return NULL;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < 4; i++) {
		for (size_t k = 0; k < m->sets[i].n; k++)
			free(m->sets[i].v[k]);
		free(m->sets[i].v);
		free(m->sets[i].slot);
	}
	free(m->s);
	free(m->hists);
	free(m);
}

int
metrics_label(struct metrics *m, int kind, const char *s)
{
	struct strset *ss;
	size_t i;
	int other;

	if (kind < ML_TEAM || kind > ML_REGION)
		return 0;
	ss = &m->sets[kind - ML_TEAM];
	other = (int)m->max_labels;
	if (s == NULL || *s == '\0')
		return other;
	for (i = hash_str(s) & (ss->cap - 1); ss->slot[i] != 0;
	    i = (i + 1) & (ss->cap - 1))
		if (strcmp(ss->v[ss->slot[i] - 1], s) == 0)
			return (int)ss->slot[i] - 1;
	if (ss->n == m->max_labels || (ss->v[ss->n] = strdup(s)) == NULL)
		return other;
	ss->slot[i] = (unsigned)++ss->n;
	return (int)ss->n - 1;
}

int
metrics_code(const char *code)
{
	for (size_t i = 0; i < n_api_errors; i++)
		if (strcmp(api_errors[i].code, code) == 0)
			return (int)i;
	return -1;
}

static int
grow(struct metrics *m)
{
	size_t cap = m->cap * 2;
	struct series *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (m->s[i].key == 0)
			continue;
		for (j = hash64(m->s[i].key) & (cap - 1); s[j].key != 0;
		    j = (j + 1) & (cap - 1))
			continue;
		s[j] = m->s[i];
	}
	free(m->s);
	m->s = s;
	m->cap = cap;
	return 0;
}

/* The series of a key, made when new; NULL when out of memory. */
static struct series *
series_get(struct metrics *m, int family, int l0, int l1, int l2)
{
	uint64_t key = PRESENT | (uint64_t)family << 48 |
	    (uint64_t)(l0 & 0xffff) << 32 | (uint64_t)(l1 & 0xffff) << 16 |
	    (uint64_t)(l2 & 0xffff);
	size_t i;

	for (i = hash64(key) & (m->cap - 1); m->s[i].key != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->s[i].key == key)
			return &m->s[i];
	if (2 * (m->n + 1) > m->cap) {
		if (grow(m) != 0)
			return NULL;
		return series_get(m, family, l0, l1, l2);
	}
	if (families[family].type == FT_HISTOGRAM) {
		if (m->n_hists == m->cap_hists) {
			size_t c = m->cap_hists ? m->cap_hists * 2 : 64;
			struct hist *h = realloc(m->hists, c * sizeof(*h));

			if (h == NULL)
				return NULL;
			m->hists = h;
			m->cap_hists = c;
		}
		memset(&m->hists[m->n_hists], 0, sizeof(*m->hists));
		m->s[i].hist = m->n_hists++;
	}
	m->s[i].key = key;
	m->n++;
	return &m->s[i];
}

void
metrics_add(struct metrics *m, int family, int l0, int l1, int l2,
    uint64_t v)
{
	struct series *s = series_get(m, family, l0, l1, l2);

	if (s != NULL)
		s->v += v;
}

void
metrics_set(struct metrics *m, int family, int l0, int l1, double v)
{
	struct series *s = series_get(m, family, l0, l1, 0);

	if (s != NULL) {
		s->g = v;
		s->is_set = 1;
	}
}

void
metrics_observe(struct metrics *m, int family, int l0, int l1, uint64_t us)
{
	struct series *s = series_get(m, family, l0, l1, 0);
	struct hist *h;
	size_t lo = 0, hi = N_BUCKETS;

	if (s == NULL)
		return;
	h = &m->hists[s->hist];
	/* The first bucket whose bound is >= us; N_BUCKETS: +Inf only. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (bucket_us[mid] < us)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < N_BUCKETS)
		h->b[lo]++;
	h->count++;
	h->sum_us += us;
}

/* A growable text, capped at MAX_OUT. */
struct out {
	char *p;
	size_t len, cap;
	int failed;
};

static void
out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		if (o->cap * 2 > MAX_OUT) {
			o->failed = 1;
			return;
		}
		char *p = realloc(o->p, o->cap * 2);

		if (p == NULL) {
			o->failed = 1;
			return;
		}
		o->p = p;
		o->cap *= 2;
	}
}

/* A label value, escaped for the exposition (\\, \", \n). */
static void
out_value(struct out *o, const char *s)
{
	char buf[300];
	size_t n = 0;

	for (; *s != '\0' && n < sizeof(buf) - 3; s++) {
		if (*s == '\\' || *s == '"')
			buf[n++] = '\\', buf[n++] = *s;
		else if (*s == '\n')
			buf[n++] = '\\', buf[n++] = 'n';
		else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	out_printf(o, "%s", buf);
}

static const char *
label_value(const struct metrics *m, int kind, int id)
{
	const char *v = NULL;

	switch (kind) {
	case ML_CLASS:
		v = id >= 0 && id < 6 ? class_names[id] : NULL;
		break;
	case ML_ROUTE:
		v = id >= 0 && (size_t)id < n_endpoints ? endpoints[id].path :
		    NULL;
		break;
	case ML_CODE:
		v = id >= 0 && (size_t)id < n_api_errors ?
		    api_errors[id].code : NULL;
		break;
	case ML_PII_TYPE:
		v = id >= 0 && id < PII__COUNT ? pii_type_name(id) : NULL;
		break;
	case ML_PII_ACTION:
		v = id >= 0 && id < 5 ? action_names[id] : NULL;
		break;
	case ML_DIRECTION:
		v = id >= 0 && id < 2 ? direction_names[id] : NULL;
		break;
	case ML_CURRENCY:
		v = id >= 0 && id < 2 ? currency_names[id] : NULL;
		break;
	case ML_REASON:
		v = id >= 0 && id < 2 ? reason_names[id] : NULL;
		break;
	case ML_VERSION:
		v = PACKAGE_VERSION;
		break;
	default:
		if (kind >= ML_TEAM && kind <= ML_REGION &&
		    (size_t)id < m->sets[kind - ML_TEAM].n)
			v = m->sets[kind - ML_TEAM].v[id];
		break;
	}
	return v != NULL ? v : "other";
}

/* {a="x",b="y"} with an extra pair (le) when extra is not NULL. */
static void
out_labels(struct out *o, const struct metrics *m, const struct family *f,
    uint64_t key, const char *extra)
{
	int ids[3] = { (int)(key >> 32 & 0xffff), (int)(key >> 16 & 0xffff),
		(int)(key & 0xffff) };
	int any = 0;

	for (int i = 0; i < 3 && f->labels[i] != ML_NONE; i++) {
		out_printf(o, "%s%s=\"", any ? "," : "{",
		    label_names[f->labels[i]]);
		out_value(o, label_value(m, f->labels[i], ids[i]));
		out_printf(o, "\"");
		any = 1;
	}
	if (extra != NULL)
		out_printf(o, "%sle=\"%s\"", any ? "," : "{", extra), any = 1;
	if (any)
		out_printf(o, "}");
}

static void
out_micro(struct out *o, uint64_t v)
{
	out_printf(o, "%llu.%06llu", (unsigned long long)(v / 1000000),
	    (unsigned long long)(v % 1000000));
}

static void
out_series(struct out *o, const struct metrics *m, const struct series *s)
{
	const struct family *f = &families[s->key >> 48 & 0x7fff];

	if (f->type == FT_HISTOGRAM) {
		const struct hist *h = &m->hists[s->hist];
		uint64_t cum = 0;

		for (size_t b = 0; b < N_BUCKETS; b++) {
			cum += h->b[b];
			out_printf(o, "%s_bucket", f->name);
			out_labels(o, m, f, s->key, bucket_le[b]);
			out_printf(o, " %llu\n", (unsigned long long)cum);
		}
		out_printf(o, "%s_bucket", f->name);
		out_labels(o, m, f, s->key, "+Inf");
		out_printf(o, " %llu\n%s_sum", (unsigned long long)h->count,
		    f->name);
		out_labels(o, m, f, s->key, NULL);
		out_printf(o, " ");
		out_micro(o, h->sum_us);
		out_printf(o, "\n%s_count", f->name);
		out_labels(o, m, f, s->key, NULL);
		out_printf(o, " %llu\n", (unsigned long long)h->count);
		return;
	}
	out_printf(o, "%s", f->name);
	out_labels(o, m, f, s->key, NULL);
	if (s->is_set && s->g > -1e15 && s->g < 1e15 &&
	    s->g == (double)(int64_t)s->g)
		out_printf(o, " %lld\n", (long long)s->g);
	else if (s->is_set)
		out_printf(o, " %.9g\n", s->g);
	else if (f->micro) {
		out_printf(o, " ");
		out_micro(o, s->v);
		out_printf(o, "\n");
	} else
		out_printf(o, " %llu\n", (unsigned long long)s->v);
}

static int
key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

char *
metrics_render(const struct metrics *m, size_t *len)
{
	struct out o = { malloc(16384), 0, 16384, 0 };
	uint64_t *keys = malloc((m->n + 1) * sizeof(*keys));
	size_t n = 0, k = 0;

	if (o.p == NULL || keys == NULL) {
		free(o.p);
		free(keys);
		return NULL;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->s[i].key != 0)
			keys[n++] = m->s[i].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (int fi = 0; fi < MF__COUNT; fi++) {
		const struct family *f = &families[fi];
		static const char *const types[] = { "counter", "gauge",
			"histogram" };
		size_t first = k;

		out_printf(&o, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, types[f->type]);
		for (; k < n && (int)(keys[k] >> 48 & 0x7fff) == fi; k++) {
			const struct series *s;
			size_t i;

			for (i = hash64(keys[k]) & (m->cap - 1);
			    m->s[i].key != keys[k]; i = (i + 1) & (m->cap - 1))
				continue;
			s = &m->s[i];
			out_series(&o, m, s);
		}
		/* A family without labels always has its one series. */
		if (k == first && f->labels[0] == ML_NONE &&
		    f->type != FT_HISTOGRAM)
			out_printf(&o, "%s 0\n", f->name);
	}
	free(keys);
	if (o.failed) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}

void
metrics_set_process(struct metrics *m, int64_t start_s)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t fds = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		metrics_set(m, MF_PROCESS_CPU, 0, 0,
		    (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &pages, &rss) == 2)
			metrics_set(m, MF_PROCESS_RSS, 0, 0, (double)rss *
			    (double)sysconf(_SC_PAGESIZE));
		fclose(f);
	}
	if (d != NULL) {
		while ((e = readdir(d)) != NULL)
			fds += e->d_name[0] != '.';
		closedir(d);
		metrics_set(m, MF_PROCESS_OPEN_FDS, 0, 0, (double)(fds - 1));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metrics_set(m, MF_PROCESS_MAX_FDS, 0, 0, (double)rl.rlim_cur);
	metrics_set(m, MF_PROCESS_START, 0, 0, (double)start_s);
	metrics_set(m, MF_BUILD_INFO, 0, 0, 1);
}

size_t
metrics_describe(int family, const char **name, const char **type,
    const char **help, const char *labels[3])
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct family *f = &families[family];
	size_t n = 0;

	*name = f->name;
	*type = types[f->type];
	*help = f->help;
	while (n < 3 && f->labels[n] != ML_NONE) {
		labels[n] = label_names[f->labels[n]];
		n++;
	}
	return n;
}
