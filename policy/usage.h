/* Token usage, wherever the upstream puts it: JSON bodies and SSE events. */
#ifndef POLICY_USAGE_H
#define POLICY_USAGE_H

#include <stddef.h>

#include <jansson.h>

#include "policy/policy.h"

/* The most any count of one request's usage may be (tokens, seconds,
 * pages); more is absurd and marks the usage invalid. */
#define USAGE_MAX_COUNT 1000000000LL

void usage_init(struct usage *u);
/*
 * Reads root.usage (or root.usage_info, OCR); returns 1 when found. Later
 * finds overwrite. Each count must be a JSON integer from 0 to
 * USAGE_MAX_COUNT; a usage with one that is not (negative, fractional, a
 * string, huge) or without its counts is found invalid: u->invalid is set
 * and every count is -1 (unknown).
 */
int usage_from_json(const json_t *root, struct usage *u);
/* Reads the usage of one SSE event (its data JSON); returns 1 if found. */
int usage_from_event(const char *ev, size_t len, struct usage *u);

/*
 * Joins the data: lines of an SSE event (without "data:" and one optional
 * space) into out (malloc'ed, caller frees). Returns the length, or -1
 * when the event has no data.
 */
long sse_event_data(const char *ev, size_t len, char **out);

/* Incremental SSE framing: bytes in, whole events out. */
struct sse {
	char *buf;
	size_t len, cap;
	size_t max;		/* cap on one event */
	size_t scan;		/* bytes already searched for an end */
};

void sse_init(struct sse *s, size_t max_event);
void sse_cleanup(struct sse *s);
/* Appends bytes; returns -1 when out of memory. */
int sse_feed(struct sse *s, const char *data, size_t len);
/* 1 when the unfinished event left after sse_next() is over the cap. */
int sse_overflow(const struct sse *s);
/* Returns the length of the next whole event (at s->buf), 0 if none. */
size_t sse_next(struct sse *s);
/* Drops the first n bytes (the event just handled). */
void sse_consume(struct sse *s, size_t n);

#endif
