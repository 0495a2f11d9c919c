/*
 * The policy chain: every request passes each module in order, phase by
 * phase, and the request code only runs the phases and moves its state
 * machine. A module is pure decision code (no I/O): it sees the request's
 * view (struct policy_req), may change the JSON body and fill the view's
 * outputs (the caller, the candidate upstreams, the worst-case cost), and
 * returns a verdict. A verdict of BLOCK carries a stable error code
 * (common/errors.c) for Mistral's error envelope. A new rule is a new
 * module and a row of the chain table (policy/policy.c).
 *
 * Phases, in order:
 *   HEAD     the request's head: the key, what its policy lets it reach,
 *            its rate limits (no body read yet)
 *   BODY     the parsed body: models, objects it names, personal data
 *            (on a worker thread for large bodies)
 *   ROUTE    where it may go, and what it may cost at worst
 *   ATTEMPT  one upstream attempt: the body in that backend's dialect
 */
#ifndef POLICY_POLICY_H
#define POLICY_POLICY_H

#include <stdint.h>

#include <jansson.h>

#include "policy/conf.h"
#include "policy/endpoint.h"
#include "policy/health.h"
#include "policy/keys.h"
#include "policy/objects.h"
#include "policy/pii.h"
#include "policy/prices.h"
#include "policy/ratelimit.h"
#include "policy/route.h"
#include "policy/spend.h"

enum policy_verdict { POLICY_PASS, POLICY_MODIFIED, POLICY_BLOCK };

enum policy_phase { POLICY_HEAD, POLICY_BODY, POLICY_ROUTE, POLICY_ATTEMPT,
	POLICY__PHASES };

#define POLICY_MAX_MODULES 12

/* Each module's slot in policy_req.state, independent of chain order. */
enum policy_slot { POLICY_SLOT_ACCESS, POLICY_SLOT_PII };

struct policy_block {
	const char *code;	/* stable envelope "code" (common/errors.h:
				 * its status and type) */
	char message[256];	/* never holds request content */
	int64_t retry_after_s;	/* 0: the default (1 s for 429/503) */
};

/* Fills b with a refusal (code from common/errors.c, a message that
 * never holds request content); returns POLICY_BLOCK. */
int policy_refuse(struct policy_block *b, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

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
	char model[64];			/* the answer's "model" next to its
					 * usage, or "" */
};

/* What policy modules share, built by the daemon. The HEAD and ROUTE
 * phases run on the loop thread only; BODY may run on a worker, whose
 * environment has no keys, rates or health. */
struct policy_env {
	struct pii_engine *pii;		/* one per thread */
	struct keys_hmac *hmac;		/* keyed with the server secret */
	struct objects *objects;	/* who owns what upstream (shared,
					 * thread-safe) */
	const struct keycache *keys;	/* the current key snapshot */
	struct ratelimit *rl;		/* requests and tokens per minute */
	const struct up_health *health;	/* circuit breakers, by health_slot */
};

/* The worst case of a request (the ROUTE phase's spend module). */
struct spend_estimate {
	int kind;		/* enum spend_kind of the operation */
	int line_kind;		/* the kind rates are looked up for: kind, or
				 * a batch job's lines' */
	int clamp_field;	/* max_tokens may be lowered in the body */
	int annotated;		/* OCR with an annotation format */
	int priority;		/* may be served at priority capacity */
	int unknown;		/* can not be known (a batch of input files):
				 * not priced */
	int64_t n_choices;
	int64_t chars;		/* speech: characters of the input */
	struct spend_plan plan;	/* units and the dearest rates */
};

/* Gateway settings the spend estimate reads. */
struct spend_limits {
	uint64_t reserve_pages;		/* OCR pages when unknown */
	uint64_t reserve_audio_ms;	/* audio length when unknown */
	uint64_t max_choices;		/* the most choices (n) */
};

struct policy_req {
	const struct policy_env *env;
	/* The head. */
	int method;			/* enum http_method */
	const char *path;		/* without the query string */
	size_t path_len;
	const struct endpoint *ep;	/* the operation (never NULL) */
	const char *credential;		/* the key the client sent, or NULL */
	size_t credential_len;
	int n_credentials;		/* credential headers seen */
	int key_mismatch;		/* out of HEAD: the key's id is known,
					 * its secret does not match */
	const struct policy_conf *policies;	/* the configured ones */
	size_t n_policies;
	struct key_entry caller;	/* out of HEAD: the key's entry (also
					 * when expired or not allowed from
					 * the address: its secret was right) */
	const struct key_entry *key;	/* &caller once authenticated */
	const struct policy_conf *policy;	/* out of HEAD: its policy */
	struct ep_param params[4];	/* out of HEAD: objects the path
					 * names */
	size_t n_params;
	struct rl_subject rl[2];	/* out of HEAD: key and team limits */
	char rl_id[2][80];
	int n_rl;
	struct rl_status rls;
	uint64_t now_us;		/* monotonic, for rates and breakers */
	int64_t wall_s;			/* Unix seconds (key expiry) */
	int client_family;		/* the client's address: 4 or 6 (0: */
	unsigned char client_addr[16];	/* unknown), its 4 or 16 bytes */
	/* The body. */
	json_t *body;			/* NULL when not JSON; may be changed */
	const char *model;		/* from the body or a form field */
	int stream;
	int raw_body;			/* a body that is not JSON
					 * (multipart) */
	const char *raw;		/* that body, and its form boundary */
	size_t raw_len;
	const char *boundary;
	size_t boundary_len;
	char *raw_out;			/* a rewritten body (malloc'ed), or
					 * NULL */
	size_t raw_out_len;
	unsigned pii_counts[PII__COUNT];	/* findings, for the record */
	unsigned unscannable;		/* parts forwarded unscanned (images,
					 * audio, files: pii_unscannable) */
	int64_t images, documents;	/* references the body holds (the
					 * worst case counts them) */
	size_t body_bytes;		/* the body as received */
	/* Where it may go, and at what worst cost. */
	const struct upstream_conf *ups;	/* the configured upstreams */
	size_t n_ups;
	const struct price_table *prices;
	struct spend_limits spend_limits;
	uint64_t seed;			/* randomness of weighted balancing */
	struct route_result route;	/* out of ROUTE: candidates, decision */
	struct spend_estimate spend;	/* out of ROUTE */
	/* One attempt. */
	int up_kind;			/* enum upstream_kind being tried */
	int fold_usage;			/* out of ATTEMPT: fold the stream's
					 * usage-only chunk */
	/* The record. */
	const char *module;		/* the module that blocked or changed */
	char verdicts[192];		/* for the audit record: "auth=pass
					 * access=pass pii=modified ..." */
	void *state[POLICY_MAX_MODULES];
};

struct policy_module {
	const char *name;
	int phase;		/* enum policy_phase */
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

/* Runs the modules of one phase in order; stops at the first BLOCK.
 * Returns the phase's verdict (MODIFIED when one changed the body). */
int policy_run_phase(struct policy_req *r, int phase, struct policy_block *b);
void policy_run_finish(struct policy_req *r, int status,
    const struct usage *u);
/* Response hooks: 1 if root changed. */
int policy_run_response_json(struct policy_req *r, json_t *root);
/*
 * 1 when the PII module may restore a token in the JSON answer text[0,
 * len): the request was given tokens and the text holds a '<' (or its
 * escape \u003c). Otherwise its response hook changes nothing, and the
 * answer needs no tree for it.
 */
int policy_pii_restores(const struct policy_req *r, const char *text,
    size_t len);
/* Runs an event through every module's event hook, then emit. */
void policy_run_event(struct policy_req *r, const char *ev, size_t len,
    void (*emit)(void *arg, const char *ev, size_t len), void *arg);
void policy_run_stream_end(struct policy_req *r,
    void (*emit)(void *arg, const char *ev, size_t len), void *arg);
void policy_cleanup(struct policy_req *r);

/* The modules, in chain order (policy/policy.c). */
extern const struct policy_module policy_auth;	/* HEAD: the key */
extern const struct policy_module policy_scope;	/* HEAD: API groups and
						 * the path's objects */
extern const struct policy_module policy_rates;	/* HEAD: rate limits */
extern const struct policy_module policy_access;	/* BODY: models, ZDR,
						 * objects in the body, forced
						 * fields */
extern const struct policy_module policy_pii;	/* BODY: personal data */
extern const struct policy_module policy_routing; /* ROUTE: upstreams */
extern const struct policy_module policy_spend;	/* ROUTE: the worst case */
extern const struct policy_module policy_translate; /* ATTEMPT: dialect */

#endif
