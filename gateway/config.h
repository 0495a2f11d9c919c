/*
 * Configuration: one INI file (or the built-in defaults) parsed into a
 * reference-counted, immutable snapshot. A request keeps the snapshot it
 * started with; SIGHUP swaps in a new one.
 */
#ifndef GATEWAY_CONFIG_H
#define GATEWAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "policy/conf.h"
#include "policy/money.h"
#include "policy/prices.h"

enum storage_sync { STORAGE_SYNC_NORMAL, STORAGE_SYNC_FULL };

struct config {
	int refs;
	char *path;		/* NULL for the built-in defaults */

	/* [gateway] */
	char *listen;
	char *admin_listen;
	char *data_dir;
	char *admin_token_env;
	char *secret_env;
	char *database_url_env;	/* PostgreSQL's URI is in it; NULL: SQLite */
	char *instance_name;	/* among instances on one database; NULL:
				 * the host name */
	uint64_t instance_timeout_ms;	/* then a dead one's reservations
					 * are settled by a live one */
	char *port_file;
	char *admin_port_file;
	char *tls_cert;
	char *tls_key;
	int log_level;
	int log_format;		/* enum log_format */
	int storage_sync;	/* enum storage_sync */
	uint64_t max_header_bytes;
	uint64_t max_headers;
	uint64_t max_target_bytes;	/* request target: path and query */
	struct strlist forward_headers;	/* client headers sent upstream
					 * (lower-case globs) */
	uint64_t max_body_bytes;
	uint64_t max_response_bytes;
	uint64_t workers;		/* threads for large bodies (start) */
	uint64_t worker_min_bytes;	/* bodies from this size go to them */
	uint64_t max_event_bytes;
	uint64_t client_buffer_bytes;
	uint64_t max_connections;
	uint64_t max_connections_per_ip;
	uint64_t max_bodies_bytes;	/* request bodies held at once */
	uint64_t client_header_timeout_ms;
	uint64_t client_idle_timeout_ms;
	uint64_t client_send_timeout_ms;
	uint64_t upstream_connect_timeout_ms;
	uint64_t upstream_first_byte_timeout_ms;
	uint64_t upstream_idle_timeout_ms;
	uint64_t upstream_total_timeout_ms;
	uint64_t drain_timeout_ms;
	uint64_t key_refresh_ms;
	uint64_t key_last_used_flush_ms;	/* keys' last use written */
	char *prices_path;	/* NULL: the built-in price table */
	char *budget;		/* the global budget, "1000EUR/month" */
	char *budget_timezone;	/* calendar periods: "UTC" or a zone name */
	int over_budget;	/* 0: clamp max_tokens, 1: refuse */
	uint64_t reserve_pages;	/* OCR pages reserved when unknown */
	uint64_t reserve_audio_ms;	/* audio reserved when unknown */
	uint64_t max_list_pages;	/* upstream pages a list walk reads */
	uint64_t max_choices;	/* the most choices (n) a request may ask */
	uint64_t audit_retention_ms;	/* 0: audit records are kept */
	/* Records between checkpoints, and the most time between them. */
	uint64_t audit_checkpoint_records;
	uint64_t audit_checkpoint_interval_ms;
	char *controller;	/* the controller's name and address */
	char *dpo;		/* the data protection officer's contact */
	int console;			/* the web console at /ui/ (0: off) */
	/* A session ends when unused this long, and this long after login. */
	uint64_t console_idle_timeout_ms;
	uint64_t console_session_lifetime_ms;
	int console_cookie_secure;	/* Secure cookie even without TLS */
	uint64_t metrics_max_labels;	/* teams, models, upstreams, regions:
					 * the most label values of each */
	char *otlp_endpoint;		/* the OTLP collector; NULL: no
					 * tracing */
	char *otlp_headers_env;		/* variable with its extra headers */
	char *otlp_service_name;
	uint64_t otlp_sample_ppm;	/* new traces sampled, per million */
	uint64_t otlp_queue_spans;	/* spans waiting at most */
	uint64_t otlp_timeout_ms;	/* one export */
	uint64_t otlp_interval_ms;	/* a batch leaves this often */
	struct budget global_budget;	/* parsed budget; limit -1: none */
	struct price_table *prices;

	struct upstream_conf *upstreams;
	size_t n_upstreams;
	struct policy_conf *policies;
	size_t n_policies;
};

/*
 * Loads path, or the built-in defaults when path is NULL. A key that a
 * section leaves out takes its default from the key table
 * (gateway/config_keys.c). An unknown or repeated key or section is an
 * error: NULL, with "FILE:LINE: message" in err. The result has one
 * reference, owned by the caller.
 */
struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_ref(struct config *cfg);
/* Drops a reference; frees on the last one. config_unref(NULL) is a no-op. */
void config_unref(struct config *cfg);

/* Lookups; the returned pointers live as long as cfg. */
/* The index of [upstream NAME] (len bytes of name), or -1. */
int config_upstream_index(const struct config *cfg, const char *name,
    size_t len);
const struct policy_conf *config_policy(const struct config *cfg,
    const char *name);

/* Splits "host:port"; host is written NUL-terminated into host. */
int config_split_addr(const char *addr, char *host, size_t hostlen,
    int *port);

#endif
