/*
 * Per-backend translation: translate_* adapt a Mistral-shaped request to
 * the backend kind and fold its streamed usage back into Mistral's shape.
 */
#ifndef POLICY_TRANSLATE_H
#define POLICY_TRANSLATE_H

#include <stddef.h>

#include <jansson.h>

#include "policy/conf.h"
#include "policy/endpoint.h"

/* 1 when a backend of this kind has the operation. */
int translate_supported(int kind, const struct endpoint *ep);

/*
 * Adapts body (changed in place) for the kind; only completions are
 * translated. Sets *fold_usage when the stream needs its usage-only chunk
 * folded (openai kind, stream:true, and the client did not ask for
 * stream_options itself). Returns 1 if changed.
 */
int translate_request(int kind, const struct endpoint *ep, json_t *body,
    int *fold_usage);

/*
 * Folding of an OpenAI-style stream: the usage-only chunk ("choices": [])
 * is merged into the chunk that carried finish_reason, so that clients see
 * Mistral's shape. Events are whole SSE events, terminator included.
 */
struct sse_fold {
	char *held;		/* the finish chunk waiting for usage */
	size_t held_len;
};

typedef void (*sse_emit_fn)(void *arg, const char *ev, size_t len);

/* Feeds one event; emits zero, one or two events through emit. */
void sse_fold_event(struct sse_fold *f, const char *ev, size_t len,
    sse_emit_fn emit, void *arg);
/* Emits what is held; call at the end of the stream. */
void sse_fold_flush(struct sse_fold *f, sse_emit_fn emit, void *arg);
void sse_fold_cleanup(struct sse_fold *f);

#endif
