/*
 * Prometheus metrics: one table of families (name, type, help, labels),
 * counters, gauges and histograms, and their text exposition. Label values
 * are small numbers: fixed sets (status class, route, error code, PII type,
 * ...) are indexes into their tables; open sets (team, model, upstream,
 * region) are interned here, at most max_labels values each, the rest
 * counted under "other". Used on the loop thread only.
 */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The families, in the order they are written. */
enum metrics_family {
	MF_REQUESTS,		/* counter */
	MF_RESPONSES,		/* counter: class */
	MF_REQUEST_DURATION,	/* histogram: route, class */
	MF_FIRST_BYTE,		/* histogram: upstream */
	MF_TOKENS,		/* counter: team, model, direction */
	MF_SPEND,		/* counter (micro-units): team, currency */
	MF_BUDGET_USED,		/* gauge: team */
	MF_PII,			/* counter: type, action */
	MF_REFUSALS,		/* counter: code */
	MF_RATE_LIMITED,	/* counter */
	MF_BUDGET_REFUSED,	/* counter */
	MF_SPEND_EXCESS,	/* counter */
	MF_USAGE_INVALID,	/* counter */
	MF_STREAM_CUTS,		/* counter */
	MF_CLIENT_ABORTS,	/* counter */
	MF_UPSTREAM_UP,		/* gauge: upstream, region */
	MF_UPSTREAM_FAILURES,	/* counter: upstream */
	MF_UPSTREAM_FAILOVERS,	/* counter: upstream (the one left) */
	MF_BREAKER_OPENED,	/* counter: upstream */
	MF_CONNECTIONS,		/* gauge */
	MF_IN_FLIGHT,		/* gauge */
	MF_UPSTREAM_TRANSFERS,	/* gauge */
	MF_AUDIT_FAILURES,	/* counter */
	MF_STORAGE_TRANSACTIONS,	/* counter */
	MF_STORAGE_OPERATIONS,	/* counter */
	MF_STORAGE_CHECKPOINTS,	/* counter */
	MF_SPANS_EXPORTED,	/* counter */
	MF_SPANS_DROPPED,	/* counter: reason */
	MF_PROCESS_CPU,		/* counter (seconds) */
	MF_PROCESS_RSS,		/* gauge (bytes) */
	MF_PROCESS_OPEN_FDS,	/* gauge */
	MF_PROCESS_MAX_FDS,	/* gauge */
	MF_PROCESS_START,	/* gauge (Unix seconds) */
	MF_BUILD_INFO,		/* gauge: version */
	MF__COUNT
};

/* The kinds of label values. */
enum metrics_label {
	ML_NONE,
	ML_CLASS,		/* 1xx..5xx (status / 100 - 1), other */
	ML_ROUTE,		/* endpoints[] index; n_endpoints: other */
	ML_CODE,		/* api_errors[] index */
	ML_PII_TYPE,		/* enum pii_type */
	ML_PII_ACTION,		/* enum pii_action */
	ML_DIRECTION,		/* enum metrics_direction */
	ML_CURRENCY,		/* 0 EUR, 1 USD */
	ML_REASON,		/* enum metrics_drop_reason */
	ML_VERSION,		/* 0: this build's */
	ML_TEAM,		/* interned */
	ML_MODEL,		/* interned */
	ML_UPSTREAM,		/* interned */
	ML_REGION,		/* interned */
	ML__COUNT
};

enum metrics_direction { MD_INPUT, MD_OUTPUT };
enum metrics_drop_reason { MR_QUEUE_FULL, MR_EXPORT_FAILED };

struct metrics;

/*
 * A registry whose open label sets hold at most max_labels values each
 * (and "other"). NULL when out of memory.
 */
struct metrics *metrics_new(size_t max_labels);
void metrics_free(struct metrics *m);

/*
 * The number of an open label's value (ML_TEAM, ML_MODEL, ML_UPSTREAM,
 * ML_REGION), interned on first use; the "other" value once the set is
 * full, for NULL and "", and when out of memory. s is copied.
 */
int metrics_label(struct metrics *m, int kind, const char *s);
/* The number of an error code of common/errors.c, or -1 if it is none. */
int metrics_code(const char *code);

/* Adds v to a counter (unused labels: 0). */
void metrics_add(struct metrics *m, int family, int l0, int l1, int l2,
    uint64_t v);
/* Sets a gauge, or a counter kept elsewhere (read at scrape time). */
void metrics_set(struct metrics *m, int family, int l0, int l1, double v);
/* Counts one observation of a histogram, in microseconds. */
void metrics_observe(struct metrics *m, int family, int l0, int l1,
    uint64_t us);

/*
 * The text exposition (format 0.0.4) of every family: HELP, TYPE, then its
 * series in a stable order. malloc'ed, *len bytes and a NUL; NULL when out
 * of memory.
 */
char *metrics_render(const struct metrics *m, size_t *len);

/* Sets the process_* gauges from /proc and getrusage (start_s: the
 * process' start, Unix seconds). */
void metrics_set_process(struct metrics *m, int64_t start_s);

/*
 * The table, for `eugate --list-metrics` and the documentation check:
 * family i's (0 <= i < MF__COUNT) name, type and help (static strings), and
 * its label names into labels; returns how many.
 */
size_t metrics_describe(int family, const char **name, const char **type,
    const char **help, const char *labels[3]);

#endif
