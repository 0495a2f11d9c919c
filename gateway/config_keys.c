/*
 * The configuration keys: one table (section, type, default, range), and
 * the parsing and printing of values.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/config.h"
#include "gateway/config_keys.h"
#include "policy/pii.h"
#include "policy/pii_vault.h"

/*
 * The names of enum values, by value: the order of a table does not have
 * to follow the enum's, and tests/test_config.c checks that every value
 * has a name.
 */
static const struct cfg_name kinds[] = { { UPSTREAM_MISTRAL, "mistral" },
	{ UPSTREAM_OPENAI, "openai" }, { 0, NULL } };
static const struct cfg_name syncs[] = { { STORAGE_SYNC_NORMAL, "normal" },
	{ STORAGE_SYNC_FULL, "full" }, { 0, NULL } };
static const struct cfg_name levels[] = { { LOG_ERROR, "error" },
	{ LOG_WARN, "warn" }, { LOG_INFO, "info" }, { LOG_DEBUG, "debug" },
	{ 0, NULL } };
static const struct cfg_name log_formats[] = { { LOG_FMT_TEXT, "text" },
	{ LOG_FMT_JSON, "json" }, { 0, NULL } };
static const struct cfg_name pii_actions[] = { { PII_ACT_OFF, "off" },
	{ PII_ACT_DETECT, "detect" }, { PII_ACT_REDACT, "redact" },
	{ PII_ACT_PSEUDONYMIZE, "pseudonymize" }, { PII_ACT_BLOCK, "block" },
	{ 0, NULL } };
/* pii_unscannable: 1 blocks. */
static const struct cfg_name allow_block[] = { { 0, "allow" },
	{ 1, "block" }, { 0, NULL } };
static const struct cfg_name pricings[] = { { PRICING_LIST, "list" },
	{ PRICING_REGIONAL, "regional" }, { PRICING_FREE, "free" },
	{ PRICING_OWN, "own" }, { 0, NULL } };
/* over_budget: 0 clamps max_tokens, 1 refuses. */
static const struct cfg_name clamp_refuse[] = { { 0, "clamp" },
	{ 1, "refuse" }, { 0, NULL } };
static const struct cfg_name off_on[] = { { 0, "off" }, { 1, "on" },
	{ 0, NULL } };
static const struct cfg_name trainings[] = { { TRAINING_NONE, "none" },
	{ TRAINING_OPT_OUT, "opt-out" }, { TRAINING_ALLOWED, "allowed" },
	{ 0, NULL } };
static const struct cfg_name forces[] = { { FORCE_CLIENT, "client" },
	{ FORCE_ON, "on" }, { FORCE_OFF, "off" }, { 0, NULL } };
static const struct cfg_name tiers[] = { { TIER_CLIENT, "client" },
	{ TIER_AUTO, "auto" }, { TIER_STANDARD_ONLY, "standard_only" },
	{ 0, NULL } };
/* A conversation's "store": the client's, or forced off. */
static const struct cfg_name client_off[] = { { FORCE_CLIENT, "client" },
	{ FORCE_OFF, "off" }, { 0, NULL } };
static const struct cfg_name endpoint_sets[] = { { ENDPOINTS_ALL, "all" },
	{ ENDPOINTS_INFERENCE, "inference" }, { 0, NULL } };
/* TRANSFER_UNSET has no name: the key is left out (derived). */
static const struct cfg_name transfers[] = { { TRANSFER_NONE, "none" },
	{ TRANSFER_ADEQUACY, "adequacy" }, { TRANSFER_SCC, "scc" },
	{ TRANSFER_BCR, "bcr" }, { 0, NULL } };

#define G(f) offsetof(struct config, f)
#define U(f) offsetof(struct upstream_conf, f)
#define P(f) offsetof(struct policy_conf, f)
#define KB 1024ull
#define MB (1024ull * 1024ull)

/*
 * The one table of configuration keys: parsing, -k, printing and the
 * reload follow it. The last column says whether SIGHUP applies a change
 * (gateway/gateway.c re-reads the value from the current snapshot, or sets
 * it again on reload) or only a restart does.
 */
static const struct cfg_key cfg_keys[] = {
	{ CFG_SEC_GATEWAY, "listen", CFG_STR, G(listen), "127.0.0.1:8080", 0, 0,
	    NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "admin_listen", CFG_STR, G(admin_listen),
	    "127.0.0.1:8081", 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "port_file", CFG_STR, G(port_file), NULL, 0, 0, NULL,
	    CFG_RESTART },
	{ CFG_SEC_GATEWAY, "admin_port_file", CFG_STR, G(admin_port_file), NULL,
	    0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "tls_cert", CFG_STR, G(tls_cert), NULL, 0, 0, NULL,
	    CFG_RESTART },
	{ CFG_SEC_GATEWAY, "tls_key", CFG_STR, G(tls_key), NULL, 0, 0, NULL,
	    CFG_RESTART },
	{ CFG_SEC_GATEWAY, "data_dir", CFG_STR, G(data_dir), "./var", 0, 0,
	    NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "admin_token_env", CFG_STR, G(admin_token_env),
	    "EUGATE_ADMIN_TOKEN", 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "secret_env", CFG_STR, G(secret_env),
	    "EUGATE_SECRET", 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "console", CFG_ENUM, G(console), "on", 0, 0, off_on,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "console_idle_timeout", CFG_DURATION,
	    G(console_idle_timeout_ms), "30m", 1000, 86400000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "console_session_lifetime", CFG_DURATION,
	    G(console_session_lifetime_ms), "12h", 1000, 7 * 86400000ull, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "console_cookie_secure", CFG_ENUM,
	    G(console_cookie_secure), "off", 0, 0, off_on, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "database_url_env", CFG_STR, G(database_url_env),
	    NULL, 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "instance_name", CFG_STR, G(instance_name), NULL, 0,
	    0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "instance_timeout", CFG_DURATION,
	    G(instance_timeout_ms), "10s", 1000, 3600000, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "log_level", CFG_ENUM, G(log_level), "info", 0, 0,
	    levels, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "log_format", CFG_ENUM, G(log_format), "text", 0, 0,
	    log_formats, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "storage_sync", CFG_ENUM, G(storage_sync), "normal",
	    0, 0, syncs, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "max_header_bytes", CFG_SIZE, G(max_header_bytes),
	    "16k", 1 * KB, 1 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_headers", CFG_UINT, G(max_headers), "100", 8,
	    1000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_target_bytes", CFG_SIZE, G(max_target_bytes),
	    "8k", 256, 64 * KB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "forward_headers", CFG_LIST, G(forward_headers),
	    "accept, user-agent, last-event-id", 0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_body_bytes", CFG_SIZE, G(max_body_bytes), "16m",
	    1 * KB, 1024 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "workers", CFG_UINT, G(workers), "2", 0, 64, NULL,
	    CFG_RESTART },
	{ CFG_SEC_GATEWAY, "worker_min_bytes", CFG_SIZE, G(worker_min_bytes),
	    "128k", 1 * KB, 1024 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_response_bytes", CFG_SIZE,
	    G(max_response_bytes), "32m", 1 * KB, 1024 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_event_bytes", CFG_SIZE, G(max_event_bytes),
	    "1m", 1 * KB, 64 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "client_buffer_bytes", CFG_SIZE,
	    G(client_buffer_bytes), "256k", 4 * KB, 64 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_connections", CFG_UINT, G(max_connections),
	    "10000", 1, 1000000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_connections_per_ip", CFG_UINT,
	    G(max_connections_per_ip), "256", 1, 1000000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_bodies_bytes", CFG_SIZE, G(max_bodies_bytes),
	    "512m", 1 * MB, 64 * 1024 * MB, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "client_header_timeout", CFG_DURATION,
	    G(client_header_timeout_ms), "10s", 100, 3600000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "client_idle_timeout", CFG_DURATION,
	    G(client_idle_timeout_ms), "75s", 100, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "client_send_timeout", CFG_DURATION,
	    G(client_send_timeout_ms), "60s", 100, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "upstream_connect_timeout", CFG_DURATION,
	    G(upstream_connect_timeout_ms), "5s", 10, 600000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "upstream_first_byte_timeout", CFG_DURATION,
	    G(upstream_first_byte_timeout_ms), "120s", 10, 3600000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "upstream_idle_timeout", CFG_DURATION,
	    G(upstream_idle_timeout_ms), "60s", 10, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "upstream_total_timeout", CFG_DURATION,
	    G(upstream_total_timeout_ms), "15m", 10, 86400000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "drain_timeout", CFG_DURATION, G(drain_timeout_ms),
	    "30s", 0, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "key_refresh", CFG_DURATION, G(key_refresh_ms), "1s",
	    100, 60000, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "key_last_used_flush", CFG_DURATION,
	    G(key_last_used_flush_ms), "10s", 1000, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "prices", CFG_STR, G(prices_path), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "budget", CFG_STR, G(budget), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "budget_timezone", CFG_STR, G(budget_timezone),
	    "UTC", 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "over_budget", CFG_ENUM, G(over_budget), "clamp", 0,
	    0, clamp_refuse, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_list_pages", CFG_UINT, G(max_list_pages), "50",
	    1, 10000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "max_choices", CFG_UINT, G(max_choices), "16", 1,
	    128, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "reserve_pages", CFG_UINT, G(reserve_pages), "1000",
	    1, 100000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "reserve_audio", CFG_DURATION, G(reserve_audio_ms),
	    "3h", 1000, 86400000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "audit_retention_days", CFG_DAYS,
	    G(audit_retention_ms), "0", 0, 36500 * 86400000ull, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "audit_checkpoint_records", CFG_UINT,
	    G(audit_checkpoint_records), "1000", 1, 10000000, NULL,
	    CFG_RESTART },
	{ CFG_SEC_GATEWAY, "audit_checkpoint_interval", CFG_DURATION,
	    G(audit_checkpoint_interval_ms), "60s", 100, 86400000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "controller", CFG_STR, G(controller), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "dpo", CFG_STR, G(dpo), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "metrics_max_labels", CFG_UINT,
	    G(metrics_max_labels), "100", 1, 10000, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "otlp_endpoint", CFG_STR, G(otlp_endpoint), NULL, 0,
	    0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "otlp_headers_env", CFG_STR, G(otlp_headers_env),
	    NULL, 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "otlp_service_name", CFG_STR, G(otlp_service_name),
	    "eugate", 0, 0, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "otlp_sample_ratio", CFG_RATIO, G(otlp_sample_ppm),
	    "1.0", 0, 1000000, NULL, CFG_RELOAD },
	{ CFG_SEC_GATEWAY, "otlp_queue_spans", CFG_UINT, G(otlp_queue_spans),
	    "2048", 16, 1000000, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "otlp_timeout", CFG_DURATION, G(otlp_timeout_ms),
	    "10s", 100, 600000, NULL, CFG_RESTART },
	{ CFG_SEC_GATEWAY, "otlp_interval", CFG_DURATION, G(otlp_interval_ms),
	    "1s", 10, 600000, NULL, CFG_RESTART },

	{ CFG_SEC_UPSTREAM, "url", CFG_STR, U(url), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "kind", CFG_ENUM, U(kind), "mistral", 0, 0, kinds,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "region", CFG_STR, U(region), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "zdr", CFG_ENUM, U(zdr), "off", 0, 0, off_on,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "endpoints", CFG_ENUM, U(endpoints), "all", 0, 0,
	    endpoint_sets, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "training", CFG_ENUM, U(training), "opt-out", 0, 0,
	    trainings, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "api_key_env", CFG_STR, U(api_key_env), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "unless_env", CFG_STR, U(unless_env), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "models", CFG_LIST, U(models), "*", 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "pricing", CFG_ENUM, U(pricing), "list", 0, 0,
	    pricings, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "priority", CFG_UINT, U(priority), "0", 0, 1000,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "weight", CFG_UINT, U(weight), "1", 0, 1000, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "fail_threshold", CFG_UINT, U(fail_threshold), "5",
	    0, 1000, NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "cooldown", CFG_DURATION, U(cooldown_ms), "30s",
	    100, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "health_path", CFG_STR, U(health_path), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "health_interval", CFG_DURATION,
	    U(health_interval_ms), "10s", 100, 3600000, NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "provider", CFG_STR, U(provider), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "location", CFG_LIST, U(location), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "dpa", CFG_STR, U(dpa), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "subprocessors", CFG_STR, U(subprocessors), NULL, 0,
	    0, NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "provider_retention", CFG_STR,
	    U(provider_retention), NULL, 0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_UPSTREAM, "transfer", CFG_ENUM, U(transfer), NULL, 0, 0,
	    transfers, CFG_RELOAD },

	{ CFG_SEC_POLICY, "models", CFG_LIST, P(models), "*", 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "models_deny", CFG_LIST, P(models_deny), "labs-*", 0,
	    0, NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "regions", CFG_LIST, P(regions), "*", 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "zdr", CFG_ENUM, P(zdr), "off", 0, 0, off_on,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "training", CFG_ENUM, P(training), "opt-out", 0, 0,
	    trainings, CFG_RELOAD },
	{ CFG_SEC_POLICY, "sensitive", CFG_LIST, P(sensitive), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "sensitive_regions", CFG_LIST, P(sensitive_regions),
	    NULL, 0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "service_tier", CFG_ENUM, P(service_tier), "client",
	    0, 0, tiers, CFG_RELOAD },
	{ CFG_SEC_POLICY, "safe_prompt", CFG_ENUM, P(safe_prompt), "client", 0,
	    0, forces, CFG_RELOAD },
	{ CFG_SEC_POLICY, "store", CFG_ENUM, P(store), "client", 0, 0,
	    client_off, CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii", CFG_ENUM, P(pii), "pseudonymize", 0, 0,
	    pii_actions, CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_off", CFG_LIST, P(pii_off), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_detect", CFG_LIST, P(pii_detect), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_redact", CFG_LIST, P(pii_redact), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_pseudonymize", CFG_LIST, P(pii_pseudonymize),
	    NULL, 0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_block", CFG_LIST, P(pii_block), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_allow", CFG_LIST, P(pii_allow), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_phone_regions", CFG_LIST, P(pii_phone_regions),
	    NULL, 0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "pii_unscannable", CFG_ENUM, P(pii_unscannable),
	    "block", 0, 0, allow_block, CFG_RELOAD },
	{ CFG_SEC_POLICY, "endpoints", CFG_LIST, P(endpoints),
	    "inference, models, files, batch, fine_tuning, agents, "
	    "conversations, libraries, voices, prompts, skills",
	    0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "shared_objects", CFG_ENUM, P(shared_objects), "off",
	    0, 0, off_on, CFG_RELOAD },
	{ CFG_SEC_POLICY, "upstream_key_env", CFG_LIST, P(upstream_key_env),
	    NULL, 0, 0, NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "purpose", CFG_STR, P(purpose), NULL, 0, 0, NULL,
	    CFG_RELOAD },
	{ CFG_SEC_POLICY, "legal_basis", CFG_STR, P(legal_basis), NULL, 0, 0,
	    NULL, CFG_RELOAD },
	{ CFG_SEC_POLICY, "data_subjects", CFG_LIST, P(data_subjects), NULL, 0,
	    0, NULL, CFG_RELOAD },
};

#define N_KEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static const char *const section_names[] = { "gateway", "upstream", "policy" };

const char *
config_keys_section_name(int section)
{
	return section_names[section];
}

size_t
config_keys_count(void)
{
	return N_KEYS;
}

const struct cfg_key *
config_keys_at(size_t i)
{
	return i < N_KEYS ? &cfg_keys[i] : NULL;
}

const struct cfg_key *
config_keys_find(int section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (cfg_keys[i].section == section &&
		    strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

void
config_keys_strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Adds the comma-separated items of value to l; -1 when there are none. */
static int
parse_list(const char *value, struct strlist *l)
{
	const char *p = value;
	size_t n0 = l->n;

	while (*p != '\0') {
		const char *start, *end;
		char **v;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
		if (v == NULL)
			abort();
		l->v = v;
		l->v[l->n] = strndup(start, (size_t)(end - start));
		if (l->v[l->n] == NULL)
			abort();
		l->n++;
	}
	return l->n > n0 ? 0 : -1;
}

/* Parses "123", "16k", "2m", "1g" (binary multiples). */
static int
parse_size(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;
	uint64_t mul = 1;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = KB, end++;
	else if (*end == 'm' || *end == 'M')
		mul = MB, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024 * MB, end++;
	if (*end != '\0' || n > UINT64_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

/* Parses "500ms", "30s", "2m", "1h" into milliseconds. */
static int
parse_duration(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;
	uint64_t mul;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	if (n > UINT64_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

/* A ratio from 0 to 1 ("0", "0.25", "1.0", up to 6 decimals) into parts
 * per million. */
static int
parse_ratio(const char *v, uint64_t *out)
{
	uint64_t frac = 0, scale = 1;
	const char *p = v;
	int whole;

	if (*p != '0' && *p != '1')
		return -1;
	whole = *p++ - '0';
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1000000)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (scale == 1)
			return -1;
	}
	if (*p != '\0' || (whole == 1 && frac != 0))
		return -1;
	*out = (uint64_t)whole * 1000000 + frac * (1000000 / scale);
	return 0;
}

/* Days, maybe fractional ("30", "0.5", up to 6 decimals), into ms. */
static int
parse_days(const char *v, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 100000)
			return -1;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1000000)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (scale == 1)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*out = whole * 86400000ull + frac * 86400000ull / scale;
	return 0;
}

int
config_keys_set(const struct cfg_key *k, void *base, const char *value,
    int append, char *err, size_t errlen)
{
	void *field = (char *)base + k->offset;
	struct strlist l = { NULL, 0 };
	uint64_t n;

	switch (k->type) {
	case CFG_STR:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case CFG_LIST:
		if (append)
			l = *(struct strlist *)field;
		if (parse_list(value, &l) != 0) {
			snprintf(err, errlen, "%s: empty list", k->name);
			if (!append)
				config_keys_strlist_free(&l);
			return -1;
		}
		if (!append)
			config_keys_strlist_free(field);
		*(struct strlist *)field = l;
		return 0;
	case CFG_ENUM:
		for (int i = 0; k->names[i].name != NULL; i++) {
			if (strcmp(value, k->names[i].name) == 0) {
				*(int *)field = k->names[i].value;
				return 0;
			}
		}
		snprintf(err, errlen, "%s: unknown value '%s'", k->name, value);
		return -1;
	case CFG_SIZE:
	case CFG_DURATION:
	case CFG_UINT:
	case CFG_DAYS:
	case CFG_RATIO:
		if ((k->type == CFG_SIZE && parse_size(value, &n) != 0) ||
		    (k->type == CFG_RATIO && parse_ratio(value, &n) != 0) ||
		    (k->type == CFG_DURATION &&
		    parse_duration(value, &n) != 0) ||
		    (k->type == CFG_DAYS && parse_days(value, &n) != 0) ||
		    (k->type == CFG_UINT &&
		    util_parse_u64(value, strlen(value), &n) != 0)) {
			snprintf(err, errlen, "%s: invalid %s '%s'", k->name,
			    k->type == CFG_SIZE ? "size (e.g. 16k, 2m)" :
			    k->type == CFG_DURATION ?
			    "duration (e.g. 500ms, 30s, 2m)" :
			    k->type == CFG_DAYS ? "number of days (e.g. 30, "
			    "0.5)" : k->type == CFG_RATIO ? "ratio from 0 to 1 "
			    "(e.g. 0.25)" : "number", value);
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(err, errlen, "%s: %s out of range", k->name,
			    value);
			return -1;
		}
		*(uint64_t *)field = n;
		return 0;
	}
	return -1;
}

const char *
config_keys_enum_name(const struct cfg_key *k, int value)
{
	for (int i = 0; k->names != NULL && k->names[i].name != NULL; i++)
		if (k->names[i].value == value)
			return k->names[i].name;
	return NULL;
}

int
config_keys_same(const struct cfg_key *k, const void *a, const void *b)
{
	const void *fa = (const char *)a + k->offset;
	const void *fb = (const char *)b + k->offset;
	const struct strlist *la = fa, *lb = fb;
	const char *sa, *sb;

	switch (k->type) {
	case CFG_STR:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		if (sa == NULL || sb == NULL)
			return sa == sb;
		return strcmp(sa, sb) == 0;
	case CFG_LIST:
		if (la->n != lb->n)
			return 0;
		for (size_t i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return 0;
		return 1;
	case CFG_ENUM:
		return *(const int *)fa == *(const int *)fb;
	default:
		return *(const uint64_t *)fa == *(const uint64_t *)fb;
	}
}

void
config_keys_copy(const struct cfg_key *k, void *dst, const void *src)
{
	void *fd = (char *)dst + k->offset;
	const void *fs = (const char *)src + k->offset;
	const struct strlist *ls = fs;
	struct strlist *ld = fd;
	const char *s;

	switch (k->type) {
	case CFG_STR:
		s = *(char *const *)fs;
		free(*(char **)fd);
		*(char **)fd = s != NULL ? xstrdup(s) : NULL;
		return;
	case CFG_LIST:
		config_keys_strlist_free(ld);
		if (ls->n == 0)
			return;
		ld->v = calloc(ls->n, sizeof(*ld->v));
		if (ld->v == NULL)
			abort();
		for (size_t i = 0; i < ls->n; i++)
			ld->v[i] = xstrdup(ls->v[i]);
		ld->n = ls->n;
		return;
	case CFG_ENUM:
		*(int *)fd = *(const int *)fs;
		return;
	default:
		*(uint64_t *)fd = *(const uint64_t *)fs;
		return;
	}
}

void
config_keys_defaults(int section, void *base)
{
	char err[128];

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->section == section && k->def != NULL &&
		    config_keys_set(k, base, k->def, 0, err, sizeof(err)) != 0)
			abort();	/* a bad default: a programming error */
	}
}

int
config_keys_continuable(const char *text)
{
	const char *p = text;

	if (*p == '[' || *p == ';' || *p == '#' || *p == '\0')
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')
		p++;
	if (p == text)
		return 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p != '=';
}

void
config_keys_list(FILE *out)
{
	for (size_t i = 0; i < N_KEYS; i++)
		fprintf(out, "%s %s\n", section_names[cfg_keys[i].section],
		    cfg_keys[i].name);
}

/* n in the largest unit that divides it: "30s", "16m" (sizes: "16m"). */
static void
print_units(FILE *out, uint64_t n, const uint64_t *mul,
    const char *const *unit)
{
	size_t i = 0;

	while (mul[i] != 1 && (n == 0 || n % mul[i] != 0))
		i++;
	fprintf(out, "%llu%s", (unsigned long long)(n / mul[i]), unit[i]);
}

/*
 * Days with up to 6 decimals: the smallest fraction that parse_days turns
 * into the same milliseconds (it rounds down), so that the value loads
 * back unchanged.
 */
static void
print_days(FILE *out, uint64_t ms)
{
	uint64_t rem = ms % 86400000ull, frac;
	char buf[16];
	int len;

	fprintf(out, "%llu", (unsigned long long)(ms / 86400000ull));
	if (rem == 0)
		return;
	frac = (rem * 1000000ull + 86400000ull - 1) / 86400000ull;
	if (frac > 999999)
		frac = 999999;
	len = snprintf(buf, sizeof(buf), "%06llu", (unsigned long long)frac);
	while (len > 1 && buf[len - 1] == '0')
		buf[--len] = '\0';
	fprintf(out, ".%s", buf);
}

/* Parts per million as "0.25", "1", "0". */
static void
print_ratio(FILE *out, uint64_t ppm)
{
	char buf[16];
	int len;

	fprintf(out, "%llu", (unsigned long long)(ppm / 1000000));
	if (ppm % 1000000 == 0)
		return;
	len = snprintf(buf, sizeof(buf), "%06llu",
	    (unsigned long long)(ppm % 1000000));
	while (len > 1 && buf[len - 1] == '0')
		buf[--len] = '\0';
	fprintf(out, ".%s", buf);
}

/*
 * "key = a, b, c". Long lists go on indented continuation lines, which
 * never start with an item that would not read back as a continuation.
 */
static void
print_list(FILE *out, const char *key, char *const *v, size_t n)
{
	size_t col;

	if (n == 0) {
		fprintf(out, "; %s =\n", key);
		return;
	}
	col = (size_t)fprintf(out, "%s = %s", key, v[0]);
	for (size_t i = 1; i < n; i++) {
		size_t len = strlen(v[i]);

		if (col + 2 + len > 76 && config_keys_continuable(v[i])) {
			fprintf(out, ",\n    %s", v[i]);
			col = 4 + len;
		} else {
			fprintf(out, ", %s", v[i]);
			col += 2 + len;
		}
	}
	fputc('\n', out);
}

/* The value called name in a name table, or -1. */
static int
name_value(const struct cfg_name *names, const char *name)
{
	for (int i = 0; names[i].name != NULL; i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].value;
	return -1;
}

/* pii_off, pii_detect, ...: the types whose resolved action is a, when a
 * is not the policy's pii. */
static void
print_pii_list(FILE *out, const struct cfg_key *k,
    const struct policy_conf *p, int a)
{
	char *v[PII__COUNT];
	size_t n = 0;

	for (int t = 0; t < PII__COUNT; t++)
		if (a != p->pii && p->pii_actions[t] == a)
			v[n++] = (char *)pii_type_name(t);
	print_list(out, k->name, v, n);
}

static void
print_key(FILE *out, const struct cfg_key *k, const void *base)
{
	static const uint64_t dur_mul[] = { 3600000, 60000, 1000, 1 };
	static const char *const dur_unit[] = { "h", "m", "s", "ms" };
	static const uint64_t size_mul[] = { 1024 * MB, MB, KB, 1 };
	static const char *const size_unit[] = { "g", "m", "k", "" };
	const void *field = (const char *)base + k->offset;
	const struct strlist *l;
	const char *s;
	uint64_t n = 0;

	switch (k->type) {
	case CFG_STR:
		s = *(char *const *)field;
		if (s == NULL)
			fprintf(out, "; %s =\n", k->name);
		else	/* what fitted on a line as "key=value" does */
			fprintf(out, strlen(k->name) + strlen(s) > 190 ?
			    "%s=%s\n" : "%s = %s\n", k->name, s);
		return;
	case CFG_LIST:
		l = field;
		print_list(out, k->name, l->v, l->n);
		return;
	case CFG_ENUM:
		/* A value without a name is the key left out (transfer). */
		s = config_keys_enum_name(k, *(const int *)field);
		if (s == NULL)
			fprintf(out, "; %s =\n", k->name);
		else
			fprintf(out, "%s = %s\n", k->name, s);
		return;
	default:
		n = *(const uint64_t *)field;
		break;
	}
	fprintf(out, "%s = ", k->name);
	if (k->type == CFG_SIZE)
		print_units(out, n, size_mul, size_unit);
	else if (k->type == CFG_DURATION)
		print_units(out, n, dur_mul, dur_unit);
	else if (k->type == CFG_DAYS)
		print_days(out, n);
	else if (k->type == CFG_RATIO)
		print_ratio(out, n);
	else
		fprintf(out, "%llu", (unsigned long long)n);
	fputc('\n', out);
}

static void
print_section(FILE *out, int section, const void *base)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		int a;

		if (k->section != section)
			continue;
		a = -1;
		if (section == CFG_SEC_POLICY && k->type == CFG_LIST &&
		    strncmp(k->name, "pii_", 4) == 0)
			a = name_value(pii_actions, k->name + 4);
		if (a >= 0)
			print_pii_list(out, k, base, a);
		else
			print_key(out, k, base);
	}
}

/* "; read at start only (...): listen, admin_listen, ...", wrapped. */
static void
print_restart_keys(FILE *out)
{
	size_t col = (size_t)fprintf(out, "; read at start only (SIGHUP "
	    "leaves them; a change needs a restart):");
	const char *sep = "";

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		size_t len = strlen(k->name) + 2;

		if (k->apply != CFG_RESTART)
			continue;
		fputs(sep, out);
		if (col + len > 76) {
			fputs("\n;", out);
			col = 1;
		}
		col += (size_t)fprintf(out, " %s", k->name) + 1;
		sep = ",";
	}
	fputs(".\n", out);
}

void
config_keys_print(const struct config *cfg, FILE *out, int parts)
{
	fprintf(out, "; eugate: the effective configuration of %s\n"
	    "; (\"; key =\" is a key that is not set)\n",
	    cfg->path != NULL ? cfg->path : "the built-in defaults");
	if (parts & CONFIG_PRINT_GATEWAY) {
		print_restart_keys(out);
		fprintf(out, "\n[gateway]\n");
		print_section(out, CFG_SEC_GATEWAY, cfg);
	}
	for (size_t i = 0; (parts & CONFIG_PRINT_UPSTREAMS) &&
	    i < cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &cfg->upstreams[i];

		fprintf(out, "\n[upstream %s]\n", u->name);
		if (!u->enabled)
			fprintf(out, "; disabled here: %s\n",
			    u->unless_env != NULL && getenv(u->unless_env) ?
			    "its unless_env variable is set" :
			    "its api_key_env variable is not set");
		print_section(out, CFG_SEC_UPSTREAM, u);
	}
	for (size_t i = 0; (parts & CONFIG_PRINT_POLICIES) &&
	    i < cfg->n_policies; i++) {
		fprintf(out, "\n[policy %s]\n", cfg->policies[i].name);
		print_section(out, CFG_SEC_POLICY, &cfg->policies[i]);
	}
}
