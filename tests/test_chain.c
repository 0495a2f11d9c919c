/*
 * Unit tests of the audit chain: canonical form and hashes, Ed25519 keys
 * and signatures, and on a real SQLite file the chain, checkpoints,
 * verification of every kind of tampering, retention and subject links.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/util.h"
#include "storage/chain.h"
#include "storage/store.h"
#include "tests/tap.h"

static void
sample(struct store_request *r, int i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->kind, sizeof(r->kind), "request");
	snprintf(r->request_id, sizeof(r->request_id), "req-%d", i);
	r->ts_ms = 1795000000000LL + i;
	snprintf(r->key_id, sizeof(r->key_id), "AAAAAAAAAAAA");
	snprintf(r->team, sizeof(r->team), i % 2 ? "finance" : "legal");
	snprintf(r->client, sizeof(r->client), "127.0.0.1");
	snprintf(r->method, sizeof(r->method), "POST");
	snprintf(r->path, sizeof(r->path), "/v1/chat/completions");
	snprintf(r->model, sizeof(r->model), "mistral-small-latest");
	snprintf(r->upstream, sizeof(r->upstream), "mistral-eu");
	snprintf(r->region, sizeof(r->region), "eu");
	snprintf(r->policy, sizeof(r->policy), "default");
	snprintf(r->verdicts, sizeof(r->verdicts), "access=pass pii=modified");
	snprintf(r->pii, sizeof(r->pii), "EMAIL:%d", 1 + i % 3);
	r->status = 200;
	r->prompt_tokens = 10;
	r->completion_tokens = -1;
	r->cost[0] = 42;
	r->cost[1] = -1;
	r->latency_us = 1000 + i;
	r->has_req_hash = 1;
	memset(r->req_hash, i, 32);
}

/* Every chained field changes the hash; the subject does not. */
static void
test_hash(void)
{
	struct store_request a, b;
	unsigned char prev[32] = { 0 }, h1[32], h2[32];
	char c1[CHAIN_CANON_MAX], c2[CHAIN_CANON_MAX];
	int changed = 0, fields = 0;

	sample(&a, 1);
	chain_hash(&a, 1, prev, h1);
	chain_hash(&a, 1, prev, h2);
	ok(memcmp(h1, h2, 32) == 0, "the hash is deterministic");
#define FLIP(stmt) do { b = a; stmt; chain_hash(&b, 1, prev, h2); \
	fields++; changed += memcmp(h1, h2, 32) != 0; } while (0)
	FLIP(b.ts_ms++);
	FLIP(b.kind[0] = 'x');
	FLIP(b.request_id[0] = 'x');
	FLIP(b.key_id[0] = 'B');
	FLIP(b.team[0] = 'x');
	FLIP(b.client[0] = '2');
	FLIP(b.method[0] = 'G');
	FLIP(b.path[1] = 'x');
	FLIP(b.model[0] = 'x');
	FLIP(b.upstream[0] = 'x');
	FLIP(b.region[0] = 'x');
	FLIP(b.policy[0] = 'x');
	FLIP(b.verdicts[0] = 'x');
	FLIP(snprintf(b.route, sizeof(b.route), "x"));
	FLIP(b.pii[0] = 'x');
	FLIP(b.zdr = 1);
	FLIP(b.streamed = 1);
	FLIP(b.status = 201);
	FLIP(snprintf(b.error, sizeof(b.error), "x"));
	FLIP(b.prompt_tokens = 11);
	FLIP(b.completion_tokens = 0);
	FLIP(b.cost[0] = 43);
	FLIP(b.cost[1] = 0);
	FLIP(b.latency_us++);
	FLIP(b.req_hash[31] ^= 1);
	FLIP(b.has_req_hash = 0);
	FLIP(b.has_resp_hash = 1);
	is_int(changed, fields, "every chained field is in the hash");
	b = a;
	chain_hash(&b, 2, prev, h2);
	ok(memcmp(h1, h2, 32) != 0, "the position (seq) is in the hash");
	prev[0] = 1;
	chain_hash(&a, 1, prev, h2);
	ok(memcmp(h1, h2, 32) != 0, "the previous hash is in the hash");
	prev[0] = 0;
	b = a;
	b.has_subject = 1;
	memset(b.subject, 7, 32);
	chain_hash(&b, 1, prev, h2);
	ok(memcmp(h1, h2, 32) == 0, "the subject link is outside the chain");
	/* Length prefixes: moving a byte between fields is a change. */
	b = a;
	snprintf(a.team, sizeof(a.team), "ab");
	snprintf(a.client, sizeof(a.client), "c");
	snprintf(b.team, sizeof(b.team), "a");
	snprintf(b.client, sizeof(b.client), "bc");
	ok(chain_canon(&a, 1, prev, c1, sizeof(c1)) ==
	    chain_canon(&b, 1, prev, c2, sizeof(c2)) &&
	    memcmp(c1, c2, chain_canon(&a, 1, prev, c1, sizeof(c1))) != 0,
	    "fields cannot run into each other");
}

static void
test_keys(const char *dir)
{
	char path[512], msg[160];
	EVP_PKEY *k1 = NULL, *k2 = NULL;
	unsigned char p1[32], p2[32], sig[64], head[32];
	size_t n;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/audit.pem", dir);
	ok(chain_key_load(path, &k1) == GW_OK, "a missing key is created");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "the key file is private (0600)");
	ok(chain_key_load(path, &k2) == GW_OK, "and loads again");
	chain_public_key(k1, p1);
	chain_public_key(k2, p2);
	ok(memcmp(p1, p2, 32) == 0, "the same key");
	memset(head, 0xab, 32);
	n = chain_checkpoint_msg(1000, head, 1795000000000LL, msg, sizeof(msg));
	ok(n > 0 &&
	    strncmp(msg, "eugate-audit-checkpoint-1 1000 abab", 35) == 0,
	    "checkpoint message");
	ok(chain_sign(k1, msg, n, sig) == 0 && chain_verify(p1, msg, n, sig),
	    "a signature verifies");
	msg[27] = '2';
	ok(!chain_verify(p1, msg, n, sig), "a changed message does not");
	msg[27] = '0';
	sig[5] ^= 1;
	ok(!chain_verify(p1, msg, n, sig), "a changed signature does not");
	sig[5] ^= 1;
	p1[0] ^= 1;
	ok(!chain_verify(p1, msg, n, sig), "another key does not");
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	snprintf(path, sizeof(path), "%s/bad.pem", dir);
	ok(util_write_file(path, "not a key", 9, 0600) == GW_OK &&
	    chain_key_load(path, &k1) != GW_OK, "a file that is no Ed25519 "
	    "key is refused");
}

static struct store_op op;

static void
noop(struct store_op *o)
{
}

static struct store_op *
run(struct store *st, int type)
{
	op.type = type;
	op.done = noop;
	store_submit(st, &op);
	store_flush(st);
	return &op;
}

static void
append(struct store *st, int i)
{
	memset(&op, 0, sizeof(op));
	sample(&op.rec, i);
	run(st, STORE_AUDIT_APPEND);
}

/* Verifies; returns the first bad seq (0: the chain verifies). */
static int64_t
verify(struct store *rd, json_t *ext, const char **reason)
{
	static char why[256];
	json_t *bad;
	int64_t seq;

	memset(&op, 0, sizeof(op));
	op.json = ext;
	run(rd, STORE_AUDIT_VERIFY);
	if (op.err != GW_OK)
		return -1;
	bad = json_object_get(op.json, "first_bad");
	seq = bad ? json_integer_value(json_object_get(bad, "seq")) : 0;
	snprintf(why, sizeof(why), "%s", bad ? json_string_value(
	    json_object_get(bad, "reason")) : "");
	if (reason != NULL)
		*reason = why;
	if (json_is_true(json_object_get(op.json, "ok")) != (seq == 0))
		seq = -2;
	json_decref(op.json);
	op.json = NULL;
	return seq;
}

static void
sql(const char *db, const char *q)
{
	sqlite3 *h;
	char *err = NULL;

	if (sqlite3_open(db, &h) != SQLITE_OK ||
	    sqlite3_exec(h, q, NULL, NULL, &err) != SQLITE_OK)
		fprintf(stderr, "# sql %s: %s\n", q, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(h);
}

static int64_t
json_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void
test_chain(const char *dir)
{
	char db[512], key[512];
	struct store_conf wc = { 0 }, rc = { 0 };
	struct store *st, *rd;
	const char *why = "";
	json_t *cps;

	snprintf(db, sizeof(db), "%s/audit.db", dir);
	snprintf(key, sizeof(key), "%s/audit.pem", dir);
	wc.audit_key = rc.audit_key = key;
	wc.checkpoint_every = 10;
	rc.readonly = 1;
	ok(store_open(db, &wc, NULL, &st) == GW_OK &&
	    store_open(db, &rc, NULL, &rd) == GW_OK, "writer and reader open");
	for (int i = 1; i <= 35; i++)
		append(st, i);
	is_int(verify(rd, NULL, NULL), 0, "35 records verify");
	memset(&op, 0, sizeof(op));
	run(rd, STORE_AUDIT_VERIFY);
	ok(json_int(op.json, "records") == 35 &&
	    json_int(op.json, "checkpoints") == 3 &&
	    json_int(op.json, "signed_through") == 30 &&
	    json_int(op.json, "unsigned_records") == 5,
	    "a checkpoint every 10 records: signed through 30, 5 unsigned");
	json_decref(op.json);
	memset(&op, 0, sizeof(op));
	op.to_ms = 1795000001000LL;
	run(st, STORE_AUDIT_CHECKPOINT);
	memset(&op, 0, sizeof(op));
	run(rd, STORE_AUDIT_VERIFY);
	ok(json_int(op.json, "signed_through") == 35, "a timed checkpoint "
	    "signs the tail");
	json_decref(op.json);
	memset(&op, 0, sizeof(op));
	run(rd, STORE_AUDIT_CHECKPOINTS);
	cps = op.json;
	op.json = NULL;
	ok(json_array_size(json_object_get(cps, "checkpoints")) == 4 &&
	    strlen(json_string_value(json_object_get(cps, "public_key"))) == 64,
	    "checkpoints export with the public key");

	/* Tampering, each undone after. */
	sql(db, "UPDATE audit SET model = 'mistral-large-latest' "
	    "WHERE seq = 17");
	is_int(verify(rd, NULL, &why), 17, "a changed field names its record");
	ok(strstr(why, "changed") != NULL, "... as changed: %s", why);
	sql(db, "UPDATE audit SET model = 'mistral-small-latest' "
	    "WHERE seq = 17");
	is_int(verify(rd, NULL, NULL), 0, "undone: verifies again");
	sql(db, "CREATE TABLE keep AS SELECT * FROM audit WHERE seq = 23;"
	    "DELETE FROM audit WHERE seq = 23");
	is_int(verify(rd, NULL, &why), 23, "a deleted record is named");
	sql(db, "INSERT INTO audit SELECT * FROM keep; DROP TABLE keep");
	sql(db, "UPDATE audit SET seq = -5 WHERE seq = 5;"
	    "UPDATE audit SET seq = 5 WHERE seq = 6;"
	    "UPDATE audit SET seq = 6 WHERE seq = -5");
	is_int(verify(rd, NULL, &why), 5,
	    "two records swapped: the first named");
	sql(db, "UPDATE audit SET seq = -5 WHERE seq = 5;"
	    "UPDATE audit SET seq = 5 WHERE seq = 6;"
	    "UPDATE audit SET seq = 6 WHERE seq = -5");
	is_int(verify(rd, NULL, NULL), 0, "swapped back: verifies");
	sql(db, "CREATE TABLE keep AS SELECT * FROM audit_checkpoints;"
	    "UPDATE audit_checkpoints SET sig = zeroblob(64) WHERE seq = 20");
	is_int(verify(rd, NULL, &why), 20, "a forged checkpoint signature");
	ok(strstr(why, "signature") != NULL, "... is named: %s", why);
	sql(db, "INSERT OR REPLACE INTO audit_checkpoints SELECT * FROM keep;"
	    "DROP TABLE keep");
	is_int(verify(rd, NULL, NULL), 0, "restored: verifies");

	/* Truncating the tail: the stored checkpoints, then an external
	 * copy after the stored ones went too. */
	sql(db, "CREATE TABLE keep AS SELECT * FROM audit_checkpoints;"
	    "CREATE TABLE keep2 AS SELECT * FROM audit WHERE seq > 25;"
	    "DELETE FROM audit WHERE seq > 25");
	is_int(verify(rd, NULL, &why), 26, "a truncated tail is found by the "
	    "stored checkpoint");
	sql(db, "DELETE FROM audit_checkpoints WHERE seq > 20");
	is_int(verify(rd, NULL, NULL), 0, "with those checkpoints gone too, "
	    "the chain alone cannot tell ...");
	is_int(verify(rd, json_incref(cps), &why), 26, "... but the external "
	    "copy of the checkpoints does");
	sql(db, "INSERT INTO audit SELECT * FROM keep2; DROP TABLE keep2;"
	    "INSERT OR REPLACE INTO audit_checkpoints SELECT * FROM keep;"
	    "DROP TABLE keep");
	is_int(verify(rd, json_incref(cps), NULL), 0, "restored: verifies "
	    "with the external copy");
	/* Rewriting with recomputed hashes is caught by a checkpoint. */
	{
		struct store_request r;
		unsigned char prev[32], h[32];
		char q[600], hex[65], phex[65];
		sqlite3 *hd;
		sqlite3_stmt *s;

		sqlite3_open(db, &hd);
		sqlite3_prepare_v2(hd, "SELECT hash FROM audit WHERE seq = 11",
		    -1, &s, NULL);
		sqlite3_step(s);
		memcpy(prev, sqlite3_column_blob(s, 0), 32);
		sqlite3_finalize(s);
		sqlite3_close(hd);
		sample(&r, 12);
		snprintf(r.model, sizeof(r.model), "forged");
		chain_hash(&r, 12, prev, h);
		util_hex(h, 32, hex);
		util_hex(prev, 32, phex);
		snprintf(q, sizeof(q), "UPDATE audit SET model = 'forged', "
		    "hash = x'%s' WHERE seq = 12", hex);
		sql(db, q);
		why = "";
		is_int(verify(rd, NULL, &why), 13,
		    "a rehashed record breaks the link to the next one");
	}
	json_decref(cps);
	store_close(rd);
	store_close(st);
}

static void
test_retention(const char *dir)
{
	char db[512], key[512];
	struct store_conf wc = { 0 }, rc = { 0 };
	struct store *st, *rd;

	snprintf(db, sizeof(db), "%s/retention.db", dir);
	snprintf(key, sizeof(key), "%s/audit.pem", dir);
	wc.audit_key = rc.audit_key = key;
	wc.checkpoint_every = 10;
	rc.readonly = 1;
	ok(store_open(db, &wc, NULL, &st) == GW_OK &&
	    store_open(db, &rc, NULL, &rd) == GW_OK, "retention: open");
	for (int i = 1; i <= 45; i++)
		append(st, i);
	/* Records up to ts ...25 are old: the purge stops at the newest
	 * checkpoint below (20), so that the chain starts at a signed head. */
	memset(&op, 0, sizeof(op));
	op.to_ms = 1795000000000LL + 26;
	op.from_ms = 1795000000000LL + 100;
	run(st, STORE_AUDIT_PURGE);
	ok(op.err == GW_OK && op.count == 20 && !op.more,
	    "the purge removed records 1..20 (up to a checkpoint)");
	is_int(verify(rd, NULL, NULL), 0, "the chain verifies from the oldest "
	    "kept checkpoint");
	memset(&op, 0, sizeof(op));
	run(rd, STORE_AUDIT_VERIFY);
	ok(json_int(op.json, "first_seq") == 21 &&
	    json_int(op.json, "last_seq") == 46, "records 21..46 kept (46: "
	    "the purge's own record)");
	json_decref(op.json);
	sql(db, "DELETE FROM audit WHERE seq <= 30");
	is_int(verify(rd, NULL, NULL), 30, "removing more without a retention "
	    "record is caught");
	store_close(rd);
	store_close(st);

	/* Subject links. */
	ok(store_open(db, &wc, NULL, &st) == GW_OK, "reopen");
	memset(&op, 0, sizeof(op));
	sample(&op.rec, 99);
	op.rec.has_subject = 1;
	memset(op.rec.subject, 0x5a, 32);
	run(st, STORE_AUDIT_APPEND);
	memset(&op, 0, sizeof(op));
	op.aq.has_subject = 1;
	memset(op.aq.subject, 0x5a, 32);
	run(st, STORE_SUBJECT_ERASE);
	ok(op.err == GW_OK && op.count == 1, "a subject's link is erased");
	store_close(st);
}

/* The requests table of schema 4 moves into the chain at open. */
static void
test_legacy(const char *dir)
{
	char db[512], key[512];
	struct store_conf wc = { 0 }, rc = { 0 };
	struct store *st, *rd;

	snprintf(db, sizeof(db), "%s/legacy.db", dir);
	snprintf(key, sizeof(key), "%s/audit.pem", dir);
	wc.audit_key = rc.audit_key = key;
	rc.readonly = 1;
	ok(store_open(db, &wc, NULL, &st) == GW_OK, "legacy: open");
	append(st, 1);
	store_close(st);
	sql(db, "CREATE TABLE requests(id INTEGER PRIMARY KEY, "
	    "request_id TEXT NOT NULL, ts INTEGER NOT NULL, key_id TEXT, "
	    "team TEXT, method TEXT NOT NULL, path TEXT NOT NULL, model TEXT, "
	    "upstream TEXT, status INTEGER NOT NULL, prompt_tokens INTEGER, "
	    "completion_tokens INTEGER, latency_us INTEGER NOT NULL, "
	    "error TEXT, streamed INTEGER NOT NULL, pii TEXT, region TEXT, "
	    "route TEXT);"
	    "INSERT INTO requests(request_id, ts, method, path, status, "
	    "latency_us, streamed, pii) VALUES('old-1', 1, 'POST', '/v1/x', "
	    "200, 5, 0, 'EMAIL:1'), ('old-2', 2, 'GET', '/v1/models', 200, 3, "
	    "0, NULL)");
	ok(store_open(db, &wc, NULL, &st) == GW_OK &&
	    store_open(db, &rc, NULL, &rd) == GW_OK, "legacy: reopen");
	memset(&op, 0, sizeof(op));
	op.limit = 10;
	run(rd, STORE_REQUEST_LIST);
	ok(op.err == GW_OK && json_array_size(op.json) == 3 &&
	    strcmp(json_string_value(json_object_get(json_array_get(op.json, 0),
	    "request_id")), "old-2") == 0, "the old request rows joined the "
	    "chain, in order");
	json_decref(op.json);
	op.json = NULL;
	is_int(verify(rd, NULL, NULL), 0, "and verify");
	store_close(rd);
	store_close(st);
}

static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

int
main(void)
{
	char dir[] = "/tmp/eugate-test-chain-XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	test_hash();
	test_keys(dir);
	test_chain(dir);
	test_retention(dir);
	test_legacy(dir);
	remove_dir(dir);
	return tap_done();
}
