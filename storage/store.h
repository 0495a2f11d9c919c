/*
 * The storage interface that the gateway and the admin API call: teams,
 * keys and their limits, the spend ledger, the audit log and the owners
 * of objects upstream. A backend implements it (storage/backend.h):
 * SQLite (storage/sqlite.c), the embedded default, or PostgreSQL
 * (storage/pg.c), which several instances share; nothing here is
 * either's.
 *
 * The event loop never touches the database. It fills a struct store_op
 * and submits it; the backend runs the queued ops, writes of one batch
 * in one transaction (group commit), and each op's done callback then
 * runs on the loop thread. A second store opened readonly serves long
 * reads (exports, verification) without holding up the writer.
 *
 * Ownership: from store_submit until its done callback, an op belongs
 * to the store; the submitter keeps what its inputs point to (spend,
 * objs) alive. From done on, the op is the submitter's again, with its
 * outputs (json, rows, text): store_op_cleanup frees them.
 */
#ifndef STORAGE_STORE_H
#define STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/err.h"

struct store;

/*
 * The kinds of operation, with the fields of struct store_op that each
 * reads (in) and fills (out); it leaves the others alone, so that one op
 * can carry a call through several kinds. W: on the writer's store only
 * (a readonly store fails it with GW_ERR_INVAL); R: a read, on either
 * store. Every kind may fail with GW_ERR_STORAGE.
 */
enum store_op_type {
	STORE_TEAM_CREATE,	/* W in: name, policy, limits, set_mask;
				 * err EXISTS when the name is taken */
	STORE_TEAM_LIST,	/* R out: json (array of teams) */
	STORE_KEY_CREATE,	/* W in: key_id, team, name, hmac, limits,
				 * set_mask, principal (created_by),
				 * key.expires_at, key.allow_ips; err
				 * NOTFOUND: no such team */
	STORE_KEY_LIST,		/* R in: team ("" for all); out: json:
				 * id, team, name, created_at, created_by,
				 * expires_at, last_used_at, revoked_at,
				 * rotating_until (the old secret's end, or
				 * null), allow_ips (text), the limits */
	STORE_KEY_REVOKE,	/* W in: key_id; err NOTFOUND if unknown */
	STORE_KEYS_LOAD,	/* R in: version (the caller's; -1: none);
				 * out: changed; when changed, rows, n_rows
				 * (usable keys) and version */
	STORE_AUDIT_APPEND,	/* W in: rec; spend (settled when
				 * spend->settle; out: its settled and
				 * budgets' used) or NULL; objs, n_objs (what
				 * the request made or deleted upstream,
				 * owned by rec.team). One transaction. */
	STORE_OBJECTS_LOAD,	/* R in: version (> 0: the caller's); out:
				 * json [[kind, id, team], ...], version;
				 * PostgreSQL: changed = 0 and no json when
				 * the caller's version is current */
	STORE_OBJECTS_LIST,	/* R in: team ("" for all), aq.subject when
				 * aq.has_subject; out: json (objects) */
	STORE_OBJECTS_FORGET,	/* W in: objs, n_objs (removed set): rows
				 * deleted */
	STORE_TEAM_DELETE,	/* W in: name; out: json {keys_revoked,
				 * objects_left}; err NOTFOUND if unknown.
				 * Team admins lose the team (admins
				 * version moves) */
	STORE_REQUEST_LIST,	/* R in: limit, team ("" for all); out: json
				 * (newest first) */
	STORE_RESERVE,		/* W in/out: spend (decided and recorded
				 * against every budget at once) */
	STORE_LIMITS_SET,	/* W in: team or key_id, limits, set_mask;
				 * for keys also name, key.expires_at,
				 * key.allow_ips (STORE_SET_NAME, _EXPIRES,
				 * _ALLOW_IPS); err NOTFOUND, INVAL when
				 * set_mask is 0 */
	STORE_SPEND_REPORT,	/* W in: team, key_id, from_ms/to_ms, group,
				 * group2; out: json; err INVAL: unknown
				 * group */
	STORE_AUDIT_CHECKPOINT,	/* W in: to_ms (now); signs the head if
				 * records followed the last checkpoint */
	STORE_AUDIT_PURGE,	/* W in: to_ms (cutoff), from_ms (now); out:
				 * count, more */
	STORE_SUBJECT_ERASE,	/* W in: aq.subject; out: count */
	/* Long reads, for the readonly store: */
	STORE_AUDIT_VERIFY,	/* R in: json (external checkpoints, consumed)
				 * or NULL; out: json (the report); err
				 * INVAL when the input is malformed */
	STORE_AUDIT_PAGE,	/* R in/out: aq; out: text (one page) */
	STORE_AUDIT_CHECKPOINTS,	/* R out: json */
	STORE_PROCESSING_REPORT,	/* R in: team, from_ms/to_ms,
					 * upto_seq; json (consumed if it
					 * succeeds) or NULL: {instance: last
					 * seq} bounds each chain apart
					 * (PostgreSQL: one chain per
					 * instance); out: json (per team:
					 * requests, policies with their
					 * requests, personal data,
					 * recipients) */
	/* Keys' lives (storage/teams.c), admin principals (admins.c): */
	STORE_KEY_GET,		/* R in: key_id; out: team (the key's,
				 * also when revoked); err NOTFOUND */
	STORE_KEY_ROTATE,	/* W in: key_id, hmac (the new secret's),
				 * key.grace_until (the secret replaced works
				 * until then; 0: not at all; a secret an
				 * earlier rotation kept stops); the id stays;
				 * err NOTFOUND: no such active key */
	STORE_KEYS_TOUCH,	/* W in: uses, n_uses: keys' last use (kept
				 * in memory, written in batches); a time
				 * never moves back; keys version unchanged */
	STORE_ADMIN_CREATE,	/* W in: name, role, teams, hmac, principal
				 * (created_by); err EXISTS: an active admin
				 * has the name; NOTFOUND: a team of teams
				 * does not exist (out: team names it) */
	STORE_ADMIN_LIST,	/* R out: json: name, role, teams (array),
				 * created_at, created_by, revoked_at */
	STORE_ADMIN_REVOKE,	/* W in: name, not_owner; err NOTFOUND (no
				 * such active admin), PERM (an owner, and
				 * not_owner set) */
	STORE_ADMIN_ROTATE,	/* W in: name, hmac, not_owner: a new token;
				 * err as STORE_ADMIN_REVOKE */
	STORE_ADMINS_LOAD,	/* R in: version (-1: none); out: changed;
				 * when changed, json (active admins: name,
				 * role, hmac as hex, teams) and version */
	STORE_OP_KINDS		/* how many kinds there are; not a kind */
};

/* Budget and rate limits of a team or key; limit -1 / 0 mean none. */
struct store_limits {
	int64_t budget;		/* micro-units, -1: none */
	int currency;		/* 0 EUR, 1 USD */
	int period;		/* 0 daily, 1 monthly, 2 total */
	int64_t rpm;		/* requests per minute, 0: none */
	int64_t tpm;		/* tokens per minute, 0: none */
	char models[256];	/* keys only: model globs, comma-separated */
	char models_deny[256];	/* "" when none */
};

enum store_limit_field { STORE_SET_BUDGET = 1, STORE_SET_RPM = 2,
	STORE_SET_TPM = 4, STORE_SET_MODELS = 8, STORE_SET_MODELS_DENY = 16,
	/* Keys only, with STORE_LIMITS_SET: */
	STORE_SET_NAME = 32, STORE_SET_EXPIRES = 64,
	STORE_SET_ALLOW_IPS = 128 };

/* A key's life: expiry, IP allowlist, rotation. */
struct store_key_meta {
	int64_t expires_at;	/* Unix seconds; 0: never */
	char allow_ips[720];	/* CIDRs, comma-separated; "": anywhere */
	int64_t grace_until;	/* STORE_KEY_ROTATE: the old secret's end */
};

/* A key's last use, for STORE_KEYS_TOUCH. */
struct store_key_use {
	char id[16];
	int64_t at;		/* Unix seconds */
};

#define STORE_MAX_BUDGETS 3

/* One budget a request is reserved against. */
struct store_budget {
	char scope;		/* 'g' global, 't' team, 'k' key */
	char id[65];		/* team name or key id; "" for global */
	int64_t limit;		/* micro-units */
	int currency;
	int64_t start_ms, end_ms;	/* the period of the reservation */
	int64_t used;		/* out: spent and reserved after the op */
};

/* A subject's rate limits ("k:KEYID", "t:TEAM"); 0: none. */
struct store_rate {
	char subject[80];
	int64_t rpm, tpm;
};

#define STORE_MAX_RATES 2

/*
 * A request's ledger entry: reserved before forwarding (STORE_RESERVE),
 * settled with the request's record (STORE_AUDIT_APPEND). Owned by the
 * submitter; the store fills the outputs.
 */
struct store_spend {
	char ledger_id[40];	/* unique per request, never client-chosen */
	char request_id[65];
	int64_t ts_ms;		/* reservation time: the period it counts in */
	char team[65];
	char key_id[16];
	char model[128];
	char method[8];		/* what the request is known by if a crash */
	char path[256];		/* interrupts it */
	char client[48];
	struct store_budget budgets[STORE_MAX_BUDGETS];
	int n_budgets;
	/*
	 * Decides the reservation from what each budget has left (avail,
	 * in that budget's currency): fills reserved[currency] (-1: no
	 * price) and returns -1 when it fits, else the index of the budget
	 * that refuses. Runs where the store decides: on SQLite on the loop
	 * thread, in store_submit or later; on PostgreSQL on the store's
	 * thread, inside the transaction that records the reservation. Pure
	 * code only.
	 */
	int (*decide)(void *arg, const int64_t *avail, const int *currency,
	    int n, int64_t *reserved);
	void *decide_arg;
	int64_t reserved[2];	/* out of STORE_RESERVE */
	int refused;		/* out: budget index, or -1 */
	/*
	 * Rate limits that several instances share (PostgreSQL; a single
	 * instance's limiter is in memory, policy/ratelimit.c, and SQLite
	 * ignores these): STORE_RESERVE takes the request from each
	 * subject's bucket with the reservation, or refuses it
	 * (rate_refused: 1 requests, 2 tokens; rate_retry_s); the
	 * settlement charges tokens to the tpm buckets.
	 */
	struct store_rate rates[STORE_MAX_RATES];
	int n_rates;
	int rate_refused;	/* out of STORE_RESERVE; then no entry */
	int64_t rate_retry_s;
	int64_t tokens;		/* read by the settlement: tokens used */
	/* Settlement, read by STORE_AUDIT_APPEND when settle is set. */
	int settle;
	int charged;		/* no usage known: the reservation is charged */
	int64_t cost[2];	/* -1: not priced */
	int64_t prompt_tokens, completion_tokens;	/* -1: unknown */
	int settled;		/* out: this op settled it (not already) */
};

/* A usable (not revoked) key with its team, for the in-memory cache;
 * expired keys are in it too (they answer key_expired). */
struct store_key_row {
	char id[16];
	char team[65];
	char policy[65];
	unsigned char hmac[32];
	struct store_limits team_limits, key_limits;
	int64_t expires_at;	/* 0: never */
	char allow_ips[720];	/* "": anywhere */
	unsigned char prev_hmac[32];	/* the secret a rotation replaced */
	int64_t prev_until;	/* ... works until then; 0: none */
};

/*
 * One audit record: a proxied request, an admin action or an event of the
 * gateway itself. Metadata only, never content (storage/chain.h says
 * which fields the hash chain covers: all but subject).
 */
struct store_request {
	char kind[8];		/* "request", "admin" or "system" */
	char request_id[65];
	int64_t ts_ms;		/* wall clock, Unix milliseconds */
	char key_id[16];
	char team[65];
	char client[48];	/* the client's address */
	char method[8];
	char path[256];		/* without the query string; for system
				 * records the event ("retention") */
	char model[128];
	char upstream[65];
	char region[65];	/* the region of the upstream that answered */
	char policy[65];	/* the policy applied */
	char verdicts[224];	/* "auth=pass ... pii=modified ...": each
				 * module of the policy chain; for admin
				 * records "admin=NAME role=ROLE": the
				 * principal that called */
	char route[512];	/* the routing decision (policy/route.h) */
	char pii[256];		/* "EMAIL:2,IBAN:1": types and counts, never
				 * values; "" when none */
	int zdr;		/* zero data retention applied */
	int streamed;
	int status;		/* 0: interrupted by a crash */
	char error[48];		/* the gateway's error code, or "" */
	int64_t prompt_tokens;	/* -1 when unknown */
	int64_t completion_tokens;
	int64_t cost[2];	/* EUR, USD micro-units; -1 not priced */
	int64_t latency_us;
	unsigned char req_hash[32];	/* SHA-256 of the body received */
	unsigned char resp_hash[32];	/* SHA-256 of the body answered */
	int has_req_hash, has_resp_hash;
	unsigned char subject[32];	/* keyed hash of X-Eugate-Subject */
	int has_subject;
};

/* An object upstream that a request made or deleted. */
struct store_obj {
	char kind[16];		/* "file", "batch", ... (policy/endpoint.h) */
	char id[128];
	char parent[128];	/* a document's library; "" for others */
	int removed;
};

enum store_format { STORE_FMT_JSONL, STORE_FMT_CSV };

/* A selection of audit records, read page by page (keyset on seq). */
struct store_audit_query {
	int64_t from_ms, to_ms;	/* [from, to) */
	char team[65];		/* "" for all */
	unsigned char subject[32];
	int has_subject;	/* only this subject's records */
	int format;		/* enum store_format */
	int64_t after;		/* in/out: the last seq read */
	int done;		/* out: nothing follows */
};

/*
 * One operation: what it is, its inputs and its outputs, in one struct
 * for every kind (enum store_op_type says which fields each kind uses).
 * Callers embed it (a request's record, an admin call) and carry one op
 * through several kinds; the size is mostly the record (rec).
 */
struct store_op {
	int type;		/* enum store_op_type */
	enum gw_err err;	/* the result, set by the store */
	/* Runs on the loop thread once the operation is committed (or
	 * failed); the op belongs to the submitter again from then on. */
	void (*done)(struct store_op *op);
	void *arg;
	struct store_op *next;	/* queue link, owned by the store */

	/* Inputs. */
	char name[65];
	char policy[65];
	char team[65];
	char key_id[16];
	unsigned char hmac[32];
	int64_t version;
	int limit;
	struct store_request rec;
	struct store_limits limits;	/* TEAM/KEY_CREATE, LIMITS_SET */
	int set_mask;			/* the limits given (enum
					 * store_limit_field) */
	int64_t from_ms, to_ms;		/* reports: [from, to) */
	int64_t upto_seq;		/* PROCESSING_REPORT: only records up
					 * to this seq (those verified); 0:
					 * all, -1: none */
	int group;			/* SPEND_REPORT: enum store_group */
	int group2;			/* ... and within it (NONE: not) */
	struct store_spend *spend;	/* RESERVE, AUDIT_APPEND; not owned */
	const struct store_obj *objs;	/* AUDIT_APPEND, OBJECTS_FORGET;
					 * not owned */
	size_t n_objs;
	struct store_audit_query aq;	/* AUDIT_PAGE, SUBJECT_ERASE,
					 * OBJECTS_LIST */
	char principal[65];		/* KEY_CREATE, ADMIN_CREATE: the
					 * admin who asks (created_by) */
	char role[16];			/* ADMIN_CREATE: owner, admin,
					 * team-admin or auditor */
	char teams[1056];		/* ADMIN_CREATE: team names,
					 * comma-separated (a team admin's) */
	int not_owner;			/* ADMIN_REVOKE, _ROTATE */
	struct store_key_meta key;	/* KEY_CREATE, LIMITS_SET,
					 * KEY_ROTATE */
	const struct store_key_use *uses;	/* KEYS_TOUCH; not owned */
	size_t n_uses;

	/* Outputs; json and rows belong to the submitter after done. */
	json_t *json;
	struct store_key_row *rows;
	size_t n_rows;
	int changed;		/* STORE_KEYS_LOAD: rows are a new snapshot */
	char *text;		/* STORE_AUDIT_PAGE: malloc'ed */
	size_t text_len;
	int64_t count;		/* records purged, links erased */
	int more;		/* STORE_AUDIT_PURGE: run again */
};

/* How a spend report groups the ledger. */
enum store_group { STORE_GROUP_NONE, STORE_GROUP_MODEL, STORE_GROUP_DAY,
	STORE_GROUP_TEAM, STORE_GROUP_KEY };

/* How a store opens. */
struct store_conf {
	int full_sync;		/* every commit reaches the disk (SQLite:
				 * synchronous=FULL) */
	int readonly;		/* a second connection for long reads */
	const char *audit_key;	/* Ed25519 key (PEM), created when missing;
				 * NULL: no checkpoints are signed */
	int64_t checkpoint_every;	/* records between checkpoints; 0: only
					 * STORE_AUDIT_CHECKPOINT makes them */
	int wal_pages;		/* SQLite: WAL pages between WAL checkpoints;
				 * 0: the default (1000, 4 MB) */
	/* PostgreSQL: this instance's name (its audit chain, its
	 * reservations; NULL: "default"), unique among the instances
	 * running on one database. */
	const char *instance;
	/* PostgreSQL: a fingerprint of the key-hashing secret (32 bytes,
	 * or NULL): instances that differ are said in the log. */
	const unsigned char *secret_check;
	/* PostgreSQL: an instance whose session is gone and that was last
	 * seen this long ago is dead; a live one then settles its open
	 * reservations as charged (0: 10 s). */
	int64_t instance_timeout_ms;
	/* SQLite, readonly: the writer's store (or NULL), whose journaled
	 * records submitted before a read that read waits for. */
	struct store *writer;
};

/*
 * Opens (creating and migrating, unless readonly) the database at path
 * (a PostgreSQL connection URI, postgres:// or postgresql://, picks
 * that backend), synchronously: call before the event loop runs. Crash
 * recovery runs here: reservations left open are settled as charged and
 * recorded as interrupted. The loop's event_base must have been made
 * thread-aware (evthread); with base NULL, done callbacks run only in
 * store_flush.
 */
enum gw_err store_open(const char *path, const struct store_conf *conf,
    struct event_base *base, struct store **out) GW_WUR;
/* Runs every queued operation, stops the store's threads and closes
 * (NULL: nothing). */
void store_close(struct store *st);

/* Queues op; op->done runs later on the loop thread. */
void store_submit(struct store *st, struct store_op *op);

/* Frees the outputs of an op (json, rows, text). */
void store_op_cleanup(struct store_op *op);

/* What the store has done since it opened: group commit works when
 * ops per transaction grows with the load. */
struct store_stats {
	uint64_t transactions;	/* batches committed or rolled back */
	uint64_t ops;		/* operations run in them */
	uint64_t wal_checkpoints;	/* SQLite: the WAL copied into the
					 * database */
};

void store_get_stats(struct store *st, struct store_stats *out);

/* Runs the store's pending work and done callbacks until none is left:
 * for tests and shutdown, never on the serving path. */
void store_flush(struct store *st);

#endif
