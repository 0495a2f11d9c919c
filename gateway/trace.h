/*
 * Tracing: W3C trace context (traceparent, tracestate) and spans, exported
 * as OTLP/HTTP JSON to URL/v1/traces by libcurl on the event loop. Spans
 * wait in a bounded queue and go in batches, one export at a time; a span
 * that finds the queue full, or whose batch the collector refuses, fails or
 * does not take in time, is dropped and counted. A request never waits for
 * the collector. Used on the loop thread only.
 */
#ifndef GATEWAY_TRACE_H
#define GATEWAY_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

/* "00-" 32 hex "-" 16 hex "-" 2 hex, and a NUL. */
#define TRACEPARENT_SIZE 56
/* The longest tracestate kept (W3C: 32 members, 512 bytes suffice). */
#define TRACESTATE_MAX 512

struct tracer;
struct span;

/* A request's trace context. */
struct trace_ctx {
	uint8_t trace_id[16];
	uint8_t parent_id[8];	/* the caller's span; all zero: none */
	uint8_t span_id[8];	/* the gateway's own (server) span */
	uint8_t flags;		/* W3C trace-flags: bit 0, sampled */
	uint8_t on;		/* tracing is on: the fields are set */
	char *state;		/* the caller's tracestate (malloc'ed) */
};

enum span_kind { SPAN_SERVER = 2, SPAN_CLIENT = 3 };

/*
 * Parses a traceparent value (version 00, or a later one read as 00):
 * 1 and the ids and flags when it is valid, 0 otherwise (all-zero ids,
 * upper-case hex, wrong lengths or separators, version ff).
 */
int trace_parse_parent(const char *v, size_t len, uint8_t trace_id[16],
    uint8_t parent_id[8], uint8_t *flags);
/* 1 when a tracestate value may be passed on: 1 to TRACESTATE_MAX bytes
 * of printable ASCII. */
int trace_state_ok(const char *v, size_t len);
/* "00-<trace id>-<span id>-<flags>" into out. */
void trace_format_parent(const uint8_t trace_id[16],
    const uint8_t span_id[8], uint8_t flags, char out[TRACEPARENT_SIZE]);
/* Lower-case hex of a trace id into out (33 bytes). */
void trace_format_id(const uint8_t trace_id[16], char out[33]);

struct tracer_conf {
	const char *endpoint;	/* the collector's base URL */
	const char *headers;	/* extra headers "k=v,k2=v2" (the form of
				 * OTEL_EXPORTER_OTLP_HEADERS), or NULL */
	const char *service;	/* the resource's service.name */
	size_t queue;		/* spans waiting at most */
	uint64_t timeout_ms;	/* one export, connection included */
	uint64_t interval_ms;	/* a batch leaves at least this often */
};

/*
 * A tracer on base; the strings of c are copied. NULL with a message in
 * err when the configuration is unusable or memory runs out.
 */
struct tracer *tracer_new(struct event_base *base,
    const struct tracer_conf *c, char *err, size_t errlen);
/* Drops what is queued and frees the tracer; NULL is a no-op. */
void tracer_free(struct tracer *t);

/*
 * Fills tc for a request: the caller's trace continued when parent (plen
 * bytes, or NULL) is a valid traceparent, its tracestate kept when valid;
 * else a new trace, sampled when its id falls under ratio_ppm (parts per
 * million). A new span id for the gateway's span either way.
 */
void tracer_start(struct tracer *t, struct trace_ctx *tc, const char *parent,
    size_t plen, const char *state, size_t slen, uint32_t ratio_ppm);
/* Frees what tracer_start allocated in tc. */
void trace_ctx_cleanup(struct trace_ctx *tc);
/* A new random span id (never zero). */
void tracer_span_id(struct tracer *t, uint8_t id[8]);

/*
 * A span of tc to fill: its id, its parent (NULL: none), kind, name and
 * wall-clock times (Unix nanoseconds). NULL when the queue is full (the
 * span is counted as dropped). The span is queued by tracer_span_end,
 * which must follow before any other tracer call.
 */
struct span *tracer_span_begin(struct tracer *t, const struct trace_ctx *tc,
    const uint8_t span_id[8], const uint8_t *parent_id, int kind,
    const char *name, uint64_t start_ns, uint64_t end_ns);
/* Attributes; key is a static string. A string that does not fit in the
 * span's text room is left out. */
void span_attr_str(struct span *s, const char *key, const char *v);
void span_attr_int(struct span *s, const char *key, int64_t v);
void span_attr_double(struct span *s, const char *key, double v);
/* Marks the span's status an error, with a short fixed message. */
void span_set_error(struct span *s, const char *msg);
void tracer_span_end(struct tracer *t, struct span *s);

/* Sends what is queued now (when no export is in flight). */
void tracer_flush(struct tracer *t);

struct tracer_stats {
	uint64_t exported;	/* accepted by the collector */
	uint64_t dropped_queue;	/* the queue was full */
	uint64_t dropped_export;	/* the collector failed or timed out */
	size_t queued;
};
void tracer_get_stats(const struct tracer *t, struct tracer_stats *st);

#endif
