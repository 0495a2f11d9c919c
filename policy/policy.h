/*
 * The policy chain: every request passes each module in order before it is
 * forwarded. A module is pure decision code (no I/O): it sees the parsed
 * request and the caller's key and policy, may change the JSON body, and
 * returns a verdict. A verdict of BLOCK carries the HTTP status and a
 * stable error code (common/errors.c) for Mistral's error envelope. Later modules (PII,
 * spend, region routing) plug into the same table.
 */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H

#include <stdint.h>

#include <jansson.h>

#include "policy/conf.h"
#include "policy/endpoint.h"
#include "policy/keys.h"
#include "policy/objects.h"
#include "policy/pii.h"

enum policy_verdict { POLICY_PASS, POLICY_MODIFIED, POLICY_BLOCK };

#define POLICY_MAX_MODULES 8

/* Each module's slot in policy_req.state, independent of chain order. */
enum policy_slot { POLICY_SLOT_ACCESS, POLICY_SLOT_PII };

struct policy_block {
	const char *code;	/* stable envelope "code" (common/errors.h:
				 * its status and type) */
	char message[256];	/* never holds request content */
};

/* Token counts of a response; -1 when not reported. */
struct usage {
	int64_t prompt_tokens;
	int64_t completion_tokens;
	int64_t total_tokens;
	int64_t pages;			/* OCR: usage_info.pages_processed */
	int64_t audio_seconds;		/* usage.prompt_audio_seconds */
	int invalid;			/* the last usage found was out of
					 * bounds: its counts are not kept */
	int priority;			/* usage.service_tier "priority" */
};

/* What policy modules share, built once by the daemon (read-only). */
struct policy_env {
	struct pii_engine *pii;		/* one per loop thread */
	struct keys_hmac *hmac;		/* keyed with the server secret */
	struct objects *objects;	/* who owns what upstream (shared,
					 * thread-safe) */
};

struct policy_req {
	const struct policy_env *env;
	int method;			/* enum http_method */
	const char *path;		/* without the query string */
	const struct endpoint *ep;	/* the operation (never NULL) */
	json_t *body;			/* NULL when not JSON; may be changed */
	const char *model;		/* from the body or a form field */
	int stream;
	int raw_body;			/* a body that is not JSON (multipart) */
	const char *raw;		/* that body, and its form boundary */
	size_t raw_len;
	const char *boundary;
	size_t boundary_len;
	char *raw_out;			/* a rewritten body (malloc'ed), or NULL */
	size_t raw_out_len;
	unsigned pii_counts[PII__COUNT];	/* findings, for the record */
	unsigned unscannable;		/* parts forwarded unscanned (images,
					 * audio, files: pii_unscannable) */
	const struct key_entry *key;	/* authenticated caller */
	const struct policy_conf *policy;
	const char *module;		/* the module that blocked or changed */
	char verdicts[96];		/* for the audit record: "access=pass
					 * pii=modified" */
	void *state[POLICY_MAX_MODULES];
};

struct policy_module {
	const char *name;
	/* Decides on the request; fills b when it returns POLICY_BLOCK. */
	int (*on_request)(struct policy_req *r, struct policy_block *b);
	/* A whole JSON answer; may change root. Returns 1 if it did. */
	int (*on_response_json)(struct policy_req *r, json_t *root);
	/* One SSE event of the answer (terminator included): passes it,
	 * changed or not, and maybe others, to emit. */
	void (*on_event)(struct policy_req *r, const char *ev, size_t len,
	    void (*emit)(void *arg, const char *ev, size_t len), void *arg);
	/* The stream ended (with or without [DONE]): emit what is held. */
	void (*on_stream_end)(struct policy_req *r,
	    void (*emit)(void *arg, const char *ev, size_t len), void *arg);
	/* Sees the outcome: upstream status and usage (may be -1s). */
	void (*on_finish)(struct policy_req *r, int status,
	    const struct usage *u);
	/* Frees the module's per-request state. */
	void (*cleanup)(struct policy_req *r);
};

/* Runs the chain; stops at the first BLOCK. Returns the verdict. */
int policy_run_request(struct policy_req *r, struct policy_block *b);
void policy_run_finish(struct policy_req *r, int status,
    const struct usage *u);
/* Response hooks: 1 if root changed. */
int policy_run_response_json(struct policy_req *r, json_t *root);
/* Runs an event through every module's event hook, then emit. */
void policy_run_event(struct policy_req *r, const char *ev, size_t len,
    void (*emit)(void *arg, const char *ev, size_t len), void *arg);
void policy_run_stream_end(struct policy_req *r,
    void (*emit)(void *arg, const char *ev, size_t len), void *arg);
void policy_cleanup(struct policy_req *r);

/* Module: models, ZDR endpoints, object references in the body and
 * forced fields (policy/access.c). */
extern const struct policy_module policy_access;

/*
 * The access checks that need no body, run on the request's head: the
 * operation's group is one policy p allows (else 403
 * endpoint_not_allowed), and every object its path names is the team's,
 * or nobody's under shared_objects (else 404 not_found, as for an object
 * that does not exist). Fills b and returns POLICY_BLOCK, or POLICY_PASS.
 */
int access_check_route(const struct policy_conf *p, const struct endpoint *ep,
    const struct ep_param *params, size_t n_params, struct objects *objects,
    const char *team, struct policy_block *b);
/* Module: personal data (policy/pii_policy.c). */
extern const struct policy_module policy_pii;

#endif
