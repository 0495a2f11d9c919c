/* The daemon object: startup, listeners, signals, reload, drain, keys. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/thread.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "admin/admin.h"
#include "admin/console.h"
#include "gateway/audit_jobs.h"
#include "common/cidr.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/config_keys.h"
#include "gateway/conn.h"
#include "gateway/fdlimit.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/owners.h"
#include "gateway/probe.h"
#include "gateway/stores.h"
#include "policy/ratelimit.h"
#include "gateway/request.h"
#include "gateway/trace.h"
#include "gateway/upstream.h"
#include "gateway/work.h"
#include "policy/endpoint.h"
#include "policy/keys.h"
#include "policy/objects.h"
#include "policy/pii.h"
#include "policy/posture.h"
#include "storage/store.h"

#define EUGATE_VERSION "0.1.0"

static void
limits_from(const struct config *cfg, struct server_limits *l)
{
	l->max_header_bytes = cfg->max_header_bytes;
	l->max_headers = cfg->max_headers;
	l->max_body_bytes = cfg->max_body_bytes;
	l->client_buffer_bytes = cfg->client_buffer_bytes;
	l->header_timeout_ms = cfg->client_header_timeout_ms;
	l->idle_timeout_ms = cfg->client_idle_timeout_ms;
	l->send_timeout_ms = cfg->client_send_timeout_ms;
	l->max_connections = cfg->max_connections;
	l->max_connections_per_ip = cfg->max_connections_per_ip;
	l->max_bodies_bytes = cfg->max_bodies_bytes;
}

/* Key cache refresh: a snapshot op; the cache is swapped whole. */
struct keys_load {
	struct gateway *gw;
	struct store_op op;
	void (*then)(void *);
	void *then_arg;
};

static void
limits_from_row(struct key_limits *l, const struct store_limits *row)
{
	l->budget.limit = row->budget;
	l->budget.currency = row->currency == CUR_USD ? CUR_USD : CUR_EUR;
	l->budget.period = row->period >= PERIOD_DAILY &&
	    row->period <= PERIOD_TOTAL ? row->period : PERIOD_MONTHLY;
	l->rpm = row->rpm;
	l->tpm = row->tpm;
}

/* Expiry, rotation and the allowlist of a snapshot's row. */
static void
key_life_from_row(struct key_entry *e, const struct store_key_row *row)
{
	size_t bad;

	e->expires_at = row->expires_at;
	memcpy(e->prev_hmac, row->prev_hmac, 32);
	e->prev_until = row->prev_until;
	if (row->allow_ips[0] != '\0' && cidr_parse_list(row->allow_ips,
	    e->allow, CIDR_LIST_MAX, &e->n_allow, &bad) != 0) {
		/* Stored only after the admin API checked it: refuse all
		 * addresses rather than none. */
		log_error("key %s: IP allowlist item %zu does not parse; the "
		    "key is refused everywhere", log_q(e->id), bad);
		memset(e->allow, 0, sizeof(e->allow));
		e->allow[0].family = 4;
		e->allow[0].bits = 32;
		e->allow[0].addr[0] = 0xff;	/* 255.0.0.0/32: no client */
		e->n_allow = 1;
	}
}

static void
keys_loaded(struct store_op *op)
{
	struct keys_load *kl = op->arg;
	struct gateway *gw = kl->gw;

	gw->keys_loading = 0;
	if (op->err != GW_OK) {
		log_error("key refresh failed: %s", gw_strerror(op->err));
	} else if (op->changed) {
		struct key_entry *e = calloc(op->n_rows ? op->n_rows : 1,
		    sizeof(*e));
		struct keycache *kc = NULL;

		if (e != NULL) {
			for (size_t i = 0; i < op->n_rows; i++) {
				snprintf(e[i].id, sizeof(e[i].id), "%.12s",
				    op->rows[i].id);
				snprintf(e[i].team, sizeof(e[i].team), "%s",
				    op->rows[i].team);
				snprintf(e[i].policy, sizeof(e[i].policy), "%s",
				    op->rows[i].policy);
				memcpy(e[i].hmac, op->rows[i].hmac, 32);
				limits_from_row(&e[i].team_limits,
				    &op->rows[i].team_limits);
				limits_from_row(&e[i].key_limits,
				    &op->rows[i].key_limits);
				memcpy(e[i].models, op->rows[i].key_limits.models,
				    sizeof(e[i].models));
				memcpy(e[i].models_deny,
				    op->rows[i].key_limits.models_deny,
				    sizeof(e[i].models_deny));
				key_life_from_row(&e[i], &op->rows[i]);
			}
			kc = keycache_new(e, op->n_rows);
			OPENSSL_cleanse(e, (op->n_rows ? op->n_rows : 1) *
			    sizeof(*e));
			free(e);
		}
		if (kc != NULL) {
			keycache_carry_uses(kc, gw->keys);
			keycache_free(gw->keys);
			gw->keys = kc;
			gw->keys_version = op->version;
			log_debug("key cache: %zu keys (version %lld)",
			    op->n_rows, (long long)op->version);
		}
		OPENSSL_cleanse(op->rows, op->n_rows * sizeof(*op->rows));
	}
	store_op_cleanup(op);
	if (kl->then != NULL)
		kl->then(kl->then_arg);
	free(kl);
}

static void
keys_load(struct gateway *gw, int force, void (*then)(void *), void *arg)
{
	struct keys_load *kl = calloc(1, sizeof(*kl));

	if (kl == NULL) {
		if (then != NULL)
			then(arg);
		return;
	}
	kl->gw = gw;
	kl->then = then;
	kl->then_arg = arg;
	kl->op.type = STORE_KEYS_LOAD;
	kl->op.version = force ? -1 : gw->keys_version;
	kl->op.done = keys_loaded;
	kl->op.arg = kl;
	gw->keys_loading = 1;
	store_submit(gw->store, &kl->op);
}

void
gateway_refresh_keys(struct gateway *gw)
{
	keys_load(gw, 1, NULL, NULL);
}

/* Keys and admin principals: reloaded when storage has newer ones
 * (another instance, or eugatectl on another listener). */
static void
key_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	uint64_t now = util_now_ms();

	if (!gw->keys_loading)
		keys_load(gw, 0, NULL, NULL);
	admin_refresh(gw->admin, 0, NULL, NULL);
	if (now - gw->uses_flushed_ms >= gw->cfg->key_last_used_flush_ms) {
		gateway_flush_key_uses(gw);
		gw->uses_flushed_ms = now;
	}
	if (gw->cfg->database_url_env != NULL)
		owners_poll(gw);
}

/*
 * Keys' last use: kept in the key cache as requests come, written in
 * batches (one op with every key used since the last one) every
 * key_last_used_flush, never a write per request.
 */
#define USAGE_BATCH 1024

struct usage_write {
	struct store_op op;
	struct store_key_use uses[USAGE_BATCH];
};

static void
usage_written(struct store_op *op)
{
	if (op->err != GW_OK)
		log_warn("keys' last use not stored: %s", gw_strerror(op->err));
	free(op->arg);
}

void
gateway_flush_key_uses(struct gateway *gw)
{
	struct key_use u[64];
	size_t n;

	do {
		struct usage_write *w;

		n = 0;
		w = calloc(1, sizeof(*w));
		if (w == NULL)
			return;
		while (n < USAGE_BATCH) {
			size_t got = keycache_take_uses(gw->keys, u,
			    USAGE_BATCH - n < 64 ? USAGE_BATCH - n : 64);

			for (size_t i = 0; i < got; i++, n++) {
				memcpy(w->uses[n].id, u[i].id,
				    sizeof(u[i].id));
				w->uses[n].at = u[i].at;
			}
			if (got == 0)
				break;
		}
		if (n == 0) {
			free(w);
			return;
		}
		w->op.type = STORE_KEYS_TOUCH;
		w->op.uses = w->uses;
		w->op.n_uses = n;
		w->op.done = usage_written;
		w->op.arg = w;
		store_submit(gw->store, &w->op);
	} while (n == USAGE_BATCH);
}

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

static const struct server_ops admin_server_ops = {
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
	keys_load(arg, 1, then, then_arg);
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

		json_array_append_new(ups, json_pack("{s:s, s:s, s:s, s:b, s:b, "
		    "s:s, s:i}", "name", u->name, "kind", u->kind ==
		    UPSTREAM_MISTRAL ? "mistral" : "openai", "region",
		    u->region, "zdr", u->zdr, "enabled", u->enabled, "breaker",
		    states[health_state(h, now)], "consecutive_failures",
		    (int)h->fails));
	}
	return json_pack("{s:s, s:s, s:I, s:i, s:i, s:I, s:b, s:o}",
	    "status", gw->draining ? "draining" : "ok", "version",
	    EUGATE_VERSION, "uptime_s", (json_int_t)(util_wall_s() - gw->started_at),
	    "connections", (int)server_conns(gw->client), "in_flight",
	    (int)gw->n_reqs, "keys", (json_int_t)(gw->keys ?
	    keycache_size(gw->keys) : 0), "draining", gw->draining,
	    "upstreams", ups);
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

static const struct admin_hooks admin_hooks_tmpl = {
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

static void
drain_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	static const struct timeval tick = { 0, 50000 };

	if ((gw->n_reqs == 0 && server_conns(gw->client) == 0) ||
	    util_now_ms() >= gw->drain_deadline_ms) {
		if (gw->n_reqs > 0)
			log_warn("drain deadline: %u requests cut", gw->n_reqs);
		event_base_loopexit(gw->base, NULL);
		return;
	}
	evtimer_add(gw->drain_timer, &tick);
}

static void
start_drain(struct gateway *gw)
{
	static const struct timeval now = { 0, 0 };

	if (gw->draining)
		return;
	gw->draining = 1;
	gw->drain_deadline_ms = util_now_ms() + gw->cfg->drain_timeout_ms;
	log_info("draining: %u requests in flight, deadline %llums",
	    gw->n_reqs, (unsigned long long)gw->cfg->drain_timeout_ms);
	server_drain(gw->client);
	server_drain(gw->admin_srv);
	tracer_flush(gw->tracer);
	evtimer_add(gw->drain_timer, &now);
}

void
gateway_request_done(struct gateway *gw)
{
	gw->n_reqs--;
}

/* The console's settings from the current configuration. */
static void
console_conf_from(struct gateway *gw)
{
	struct console_conf cc = {
		.enabled = gw->cfg->console,
		.idle_ms = gw->cfg->console_idle_timeout_ms,
		.life_ms = gw->cfg->console_session_lifetime_ms,
		.secure_cookie = gw->cfg->console_cookie_secure,
	};

	console_set_conf(gw->console, &cc);
}

static void
reload(struct gateway *gw)
{
	char err[600];
	struct config *cfg = config_load(gw->config_path, err, sizeof(err));
	struct server_limits lim;

	if (cfg == NULL) {
		log_error("reload failed, keeping the running configuration: %s",
		    log_q(err));
		return;
	}
	/* What was set up once at start keeps its running value, so that
	 * the snapshot says what is in effect (and the next reload warns
	 * again while the file differs). */
	for (size_t i = 0; i < config_keys_count(); i++) {
		const struct cfg_key *k = config_keys_at(i);

		if (k->section != CFG_SEC_GATEWAY || k->apply != CFG_RESTART ||
		    config_keys_same(k, cfg, gw->cfg))
			continue;
		log_warn("reload: '%s' changed; it takes effect after a "
		    "restart", k->name);
		config_keys_copy(k, cfg, gw->cfg);
	}
	if (probe_adopt(gw, cfg) != GW_OK) {
		log_error("reload failed: out of memory");
		config_unref(cfg);
		return;
	}
	log_set_level((enum log_level)cfg->log_level);
	log_set_format((enum log_format)cfg->log_format);
	probe_stop(gw);
	config_unref(gw->cfg);
	gw->cfg = cfg;
	if (probe_start(gw) != GW_OK)
		log_error("reload: active health checks not started: out of "
		    "memory");
	limits_from(cfg, &lim);
	server_set_limits(gw->client, &lim);
	server_set_limits(gw->admin_srv, &lim);
	console_conf_from(gw);
	fdlimit_check(cfg, fdlimit_current());
	log_info("configuration reloaded (%zu upstreams, %zu policies)",
	    cfg->n_upstreams, cfg->n_policies);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gateway *gw = arg;

	if (sig == SIGHUP)
		reload(gw);
	else
		start_drain(gw);
}

static enum gw_err
load_secret(struct gateway *gw, const char *dir, unsigned char secret[32])
{
	const char *env = getenv(gw->cfg->secret_env);
	char path[4096];
	char *data = NULL;
	size_t len = 0;
	unsigned int hl = 0;
	enum gw_err err;

	if (env != NULL && *env != '\0') {
		if (strlen(env) < 32) {
			log_error("%s must hold at least 32 characters",
			    log_q(gw->cfg->secret_env));
			return GW_ERR_CONFIG;
		}
		return EVP_Digest(env, strlen(env), secret, &hl, EVP_sha256(),
		    NULL) == 1 ? GW_OK : GW_ERR_CRYPTO;
	}
	snprintf(path, sizeof(path), "%s/secret.key", dir);
	err = util_read_file(path, 64, &data, &len);
	if (err == GW_OK && len == 32) {
		memcpy(secret, data, 32);
		OPENSSL_cleanse(data, len);
		free(data);
		return GW_OK;
	}
	if (err == GW_OK) {
		free(data);
		log_error("%s: expected 32 bytes", log_q(path));
		return GW_ERR_CONFIG;
	}
	if (err != GW_ERR_NOTFOUND)
		return err;
	err = util_random(secret, 32);
	if (err == GW_OK)
		err = util_write_file(path, (const char *)secret, 32, 0600);
	if (err == GW_OK)
		log_info("generated the key-hashing secret %s", log_q(path));
	return err;
}

/*
 * The admin token's SHA-256: from the environment, else generated on the
 * first start, printed once, and only its hash kept in data_dir.
 */
static enum gw_err
admin_token_hash(struct gateway *gw, const char *dir, unsigned char hash[32])
{
	const char *env = getenv(gw->cfg->admin_token_env);
	char path[4096], hex[65], token[40];
	unsigned char rnd[24];
	unsigned int hl = 0;
	char *data = NULL;
	size_t len = 0;
	enum gw_err err;

	if (env != NULL && *env != '\0')
		return EVP_Digest(env, strlen(env), hash, &hl, EVP_sha256(),
		    NULL) == 1 ? GW_OK : GW_ERR_CRYPTO;
	snprintf(path, sizeof(path), "%s/admin.token.sha256", dir);
	err = util_read_file(path, 64, &data, &len);
	if (err == GW_OK) {
		int ok = len == 64;

		for (size_t i = 0; ok && i < 32; i++) {
			unsigned v;

			ok = sscanf(data + 2 * i, "%2x", &v) == 1;
			hash[i] = (unsigned char)v;
		}
		free(data);
		if (!ok)
			log_error("%s: expected 64 hex digits", log_q(path));
		return ok ? GW_OK : GW_ERR_CONFIG;
	}
	if (err != GW_ERR_NOTFOUND)
		return err;
	memcpy(token, "ega_", 4);
	if (util_random(rnd, sizeof(rnd)) != GW_OK)
		return GW_ERR_CRYPTO;
	util_base62(rnd, sizeof(rnd), token + 4, 32);
	if (EVP_Digest(token, strlen(token), hash, &hl, EVP_sha256(),
	    NULL) != 1)
		return GW_ERR_CRYPTO;
	util_hex(hash, 32, hex);
	err = util_write_file(path, hex, 64, 0600);
	if (err == GW_OK) {
		fprintf(stdout, "eugate: generated admin token (shown once; "
		    "set %s to use your own):\n%s\n",
		    gw->cfg->admin_token_env, token);
		fflush(stdout);
	}
	OPENSSL_cleanse(token, sizeof(token));
	return err;
}

static SSL_CTX *
tls_context(const struct config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) !=
	    1 || SSL_CTX_check_private_key(ctx) != 1) {
		log_error("TLS: cannot use %s / %s: %s", log_q(cfg->tls_cert),
		    log_q(cfg->tls_key),
		    log_q(ERR_reason_error_string(ERR_get_error())));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void
write_port_file(const char *path, int port)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d\n", port);

	if (path != NULL && util_write_file(path, buf, (size_t)n, 0644) !=
	    GW_OK)
		log_error("cannot write port file %s: %s", log_q(path),
		    strerror(errno));
}

/* Tracing, when otlp_endpoint is set; headers from otlp_headers_env. */
static enum gw_err
tracer_start_from(struct gateway *gw, const struct config *cfg)
{
	struct tracer_conf tc = {
		.endpoint = cfg->otlp_endpoint,
		.service = cfg->otlp_service_name,
		.queue = (size_t)cfg->otlp_queue_spans,
		.timeout_ms = cfg->otlp_timeout_ms,
		.interval_ms = cfg->otlp_interval_ms,
	};
	char err[160];

	if (cfg->otlp_endpoint == NULL)
		return GW_OK;
	if (cfg->otlp_headers_env != NULL)
		tc.headers = getenv(cfg->otlp_headers_env);
	gw->tracer = tracer_new(gw->base, &tc, err, sizeof(err));
	if (gw->tracer == NULL) {
		log_error("tracing: %s", log_q(err));
		return GW_ERR_CONFIG;
	}
	log_info("tracing: spans to %s/v1/traces, new traces sampled at "
	    "%llu.%06llu", log_q(cfg->otlp_endpoint),
	    (unsigned long long)(cfg->otlp_sample_ppm / 1000000),
	    (unsigned long long)(cfg->otlp_sample_ppm % 1000000));
	return GW_OK;
}

/* The worker threads' own policy environments (a PII engine and an
 * HMAC context serve one thread each). */
static enum gw_err
work_envs(struct gateway *gw, const struct config *cfg,
    const unsigned char *secret)
{
	char perr[256];

	gw->n_work = (size_t)cfg->workers;
	if (gw->n_work == 0)
		return GW_OK;
	gw->work_env = calloc(gw->n_work, sizeof(*gw->work_env));
	if (gw->work_env == NULL)
		return GW_ERR_NOMEM;
	for (size_t i = 0; i < gw->n_work; i++) {
		gw->work_env[i].hmac = keys_hmac_new(secret, 32);
		gw->work_env[i].pii = pii_engine_new(perr, sizeof(perr));
		if (gw->work_env[i].hmac == NULL ||
		    gw->work_env[i].pii == NULL) {
			log_error("worker %zu: %s", i, gw->work_env[i].pii ==
			    NULL ? perr : "no HMAC context");
			return GW_ERR_NOMEM;
		}
	}
	return GW_OK;
}

enum gw_err
gateway_init(struct gateway *gw, struct config *cfg, const char *config_path)
{
	unsigned char secret[32], rnd[8], token_hash[32];
	struct server_limits lim;
	struct admin_hooks hooks = admin_hooks_tmpl;
	enum gw_err err;
	int port;

	memset(gw, 0, sizeof(*gw));
	gw->started_at = util_wall_s();
	gw->cfg = config_ref(cfg);
	gw->config_path = config_path;
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return GW_ERR_NOMEM;
	gw->base = event_base_new();
	if (gw->base == NULL)
		return GW_ERR_NOMEM;
	if (util_random(rnd, sizeof(rnd)) != GW_OK)
		return GW_ERR_CRYPTO;
	util_hex(rnd, sizeof(rnd), gw->req_prefix);

	if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
		log_error("data_dir %s: %s", log_q(cfg->data_dir),
		    strerror(errno));
		return GW_ERR_IO;
	}
	err = load_secret(gw, cfg->data_dir, secret);
	if (err != GW_OK) {
		log_error("cannot load the key-hashing secret: %s",
		    gw_strerror(err));
		return err;
	}
	gw->hmac = keys_hmac_new(secret, sizeof(secret));
	err = gw->hmac != NULL ? work_envs(gw, cfg, secret) : GW_ERR_CRYPTO;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (err != GW_OK)
		return err;
	gw->local_periods = strcmp(cfg->budget_timezone, "UTC") != 0;
	gw->rl = ratelimit_new();
	if (gw->rl == NULL)
		return GW_ERR_NOMEM;
	{
		char perr[256];

		gw->env.hmac = gw->hmac;
		gw->env.pii = pii_engine_new(perr, sizeof(perr));
		if (gw->env.pii == NULL) {
			log_error("PII engine: %s", log_q(perr));
			return GW_ERR_INVAL;
		}
	}
	err = admin_token_hash(gw, cfg->data_dir, token_hash);
	if (err != GW_OK) {
		log_error("cannot set up the admin token: %s", gw_strerror(err));
		return err;
	}

	err = stores_open(gw, cfg);
	if (err != GW_OK)
		return err;
	if (audit_jobs_start(gw) != GW_OK)
		return GW_ERR_NOMEM;
	hooks.arg = gw;
	gw->admin = admin_new(gw->store, gw->reader, gw->hmac, token_hash,
	    &hooks);
	if (gw->admin == NULL)
		return GW_ERR_NOMEM;
	{
		struct console_conf cc = { 0 };

		gw->console = console_new(gw->admin, &cc);
		if (gw->console == NULL)
			return GW_ERR_NOMEM;
		console_conf_from(gw);
	}
	/* The first key snapshot is loaded before serving, and who owns
	 * which objects upstream. */
	keys_load(gw, 1, NULL, NULL);
	admin_refresh(gw->admin, 1, NULL, NULL);
	store_flush(gw->store);
	if (gw->keys == NULL)
		return GW_ERR_STORAGE;
	err = owners_load(gw);
	if (err != GW_OK)
		return err;

	if (cfg->tls_cert != NULL) {
		gw->tls = tls_context(cfg);
		if (gw->tls == NULL)
			return GW_ERR_CONFIG;
	}
	gw->upool = upool_new(gw->base);
	gw->metrics = metrics_new((size_t)cfg->metrics_max_labels);
	if (gw->upool == NULL || gw->metrics == NULL)
		return GW_ERR_NOMEM;
	err = tracer_start_from(gw, cfg);
	if (err != GW_OK)
		return err;
	if (gw->n_work > 0) {
		gw->work = work_new(gw->base, gw->n_work, gw->work_env);
		if (gw->work == NULL)
			return GW_ERR_NOMEM;
	}
	memcpy(&gw->route_seed, rnd, sizeof(gw->route_seed));
	if (probe_adopt(gw, cfg) != GW_OK || probe_start(gw) != GW_OK)
		return GW_ERR_NOMEM;
	limits_from(cfg, &lim);
	gw->client = server_new(gw->base, cfg->listen, gw->tls,
	    &request_server_ops, gw, &lim, &gw->port);
	if (gw->client == NULL)
		return GW_ERR_IO;
	gw->admin_srv = server_new(gw->base, cfg->admin_listen, NULL,
	    &admin_server_ops, gw, &lim, &gw->admin_port);
	if (gw->admin_srv == NULL)
		return GW_ERR_IO;
	port = gw->port;
	write_port_file(cfg->port_file, port);
	write_port_file(cfg->admin_port_file, gw->admin_port);
	log_info("eugate %s: client API on %s (port %d)%s, admin API on %s "
	    "(port %d)", EUGATE_VERSION, log_q(cfg->listen), port,
	    gw->tls ? " with TLS" : "", log_q(cfg->admin_listen),
	    gw->admin_port);
	for (size_t i = 0; i < cfg->n_upstreams; i++)
		if (cfg->upstreams[i].enabled)
			log_info("upstream %s: %s (%s, region %s)",
			    log_q(cfg->upstreams[i].name),
			    log_q(cfg->upstreams[i].url),
			    cfg->upstreams[i].kind == UPSTREAM_MISTRAL ?
			    "mistral" : "openai",
			    log_q(cfg->upstreams[i].region));

	gw->sig_term = evsignal_new(gw->base, SIGTERM, signal_cb, gw);
	gw->sig_int = evsignal_new(gw->base, SIGINT, signal_cb, gw);
	gw->sig_hup = evsignal_new(gw->base, SIGHUP, signal_cb, gw);
	gw->key_timer = event_new(gw->base, -1, EV_PERSIST, key_timer_cb, gw);
	gw->drain_timer = evtimer_new(gw->base, drain_check_cb, gw);
	if (gw->sig_term == NULL || gw->sig_int == NULL || gw->sig_hup == NULL ||
	    gw->key_timer == NULL || gw->drain_timer == NULL)
		return GW_ERR_NOMEM;
	gw->uses_flushed_ms = util_now_ms();
	evsignal_add(gw->sig_term, NULL);
	evsignal_add(gw->sig_int, NULL);
	evsignal_add(gw->sig_hup, NULL);
	{
		struct timeval tv = {
			(time_t)(cfg->key_refresh_ms / 1000),
			(suseconds_t)(cfg->key_refresh_ms % 1000) * 1000
		};

		event_add(gw->key_timer, &tv);
	}
	return GW_OK;
}

int
gateway_run(struct gateway *gw)
{
	return event_base_dispatch(gw->base) < 0 ? 1 : 0;
}

void
gateway_cleanup(struct gateway *gw)
{
	/* Connections first: their requests abort and submit records. */
	server_free(gw->client);
	server_free(gw->admin_srv);
	probe_stop(gw);
	upool_free(gw->upool);
	if (gw->store != NULL)
		gateway_flush_key_uses(gw);	/* store_close writes them */
	audit_jobs_stop(gw);	/* a last checkpoint */
	store_close(gw->reader);
	store_close(gw->store);	/* commits what was submitted */
	console_free(gw->console);
	/* After the store: the last records' callbacks count and trace. */
	tracer_free(gw->tracer);
	metrics_free(gw->metrics);
	admin_free(gw->admin);
	keycache_free(gw->keys);
	work_free(gw->work);
	for (size_t i = 0; i < gw->n_work && gw->work_env != NULL; i++) {
		pii_engine_free(gw->work_env[i].pii);
		keys_hmac_free(gw->work_env[i].hmac);
	}
	free(gw->work_env);
	pii_engine_free(gw->env.pii);
	objects_free(gw->objects);
	keys_hmac_free(gw->hmac);
	ratelimit_free(gw->rl);
	health_table_free(&gw->health);
	if (gw->tls != NULL)
		SSL_CTX_free(gw->tls);
	if (gw->sig_term != NULL)
		event_free(gw->sig_term);
	if (gw->sig_int != NULL)
		event_free(gw->sig_int);
	if (gw->sig_hup != NULL)
		event_free(gw->sig_hup);
	if (gw->key_timer != NULL)
		event_free(gw->key_timer);
	if (gw->drain_timer != NULL)
		event_free(gw->drain_timer);
	config_unref(gw->cfg);
	if (gw->base != NULL)
		event_base_free(gw->base);
	curl_global_cleanup();
}
