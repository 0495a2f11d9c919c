/*
 * Admin routes of the audit log: export (streamed, JSON lines or CSV),
 * verification, checkpoints, and data-subject export and erasure. The
 * reports built from it are in admin/reports_routes.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/log.h"

static void page_next(struct call *c);

/* A data subject's export ends with the objects that requests about it
 * left upstream, one JSON line each ("object": "upstream_object"). */
static void
subject_objects(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *o;
	size_t i;

	if (op->err != GW_OK) {
		log_error("admin: subject export cut: %s",
		    gw_strerror(op->err));
		admin_stream_end(c, 0);
		return;
	}
	json_array_foreach(op->json, i, o) {
		char *line;

		json_object_set_new(o, "object",
		    json_string("upstream_object"));
		line = json_dumps(o, JSON_COMPACT);
		if (line != NULL && !c->gone) {
			c->io->write(c->io_arg, line, strlen(line));
			c->io->write(c->io_arg, "\n", 1);
		}
		free(line);
	}
	json_decref(op->json);
	op->json = NULL;
	admin_stream_end(c, !c->gone);
}

static void
page_read(struct store_op *op)
{
	struct call *c = op->arg;
	int full = 0;

	if (op->err != GW_OK) {
		log_error("admin: audit export cut: %s", gw_strerror(op->err));
		admin_stream_end(c, 0);
		return;
	}
	if (op->text_len > 0 && !c->gone)
		full = c->io->write(c->io_arg, op->text, op->text_len);
	free(op->text);
	op->text = NULL;
	op->text_len = 0;
	if (c->gone || full < 0)
		admin_stream_end(c, 0);
	else if (op->aq.done && op->aq.has_subject)
		admin_submit_read(c, STORE_OBJECTS_LIST, subject_objects);
	else if (op->aq.done)
		admin_stream_end(c, 1);
	else if (full)
		c->paused = 1;	/* admin_resume() goes on */
	else
		page_next(c);
}

static void
page_next(struct call *c)
{
	admin_submit_read(c, STORE_AUDIT_PAGE, page_read);
}

static int
parse_format(struct call *c, const char *query)
{
	char v[16];

	c->op.aq.format = STORE_FMT_JSONL;
	if (admin_query_param(query, "format", v, sizeof(v)) == 0)
		return 0;
	if (strcmp(v, "csv") == 0)
		c->op.aq.format = STORE_FMT_CSV;
	else if (strcmp(v, "jsonl") != 0) {
		admin_reply_error(c, "invalid_query", "format: jsonl or csv");
		return -1;
	}
	return 0;
}

static const char *
format_type(int format)
{
	return format == STORE_FMT_CSV ? "text/csv; charset=utf-8" :
	    "application/x-ndjson";
}

/* GET /admin/v1/audit?from=&to=&team=&format=jsonl|csv */
void
admin_audit_list(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	struct store_audit_query *q = &c->op.aq;

	if (admin_need_team(c) != 0)
		return;
	snprintf(q->team, sizeof(q->team), "%s", c->qteam);
	if (admin_query_period(c, query, &q->from_ms, &q->to_ms) != 0 ||
	    parse_format(c, query) != 0)
		return;
	admin_reply_stream(c, format_type(q->format), page_next);
}

static void
verified(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *j = op->json;

	op->json = NULL;
	if (op->err == GW_ERR_INVAL) {
		admin_reply_error(c, "invalid_checkpoints", "checkpoints: "
		    "{\"public_key\": hex, \"checkpoints\": [{\"seq\", "
		    "\"head\", \"ts\", \"sig\"}]} as GET "
		    "/admin/v1/audit/checkpoints gives them");
		return;
	}
	if (op->err != GW_OK) {
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	if (!json_is_true(json_object_get(j, "ok")))
		log_warn("admin: audit verification failed: %s",
		    log_q(json_string_value(json_object_get(json_object_get(j,
		    "first_bad"), "reason"))));
	admin_reply_json(c, 200, j);
}

/* POST /admin/v1/audit/verify, optionally with checkpoints kept
 * elsewhere (the body GET /admin/v1/audit/checkpoints gave). */
void
admin_audit_verify(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (body != NULL && json_object_size(body) > 0)
		c->op.json = json_incref(body);
	admin_submit_read(c, STORE_AUDIT_VERIFY, verified);
}

static void
checkpoints_listed(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *j = op->json;

	op->json = NULL;
	if (op->err != GW_OK) {
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	admin_reply_json(c, 200, j);
}

void
admin_audit_checkpoints(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	admin_submit_read(c, STORE_AUDIT_CHECKPOINTS, checkpoints_listed);
}

/* {"subject": "..."}: its keyed hash into the call's query. */
static int
subject_of(struct call *c, json_t *body)
{
	const char *id = json_string_value(json_object_get(body, "subject"));

	if (id == NULL || json_object_size(body) != 1 ||
	    keys_subject_hash(c->a->hmac, id, strlen(id), c->op.aq.subject) !=
	    GW_OK) {
		admin_reply_error(c, "invalid_subject", "body: {\"subject\": "
		    "\"the X-Eugate-Subject value, 1 to %d bytes\"}",
		    KEYS_SUBJECT_MAX);
		return -1;
	}
	c->op.aq.has_subject = 1;
	return 0;
}

/* POST /admin/v1/subjects/export {"subject": ...}: the subject's records,
 * as JSON lines. */
void
admin_subject_export(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (subject_of(c, body) != 0)
		return;
	c->op.aq.to_ms = INT64_MAX;
	c->op.aq.format = STORE_FMT_JSONL;
	admin_reply_stream(c, format_type(STORE_FMT_JSONL), page_next);
}

static void
owners_reloaded(void *arg)
{
	struct call *c = arg;

	admin_reply_json(c, c->status, c->result);
}

static void
erased(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		json_decref(c->result);
		c->result = NULL;
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	log_info("admin: a data subject's link removed from %lld records",
	    (long long)op->count);
	c->status = 200;
	json_object_set_new(c->result, "records_unlinked",
	    json_integer((json_int_t)op->count));
	c->a->hooks.objects_changed(c->a->hooks.arg, owners_reloaded, c);
}

/* The objects deleted upstream are forgotten; then the records go. */
static void
forgotten(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		erased(op);
		return;
	}
	op->objs = NULL;
	op->n_objs = 0;
	admin_submit(c, STORE_SUBJECT_ERASE, erased);
}

static void
upstream_deleted(void *arg, json_t *report)
{
	struct call *c = arg;
	json_t *e;
	size_t i, n = 0;

	c->result = json_pack("{s:s, s:o}", "object", "subject_erasure",
	    "objects", report);
	c->objs = calloc(json_array_size(report) + 1, sizeof(*c->objs));
	if (c->result == NULL || c->objs == NULL) {
		admin_reply_error(c, "out_of_memory", "out of memory");
		return;
	}
	json_array_foreach(report, i, e) {
		const char *r = json_string_value(json_object_get(e, "result"));

		if (r == NULL || strcmp(r, "deleted") != 0)
			continue;
		snprintf(c->objs[n].kind, sizeof(c->objs[n].kind), "%s",
		    json_string_value(json_object_get(e, "kind")));
		snprintf(c->objs[n].id, sizeof(c->objs[n].id), "%s",
		    json_string_value(json_object_get(e, "id")));
		c->objs[n].removed = 1;
		n++;
	}
	c->op.objs = c->objs;
	c->op.n_objs = n;
	admin_submit(c, STORE_OBJECTS_FORGET, forgotten);
}

static void
subject_listed(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *objs = op->json;

	if (op->err != GW_OK) {
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	op->json = NULL;
	c->a->hooks.delete_objects(c->a->hooks.arg, objs, upstream_deleted, c);
	json_decref(objs);
}

/*
 * POST /admin/v1/subjects/erase {"subject": ...}: the objects that
 * requests about the subject left upstream are deleted there (where the
 * API can) and forgotten; the records stay (and verify), what linked them
 * to the subject is removed. The answer says what became of each object.
 */
void
admin_subject_erase(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (subject_of(c, body) != 0)
		return;
	admin_submit_read(c, STORE_OBJECTS_LIST, subject_listed);
}
