/* Object owners: the cache from storage, and deletions upstream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/gateway.h"
#include "gateway/owners.h"
#include "gateway/upstream.h"
#include "policy/endpoint.h"
#include "policy/objects.h"
#include "storage/store.h"

/* Fills o from a STORE_OBJECTS_LOAD answer. */
static void
fill(struct objects *o, json_t *rows)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		json_t *k = json_array_get(row, 0);
		const char *id = json_string_value(json_array_get(row, 1));
		int kind = endpoint_obj_parse(json_string_value(k),
		    json_string_length(k));

		if (kind == EP_OBJ_NONE || id == NULL ||
		    objects_set(o, kind, id, strlen(id),
		    json_string_value(json_array_get(row, 2))) != 0)
			log_warn("objects: row %zu not loaded", i);
	}
}

enum gw_err
owners_load(struct gateway *gw)
{
	struct store_op op;

	gw->objects = objects_new();
	if (gw->objects == NULL)
		return GW_ERR_NOMEM;
	gw->env.objects = gw->objects;
	for (size_t w = 0; w < gw->n_work; w++)
		gw->work_env[w].objects = gw->objects;
	memset(&op, 0, sizeof(op));
	op.type = STORE_OBJECTS_LOAD;
	store_submit(gw->store, &op);
	store_flush(gw->store);
	if (op.err != GW_OK)
		return op.err;
	fill(gw->objects, op.json);
	gw->objects_version = op.version;
	store_op_cleanup(&op);
	log_info("objects: %zu owned upstream objects loaded",
	    objects_count(gw->objects));
	return GW_OK;
}

struct reload {
	struct gateway *gw;
	struct store_op op;
	void (*then)(void *);
	void *arg;
};

static void
reloaded(struct store_op *op)
{
	struct reload *rl = op->arg;
	struct objects *fresh = op->err == GW_OK ? objects_new() : NULL;

	if (op->err == GW_OK && op->version > 0 && !op->changed) {
		objects_free(fresh);	/* a poll: nothing new */
	} else if (fresh == NULL) {
		log_error("objects: reload failed: %s", op->err != GW_OK ?
		    gw_strerror(op->err) : "out of memory");
	} else {
		fill(fresh, op->json);
		objects_swap(rl->gw->objects, fresh);
		rl->gw->objects_version = op->version;
	}
	store_op_cleanup(op);
	if (rl->then != NULL)
		rl->then(rl->arg);
	free(rl);
}

void
owners_reload(struct gateway *gw, void (*then)(void *), void *arg)
{
	struct reload *rl = calloc(1, sizeof(*rl));

	if (rl == NULL) {
		log_error("objects: reload: out of memory");
		if (then != NULL)
			then(arg);
		return;
	}
	rl->gw = gw;
	rl->then = then;
	rl->arg = arg;
	rl->op.type = STORE_OBJECTS_LOAD;
	rl->op.done = reloaded;
	rl->op.arg = rl;
	store_submit(gw->store, &rl->op);
}

static void
polled(void *arg)
{
	struct gateway *gw = arg;

	gw->objects_polling = 0;
}

void
owners_poll(struct gateway *gw)
{
	struct reload *rl;

	if (gw->objects_polling)
		return;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return;	/* the next refresh tries again */
	gw->objects_polling = 1;
	rl->gw = gw;
	rl->then = polled;
	rl->arg = gw;
	rl->op.type = STORE_OBJECTS_LOAD;
	rl->op.version = gw->objects_version;
	rl->op.done = reloaded;
	rl->op.arg = rl;
	store_submit(gw->store, &rl->op);
}

/* The deletions of one erasure, and each DELETE in flight. */
struct deletion {
	struct gateway *gw;
	json_t *report;
	size_t pending;
	void (*then)(void *arg, json_t *report);
	void *arg;
};

struct one {
	struct deletion *d;
	json_t *entry;		/* the report's entry (borrowed) */
	int status;
	char *url;
	char auth[512];
};

static void
finish_one(struct deletion *d)
{
	if (--d->pending > 0)
		return;
	d->then(d->arg, d->report);
	free(d);
}

static int
one_head(void *arg, int status, const struct uheader *h, size_t n)
{
	struct one *o = arg;

	(void)h;
	(void)n;
	o->status = status;
	return 0;
}

static int
one_data(void *arg, const char *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

static void
one_done(void *arg, int result, const char *errmsg)
{
	struct one *o = arg;
	int ok = result == 0 && ((o->status >= 200 && o->status < 300) ||
	    o->status == 404);

	json_object_set_new(o->entry, "result", json_string(ok ? "deleted" :
	    "failed"));
	if (!ok) {
		json_object_set_new(o->entry, "status",
		    json_integer(o->status));
		log_warn("objects: deleting %s upstream failed: %d %s",
		    log_q(o->url), o->status, log_q(errmsg));
	}
	OPENSSL_cleanse(o->auth, sizeof(o->auth));
	free(o->url);
	finish_one(o->d);
	free(o);
}

static const struct uxfer_ops one_ops = {
	.on_head = one_head,
	.on_data = one_data,
	.on_done = one_done,
};

/* Starts the DELETE of one object; 0 when it runs. */
static int
start_one(struct deletion *d, json_t *e)
{
	const struct config *cfg = d->gw->cfg;
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *id = json_string_value(json_object_get(e, "id"));
	const char *parent = json_string_value(json_object_get(e, "parent"));
	const char *up = json_string_value(json_object_get(e, "upstream"));
	const char *lines[3] = { NULL, NULL, NULL };
	struct uxfer_req ur;
	struct ep_target t;
	char path[512];
	struct one *o;
	int u, k;

	k = kind ? endpoint_obj_parse(kind, strlen(kind)) : EP_OBJ_NONE;
	u = up ? config_upstream_index(cfg, up, strlen(up)) : -1;
	if (k == EP_OBJ_NONE || id == NULL || u < 0 ||
	    !cfg->upstreams[u].enabled ||
	    endpoint_delete_path(k, id, parent, path, sizeof(path)) != 0 ||
	    endpoint_target(path, strlen(path), sizeof(path), &t) !=
	    EP_TARGET_OK)
		return -1;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return -1;
	o->d = d;
	o->entry = e;
	o->url = malloc(strlen(cfg->upstreams[u].url) + strlen(path) + 1);
	if (o->url == NULL) {
		free(o);
		return -1;
	}
	memcpy(o->url, cfg->upstreams[u].url, strlen(cfg->upstreams[u].url));
	memcpy(o->url + strlen(cfg->upstreams[u].url), path, strlen(path) + 1);
	if (cfg->upstreams[u].api_key != NULL) {
		snprintf(o->auth, sizeof(o->auth), "Authorization: Bearer %s",
		    cfg->upstreams[u].api_key);
		lines[0] = o->auth;
	}
	memset(&ur, 0, sizeof(ur));
	ur.url = o->url;
	ur.method = "DELETE";
	ur.headers = lines;
	ur.connect_timeout_ms = cfg->upstream_connect_timeout_ms;
	ur.total_timeout_ms = cfg->upstream_first_byte_timeout_ms;
	d->pending++;
	if (uxfer_start(d->gw->upool, &ur, &one_ops, o) == NULL) {
		d->pending--;
		OPENSSL_cleanse(o->auth, sizeof(o->auth));
		free(o->url);
		free(o);
		return -1;
	}
	return 0;
}

void
owners_delete_upstream(struct gateway *gw, json_t *objects,
    void (*then)(void *arg, json_t *report), void *arg)
{
	struct deletion *d = calloc(1, sizeof(*d));
	json_t *e;
	size_t i;

	if (d == NULL || (d->report = json_deep_copy(objects)) == NULL) {
		free(d);
		then(arg, json_array());
		return;
	}
	d->gw = gw;
	d->then = then;
	d->arg = arg;
	d->pending = 1;		/* until every DELETE is started */
	json_array_foreach(d->report, i, e) {
		if (start_one(d, e) != 0)
			json_object_set_new(e, "result", json_string(
			    "not_deletable"));
	}
	finish_one(d);
}
