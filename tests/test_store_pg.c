/*
 * Storage tests of several instances on one PostgreSQL: one budget that
 * no interleaving overspends, keys seen by every instance, a chain per
 * instance that verifies (and names a tampered one), the reservations of
 * a dead instance recovered by a live one, a lost connection, the
 * schema and URL refusals. The database is inspected and tampered with
 * through libpq directly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <pthread.h>

#include "storage/store.h"
#include "tests/tap.h"
#include "tests/test_store_pg.h"

static PGconn *db;
static char key_path[64];

/* Runs sql on the test's own connection; returns its first value as a
 * number (-1: none). */
static long long
sql(const char *q)
{
	PGresult *r = PQexec(db, q);
	long long v = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK)
		printf("# %s: %s", q, PQerrorMessage(db));
	else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* A count of at least one, written in decimal. */
static int
count_ok(const char *s)
{
	return strtol(s, NULL, 10) >= 1;
}

static struct store *
open_instance(const char *url, const char *name, int readonly)
{
	struct store_conf conf = { .instance = name, .readonly = readonly,
		.audit_key = key_path,
		.checkpoint_every = 5, .instance_timeout_ms = 500 };
	struct store *st = NULL;

	if (store_open(url, &conf, NULL, &st) != GW_OK)
		return NULL;
	return st;
}

static struct store_op *
op_new(int type)
{
	struct store_op *op = calloc(1, sizeof(*op));

	op->type = type;
	return op;
}

static enum gw_err
run(struct store *st, struct store_op *op)
{
	store_submit(st, op);
	store_flush(st);
	return op->err;
}

static int
fixed10(void *arg, const int64_t *avail, const int *cur, int n,
    int64_t *reserved)
{
	reserved[0] = 10;
	reserved[1] = -1;
	for (int i = 0; i < n; i++)
		if (avail[i] < 10)
			return i;
	return -1;
}

static void
spend_init(struct store_spend *sp, const char *id, const char *team)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->ledger_id, sizeof(sp->ledger_id), "%s", id);
	snprintf(sp->request_id, sizeof(sp->request_id), "req-%s", id);
	snprintf(sp->team, sizeof(sp->team), "%s", team);
	sp->ts_ms = 1795000000000LL;
	sp->n_budgets = 2;
	sp->budgets[0].scope = 'g';
	sp->budgets[0].limit = 1000000;
	sp->budgets[1].scope = 't';
	snprintf(sp->budgets[1].id, sizeof(sp->budgets[1].id), "%s", team);
	sp->budgets[1].limit = 1000;
	for (int i = 0; i < 2; i++) {
		sp->budgets[i].start_ms = 1790000000000LL;
		sp->budgets[i].end_ms = 1800000000000LL;
	}
	sp->decide = fixed10;
}

/* 120 reservations of 10 against one budget of 1000, half on each of two
 * instances, all queued at once: exactly 100 fit. */
static void
test_shared_budget(struct store *a, struct store *b)
{
	enum { N = 120 };
	static struct store_spend sp[N];
	static struct store_op ops[N];
	int fit = 0, refused = 0, errs = 0;

	for (int i = 0; i < N; i++) {
		char id[32];

		snprintf(id, sizeof(id), "shared-%d", i);
		spend_init(&sp[i], id, "shared");
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].type = STORE_RESERVE;
		ops[i].spend = &sp[i];
		store_submit(i % 2 ? b : a, &ops[i]);
		if (i % 7 == 6)
			usleep(300);	/* several batches on each side */
	}
	store_flush(a);
	store_flush(b);
	for (int i = 0; i < N; i++) {
		errs += ops[i].err != GW_OK;
		fit += ops[i].err == GW_OK && sp[i].refused < 0;
		refused += ops[i].err == GW_OK && sp[i].refused == 1;
	}
	ok(errs == 0 && fit == 100 && refused == 20, "one budget, two "
	    "instances, 120 reservations of 10 against 1000: %d fit, %d "
	    "refused, %d failed", fit, refused, errs);
	ok(sql("SELECT sum(reserved_eur) FROM ledger WHERE team = 'shared'") ==
	    1000 && sql("SELECT used FROM budget_used WHERE scope = 't' AND "
	    "id = 'shared'") == 1000, "the ledger holds exactly the budget");
	ok(sql("SELECT count(DISTINCT instance) FROM ledger WHERE team = "
	    "'shared'") == 2, "reserved by both instances");
}

/* A team's 5 requests per minute, 10 reservations on two instances: 5
 * fit, the others are refused by the rate and leave no entry; tokens
 * charged with a settlement empty the tokens bucket. */
static void
test_shared_rates(struct store *a, struct store *b)
{
	enum { N = 10 };
	static struct store_spend sp[N];
	static struct store_op ops[N];
	int fit = 0, limited = 0;

	for (int i = 0; i < N; i++) {
		char id[32];

		snprintf(id, sizeof(id), "rated-%d", i);
		spend_init(&sp[i], id, "rated");
		sp[i].n_budgets = 0;
		snprintf(sp[i].rates[0].subject, sizeof(sp[i].rates[0].subject),
		    "t:rated");
		sp[i].rates[0].rpm = 5;
		sp[i].rates[0].tpm = 1000;
		sp[i].n_rates = 1;
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].type = STORE_RESERVE;
		ops[i].spend = &sp[i];
		store_submit(i % 2 ? b : a, &ops[i]);
	}
	store_flush(a);
	store_flush(b);
	for (int i = 0; i < N; i++) {
		fit += ops[i].err == GW_OK && sp[i].rate_refused == 0;
		limited += ops[i].err == GW_OK && sp[i].rate_refused == 1 &&
		    sp[i].rate_retry_s >= 1;
	}
	ok(fit == 5 && limited == 5, "5 requests per minute over two "
	    "instances: %d fit, %d refused with a retry time", fit, limited);
	ok(sql("SELECT count(*) FROM ledger WHERE team = 'rated'") == 5,
	    "refused requests leave no ledger entry");
	for (int i = 0; i < N; i++) {
		struct store_op op;

		if (sp[i].rate_refused != 0)
			continue;
		memset(&op, 0, sizeof(op));
		op.type = STORE_AUDIT_APPEND;
		snprintf(op.rec.kind, sizeof(op.rec.kind), "request");
		sp[i].settle = 1;
		sp[i].cost[0] = sp[i].cost[1] = -1;
		sp[i].tokens = 1200;
		op.spend = &sp[i];
		run(a, &op);
		break;
	}
	spend_init(&sp[0], "rated-after", "rated");
	sp[0].n_budgets = 0;
	snprintf(sp[0].rates[0].subject, sizeof(sp[0].rates[0].subject),
	    "t:rated");
	sp[0].rates[0].tpm = 1000;	/* no requests limit now */
	sp[0].n_rates = 1;
	memset(&ops[0], 0, sizeof(ops[0]));
	ops[0].type = STORE_RESERVE;
	ops[0].spend = &sp[0];
	ok(run(b, &ops[0]) == GW_OK && sp[0].rate_refused == 2, "tokens "
	    "charged on one instance refuse on the other (tokens per "
	    "minute)");
}

static void
test_keys(struct store *a, struct store *b)
{
	struct store_op *op = op_new(STORE_KEYS_LOAD);
	int64_t v;
	int found = 0;

	op->version = -1;
	run(b, op);
	v = op->version;
	store_op_cleanup(op);
	memset(op, 0, sizeof(*op));
	op->type = STORE_TEAM_CREATE;
	snprintf(op->name, sizeof(op->name), "keyteam");
	snprintf(op->policy, sizeof(op->policy), "default");
	run(a, op);
	memset(op, 0, sizeof(*op));
	op->type = STORE_KEY_CREATE;
	snprintf(op->key_id, sizeof(op->key_id), "KEYONAAAAAAA");
	snprintf(op->team, sizeof(op->team), "keyteam");
	memset(op->hmac, 7, 32);
	ok(run(a, op) == GW_OK, "a key created on instance a");
	memset(op, 0, sizeof(*op));
	op->type = STORE_KEYS_LOAD;
	op->version = v;
	run(b, op);
	for (size_t i = 0; i < op->n_rows; i++)
		found += strcmp(op->rows[i].id, "KEYONAAAAAAA") == 0;
	ok(op->err == GW_OK && op->changed && found == 1, "instance b's next "
	    "snapshot has it");
	v = op->version;
	store_op_cleanup(op);
	memset(op, 0, sizeof(*op));
	op->type = STORE_KEY_REVOKE;
	snprintf(op->key_id, sizeof(op->key_id), "KEYONAAAAAAA");
	ok(run(b, op) == GW_OK, "revoked on instance b");
	memset(op, 0, sizeof(*op));
	op->type = STORE_KEYS_LOAD;
	op->version = v;
	run(a, op);
	found = 0;
	for (size_t i = 0; i < op->n_rows; i++)
		found += strcmp(op->rows[i].id, "KEYONAAAAAAA") == 0;
	ok(op->changed && found == 0, "instance a's next snapshot has it "
	    "no more");
	store_op_cleanup(op);
	free(op);
}

static void
append(struct store *st, const char *id)
{
	struct store_op *op = op_new(STORE_AUDIT_APPEND);

	snprintf(op->rec.kind, sizeof(op->rec.kind), "request");
	snprintf(op->rec.request_id, sizeof(op->rec.request_id), "%s", id);
	snprintf(op->rec.method, sizeof(op->rec.method), "POST");
	op->rec.ts_ms = 1795000000000LL;
	op->rec.status = 200;
	op->rec.prompt_tokens = op->rec.completion_tokens = -1;
	op->rec.cost[0] = op->rec.cost[1] = -1;
	run(st, op);
	free(op);
}

static json_t *
verify(struct store *rd)
{
	struct store_op *op = op_new(STORE_AUDIT_VERIFY);
	json_t *j;

	run(rd, op);
	j = op->json;
	free(op);
	return j;
}

/* The checkpoints kept elsewhere name their instances: they verify
 * again each chain; one for a chain that is not there fails. */
static void
test_external(struct store *rd)
{
	struct store_op *op = op_new(STORE_AUDIT_CHECKPOINTS);
	json_t *cps, *j, *c;
	size_t n;

	run(rd, op);
	cps = op->json;
	n = json_array_size(json_object_get(cps, "checkpoints"));
	free(op);
	op = op_new(STORE_AUDIT_VERIFY);
	op->json = json_deep_copy(cps);
	run(rd, op);
	j = op->json;
	ok(n >= 2 && json_is_true(json_object_get(j, "ok")) &&
	    json_integer_value(json_object_get(j, "external_checkpoints")) ==
	    (json_int_t)n, "the exported checkpoints (each naming its "
	    "instance) verify every chain again (%zu)", n);
	json_decref(j);
	c = json_deep_copy(json_array_get(json_object_get(cps, "checkpoints"),
	    0));
	json_object_set_new(c, "instance", json_string("gone"));
	json_array_append_new(json_object_get(cps, "checkpoints"), c);
	memset(op, 0, sizeof(*op));
	op->type = STORE_AUDIT_VERIFY;
	op->json = cps;
	run(rd, op);
	j = op->json;
	ok(json_is_false(json_object_get(j, "ok")) && strcmp(json_string_value(
	    json_object_get(json_object_get(j, "first_bad"), "instance")),
	    "gone") == 0, "a checkpoint of a chain that is not there fails "
	    "it");
	json_decref(j);
	free(op);
}

static void
test_chains(const char *url, struct store *a, struct store *b)
{
	struct store *rd = open_instance(url, "reader", 1);
	json_t *j, *inst;
	const char *bad;

	for (int i = 0; i < 7; i++) {
		char id[32];

		snprintf(id, sizeof(id), "chain-a-%d", i);
		append(a, id);
		snprintf(id, sizeof(id), "chain-b-%d", i);
		append(b, id);
	}
	ok(rd != NULL, "a reader opens");
	if (rd == NULL)
		return;
	j = verify(rd);
	inst = json_object_get(j, "instances");
	ok(json_is_true(json_object_get(j, "ok")) && json_array_size(inst) >=
	    2, "every instance's chain verifies (%zu chains)",
	    json_array_size(inst));
	ok(json_integer_value(json_object_get(json_array_get(inst, 0),
	    "signed_through")) >= 5, "each instance signs its checkpoints");
	json_decref(j);
	sql("UPDATE audit SET status = 500 WHERE instance = 'b' AND "
	    "request_id = 'chain-b-3'");
	j = verify(rd);
	bad = json_string_value(json_object_get(json_object_get(j,
	    "first_bad"), "instance"));
	ok(json_is_false(json_object_get(j, "ok")) && bad != NULL &&
	    strcmp(bad, "b") == 0, "a changed record is named with its "
	    "instance (%s)", bad ? bad : "none");
	json_decref(j);
	sql("UPDATE audit SET status = 200 WHERE instance = 'b' AND "
	    "request_id = 'chain-b-3'");
	sql("UPDATE audit SET instance = 'a', seq = seq + 1000 WHERE "
	    "instance = 'b' AND request_id = 'chain-b-3'");
	j = verify(rd);
	inst = json_object_get(j, "instances");
	ok(json_is_false(json_object_get(j, "ok")) &&
	    json_is_false(json_object_get(json_array_get(inst, 0), "ok")) &&
	    json_is_false(json_object_get(json_array_get(inst, 1), "ok")),
	    "a record moved into another chain breaks both");
	json_decref(j);
	sql("UPDATE audit SET instance = 'b', seq = seq - 1000 WHERE "
	    "request_id = 'chain-b-3'");
	j = verify(rd);
	ok(json_is_true(json_object_get(j, "ok")), "restored: verifies");
	json_decref(j);
	test_external(rd);
	store_close(rd);
}

/* A request record of team "rep" (the processing report's). */
static void
append_rep(struct store *st, const char *policy, const char *pii,
    const char *route)
{
	struct store_op *op = op_new(STORE_AUDIT_APPEND);

	snprintf(op->rec.kind, sizeof(op->rec.kind), "request");
	snprintf(op->rec.request_id, sizeof(op->rec.request_id), "rep");
	snprintf(op->rec.method, sizeof(op->rec.method), "POST");
	snprintf(op->rec.team, sizeof(op->rec.team), "rep");
	snprintf(op->rec.policy, sizeof(op->rec.policy), "%s", policy);
	snprintf(op->rec.pii, sizeof(op->rec.pii), "%s", pii);
	snprintf(op->rec.route, sizeof(op->rec.route), "%s", route);
	snprintf(op->rec.upstream, sizeof(op->rec.upstream), "up");
	snprintf(op->rec.region, sizeof(op->rec.region), "eu");
	op->rec.ts_ms = 1795000000000LL;
	op->rec.status = 200;
	op->rec.prompt_tokens = op->rec.completion_tokens = -1;
	op->rec.cost[0] = op->rec.cost[1] = -1;
	run(st, op);
	free(op);
}

/* The processing report of team "rep" (bounds: consumed), its team. */
static json_t *
report(struct store *rd, json_t *bounds, int64_t upto_seq)
{
	struct store_op *op = op_new(STORE_PROCESSING_REPORT);
	json_t *t;

	snprintf(op->team, sizeof(op->team), "rep");
	op->to_ms = INT64_MAX;
	op->json = bounds;
	op->upto_seq = upto_seq;
	run(rd, op);
	t = json_incref(json_array_get(op->json, 0));
	store_op_cleanup(op);
	free(op);
	return t;
}

static json_int_t
member(json_t *o, const char *path)
{
	char k[64];
	const char *dot = strchr(path, '.');

	if (dot == NULL)
		return json_integer_value(json_object_get(o, path));
	snprintf(k, sizeof(k), "%.*s", (int)(dot - path), path);
	return member(json_object_get(o, k), dot + 1);
}

/*
 * The processing report counts every instance's records, each chain up
 * to its own last record verified (the bounds of the report's input):
 * records appended after the verification are not in it, nor a chain
 * the bounds leave out.
 */
static void
test_report(const char *url, struct store *a, struct store *b)
{
	struct store *rd = open_instance(url, "reader", 1);
	json_t *v, *bounds, *one, *t;
	size_t i;

	ok(rd != NULL, "report: a reader opens");
	if (rd == NULL)
		return;
	append_rep(a, "p1", "", "region=eu");
	append_rep(a, "p1", "", "region=eu sensitive=IBAN");
	append_rep(a, "p1", "IBAN:1", "region=eu sensitive=IBAN");
	append_rep(b, "p2", "EMAIL:2", "region=eu");
	append_rep(b, "p2", "", "region=eu");
	v = verify(rd);
	bounds = json_object();
	json_array_foreach(json_object_get(v, "instances"), i, one)
		json_object_set(bounds, json_string_value(json_object_get(one,
		    "instance")), json_object_get(one, "last_seq"));
	json_decref(v);
	append_rep(a, "p1", "EMAIL:1", "region=eu");	/* not verified */
	append_rep(b, "p3", "", "region=eu sensitive=EMAIL");
	t = report(rd, json_deep_copy(bounds), 0);
	one = json_array_get(json_object_get(t, "recipients"), 0);
	ok(member(t, "requests") == 5 && member(t, "policy_requests.p1") == 3 &&
	    member(t, "policy_requests.p2") == 2 &&
	    json_array_size(json_object_get(t, "policies")) == 2 &&
	    member(t, "personal_data.EMAIL.values") == 2 &&
	    member(t, "personal_data.IBAN.requests") == 1 &&
	    member(one, "requests") == 5 &&
	    member(one, "sensitive_requests") == 2,
	    "report: both instances' verified records, each chain up to its "
	    "last one (requests, per policy, personal data, sensitive)");
	json_decref(t);
	t = report(rd, NULL, 0);
	ok(member(t, "requests") == 7 && member(t, "policy_requests.p3") == 1,
	    "report: without bounds, every record");
	json_decref(t);
	json_object_del(bounds, "b");
	t = report(rd, bounds, 0);
	ok(member(t, "requests") == 3 && member(t, "policy_requests.p2") == 0,
	    "report: a chain the bounds leave out counts nothing");
	json_decref(t);
	store_close(rd);
}

/* An instance that stops with a reservation open: a live one charges it
 * and records the request as interrupted, in its own chain. */
static void
test_dead_instance(const char *url)
{
	struct store *c = open_instance(url, "c", 0);
	struct store_spend sp;
	struct store_op *op = op_new(STORE_RESERVE);
	long long open = -1;

	ok(c != NULL, "instance c opens");
	if (c == NULL)
		return;
	spend_init(&sp, "dead-1", "deadteam");
	op->spend = &sp;
	ok(run(c, op) == GW_OK && sp.refused < 0, "c reserves");
	free(op);
	store_close(c);	/* no settlement: as if it died */
	for (int i = 0; i < 40; i++) {
		open = sql("SELECT count(*) FROM ledger WHERE instance = 'c' "
		    "AND state = 'reserved'");
		if (open == 0)
			break;
		usleep(250000);
	}
	ok(open == 0 && sql("SELECT count(*) FROM ledger WHERE id = "
	    "'dead-1' AND state = 'charged' AND cost_eur = 10") == 1,
	    "a live instance charged the dead one's reservation");
	ok(sql("SELECT count(*) FROM audit WHERE request_id = 'req-dead-1' "
	    "AND error = 'interrupted' AND instance IN ('a', 'b')") == 1,
	    "and recorded it as interrupted in its own chain");
	ok(sql("SELECT used FROM budget_used WHERE scope = 't' AND id = "
	    "'deadteam'") == 10, "the budget keeps the charge");
}

/* An op that breaks its batch's transaction (PostgreSQL aborts it
 * whole) fails alone: the others of the batch commit. */
static void
test_broken_batch(struct store *a)
{
	struct store_spend s1, s2;
	struct store_op ops[3];

	memset(ops, 0, sizeof(ops));
	ops[0].type = STORE_TEAM_CREATE;
	snprintf(ops[0].name, sizeof(ops[0].name), "alone-ok");
	snprintf(ops[0].policy, sizeof(ops[0].policy), "default");
	spend_init(&s1, "dup-id", "alone");
	spend_init(&s2, "dup-id", "alone");	/* the same ledger id */
	ops[1].type = ops[2].type = STORE_RESERVE;
	ops[1].spend = &s1;
	ops[2].spend = &s2;
	for (int i = 0; i < 3; i++)
		store_submit(a, &ops[i]);
	store_flush(a);
	ok(ops[0].err == GW_OK && ops[1].err == GW_OK &&
	    ops[2].err == GW_ERR_STORAGE, "an op that breaks the batch's "
	    "transaction fails alone (%d %d %d)", ops[0].err, ops[1].err,
	    ops[2].err);
	ok(sql("SELECT count(*) FROM teams WHERE name = 'alone-ok'") == 1 &&
	    sql("SELECT count(*) FROM ledger WHERE id = 'dup-id'") == 1 &&
	    sql("SELECT used FROM budget_used WHERE scope = 't' AND id = "
	    "'alone'") == 10, "... and the others committed, the budget "
	    "counting the one that did");
}

static void
test_refusals(const char *url, struct store *a)
{
	struct store_conf conf = { .instance = "a" };
	struct store *st = NULL;
	struct store_op *op;
	char bad[300];

	ok(store_open(url, &conf, NULL, &st) != GW_OK, "a second running "
	    "instance with the same name is refused");
	/* The connections dropped under both instances: the next op
	 * reconnects and runs. */
	sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
	    "application_name = 'eugate' AND pid <> pg_backend_pid()");
	usleep(100000);
	op = op_new(STORE_TEAM_CREATE);
	snprintf(op->name, sizeof(op->name), "after-loss");
	snprintf(op->policy, sizeof(op->policy), "default");
	ok(run(a, op) == GW_OK, "after the connection was lost, a write "
	    "reconnects and commits");
	free(op);
	sql("INSERT INTO eugate_schema(version) VALUES(99)");
	conf.instance = "d";
	ok(store_open(url, &conf, NULL, &st) != GW_OK, "a schema newer than "
	    "this eugate is refused");
	sql("DELETE FROM eugate_schema WHERE version = 99");
	ok(store_open("postgresql://eugate:s3cret@127.0.0.1:1/x", &conf, NULL,
	    &st) == GW_ERR_STORAGE, "an unreachable server fails the open");
	snprintf(bad, sizeof(bad), "postgresql://[::1");
	ok(store_open(bad, &conf, NULL, &st) == GW_ERR_CONFIG, "a malformed "
	    "URL is a configuration error");
}

struct racer {
	char url[300];
	char name[16];
	struct store *st;
};

static void *
race_open(void *arg)
{
	struct racer *r = arg;

	r->st = open_instance(r->url, r->name, 0);
	return NULL;
}

/* Three instances starting together on an empty database: one makes
 * the schema (under the migrations' advisory lock), the others wait
 * and find it made. */
static void
test_migration_race(const char *url)
{
	struct racer r[3];
	pthread_t t[3];
	const char *slash = strrchr(url, '/');
	int opened = 0;
	PGconn *race;
	PGresult *res;

	/* The audit key is made first: the racers race for the schema, not
	 * for writing one key file (each would make its own). */
	store_close(open_instance(url, "keymaker", 1));
	sql("DROP DATABASE IF EXISTS race");
	sql("CREATE DATABASE race");
	for (int i = 0; i < 3; i++) {
		snprintf(r[i].url, sizeof(r[i].url), "%.*s/race",
		    (int)(slash - url), url);
		snprintf(r[i].name, sizeof(r[i].name), "racer%d", i);
		pthread_create(&t[i], NULL, race_open, &r[i]);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		opened += r[i].st != NULL;
		store_close(r[i].st);
	}
	race = PQconnectdb(r[0].url);
	res = PQexec(race, "SELECT count(*), count(DISTINCT version) FROM "
	    "eugate_schema");
	ok(opened == 3 && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0,
	    0), PQgetvalue(res, 0, 1)) == 0 && count_ok(PQgetvalue(res, 0, 0)),
	    "three instances starting together on an empty database: all "
	    "open, each migration applied once (%d opened)", opened);
	PQclear(res);
	PQfinish(race);
}

void
test_pg_instances(const char *url)
{
	struct store *a, *b;

	snprintf(key_path, sizeof(key_path), "/tmp/eugate-test-store-pg-%d.pem",
	    (int)getpid());
	db = PQconnectdb(url);
	if (PQstatus(db) != CONNECTION_OK) {
		ok(0, "the test's own connection: %s", PQerrorMessage(db));
		return;
	}
	test_migration_race(url);
	a = open_instance(url, "a", 0);
	b = open_instance(url, "b", 0);
	ok(a != NULL && b != NULL, "two instances open on one database");
	if (a != NULL && b != NULL) {
		test_shared_budget(a, b);
		test_shared_rates(a, b);
		test_keys(a, b);
		test_chains(url, a, b);
		test_report(url, a, b);
		test_dead_instance(url);
		test_broken_batch(a);
		test_refusals(url, a);
	}
	store_close(a);
	store_close(b);
	unlink(key_path);
	PQfinish(db);
}
