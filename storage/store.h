/*
 * Storage: SQLite in WAL mode behind a writer thread with group commit.
 * The event loop never touches the disk: it submits operations, the
 * writer thread runs every queued operation in one transaction, and each
 * operation's done callback then runs on the loop thread. This is the
 * only module that includes sqlite3.h.
 */
#ifndef STORAGE_STORE_H
#define STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/err.h"

struct store;

enum store_op_type {
	STORE_TEAM_CREATE,	/* in: name, policy */
	STORE_TEAM_LIST,	/* out: json (array of teams) */
	STORE_KEY_CREATE,	/* in: key_id, team, name, hmac */
	STORE_KEY_LIST,		/* in: team ("" for all); out: json */
	STORE_KEY_REVOKE,	/* in: key_id; err NOTFOUND if unknown */
	STORE_KEYS_LOAD,	/* in: version; out: rows when changed */
	STORE_AUDIT_APPEND,	/* in: rec, spend (settles when set), objs
				 * (what the request made or deleted
				 * upstream, owned by rec.team) */
	STORE_OBJECTS_LOAD,	/* out: json [[kind, id, team], ...] */
	STORE_OBJECTS_LIST,	/* in: team ("" for all), aq.subject when
				 * has_subject; out: json (objects) */
	STORE_OBJECTS_FORGET,	/* in: objs (removed set): rows deleted */
	STORE_TEAM_DELETE,	/* in: name; out: json {keys_revoked,
				 * objects_left}; err NOTFOUND if unknown */
	STORE_REQUEST_LIST,	/* in: limit; out: json (newest first) */
	STORE_RESERVE,		/* in/out: spend */
	STORE_LIMITS_SET,	/* in: team or key_id, limits, set_mask */
	STORE_SPEND_REPORT,	/* in: team, key_id, from/to, group; json */
	STORE_AUDIT_CHECKPOINT,	/* in: to_ms (now); signs the head if
				 * records followed the last checkpoint */
	STORE_AUDIT_PURGE,	/* in: to_ms (cutoff), from_ms (now); out:
				 * count, more */
	STORE_SUBJECT_ERASE,	/* in: aq.subject; out: count */
	/* Reads, for the reader connection (store_conf.readonly): */
	STORE_AUDIT_VERIFY,	/* in: json (external checkpoints, consumed)
				 * or NULL; out: json (the report); err
				 * INVAL when the input is malformed */
	STORE_AUDIT_PAGE,	/* in/out: aq; out: text (one page) */
	STORE_AUDIT_CHECKPOINTS,	/* out: json */
	STORE_PROCESSING_REPORT,	/* in: team, from/to; out: json */
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
	STORE_SET_TPM = 4, STORE_SET_MODELS = 8, STORE_SET_MODELS_DENY = 16 };

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

/*
 * A request's ledger entry: reserved before forwarding (STORE_RESERVE),
 * settled with the request's record (STORE_REQUEST_LOG). Owned by the
 * submitter; the writer thread fills the outputs.
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
	 * that refuses. Runs on the writer thread: pure code only.
	 */
	int (*decide)(void *arg, const int64_t *avail, const int *currency,
	    int n, int64_t *reserved);
	void *decide_arg;
	int64_t reserved[2];	/* out of STORE_RESERVE */
	int refused;		/* out: budget index, or -1 */
	/* Settlement, read by STORE_REQUEST_LOG when settle is set. */
	int settle;
	int charged;		/* no usage known: the reservation is charged */
	int64_t cost[2];	/* -1: not priced */
	int64_t prompt_tokens, completion_tokens;	/* -1: unknown */
	int settled;		/* out: this op settled it (not already) */
};

/* A usable (not revoked) key with its team, for the in-memory cache. */
struct store_key_row {
	char id[16];
	char team[65];
	char policy[65];
	unsigned char hmac[32];
	struct store_limits team_limits, key_limits;
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
				 * module of the policy chain */
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

struct store_op {
	int type;		/* enum store_op_type */
	enum gw_err err;	/* set by the writer thread */
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
	int set_mask;			/* the limits given: store_limit_field */
	int64_t from_ms, to_ms;		/* SPEND_REPORT: [from, to) */
	int group;			/* SPEND_REPORT: enum store_group */
	struct store_spend *spend;	/* RESERVE, AUDIT_APPEND; not owned */
	const struct store_obj *objs;	/* AUDIT_APPEND; not owned */
	size_t n_objs;
	struct store_audit_query aq;	/* AUDIT_PAGE, SUBJECT_ERASE */

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

struct store_conf {
	int full_sync;		/* synchronous=FULL */
	int readonly;		/* a second connection for long reads */
	const char *audit_key;	/* Ed25519 key (PEM), created when missing;
				 * NULL: no checkpoints are signed */
	int64_t checkpoint_every;	/* records between checkpoints; 0: only
					 * STORE_AUDIT_CHECKPOINT makes them */
	int wal_pages;		/* WAL pages between WAL checkpoints; 0: the
				 * default, STORE_WAL_PAGES (1000, 4 MB) */
};

/*
 * Opens (creating and migrating, unless readonly) the database at path,
 * synchronously: call before the event loop runs. Crash recovery runs
 * here: reservations left open are settled as charged and recorded as
 * interrupted. The loop's event_base must have been made thread-aware
 * (evthread).
 */
enum gw_err store_open(const char *path, const struct store_conf *conf,
    struct event_base *base, struct store **out) GW_WUR;
/* Runs every queued operation, stops the writer thread and closes. */
void store_close(struct store *st);

/* Queues op; op->done runs later on the loop thread. */
void store_submit(struct store *st, struct store_op *op);

/* Frees the outputs of an op (json, rows, text). */
void store_op_cleanup(struct store_op *op);

/* What the writer has done since the store opened: group commit works
 * when ops per transaction grows with the load. */
struct store_stats {
	uint64_t transactions;	/* batches committed or rolled back */
	uint64_t ops;		/* operations run in them */
	uint64_t wal_checkpoints;
};

void store_get_stats(struct store *st, struct store_stats *out);

/* Runs the writer's pending work and done callbacks until none is left:
 * for tests and shutdown, never on the serving path. */
void store_flush(struct store *st);

#endif
