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
	STORE_REQUEST_LOG,	/* in: rec */
	STORE_REQUEST_LIST,	/* in: limit; out: json (newest first) */
};

/* A usable (not revoked) key with its team, for the in-memory cache. */
struct store_key_row {
	char id[16];
	char team[65];
	char policy[65];
	unsigned char hmac[32];
};

/* One proxied request, as written to the requests table. */
struct store_request {
	char request_id[65];
	int64_t ts_ms;		/* wall clock, Unix milliseconds */
	char key_id[16];
	char team[65];
	char method[8];
	char path[256];		/* without the query string */
	char model[128];
	char upstream[65];
	int status;
	int64_t prompt_tokens;	/* -1 when unknown */
	int64_t completion_tokens;
	int64_t latency_us;
	char error[48];		/* the gateway's error code, or "" */
	int streamed;
	char pii[256];		/* "EMAIL:2,IBAN:1": types and counts, never
				 * values; "" when none */
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

	/* Outputs; json and rows belong to the submitter after done. */
	json_t *json;
	struct store_key_row *rows;
	size_t n_rows;
	int changed;		/* STORE_KEYS_LOAD: rows are a new snapshot */
};

/*
 * Opens (creating and migrating) the database at path, synchronously: call
 * before the event loop runs. full_sync selects synchronous=FULL. The
 * loop's event_base must have been made thread-aware (evthread).
 */
enum gw_err store_open(const char *path, int full_sync,
    struct event_base *base, struct store **out) GW_WUR;
/* Runs every queued operation, stops the writer thread and closes. */
void store_close(struct store *st);

/* Queues op; op->done runs later on the loop thread. */
void store_submit(struct store *st, struct store_op *op);

/* Frees the outputs of an op (json, rows). */
void store_op_cleanup(struct store_op *op);

/* Runs the writer's pending work and done callbacks until none is left:
 * for tests and shutdown, never on the serving path. */
void store_flush(struct store *st);

#endif
