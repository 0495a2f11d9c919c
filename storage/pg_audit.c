/*
 * The audit log on PostgreSQL, writer side: appends to this instance's
 * chain, its signed checkpoints, recovery, retention and erasure. Runs
 * on the writer thread only, which keeps the chain's head in memory; no
 * other instance writes this chain (the instance's lock, storage/pg.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/chain.h"
#include "storage/pg_audit.h"
#include "storage/pg_sql.h"

/* Most records one retention op removes (one transaction). */
#define PURGE_CHUNK 50000

struct pg_chain {
	int64_t seq;			/* the last record's seq; 0: none */
	unsigned char head[32];		/* its hash (zeros before the first) */
	int64_t cp_seq;			/* the last checkpoint's seq */
	int64_t cp_every;		/* records between checkpoints */
};

enum gw_err
pg_audit_load_head(struct pg_store *st)
{
	struct pg_chain *c = st->chain;
	struct pg_args a;
	PGresult *res;

	c->seq = 0;
	memset(c->head, 0, sizeof(c->head));
	pga_init(&a);
	pga_str(&a, st->instance);
	/* The last record, else (everything purged) the last checkpoint. */
	res = pg_query(st, "SELECT seq, hash FROM audit WHERE instance = $1 "
	    "ORDER BY seq DESC LIMIT 1", &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	if (PQntuples(res) == 0) {
		PQclear(res);
		res = pg_query(st, "SELECT seq, head FROM audit_checkpoints "
		    "WHERE instance = $1 ORDER BY seq DESC LIMIT 1", &a);
		if (res == NULL)
			return GW_ERR_STORAGE;
	}
	if (PQntuples(res) == 1 && pg_bytes(res, 0, 1, c->head, 32) == 32)
		c->seq = pg_num(res, 0, 0);
	else
		memset(c->head, 0, sizeof(c->head));
	PQclear(res);
	if (pg_i64(st, "SELECT max(seq) FROM audit_checkpoints WHERE "
	    "instance = $1", &a, &c->cp_seq) != GW_OK)
		return GW_ERR_STORAGE;
	if (c->cp_seq < 0)
		c->cp_seq = 0;
	return GW_OK;
}

static enum gw_err
checkpoint(struct pg_store *st, int64_t now_ms)
{
	struct pg_chain *c = st->chain;
	unsigned char sig[CHAIN_SIG_LEN];
	struct pg_args a;
	char msg[160];
	size_t n;

	if (st->sign_key == NULL || c->seq <= c->cp_seq)
		return GW_OK;
	n = chain_checkpoint_msg(c->seq, c->head, now_ms, msg, sizeof(msg));
	if (n == 0 || chain_sign(st->sign_key, msg, n, sig) != 0)
		return GW_ERR_CRYPTO;
	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, c->seq);
	pga_bytes(&a, c->head, 32);
	pga_i64(&a, now_ms);
	pga_bytes(&a, sig, sizeof(sig));
	if (pg_run(st, "INSERT INTO audit_checkpoints(instance, seq, head, "
	    "ts, sig) VALUES($1, $2, $3, $4, $5)", &a, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	c->cp_seq = c->seq;
	return GW_OK;
}

enum gw_err
pg_audit_append(struct pg_store *st, const struct store_request *r)
{
	struct pg_chain *c = st->chain;
	unsigned char hash[32];
	int64_t seq = c->seq + 1;
	const char *const text[] = { r->request_id, r->key_id, r->team,
		r->client, r->method, r->path, r->model, r->upstream, r->region,
		r->policy, r->verdicts, r->route, r->pii };
	struct pg_args a;

	chain_hash(r, seq, c->head, hash);
	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, seq);
	pga_i64(&a, r->ts_ms);
	pga_str(&a, r->kind);
	for (int i = 0; i < 13; i++)
		pga_text(&a, text[i]);
	pga_i64(&a, r->zdr);
	pga_i64(&a, r->streamed);
	pga_i64(&a, r->status);
	pga_text(&a, r->error);
	pga_num(&a, r->prompt_tokens);
	pga_num(&a, r->completion_tokens);
	pga_num(&a, r->cost[0]);
	pga_num(&a, r->cost[1]);
	pga_i64(&a, r->latency_us);
	pga_bytes(&a, r->has_req_hash ? r->req_hash : NULL, 32);
	pga_bytes(&a, r->has_resp_hash ? r->resp_hash : NULL, 32);
	pga_bytes(&a, c->head, 32);
	pga_bytes(&a, hash, 32);
	pga_bytes(&a, r->has_subject ? r->subject : NULL, 32);
	if (pg_run(st, "INSERT INTO audit(instance, " AUDIT_COLUMNS ") "
	    "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, "
	    "$27, $28, $29, $30, $31)", &a, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	c->seq = seq;
	memcpy(c->head, hash, 32);
	if (c->cp_every > 0 && seq - c->cp_seq >= c->cp_every)
		return checkpoint(st, r->ts_ms);
	return GW_OK;
}

enum gw_err
pg_audit_checkpoint(struct pg_store *st, struct store_op *op)
{
	return checkpoint(st, op->to_ms);
}

enum gw_err
pg_audit_recover(struct pg_store *st, const char *instance, int64_t now_ms)
{
	struct pg_args a;
	PGresult *res;
	enum gw_err err = GW_OK;

	pga_init(&a);
	pga_str(&a, instance);
	res = pg_query(st, "SELECT request_id, ts, team, key_id, model, "
	    "method, path, client, reserved_eur, reserved_usd FROM ledger "
	    "WHERE state = 'reserved' AND instance = $1 ORDER BY ts, id", &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	for (int i = 0; i < PQntuples(res) && err == GW_OK; i++) {
		struct store_request r;

		memset(&r, 0, sizeof(r));
		snprintf(r.kind, sizeof(r.kind), "request");
		pg_text(res, i, 0, r.request_id, sizeof(r.request_id));
		r.ts_ms = pg_num(res, i, 1);
		pg_text(res, i, 2, r.team, sizeof(r.team));
		pg_text(res, i, 3, r.key_id, sizeof(r.key_id));
		pg_text(res, i, 4, r.model, sizeof(r.model));
		pg_text(res, i, 5, r.method, sizeof(r.method));
		pg_text(res, i, 6, r.path, sizeof(r.path));
		pg_text(res, i, 7, r.client, sizeof(r.client));
		r.cost[0] = pg_num(res, i, 8);
		r.cost[1] = pg_num(res, i, 9);
		r.prompt_tokens = r.completion_tokens = -1;
		r.latency_us = now_ms > r.ts_ms ? (now_ms - r.ts_ms) * 1000 : 0;
		snprintf(r.error, sizeof(r.error), "interrupted");
		err = pg_audit_append(st, &r);
	}
	PQclear(res);
	return err;
}

enum gw_err
pg_audit_open(struct pg_store *st, const struct store_conf *conf)
{
	st->chain = calloc(1, sizeof(*st->chain));
	if (st->chain == NULL)
		return GW_ERR_NOMEM;
	st->chain->cp_every = conf->checkpoint_every;
	return pg_audit_load_head(st);
}

void
pg_audit_close(struct pg_store *st)
{
	free(st->chain);
	st->chain = NULL;
}

/*
 * As storage/audit_write.c, on this instance's chain: the records older
 * than op->to_ms up to a checkpoint, PURGE_CHUNK at most per op, and a
 * record of the purge itself.
 */
enum gw_err
pg_audit_purge(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	struct store_request r;
	int64_t last, first, end, n;
	enum gw_err err;

	op->count = 0;
	op->more = 0;
	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, op->to_ms);
	if (pg_i64(st, "SELECT max(c.seq) FROM audit_checkpoints c JOIN audit "
	    "x ON x.instance = c.instance AND x.seq = c.seq WHERE c.instance = "
	    "$1 AND x.ts < $2", &a, &last) != GW_OK)
		return GW_ERR_STORAGE;
	pga_init(&a);
	pga_str(&a, st->instance);
	if (pg_i64(st, "SELECT min(seq) FROM audit WHERE instance = $1", &a,
	    &first) != GW_OK)
		return GW_ERR_STORAGE;
	if (last < 0 || first < 0 || last < first)
		return GW_OK;
	end = last;
	if (last - first >= PURGE_CHUNK) {
		pga_i64(&a, first + PURGE_CHUNK);
		if (pg_i64(st, "SELECT max(seq) FROM audit_checkpoints WHERE "
		    "instance = $1 AND seq < $2", &a, &end) != GW_OK)
			return GW_ERR_STORAGE;
		if (end < first) {
			pga_init(&a);
			pga_str(&a, st->instance);
			pga_i64(&a, first);
			if (pg_i64(st, "SELECT min(seq) FROM audit_checkpoints "
			    "WHERE instance = $1 AND seq >= $2", &a, &end) !=
			    GW_OK)
				return GW_ERR_STORAGE;
		}
		op->more = end < last;
	}
	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, end);
	if (pg_run(st, "DELETE FROM audit WHERE instance = $1 AND seq <= $2",
	    &a, &n) != GW_OK ||
	    pg_run(st, "DELETE FROM audit_checkpoints WHERE instance = $1 AND "
	    "seq < $2", &a, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	op->count = n;
	memset(&r, 0, sizeof(r));
	snprintf(r.kind, sizeof(r.kind), "system");
	snprintf(r.path, sizeof(r.path), "retention");
	snprintf(r.verdicts, sizeof(r.verdicts), "purged=%lld..%lld",
	    (long long)first, (long long)end);
	r.ts_ms = op->from_ms;	/* now */
	r.status = 200;
	r.prompt_tokens = r.completion_tokens = r.cost[0] = r.cost[1] = -1;
	err = pg_audit_append(st, &r);
	if (err == GW_OK)
		log_info("audit: retention removed records %lld..%lld of "
		    "instance %s", (long long)first, (long long)end,
		    log_q(st->instance));
	return err;
}

enum gw_err
pg_audit_subject_erase(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;

	pga_init(&a);
	pga_bytes(&a, op->aq.subject, 32);
	return pg_run(st, "UPDATE audit SET subject = NULL WHERE subject = $1",
	    &a, &op->count);
}
