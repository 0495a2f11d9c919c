/* The daemon object: startup, listeners, signals, reload, drain (keys:
 * gateway/keysync.c; the admin listener: gateway/admin_glue.c). */
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
#include "common/log.h"
#include "common/util.h"
#include "gateway/config_keys.h"
#include "gateway/conn.h"
#include "gateway/fdlimit.h"
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"
#include "gateway/metrics.h"
#include "gateway/owners.h"
#include "gateway/probe.h"
#include "gateway/stores.h"
#include "policy/ratelimit.h"
#include "gateway/request.h"
#include "gateway/trace.h"
#include "gateway/upstream.h"
#include "gateway/work.h"
#include "policy/keys.h"
#include "policy/objects.h"
#include "policy/pii.h"
#include "storage/store.h"

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

static void
reload(struct gateway *gw)
{
	char err[600];
	struct config *cfg = config_load(gw->config_path, err, sizeof(err));
	struct server_limits lim;

	if (cfg == NULL) {
		log_error("reload failed, keeping the running "
		    "configuration: %s", log_q(err));
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
	gateway_console_conf(gw);
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
 * HMAC context serve one thread each; the engines share the loop's
 * read-only tables, gw->env.pii, freed after them). */
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
		gw->work_env[i].pii = pii_engine_new_sharing(gw->env.pii, perr,
		    sizeof(perr));
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
	struct admin_hooks hooks = gateway_admin_hooks;
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
	{
		char perr[256];

		/* The workers' engines share its read-only tables. */
		gw->env.pii = pii_engine_new(perr, sizeof(perr));
		if (gw->env.pii == NULL) {
			log_error("PII engine: %s", log_q(perr));
			OPENSSL_cleanse(secret, sizeof(secret));
			return GW_ERR_INVAL;
		}
	}
	gw->hmac = keys_hmac_new(secret, sizeof(secret));
	gw->env.hmac = gw->hmac;
	err = gw->hmac != NULL ? work_envs(gw, cfg, secret) : GW_ERR_CRYPTO;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (err != GW_OK)
		return err;
	gw->local_periods = strcmp(cfg->budget_timezone, "UTC") != 0;
	gw->rl = ratelimit_new();
	if (gw->rl == NULL)
		return GW_ERR_NOMEM;
	err = admin_token_hash(gw, cfg->data_dir, token_hash);
	if (err != GW_OK) {
		log_error("cannot set up the admin token: %s",
		    gw_strerror(err));
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
		gateway_console_conf(gw);
	}
	/* The first key snapshot is loaded before serving, and who owns
	 * which objects upstream. */
	gateway_keys_load(gw, 1, NULL, NULL);
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
	    &gateway_admin_ops, gw, &lim, &gw->admin_port);
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
	gw->key_timer = event_new(gw->base, -1, EV_PERSIST,
	    gateway_key_timer_cb, gw);
	gw->drain_timer = evtimer_new(gw->base, drain_check_cb, gw);
	if (gw->sig_term == NULL || gw->sig_int == NULL ||
	    gw->sig_hup == NULL || gw->key_timer == NULL ||
	    gw->drain_timer == NULL)
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
