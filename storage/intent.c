/* Intents: the journal's records, encoded on the loop, applied by the
 * writer. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/audit_write.h"
#include "storage/intent.h"
#include "storage/journal.h"
#include "storage/ledger.h"
#include "storage/objects.h"
#include "storage/sql.h"

/* A release: a reservation whose request was refused after it was
 * journaled (its journal's fdatasync failed), settled at no cost. */
enum { INTENT_RESERVE = 'R', INTENT_RECORD = 'A', INTENT_RELEASE = 'X' };

/* The most objects one record names (an op's n_objs is far below). */
#define INTENT_OBJS_MAX 4096

/* A reservation of the batch being applied, by ledger id. */
struct pending {
	char id[40];
	const unsigned char *p;	/* its record, in the batch's buffer */
	size_t n;
	int settled_later;	/* a record of the batch settles it */
	int done;		/* written, settled */
};

struct intents {
	sqlite3_stmt *st_meta;
	/* The writer's scratch, reused. */
	struct store_request rec;
	struct store_spend res, set;
	struct store_obj *objs;
	size_t cap_objs;
	struct pending *map;
	size_t map_cap;		/* allocated entries */
	size_t map_n;		/* entries of the batch's table: a power
				 * of two, twice its records at least */
};

/* -- encoding (loop thread) --------------------------------------- */

static int
fit(struct intent_buf *b, size_t more)
{
	unsigned char *p;
	size_t cap;

	if (b->n + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->n + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void
put_u8(struct intent_buf *b, int v)
{
	b->p[b->n++] = (unsigned char)v;
}

static void
put_i64(struct intent_buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		b->p[b->n++] = (unsigned char)(u >> (8 * i));
}

/* A string of at most cap - 1 bytes (its field's size). */
static void
put_str(struct intent_buf *b, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap - 1);

	b->p[b->n++] = (unsigned char)(n & 0xff);
	b->p[b->n++] = (unsigned char)(n >> 8);
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
put_hash(struct intent_buf *b, const unsigned char *h, int has)
{
	put_u8(b, has != 0);
	if (has) {
		memcpy(b->p + b->n, h, 32);
		b->n += 32;
	}
}

#define PUT_STR(b, f) put_str(b, f, sizeof(f))

static void
encode_reserve(struct intent_buf *b, const struct store_spend *sp)
{
	put_u8(b, INTENT_RESERVE);
	PUT_STR(b, sp->ledger_id);
	PUT_STR(b, sp->request_id);
	put_i64(b, sp->ts_ms);
	PUT_STR(b, sp->team);
	PUT_STR(b, sp->key_id);
	PUT_STR(b, sp->model);
	PUT_STR(b, sp->method);
	PUT_STR(b, sp->path);
	PUT_STR(b, sp->client);
	put_i64(b, sp->reserved[0]);
	put_i64(b, sp->reserved[1]);
}

static void
encode_record(struct intent_buf *b, const struct store_op *op)
{
	const struct store_request *r = &op->rec;
	const struct store_spend *sp = op->spend;
	int settle = sp != NULL && sp->settle;

	put_u8(b, INTENT_RECORD);
	put_u8(b, settle);
	if (settle) {
		PUT_STR(b, sp->ledger_id);
		put_u8(b, sp->charged != 0);
		put_i64(b, sp->cost[0]);
		put_i64(b, sp->cost[1]);
		put_i64(b, sp->prompt_tokens);
		put_i64(b, sp->completion_tokens);
	}
	PUT_STR(b, r->kind);
	PUT_STR(b, r->request_id);
	put_i64(b, r->ts_ms);
	PUT_STR(b, r->key_id);
	PUT_STR(b, r->team);
	PUT_STR(b, r->client);
	PUT_STR(b, r->method);
	PUT_STR(b, r->path);
	PUT_STR(b, r->model);
	PUT_STR(b, r->upstream);
	PUT_STR(b, r->region);
	PUT_STR(b, r->policy);
	PUT_STR(b, r->verdicts);
	PUT_STR(b, r->route);
	PUT_STR(b, r->pii);
	put_u8(b, r->zdr != 0);
	put_u8(b, r->streamed != 0);
	put_i64(b, r->status);
	PUT_STR(b, r->error);
	put_i64(b, r->prompt_tokens);
	put_i64(b, r->completion_tokens);
	put_i64(b, r->cost[0]);
	put_i64(b, r->cost[1]);
	put_i64(b, r->latency_us);
	put_hash(b, r->req_hash, r->has_req_hash);
	put_hash(b, r->resp_hash, r->has_resp_hash);
	put_hash(b, r->subject, r->has_subject);
	put_i64(b, (int64_t)op->n_objs);
	for (size_t i = 0; i < op->n_objs; i++) {
		PUT_STR(b, op->objs[i].kind);
		PUT_STR(b, op->objs[i].id);
		PUT_STR(b, op->objs[i].parent);
		put_u8(b, op->objs[i].removed != 0);
	}
}

enum gw_err
intent_encode(struct intent_buf *b, const struct store_op *op)
{
	/* What the fields can hold at most: their sizes, two length bytes
	 * each, the numbers. */
	size_t most = op->type == STORE_RESERVE ? sizeof(struct store_spend) +
	    64 : sizeof(struct store_request) + sizeof(struct store_spend) +
	    256 + op->n_objs * (sizeof(struct store_obj) + 8);

	b->n = 0;
	if (op->type == STORE_AUDIT_APPEND && op->n_objs > INTENT_OBJS_MAX)
		return GW_ERR_LIMIT;
	if (fit(b, most) != 0)
		return GW_ERR_NOMEM;
	if (op->type == STORE_RESERVE)
		encode_reserve(b, op->spend);
	else if (op->type == STORE_AUDIT_APPEND)
		encode_record(b, op);
	else
		return GW_ERR_INVAL;
	return GW_OK;
}

enum gw_err
intent_encode_release(struct intent_buf *b, const struct store_spend *sp,
    int64_t now_ms)
{
	b->n = 0;
	if (fit(b, sizeof(sp->ledger_id) + 64) != 0)
		return GW_ERR_NOMEM;
	put_u8(b, INTENT_RELEASE);
	PUT_STR(b, sp->ledger_id);
	put_i64(b, now_ms);
	for (int cur = 0; cur < 2; cur++)
		put_i64(b, sp->reserved[cur] >= 0 ? 0 : -1);
	return GW_OK;
}

void
intent_buf_free(struct intent_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* -- decoding (writer thread) ------------------------------------- */

struct cursor {
	const unsigned char *p;
	size_t n, off;
	int bad;
};

static int
get_u8(struct cursor *c)
{
	if (c->off + 1 > c->n) {
		c->bad = 1;
		return 0;
	}
	return c->p[c->off++];
}

static int64_t
get_i64(struct cursor *c)
{
	uint64_t v = 0;

	if (c->off + 8 > c->n) {
		c->bad = 1;
		return 0;
	}
	for (int i = 7; i >= 0; i--)
		v = v << 8 | c->p[c->off + (size_t)i];
	c->off += 8;
	return (int64_t)v;
}

static void
get_str(struct cursor *c, char *out, size_t cap)
{
	size_t n;

	out[0] = '\0';
	if (c->off + 2 > c->n) {
		c->bad = 1;
		return;
	}
	n = (size_t)c->p[c->off] | (size_t)c->p[c->off + 1] << 8;
	c->off += 2;
	if (n >= cap || c->off + n > c->n) {
		c->bad = 1;
		return;
	}
	memcpy(out, c->p + c->off, n);
	out[n] = '\0';
	c->off += n;
}

static int
get_hash(struct cursor *c, unsigned char *h)
{
	int has = get_u8(c);

	if (!has)
		return 0;
	if (c->off + 32 > c->n) {
		c->bad = 1;
		return 0;
	}
	memcpy(h, c->p + c->off, 32);
	c->off += 32;
	return 1;
}

#define GET_STR(c, f) get_str(c, f, sizeof(f))

static int
decode_reserve(struct cursor *c, struct store_spend *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (get_u8(c) != INTENT_RESERVE)
		return -1;
	GET_STR(c, sp->ledger_id);
	GET_STR(c, sp->request_id);
	sp->ts_ms = get_i64(c);
	GET_STR(c, sp->team);
	GET_STR(c, sp->key_id);
	GET_STR(c, sp->model);
	GET_STR(c, sp->method);
	GET_STR(c, sp->path);
	GET_STR(c, sp->client);
	sp->reserved[0] = get_i64(c);
	sp->reserved[1] = get_i64(c);
	return c->bad || c->off != c->n ? -1 : 0;
}

static int
decode_record(struct intents *in, struct cursor *c, size_t *n_objs)
{
	struct store_request *r = &in->rec;
	struct store_spend *sp = &in->set;
	int64_t n;

	memset(r, 0, sizeof(*r));
	memset(sp, 0, sizeof(*sp));
	*n_objs = 0;
	if (get_u8(c) != INTENT_RECORD)
		return -1;
	sp->settle = get_u8(c);
	if (sp->settle) {
		GET_STR(c, sp->ledger_id);
		sp->charged = get_u8(c);
		sp->cost[0] = get_i64(c);
		sp->cost[1] = get_i64(c);
		sp->prompt_tokens = get_i64(c);
		sp->completion_tokens = get_i64(c);
	}
	GET_STR(c, r->kind);
	GET_STR(c, r->request_id);
	r->ts_ms = get_i64(c);
	GET_STR(c, r->key_id);
	GET_STR(c, r->team);
	GET_STR(c, r->client);
	GET_STR(c, r->method);
	GET_STR(c, r->path);
	GET_STR(c, r->model);
	GET_STR(c, r->upstream);
	GET_STR(c, r->region);
	GET_STR(c, r->policy);
	GET_STR(c, r->verdicts);
	GET_STR(c, r->route);
	GET_STR(c, r->pii);
	r->zdr = get_u8(c);
	r->streamed = get_u8(c);
	r->status = (int)get_i64(c);
	GET_STR(c, r->error);
	r->prompt_tokens = get_i64(c);
	r->completion_tokens = get_i64(c);
	r->cost[0] = get_i64(c);
	r->cost[1] = get_i64(c);
	r->latency_us = get_i64(c);
	r->has_req_hash = get_hash(c, r->req_hash);
	r->has_resp_hash = get_hash(c, r->resp_hash);
	r->has_subject = get_hash(c, r->subject);
	n = get_i64(c);
	if (c->bad || n < 0 || n > INTENT_OBJS_MAX)
		return -1;
	if ((size_t)n > in->cap_objs) {
		struct store_obj *o = realloc(in->objs, (size_t)n *
		    sizeof(*o));

		if (o == NULL)
			return -1;
		in->objs = o;
		in->cap_objs = (size_t)n;
	}
	for (int64_t i = 0; i < n; i++) {
		struct store_obj *o = &in->objs[i];

		memset(o, 0, sizeof(*o));
		GET_STR(c, o->kind);
		GET_STR(c, o->id);
		GET_STR(c, o->parent);
		o->removed = get_u8(c);
	}
	*n_objs = (size_t)n;
	return c->bad || c->off != c->n ? -1 : 0;
}

static int
decode_release(struct cursor *c, struct store_spend *sp, int64_t *now_ms)
{
	memset(sp, 0, sizeof(*sp));
	if (get_u8(c) != INTENT_RELEASE)
		return -1;
	GET_STR(c, sp->ledger_id);
	*now_ms = get_i64(c);
	sp->settle = 1;
	sp->cost[0] = get_i64(c);
	sp->cost[1] = get_i64(c);
	sp->prompt_tokens = sp->completion_tokens = -1;
	return c->bad || c->off != c->n ? -1 : 0;
}

/* The type and ledger id at the head of a record ("" when none). */
static int
peek(const unsigned char *p, size_t n, char *id, size_t cap)
{
	struct cursor c = { p, n, 0, 0 };
	int type = get_u8(&c);

	id[0] = '\0';
	if (type == INTENT_RECORD && !get_u8(&c))
		return type;
	if (type == INTENT_RESERVE || type == INTENT_RECORD ||
	    type == INTENT_RELEASE)
		get_str(&c, id, cap);
	return c.bad ? 0 : type;
}

/* -- applying (writer thread) ------------------------------------- */

static size_t
id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The batch's reservation with ledger id, or the free slot for it. */
static struct pending *
map_slot(struct intents *in, const char *id)
{
	size_t mask = in->map_n - 1, i = id_hash(id) & mask;

	while (in->map[i].id[0] != '\0' && strcmp(in->map[i].id, id) != 0)
		i = (i + 1) & mask;
	return &in->map[i];
}

/* Sizes and clears the map for n records. */
static enum gw_err
map_reset(struct intents *in, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap > in->map_cap) {
		struct pending *m = realloc(in->map, cap * sizeof(*m));

		if (m == NULL)
			return GW_ERR_NOMEM;
		in->map = m;
		in->map_cap = cap;
	}
	/* Only the batch's table is cleared, not all a large batch once
	 * made room for. */
	in->map_n = cap;
	memset(in->map, 0, cap * sizeof(*in->map));
	return GW_OK;
}

static void
skip(int lane, uint64_t seq, const char *why)
{
	log_error("storage: journal lane %d record %" PRIu64 " passed: %s",
	    lane, seq, why);
}

/* A reservation record: its ledger entry, open. */
static enum gw_err
apply_reserve(struct sqlite_store *st, int lane, const struct journal_rec *r)
{
	struct intents *in = st->intents;
	struct cursor c = { r->p, r->n, 0, 0 };
	enum gw_err err;

	if (decode_reserve(&c, &in->res) != 0) {
		skip(lane, r->seq, "a reservation that can not be read");
		return GW_OK;
	}
	err = ledger_open_entry(st, &in->res);
	if (err == GW_ERR_EXISTS) {
		skip(lane, r->seq, "its ledger entry exists");
		return GW_OK;
	}
	return err;
}

/* A request's record: the audit record, the settlement (its entry
 * written whole when its reservation is in the same batch), the
 * objects. */
static enum gw_err
apply_record(struct sqlite_store *st, int lane, const struct journal_rec *r)
{
	struct intents *in = st->intents;
	struct cursor c = { r->p, r->n, 0, 0 };
	struct pending *pd;
	size_t n_objs;
	enum gw_err err;

	if (decode_record(in, &c, &n_objs) != 0) {
		skip(lane, r->seq, "a record that can not be read");
		return GW_OK;
	}
	err = audit_append(st, &in->rec);
	if (err != GW_OK || !in->set.settle)
		goto objects;
	pd = map_slot(in, in->set.ledger_id);
	if (pd->id[0] != '\0' && pd->settled_later && !pd->done) {
		struct cursor rc = { pd->p, pd->n, 0, 0 };

		pd->done = 1;
		if (decode_reserve(&rc, &in->res) == 0) {
			err = ledger_write_settled(st, &in->res, &in->set,
			    in->rec.upstream, in->rec.ts_ms);
			if (err == GW_ERR_EXISTS) {
				skip(lane, r->seq, "its ledger entry exists");
				err = GW_OK;
			}
			goto objects;
		}
	}
	err = ledger_settle(st, &in->set, in->rec.upstream, in->rec.ts_ms);
objects:
	if (err == GW_OK && n_objs > 0)
		err = objects_write(st, &in->rec, in->objs, n_objs);
	return err;
}

/* A release: the reservation settled at no cost (it changes nothing
 * when the entry is settled already or missing). */
static enum gw_err
apply_release(struct sqlite_store *st, int lane, const struct journal_rec *r)
{
	struct intents *in = st->intents;
	struct cursor c = { r->p, r->n, 0, 0 };
	int64_t now_ms;

	if (decode_release(&c, &in->set, &now_ms) != 0) {
		skip(lane, r->seq, "a release that can not be read");
		return GW_OK;
	}
	return ledger_settle(st, &in->set, "", now_ms);
}

enum gw_err
intent_apply(struct sqlite_store *st, int lane, const unsigned char *buf,
    size_t n, uint64_t *last)
{
	struct intents *in = st->intents;
	struct journal_rec r;
	char id[40];
	size_t off = 0, count = 0;
	enum gw_err err;
	int rc;

	while (journal_next(buf, n, &off, 0, &r) == 1)
		count++;
	err = map_reset(in, count);
	if (err != GW_OK)
		return err;
	/* First pass: the reservations, and which ones the batch settles. */
	off = 0;
	while (journal_next(buf, n, &off, 0, &r) == 1) {
		struct pending *pd;
		int type = peek(r.p, r.n, id, sizeof(id));

		if (id[0] == '\0')
			continue;
		pd = map_slot(in, id);
		if (type == INTENT_RESERVE && pd->id[0] == '\0') {
			memcpy(pd->id, id, sizeof(pd->id));
			pd->p = r.p;
			pd->n = r.n;
		} else if (type == INTENT_RECORD && pd->id[0] != '\0') {
			pd->settled_later = 1;
		}
	}
	off = 0;
	err = GW_OK;
	while (err == GW_OK && (rc = journal_next(buf, n, &off, 0, &r)) == 1) {
		int type = peek(r.p, r.n, id, sizeof(id));

		if (type == INTENT_RESERVE) {
			struct pending *pd = map_slot(in, id);

			if (!(pd->p == r.p && pd->settled_later))
				err = apply_reserve(st, lane, &r);
		} else if (type == INTENT_RECORD) {
			err = apply_record(st, lane, &r);
		} else if (type == INTENT_RELEASE) {
			err = apply_release(st, lane, &r);
		} else {
			skip(lane, r.seq, "of an unknown kind");
		}
		*last = r.seq;
	}
	if (err != GW_OK)
		return err;
	sqlite3_reset(in->st_meta);
	sqlite3_bind_int(in->st_meta, 1, lane);
	sqlite3_bind_int64(in->st_meta, 2, (int64_t)*last);
	rc = sqlite3_step(in->st_meta);
	sqlite3_reset(in->st_meta);
	if (rc == SQLITE_DONE && sqlite3_changes(st->db) != 1)
		return GW_ERR_STORAGE;	/* no row: replay did not run */
	return sql_map_rc(rc);
}

enum gw_err
intent_applied(struct sqlite_store *st, int lane, uint64_t *seq)
{
	char sql[96];
	int64_t v;

	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO journal(lane, seq) "
	    "VALUES(%d, 0)", lane);
	if (sql_exec(st->db, sql) != GW_OK ||
	    sql_query_i64(st->db, "SELECT seq FROM journal WHERE lane = ?",
	    lane, &v) != GW_OK)
		return GW_ERR_STORAGE;
	*seq = v > 0 ? (uint64_t)v : 0;
	return GW_OK;
}

enum gw_err
intents_open(struct sqlite_store *st, const struct store_conf *conf)
{
	struct intents *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return GW_ERR_NOMEM;
	st->intents = in;
	/* An UPDATE in place (the row exists: replay made it). */
	return sql_prepare(st->db, "UPDATE journal SET seq = ?2 WHERE lane = "
	    "?1", &in->st_meta);
}

void
intents_close(struct sqlite_store *st)
{
	struct intents *in = st->intents;

	if (in == NULL)
		return;
	sqlite3_finalize(in->st_meta);
	free(in->objs);
	free(in->map);
	free(in);
	st->intents = NULL;
}
