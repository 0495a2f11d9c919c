/*
 * Unit tests of storage on a real SQLite file, or (EUGATE_TEST_PG_URL set,
 * tests/test_store_pg.sh) on a real PostgreSQL: ops, group commit, keys,
 * the ledger, recovery; for PostgreSQL also several instances on one
 * database (tests/test_store_pg.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "storage/store.h"
#include "tests/tap.h"
#include "tests/test_store_pg.h"

static int n_done;

static void
done(struct store_op *op)
{
	n_done++;
}

/*
 * Under steady writes the WAL starts over after each checkpoint instead
 * of growing, and checkpoints do not run back to back: the writer itself
 * copies what was committed while the checkpointer ran.
 */
static void
test_wal_bounded(struct store *st, const char *path)
{
	enum { N = 12000, CHUNK = 40 };
	static struct store_op ops[CHUNK];
	struct store_stats s0, s1;
	char wal[300];
	struct stat sb;
	off_t max = 0;
	uint64_t cps;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	store_get_stats(st, &s0);
	for (int i = 0; i < N; i += CHUNK) {
		for (int k = 0; k < CHUNK; k++) {
			memset(&ops[k], 0, sizeof(ops[k]));
			ops[k].type = STORE_AUDIT_APPEND;
			snprintf(ops[k].rec.kind, sizeof(ops[k].rec.kind),
			    "request");
			snprintf(ops[k].rec.request_id,
			    sizeof(ops[k].rec.request_id), "steady-%d", i + k);
			snprintf(ops[k].rec.path, sizeof(ops[k].rec.path),
			    "/v1/chat/completions/%0200d", i + k);
			ops[k].rec.completion_tokens = -1;
			/* several transactions per chunk, while the
			 * checkpointer copies */
			store_submit(st, &ops[k]);
			if (k % 8 == 7)
				usleep(200);
		}
		store_flush(st);
		if (stat(wal, &sb) == 0 && sb.st_size > max)
			max = sb.st_size;
	}
	store_get_stats(st, &s1);
	cps = s1.wal_checkpoints - s0.wal_checkpoints;
	/* 12,000 records of ~350 bytes are ~1,000+ pages of table and
	 * index; at 1,000 pages between checkpoints the WAL holds about
	 * that many, plus what one checkpoint's time adds. */
	ok(max > 0 && max < 3000 * 4120, "steady writes: the WAL starts over "
	    "(largest %lld bytes)", (long long)max);
	ok(cps >= 1 && cps <= (s1.transactions - s0.transactions) / 20,
	    "steady writes: %llu WAL checkpoints for %llu transactions",
	    (unsigned long long)cps,
	    (unsigned long long)(s1.transactions - s0.transactions));
}


static struct store_op *
op_new(int type)
{
	struct store_op *op = calloc(1, sizeof(*op));

	op->type = type;
	op->done = done;
	return op;
}

/* Submits one op, waits for it, returns it (caller frees). */
static struct store_op *
run(struct store *st, struct store_op *op)
{
	store_submit(st, op);
	store_flush(st);
	return op;
}

/* Group commit on a loop: a burst submitted by one callback. */
#define BURST 10
static struct event_base *burst_base;
static struct store_op burst_ops[BURST];
static int burst_done;

static void
burst_op_done(struct store_op *op)
{
	if (++burst_done == BURST)
		event_base_loopbreak(burst_base);
}

static void
burst_submit(evutil_socket_t fd, short what, void *arg)
{
	for (int i = 0; i < BURST; i++) {
		burst_ops[i].type = STORE_TEAM_CREATE;
		burst_ops[i].done = burst_op_done;
		snprintf(burst_ops[i].name, sizeof(burst_ops[i].name),
		    "burst%d", i);
		snprintf(burst_ops[i].policy, sizeof(burst_ops[i].policy),
		    "default");
		store_submit(arg, &burst_ops[i]);
	}
}

static void
test_group_commit(const char *path)
{
	struct store_conf conf = { 0 };
	struct store_stats s0, s1;
	struct store *st;
	struct timeval now = { 0, 0 }, limit = { 10, 0 };
	int errs = 0;

	evthread_use_pthreads();
	burst_base = event_base_new();
	if (store_open(path, &conf, burst_base, &st) != GW_OK) {
		ok(0, "open a store on a loop");
		return;
	}
	{
		/* One op through: the writer has started and now waits. */
		struct store_op *op = op_new(STORE_TEAM_LIST);

		run(st, op);
		store_op_cleanup(op);
		free(op);
	}
	store_get_stats(st, &s0);
	event_base_once(burst_base, -1, EV_TIMEOUT, burst_submit, st, &now);
	event_base_loopexit(burst_base, &limit);
	event_base_dispatch(burst_base);
	store_get_stats(st, &s1);
	for (int i = 0; i < BURST; i++)
		errs += burst_ops[i].err != GW_OK;
	ok(burst_done == BURST && errs == 0, "a burst of %d writes submitted "
	    "from one callback: all done (%d), none failed", BURST,
	    burst_done);
	ok(s1.ops - s0.ops == BURST && s1.transactions - s0.transactions == 1,
	    "group commit: the burst ran as one transaction (%llu ops in "
	    "%llu transactions)", (unsigned long long)(s1.ops - s0.ops),
	    (unsigned long long)(s1.transactions - s0.transactions));
	store_close(st);
	event_base_free(burst_base);
}

/* A decide() for tests: reserve a fixed amount in EUR if it fits. */
static int
fixed(void *arg, const int64_t *avail, const int *cur, int n,
    int64_t *reserved)
{
	int64_t want = *(int64_t *)arg;

	reserved[0] = want;
	reserved[1] = -1;
	for (int i = 0; i < n; i++)
		if (avail[i] < want)
			return i;
	return -1;
}

static void
spend_init(struct store_spend *sp, const char *id, int64_t *want)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->ledger_id, sizeof(sp->ledger_id), "%s", id);
	snprintf(sp->request_id, sizeof(sp->request_id), "req-%s", id);
	snprintf(sp->team, sizeof(sp->team), "finance");
	sp->ts_ms = 1795000000000LL;
	sp->n_budgets = 1;
	sp->budgets[0].scope = 't';
	snprintf(sp->budgets[0].id, sizeof(sp->budgets[0].id), "finance");
	sp->budgets[0].limit = 1000;
	sp->budgets[0].start_ms = 1790000000000LL;
	sp->budgets[0].end_ms = 1800000000000LL;
	sp->decide = fixed;
	sp->decide_arg = want;
}

/* Reservation, settlement (idempotent), and what the budget sees. */
static void
test_ledger(struct store *st)
{
	struct store_spend a, b, c;
	struct store_op *op;
	int64_t want = 600;

	spend_init(&a, "a", &want);
	op = op_new(STORE_RESERVE);
	op->spend = &a;
	ok(run(st, op)->err == GW_OK && a.refused == -1 &&
	    a.budgets[0].used == 600, "a reservation of 600 of 1000 fits");
	free(op);
	spend_init(&b, "b", &want);
	op = op_new(STORE_RESERVE);
	op->spend = &b;
	ok(run(st, op)->err == GW_OK && b.refused == 0 &&
	    b.budgets[0].used == 600, "a second one does not: refused");
	free(op);

	/* Settle a at 150: 850 left, so b fits now. */
	op = op_new(STORE_AUDIT_APPEND);
	snprintf(op->rec.request_id, sizeof(op->rec.request_id), "req-a");
	snprintf(op->rec.method, sizeof(op->rec.method), "POST");
	a.settle = 1;
	a.cost[0] = 150;
	a.cost[1] = -1;
	a.prompt_tokens = a.completion_tokens = 10;
	op->spend = &a;
	ok(run(st, op)->err == GW_OK && a.settled &&
	    a.budgets[0].used == 150, "settled at the real cost");
	memset(op, 0, sizeof(*op));
	op->type = STORE_AUDIT_APPEND;
	op->done = done;
	snprintf(op->rec.method, sizeof(op->rec.method), "POST");
	a.cost[0] = 900;	/* a second settlement must change nothing */
	op->spend = &a;
	ok(run(st, op)->err == GW_OK && !a.settled &&
	    a.budgets[0].used == 150, "settling twice changes nothing");
	free(op);
	op = op_new(STORE_RESERVE);
	op->spend = &b;
	ok(run(st, op)->err == GW_OK && b.refused == -1 &&
	    b.budgets[0].used == 750, "the released rest is usable");
	free(op);

	/* Another period starts empty. */
	spend_init(&c, "c", &want);
	c.ts_ms = c.budgets[0].start_ms = 1800000000000LL;
	c.budgets[0].end_ms = 1810000000000LL;
	op = op_new(STORE_RESERVE);
	op->spend = &c;
	ok(run(st, op)->err == GW_OK && c.refused == -1 &&
	    c.budgets[0].used == 600, "a new period has the whole budget");
	free(op);

	op = op_new(STORE_SPEND_REPORT);
	snprintf(op->team, sizeof(op->team), "finance");
	op->to_ms = INT64_MAX;
	op->group = STORE_GROUP_MODEL;
	run(st, op);
	ok(op->err == GW_OK && json_array_size(op->json) == 1 &&
	    json_integer_value(json_object_get(json_array_get(op->json, 0),
	    "cost_eur")) == 150 &&
	    json_integer_value(json_object_get(json_array_get(op->json, 0),
	    "reserved_eur")) == 1200, "report: settled cost and open "
	    "reservations apart");
	store_op_cleanup(op);
	free(op);

	/* Two grouping columns: per day, and per team within it. */
	op = op_new(STORE_SPEND_REPORT);
	op->to_ms = INT64_MAX;
	op->group = STORE_GROUP_DAY;
	op->group2 = STORE_GROUP_TEAM;
	run(st, op);
	ok(op->err == GW_OK && json_array_size(op->json) == 2 &&
	    strcmp(json_string_value(json_object_get(json_array_get(op->json,
	    0), "grp")), "2026-11-18") == 0 && strcmp(json_string_value(
	    json_object_get(json_array_get(op->json, 1), "grp")),
	    "2027-01-15") == 0 && strcmp(json_string_value(json_object_get(
	    json_array_get(op->json, 1), "grp2")), "finance") == 0 &&
	    json_integer_value(json_object_get(json_array_get(op->json, 0),
	    "requests")) == 2, "report: per day, then per team");
	store_op_cleanup(op);
	free(op);
	op = op_new(STORE_SPEND_REPORT);
	op->to_ms = INT64_MAX;
	op->group2 = STORE_GROUP_KEY + 1;
	is_int(run(st, op)->err, GW_ERR_INVAL, "report: an unknown second "
	    "group is refused");
	store_op_cleanup(op);
	free(op);
}

/* The request log of one team, with the cost of each request. */
static void
test_request_list(struct store *st)
{
	struct store_op *op = op_new(STORE_AUDIT_APPEND);
	json_t *r;

	snprintf(op->rec.kind, sizeof(op->rec.kind), "request");
	snprintf(op->rec.request_id, sizeof(op->rec.request_id), "listed");
	snprintf(op->rec.method, sizeof(op->rec.method), "POST");
	snprintf(op->rec.team, sizeof(op->rec.team), "listed");
	op->rec.status = 200;
	op->rec.prompt_tokens = op->rec.completion_tokens = -1;
	op->rec.cost[0] = 1234;
	op->rec.cost[1] = -1;
	run(st, op);
	free(op);
	op = op_new(STORE_REQUEST_LIST);
	op->limit = 10;
	snprintf(op->team, sizeof(op->team), "listed");
	run(st, op);
	r = json_array_get(op->json, 0);
	ok(op->err == GW_OK && json_array_size(op->json) == 1 &&
	    strcmp(json_string_value(json_object_get(r, "request_id")),
	    "listed") == 0 && json_integer_value(json_object_get(r,
	    "cost_eur")) == 1234 && json_is_null(json_object_get(r,
	    "cost_usd")), "the request log of one team, with costs");
	store_op_cleanup(op);
	free(op);
}

/* Runs q on the database file (for a schema made by hand); 0: done. */
static int
sql(const char *db, const char *q)
{
	sqlite3 *h;
	char *err = NULL;
	int rc;

	rc = sqlite3_open(db, &h) != SQLITE_OK ||
	    sqlite3_exec(h, q, NULL, NULL, &err) != SQLITE_OK;
	if (rc)
		printf("# sql: %s\n", err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(h);
	return rc;
}

/* The integer that query q answers on the database file; -1: none. */
static int64_t
sql_int(const char *db, const char *q)
{
	sqlite3 *h;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open(db, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, q, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/*
 * Schema 8 rebuilds the ledger (its state check without an IN list):
 * a ledger of schema 7 keeps every row and column, its indexes, and the
 * check still refuses an unknown state.
 */
static void
test_ledger_migration(void)
{
	char path[256];
	struct store_conf conf = { 0 };
	struct store *st;
	struct store_op *op;

	snprintf(path, sizeof(path), "/tmp/eugate-test-migr-%d.db",
	    (int)getpid());
	unlink(path);
	if (store_open(path, &conf, NULL, &st) != GW_OK) {
		ok(0, "open a store to migrate");
		return;
	}
	store_close(st);
	ok(sql(path, "DROP TABLE ledger; DROP TABLE journal;"
	    "CREATE TABLE ledger(id TEXT PRIMARY KEY, request_id TEXT NOT NULL,"
	    " ts INTEGER NOT NULL, team TEXT, key_id TEXT, model TEXT,"
	    " upstream TEXT, state TEXT NOT NULL CHECK(state IN ('reserved',"
	    "'settled','charged')), reserved_eur INTEGER, reserved_usd INTEGER,"
	    " cost_eur INTEGER, cost_usd INTEGER, prompt_tokens INTEGER,"
	    " completion_tokens INTEGER, settled_at INTEGER) WITHOUT ROWID;"
	    "CREATE INDEX ledger_team ON ledger(team, ts);"
	    "CREATE INDEX ledger_key ON ledger(key_id, ts);"
	    "ALTER TABLE ledger ADD COLUMN method TEXT;"
	    "ALTER TABLE ledger ADD COLUMN path TEXT;"
	    "ALTER TABLE ledger ADD COLUMN client TEXT;"
	    "INSERT INTO ledger VALUES('l1', 'r1', 1795000000000, 'finance',"
	    " 'AAAAAAAAAAAA', 'm', 'up', 'settled', 500, 550, 120, 130, 10, 20,"
	    " 1795000000001, 'POST', '/v1/x', '127.0.0.1:1');"
	    "INSERT INTO ledger(id, request_id, ts, team, state, reserved_eur)"
	    " VALUES('l2', 'r2', 1795000000002, 'finance', 'reserved', 700);"
	    "PRAGMA user_version=7;") == 0, "a ledger of schema 7 made");
	ok(store_open(path, &conf, NULL, &st) == GW_OK, "schema 7 migrates");
	op = op_new(STORE_SPEND_REPORT);
	snprintf(op->team, sizeof(op->team), "finance");
	op->to_ms = INT64_MAX;
	op->group = STORE_GROUP_MODEL;
	run(st, op);
	/* l2, left open, was charged by the reopen's recovery. */
	ok(op->err == GW_OK && json_array_size(op->json) == 2 &&
	    json_integer_value(json_object_get(json_array_get(op->json, 1),
	    "cost_eur")) == 120 && json_integer_value(json_object_get(
	    json_array_get(op->json, 1), "cost_usd")) == 130 &&
	    json_integer_value(json_object_get(json_array_get(op->json, 1),
	    "prompt_tokens")) == 10 && json_integer_value(json_object_get(
	    json_array_get(op->json, 0), "charged")) == 1,
	    "the ledger's rows are kept");
	store_op_cleanup(op);
	free(op);
	store_close(st);
	ok(sql_int(path, "SELECT count(*) FROM ledger WHERE id = 'l1' AND "
	    "method = 'POST' AND path = '/v1/x' AND client = '127.0.0.1:1' "
	    "AND upstream = 'up' AND settled_at = 1795000000001 AND "
	    "reserved_usd = 550 AND completion_tokens = 20") == 1,
	    "every column is kept");
	ok(sql(path, "INSERT INTO ledger(id, request_id, ts, state) "
	    "VALUES('x', 'x', 0, 'settled')") == 0 && sql(path, "INSERT INTO "
	    "ledger(id, request_id, ts, state) VALUES('y', 'y', 0, 'open')") !=
	    0, "the check still refuses an unknown state");
	ok(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE tbl_name = "
	    "'ledger' AND type = 'index' AND name IN ('ledger_team', "
	    "'ledger_key')") == 2 && sql_int(path, "SELECT count(*) FROM "
	    "sqlite_master WHERE name = 'ledger' AND sql LIKE '%IN (%'") == 0,
	    "its indexes are back; no IN list is left in its check");
	unlink(path);
}

/*
 * The kinds table holds what store.h says: the kinds marked W never run
 * on a readonly store (they fail with GW_ERR_INVAL and write nothing),
 * the reads run there, and a kind out of range fails alone.
 */
static void
test_kinds(struct store *st, const char *path)
{
	static const int writes[] = { STORE_TEAM_CREATE, STORE_KEY_CREATE,
		STORE_KEY_REVOKE, STORE_AUDIT_APPEND, STORE_OBJECTS_FORGET,
		STORE_TEAM_DELETE, STORE_RESERVE, STORE_LIMITS_SET,
		STORE_SPEND_REPORT, STORE_AUDIT_CHECKPOINT, STORE_AUDIT_PURGE,
		STORE_SUBJECT_ERASE, STORE_KEY_ROTATE, STORE_KEYS_TOUCH,
		STORE_ADMIN_CREATE, STORE_ADMIN_REVOKE, STORE_ADMIN_ROTATE };
	static const int reads[] = { STORE_TEAM_LIST, STORE_KEY_LIST,
		STORE_KEYS_LOAD, STORE_OBJECTS_LOAD, STORE_OBJECTS_LIST,
		STORE_REQUEST_LIST, STORE_AUDIT_VERIFY, STORE_AUDIT_PAGE,
		STORE_AUDIT_CHECKPOINTS, STORE_PROCESSING_REPORT, STORE_KEY_GET,
		STORE_ADMIN_LIST, STORE_ADMINS_LOAD };
	struct store_conf rc = { .readonly = 1 };
	struct store_spend sp;
	struct store *rd;
	struct store_op *op;
	int64_t want = 1;
	int bad = 0, n;

	ok((int)(sizeof(writes) / sizeof(writes[0]) +
	    sizeof(reads) / sizeof(reads[0])) == STORE_OP_KINDS,
	    "every kind is a write or a read here");
	if (store_open(path, &rc, NULL, &rd) != GW_OK) {
		ok(0, "open a reader");
		return;
	}
	spend_init(&sp, "on-the-reader", &want);
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		op = op_new(writes[i]);
		snprintf(op->name, sizeof(op->name), "reader-team");
		snprintf(op->policy, sizeof(op->policy), "default");
		op->spend = &sp;
		op->set_mask = STORE_SET_RPM;
		if (run(rd, op)->err != GW_ERR_INVAL) {
			printf("# kind %d ran on the reader: %s\n",
			    writes[i], gw_strerror(op->err));
			bad++;
		}
		store_op_cleanup(op);
		free(op);
	}
	ok(bad == 0, "a readonly store refuses every write kind");
	op = op_new(STORE_TEAM_LIST);
	run(st, op);
	n = (int)json_array_size(op->json);
	store_op_cleanup(op);
	free(op);
	ok(n == 1, "... and none wrote (%d team)", n);
	bad = 0;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		op = op_new(reads[i]);
		op->aq.to_ms = op->to_ms = INT64_MAX;
		snprintf(op->key_id, sizeof(op->key_id), "AAAAAAAAAAAA");
		if (run(rd, op)->err != GW_OK) {
			printf("# kind %d failed on the reader: %s\n",
			    reads[i], gw_strerror(op->err));
			bad++;
		}
		store_op_cleanup(op);
		free(op);
	}
	ok(bad == 0, "a readonly store runs every read kind");
	store_close(rd);
	bad = 0;
	for (int t = -1; t <= STORE_OP_KINDS; t += STORE_OP_KINDS + 1) {
		op = op_new(t);
		bad += run(st, op)->err != GW_ERR_INVAL;
		free(op);
	}
	ok(bad == 0, "an unknown kind fails alone");
}

int
main(void)
{
	const char *pg = getenv("EUGATE_TEST_PG_URL");
	char path[256];
	struct store *st = NULL;
	struct store_op *op, *ops[200];
	unsigned char h[32];
	struct store_conf conf = { 0 };

	conf.wal_pages = 1000;
	if (pg != NULL && *pg != '\0') {
		snprintf(path, sizeof(path), "%s", pg);
		printf("# PostgreSQL\n");
	} else {
		pg = NULL;
		snprintf(path, sizeof(path), "/tmp/eugate-test-store-%d.db",
		    (int)getpid());
		unlink(path);
	}
	ok(store_open(path, &conf, NULL, &st) == GW_OK,
	    "open creates the database");
	if (st == NULL)
		tap_bail("the store did not open (%s): nothing else can run",
		    pg != NULL ? "PostgreSQL" : path);

	op = op_new(STORE_TEAM_CREATE);
	snprintf(op->name, sizeof(op->name), "finance");
	snprintf(op->policy, sizeof(op->policy), "default");
	is_int(run(st, op)->err, GW_OK, "team created");
	free(op);
	op = op_new(STORE_TEAM_CREATE);
	snprintf(op->name, sizeof(op->name), "finance");
	snprintf(op->policy, sizeof(op->policy), "default");
	is_int(run(st, op)->err, GW_ERR_EXISTS, "duplicate team refused");
	free(op);

	memset(h, 0xab, sizeof(h));
	op = op_new(STORE_KEY_CREATE);
	snprintf(op->key_id, sizeof(op->key_id), "AAAAAAAAAAAA");
	snprintf(op->team, sizeof(op->team), "nobody");
	memcpy(op->hmac, h, 32);
	is_int(run(st, op)->err, GW_ERR_NOTFOUND,
	    "key for unknown team refused");
	free(op);
	op = op_new(STORE_KEY_CREATE);
	snprintf(op->key_id, sizeof(op->key_id), "AAAAAAAAAAAA");
	snprintf(op->team, sizeof(op->team), "finance");
	snprintf(op->name, sizeof(op->name), "ci");
	memcpy(op->hmac, h, 32);
	is_int(run(st, op)->err, GW_OK, "key created");
	free(op);

	op = op_new(STORE_KEYS_LOAD);
	op->version = -1;
	run(st, op);
	ok(op->err == GW_OK && op->changed && op->n_rows == 1 &&
	    strcmp(op->rows[0].team, "finance") == 0 &&
	    strcmp(op->rows[0].policy, "default") == 0 &&
	    memcmp(op->rows[0].hmac, h, 32) == 0, "key snapshot with team");
	{
		int64_t v = op->version;

		store_op_cleanup(op);
		free(op);
		op = op_new(STORE_KEYS_LOAD);
		op->version = v;
		run(st, op);
		ok(op->err == GW_OK && !op->changed && op->n_rows == 0,
		    "unchanged keys: no reload");
		store_op_cleanup(op);
		free(op);
	}
	op = op_new(STORE_KEY_REVOKE);
	snprintf(op->key_id, sizeof(op->key_id), "AAAAAAAAAAAA");
	is_int(run(st, op)->err, GW_OK, "key revoked");
	free(op);
	op = op_new(STORE_KEY_REVOKE);
	snprintf(op->key_id, sizeof(op->key_id), "AAAAAAAAAAAA");
	is_int(run(st, op)->err, GW_ERR_NOTFOUND, "revoking twice: not found");
	free(op);
	op = op_new(STORE_KEYS_LOAD);
	op->version = -1;
	run(st, op);
	ok(op->changed && op->n_rows == 0, "revoked keys leave the snapshot");
	store_op_cleanup(op);
	free(op);

	/* Group commit: many ops queued together all complete, in order. */
	n_done = 0;
	for (int i = 0; i < 200; i++) {
		ops[i] = op_new(STORE_AUDIT_APPEND);
		snprintf(ops[i]->rec.kind, sizeof(ops[i]->rec.kind), "request");
		snprintf(ops[i]->rec.request_id, sizeof(ops[i]->rec.request_id),
		    "req-%d", i);
		snprintf(ops[i]->rec.method, sizeof(ops[i]->rec.method),
		    "POST");
		snprintf(ops[i]->rec.path, sizeof(ops[i]->rec.path), "/v1/x");
		ops[i]->rec.status = 200;
		ops[i]->rec.prompt_tokens = i;
		ops[i]->rec.completion_tokens = -1;
		store_submit(st, ops[i]);
	}
	store_flush(st);
	is_int(n_done, 200, "every queued op completed");
	{
		int errs = 0;

		for (int i = 0; i < 200; i++) {
			errs += ops[i]->err != GW_OK;
			free(ops[i]);
		}
		is_int(errs, 0, "no op failed");
	}
	op = op_new(STORE_REQUEST_LIST);
	op->limit = 3;
	run(st, op);
	ok(op->err == GW_OK && json_array_size(op->json) == 3,
	    "newest requests listed");
	is_str(json_string_value(json_object_get(json_array_get(op->json, 0),
	    "request_id")), "req-199", "newest first");
	ok(json_is_null(json_object_get(json_array_get(op->json, 0),
	    "completion_tokens")), "unknown token counts are NULL");
	store_op_cleanup(op);
	free(op);
	test_request_list(st);
	test_ledger(st);
	test_kinds(st, path);
	if (pg == NULL)
		test_ledger_migration();
	if (pg != NULL)
		goto reopen;

	/* WAL checkpoints happen off the commit path, on their own thread:
	 * commits alone (SQLite's auto-checkpoint is off) would leave every
	 * page in the WAL and the database file as it was. */
	{
		struct stat sb;
		off_t before;
		int grew = 0;

		ok(stat(path, &sb) == 0, "database file present");
		before = sb.st_size;
		for (int i = 0; i < 800; i++) {
			op = op_new(STORE_AUDIT_APPEND);
			snprintf(op->rec.kind, sizeof(op->rec.kind), "request");
			snprintf(op->rec.request_id, sizeof(op->rec.request_id),
			    "wal-%d", i);
			op->rec.completion_tokens = -1;
			run(st, op);	/* one transaction each */
			free(op);
		}
		for (int i = 0; i < 500 && !grew; i++) {
			grew = stat(path, &sb) == 0 && sb.st_size > before;
			if (!grew)
				usleep(10000);
		}
		ok(grew, "the checkpointer copied the WAL into the database "
		    "(%lld -> %lld bytes)", (long long)before,
		    (long long)sb.st_size);
	}
	test_wal_bounded(st, path);
reopen:
	store_close(st);

	/* Reopening runs no migration twice and keeps the data; what a
	 * crash left reserved is charged. */
	conf.full_sync = 1;
	st = NULL;
	ok(store_open(path, &conf, NULL, &st) == GW_OK, "reopen");
	if (st == NULL)
		tap_bail("the store did not open again");
	op = op_new(STORE_TEAM_LIST);
	run(st, op);
	ok(json_array_size(op->json) == 1, "data kept across reopen");
	store_op_cleanup(op);
	free(op);
	op = op_new(STORE_SPEND_REPORT);
	op->to_ms = INT64_MAX;
	run(st, op);
	ok(op->err == GW_OK && json_integer_value(json_object_get(
	    json_array_get(op->json, 0), "cost_eur")) == 1350 &&
	    json_integer_value(json_object_get(json_array_get(op->json, 0),
	    "open")) == 0 && json_integer_value(json_object_get(
	    json_array_get(op->json, 0), "charged")) == 2,
	    "open reservations were charged in full at reopen");
	store_op_cleanup(op);
	free(op);
	op = op_new(STORE_REQUEST_LIST);
	op->limit = 2;
	run(st, op);
	ok(op->err == GW_OK && json_array_size(op->json) == 2 &&
	    strcmp(json_string_value(json_object_get(json_array_get(op->json,
	    0), "error")), "interrupted") == 0 && json_integer_value(
	    json_object_get(json_array_get(op->json, 1), "status")) == 0,
	    "each was recorded as interrupted");
	store_op_cleanup(op);
	free(op);
	store_close(st);
	if (pg != NULL) {
		test_group_commit(path);
		test_pg_instances(path);
		return tap_done();
	}
	unlink(path);
	{
		char wal[300];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	conf.full_sync = 0;
	test_group_commit(path);
	unlink(path);
	ok(store_open("/nonexistent-dir/x.db", &conf, NULL, &st) != GW_OK,
	    "an unwritable path fails cleanly");
	/* Without a server too: the PostgreSQL backend checks its kinds
	 * table before it connects (INVAL when a kind has no handler). */
	is_int(store_open("postgresql://eugate@127.0.0.1:1/x", &conf, NULL,
	    &st), GW_ERR_STORAGE, "every kind has a PostgreSQL handler (an "
	    "unreachable server is the only failure)");
	return tap_done();
}
