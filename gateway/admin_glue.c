/*
 * The admin listener: admin API calls and the console's answers over the
 * daemon's HTTP server, and the hooks through which the admin API reads
 * the daemon (policies, health, metrics, evidence, keys, objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/console.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"
#include "gateway/metrics.h"
#include "gateway/owners.h"
#include "gateway/request.h"
#include "gateway/trace.h"
#include "gateway/upstream.h"
#include "policy/posture.h"
#include "storage/store.h"

/* Admin API glue: one call per admin request. */
struct admin_call {
	struct conn *conn;	/* NULL once the client left */
	struct call *handle;	/* the admin module's side */
};

/* Content-Type and the security headers of admin API answers. */
static size_t
admin_headers(const char *ctype, struct hdr *h, size_t n)
{
	struct console_hdr ch[8];
	size_t k = console_api_headers(ctype, ch, 8);

	h[0] = (struct hdr){ "Content-Type", ctype ? ctype :
	    "application/json" };
	for (size_t i = 0; i < k && i + 1 < n; i++)
		h[i + 1] = (struct hdr){ ch[i].name, ch[i].value };
	return k + 1 < n ? k + 1 : n;
}

static void
admin_reply(void *arg, int status, char *body, size_t len,
    const char *ctype)
{
	struct admin_call *call = arg;
	struct hdr h[9];
	size_t n = admin_headers(ctype, h, 9);

	if (call->conn != NULL) {
		conn_set_ctx(call->conn, NULL);
		conn_respond(call->conn, status, h, n, body ? body : "", len);
	}
	if (body != NULL)
		OPENSSL_cleanse(body, len);	/* may hold a new key */
	free(body);
	free(call);
}

static void
admin_begin(void *arg, int status, const char *ctype)
{
	struct admin_call *call = arg;
	struct hdr h[9];
	size_t n = admin_headers(ctype, h, 9);

	if (call->conn != NULL)
		conn_stream_begin(call->conn, status, h, n);
}

static int
admin_write(void *arg, const char *data, size_t len)
{
	struct admin_call *call = arg;

	if (call->conn == NULL)
		return -1;
	conn_stream_write(call->conn, data, len);
	conn_stream_flush(call->conn);
	return conn_out_full(call->conn);
}

static void
admin_end(void *arg, int ok)
{
	struct admin_call *call = arg;

	if (call->conn != NULL) {
		conn_set_ctx(call->conn, NULL);
		conn_stream_end(call->conn, ok);
	}
	free(call);
}

static const struct admin_io admin_io = {
	.reply = admin_reply,
	.begin = admin_begin,
	.write = admin_write,
	.end = admin_end,
};

/* The console's own answers (its files and sessions). */
static void
console_reply(void *arg, int status, const struct console_hdr *ch, size_t n,
    const char *body, size_t len)
{
	struct admin_call *call = arg;
	struct hdr h[16];
	size_t k = 0;

	for (; k < n && k < 16; k++)
		h[k] = (struct hdr){ ch[k].name, ch[k].value };
	if (call->conn != NULL) {
		conn_set_ctx(call->conn, NULL);
		conn_respond(call->conn, status, h, k, body, len);
	}
	free(call);
}

static const struct console_io console_io = {
	.reply = console_reply,
};

/* A header's value and length, or NULL. */
static const char *
header_of(const struct http1_request *hr, const char *name, size_t *len)
{
	const struct http1_header *h = http1_find(hr, name);

	*len = h ? h->value_len : 0;
	return h ? h->value : NULL;
}

static void
admin_on_request(struct conn *c, void *arg)
{
	struct gateway *gw = arg;
	const struct http1_request *hr = conn_request(c);
	const struct http1_header *auth = http1_find(hr, "authorization");
	struct evbuffer *b = conn_body(c);
	struct admin_call *call = calloc(1, sizeof(*call));
	struct admin_request ar;
	struct console_request cr;
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT",
		"PATCH", "DELETE", "OPTIONS" };

	if (call == NULL) {
		conn_respond(c, 503, NULL, 0, "", 0);
		return;
	}
	call->conn = c;
	conn_set_ctx(c, call);
	memset(&ar, 0, sizeof(ar));
	ar.method = methods[hr->method];
	ar.client = conn_peer(c);
	ar.target = hr->target;
	ar.target_len = hr->target_len;
	ar.auth = auth ? auth->value : NULL;
	ar.auth_len = auth ? auth->value_len : 0;
	ar.body_len = evbuffer_get_length(b);
	ar.body = ar.body_len ? (const char *)evbuffer_pullup(b, -1) : "";
	/* The console answers its own paths and reads a few more headers. */
	memset(&cr, 0, sizeof(cr));
	cr.ar = ar;
	cr.cookie = header_of(hr, "cookie", &cr.cookie_len);
	cr.csrf = header_of(hr, "x-csrf-token", &cr.csrf_len);
	cr.origin = header_of(hr, "origin", &cr.origin_len);
	cr.host = header_of(hr, "host", &cr.host_len);
	cr.if_none_match = header_of(hr, "if-none-match",
	    &cr.if_none_match_len);
	cr.tls = 0;	/* the admin listener speaks plain HTTP */
	console_handle(gw->console, &cr, &admin_io, &console_io, call,
	    &call->handle);
}

static void
admin_on_drain(struct conn *c, void *ctx)
{
	struct admin_call *call = ctx;

	if (call != NULL && call->handle != NULL && !conn_out_full(c))
		admin_resume(call->handle);
}

static void
admin_on_abort(struct conn *c, void *ctx)
{
	struct admin_call *call = ctx;

	if (call == NULL)
		return;
	call->conn = NULL;	/* the answer comes later and is dropped */
	if (call->handle != NULL)
		admin_abort(call->handle);
}

const struct server_ops gateway_admin_ops = {
	.on_request = admin_on_request,
	.on_drain = admin_on_drain,
	.on_abort = admin_on_abort,
};

static int
hook_policy_exists(void *arg, const char *name)
{
	struct gateway *gw = arg;

	return config_policy(gw->cfg, name) != NULL;
}

static void
hook_keys_changed(void *arg, void (*then)(void *), void *then_arg)
{
	gateway_keys_load(arg, 1, then, then_arg);
}

static json_t *
hook_health(void *arg)
{
	struct gateway *gw = arg;
	json_t *ups = json_array();

	static const char *const states[] = { "closed", "open", "half-open" };
	uint64_t now = util_now_us();

	for (size_t i = 0; i < gw->cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &gw->cfg->upstreams[i];
		const struct up_health *h = &gw->health.v[u->health_slot];

		json_array_append_new(ups, json_pack("{s:s, s:s, s:s, s:b, "
		    "s:b, s:s, s:i}", "name", u->name, "kind", u->kind ==
		    UPSTREAM_MISTRAL ? "mistral" : "openai", "region",
		    u->region, "zdr", u->zdr, "enabled", u->enabled, "breaker",
		    states[health_state(h, now)], "consecutive_failures",
		    (int)h->fails));
	}
	return json_pack("{s:s, s:s, s:I, s:i, s:i, s:I, s:b, s:o}", "status",
	    gw->draining ? "draining" : "ok", "version", EUGATE_VERSION,
	    "uptime_s", (json_int_t)(util_wall_s() - gw->started_at),
	    "connections", (int)server_conns(gw->client), "in_flight",
	    (int)gw->n_reqs, "keys",
	    (json_int_t)(gw->keys ? keycache_size(gw->keys) : 0), "draining",
	    gw->draining, "upstreams", ups);
}

/* The metrics kept elsewhere (counters of the request path and the store,
 * health, the tracer), set into the registry at scrape time. */
static char *
hook_metrics(void *arg)
{
	struct gateway *gw = arg;
	struct metrics *m = gw->metrics;
	const struct gateway_stats *s = &gw->stats;
	static const struct {
		int family;
		size_t offset;
	} plain[] = {
		{ MF_REQUESTS, offsetof(struct gateway_stats, requests) },
		{ MF_RATE_LIMITED, offsetof(struct gateway_stats,
		    rate_limited) },
		{ MF_BUDGET_REFUSED, offsetof(struct gateway_stats,
		    budget_refused) },
		{ MF_SPEND_EXCESS, offsetof(struct gateway_stats,
		    spend_excess) },
		{ MF_USAGE_INVALID, offsetof(struct gateway_stats,
		    usage_invalid) },
		{ MF_STREAM_CUTS, offsetof(struct gateway_stats, stream_cuts) },
		{ MF_CLIENT_ABORTS, offsetof(struct gateway_stats,
		    client_aborts) },
	};
	struct store_stats ss;
	uint64_t now = util_now_us();
	size_t len;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		metrics_set(m, plain[i].family, 0, 0,
		    (double)*(const uint64_t *)((const char *)s +
		    plain[i].offset));
	for (int c = 1; c < 5; c++)	/* 2xx..5xx */
		metrics_set(m, MF_RESPONSES, c, 0, (double)s->responses[c]);
	metrics_set(m, MF_CONNECTIONS, 0, 0, server_conns(gw->client));
	metrics_set(m, MF_IN_FLIGHT, 0, 0, gw->n_reqs);
	metrics_set(m, MF_UPSTREAM_TRANSFERS, 0, 0, upool_active(gw->upool));
	store_get_stats(gw->store, &ss);
	metrics_set(m, MF_STORAGE_TRANSACTIONS, 0, 0, (double)ss.transactions);
	metrics_set(m, MF_STORAGE_OPERATIONS, 0, 0, (double)ss.ops);
	metrics_set(m, MF_STORAGE_CHECKPOINTS, 0, 0,
	    (double)ss.wal_checkpoints);
	for (size_t i = 0; i < gw->cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &gw->cfg->upstreams[i];
		const struct up_health *h = &gw->health.v[u->health_slot];
		int up = metrics_label(m, ML_UPSTREAM, u->name);

		metrics_set(m, MF_UPSTREAM_UP, up, metrics_label(m, ML_REGION,
		    u->region), u->enabled && health_state(h, now) !=
		    HEALTH_OPEN);
		metrics_set(m, MF_UPSTREAM_FAILURES, up, 0,
		    (double)h->failures);
		metrics_set(m, MF_BREAKER_OPENED, up, 0, (double)h->opened);
	}
	if (gw->tracer != NULL) {
		struct tracer_stats ts;

		tracer_get_stats(gw->tracer, &ts);
		metrics_set(m, MF_SPANS_EXPORTED, 0, 0, (double)ts.exported);
		metrics_set(m, MF_SPANS_DROPPED, MR_QUEUE_FULL, 0,
		    (double)ts.dropped_queue);
		metrics_set(m, MF_SPANS_DROPPED, MR_EXPORT_FAILED, 0,
		    (double)ts.dropped_export);
	}
	metrics_set_process(m, gw->started_at);
	return metrics_render(m, &len);
}

static uint64_t
hook_retention_ms(void *arg)
{
	struct gateway *gw = arg;

	return gw->cfg->audit_retention_ms;
}

static void
hook_evidence(void *arg, struct posture_conf *out)
{
	struct gateway *gw = arg;
	const struct config *cfg = gw->cfg;

	memset(out, 0, sizeof(*out));
	out->controller = cfg->controller;
	out->dpo = cfg->dpo;
	out->audit_retention_ms = cfg->audit_retention_ms;
	out->global_budget = cfg->budget;
	out->client_tls = cfg->tls_cert != NULL;
	out->checkpoint_records = cfg->audit_checkpoint_records;
	out->checkpoint_interval_ms = cfg->audit_checkpoint_interval_ms;
	out->ups = cfg->upstreams;
	out->n_ups = cfg->n_upstreams;
	out->pols = cfg->policies;
	out->n_pols = cfg->n_policies;
}

static void
hook_objects_changed(void *arg, void (*then)(void *), void *then_arg)
{
	owners_reload(arg, then, then_arg);
}

static void
hook_delete_objects(void *arg, json_t *objects,
    void (*then)(void *then_arg, json_t *report), void *then_arg)
{
	owners_delete_upstream(arg, objects, then, then_arg);
}

static void
hook_keys_flush_uses(void *arg)
{
	gateway_flush_key_uses(arg);
}

const struct admin_hooks gateway_admin_hooks = {
	.policy_exists = hook_policy_exists,
	.keys_changed = hook_keys_changed,
	.objects_changed = hook_objects_changed,
	.delete_objects = hook_delete_objects,
	.health = hook_health,
	.metrics = hook_metrics,
	.retention_ms = hook_retention_ms,
	.evidence = hook_evidence,
	.keys_flush_uses = hook_keys_flush_uses,
};

/* The console's settings from the current configuration. */
void
gateway_console_conf(struct gateway *gw)
{
	struct console_conf cc = {
		.enabled = gw->cfg->console,
		.idle_ms = gw->cfg->console_idle_timeout_ms,
		.life_ms = gw->cfg->console_session_lifetime_ms,
		.secure_cookie = gw->cfg->console_cookie_secure,
	};

	console_set_conf(gw->console, &cc);
}
