/* Configuration: the key table, the INI parser on top of libinih, checks. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/config.h"
#include "policy/pii_vault.h"
#include "policy/prices.h"

enum cfg_section { SEC_GATEWAY, SEC_UPSTREAM, SEC_POLICY };
enum cfg_type { CFG_STR, CFG_SIZE, CFG_DURATION, CFG_UINT, CFG_ENUM, CFG_LIST,
	CFG_DAYS };

struct cfg_key {
	int section;		/* enum cfg_section */
	const char *name;
	int type;		/* enum cfg_type */
	size_t offset;
	const char *def;	/* default, parsed like a value; NULL = none */
	uint64_t min, max;	/* for sizes, durations, integers */
	const char *const *choices; /* for enums */
};

static const char *const kinds[] = { "mistral", "openai", NULL };
static const char *const syncs[] = { "normal", "full", NULL };
static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
/* In the order of enum pii_action. */
static const char *const pii_actions[] = { "off", "detect", "redact",
	"pseudonymize", "block", NULL };
static const char *const allow_block[] = { "allow", "block", NULL };
/* In the order of enum upstream_pricing. */
static const char *const pricings[] = { "list", "regional", "free", "own",
	NULL };
static const char *const clamp_refuse[] = { "clamp", "refuse", NULL };
static const char *const off_on[] = { "off", "on", NULL };
/* In the order of enum training. */
static const char *const trainings[] = { "none", "opt-out", "allowed", NULL };
/* In the order of enum force and enum service_tier. */
static const char *const forces[] = { "client", "on", "off", NULL };
static const char *const tiers[] = { "client", "auto", "standard_only", NULL };
static const char *const client_off[] = { "client", "off", NULL };
/* In the order of enum upstream_endpoints. */
static const char *const endpoint_sets[] = { "all", "inference", NULL };

#define G(f) offsetof(struct config, f)
#define U(f) offsetof(struct upstream_conf, f)
#define P(f) offsetof(struct policy_conf, f)
#define MAX_FILE (1024 * 1024)
#define KB 1024ull
#define MB (1024ull * 1024ull)

/* The one table of configuration keys: it drives parsing and the docs check. */
static const struct cfg_key cfg_keys[] = {
	{ SEC_GATEWAY, "listen", CFG_STR, G(listen), "127.0.0.1:8080", 0, 0, NULL },
	{ SEC_GATEWAY, "admin_listen", CFG_STR, G(admin_listen), "127.0.0.1:8081", 0, 0, NULL },
	{ SEC_GATEWAY, "port_file", CFG_STR, G(port_file), NULL, 0, 0, NULL },
	{ SEC_GATEWAY, "admin_port_file", CFG_STR, G(admin_port_file), NULL, 0, 0, NULL },
	{ SEC_GATEWAY, "tls_cert", CFG_STR, G(tls_cert), NULL, 0, 0, NULL },
	{ SEC_GATEWAY, "tls_key", CFG_STR, G(tls_key), NULL, 0, 0, NULL },
	{ SEC_GATEWAY, "data_dir", CFG_STR, G(data_dir), "./var", 0, 0, NULL },
	{ SEC_GATEWAY, "admin_token_env", CFG_STR, G(admin_token_env), "EUGATE_ADMIN_TOKEN", 0, 0, NULL },
	{ SEC_GATEWAY, "secret_env", CFG_STR, G(secret_env), "EUGATE_SECRET", 0, 0, NULL },
	{ SEC_GATEWAY, "log_level", CFG_ENUM, G(log_level), "info", 0, 0, levels },
	{ SEC_GATEWAY, "storage_sync", CFG_ENUM, G(storage_sync), "normal", 0, 0, syncs },
	{ SEC_GATEWAY, "max_header_bytes", CFG_SIZE, G(max_header_bytes), "16k", 1 * KB, 1 * MB, NULL },
	{ SEC_GATEWAY, "max_headers", CFG_UINT, G(max_headers), "100", 8, 1000, NULL },
	{ SEC_GATEWAY, "max_target_bytes", CFG_SIZE, G(max_target_bytes), "8k", 256, 64 * KB, NULL },
	{ SEC_GATEWAY, "max_body_bytes", CFG_SIZE, G(max_body_bytes), "16m", 1 * KB, 1024 * MB, NULL },
	{ SEC_GATEWAY, "max_response_bytes", CFG_SIZE, G(max_response_bytes), "32m", 1 * KB, 1024 * MB, NULL },
	{ SEC_GATEWAY, "max_event_bytes", CFG_SIZE, G(max_event_bytes), "1m", 1 * KB, 64 * MB, NULL },
	{ SEC_GATEWAY, "client_buffer_bytes", CFG_SIZE, G(client_buffer_bytes), "256k", 4 * KB, 64 * MB, NULL },
	{ SEC_GATEWAY, "max_connections", CFG_UINT, G(max_connections), "10000", 1, 1000000, NULL },
	{ SEC_GATEWAY, "client_header_timeout", CFG_DURATION, G(client_header_timeout_ms), "10s", 100, 3600000, NULL },
	{ SEC_GATEWAY, "client_idle_timeout", CFG_DURATION, G(client_idle_timeout_ms), "75s", 100, 3600000, NULL },
	{ SEC_GATEWAY, "client_send_timeout", CFG_DURATION, G(client_send_timeout_ms), "60s", 100, 3600000, NULL },
	{ SEC_GATEWAY, "upstream_connect_timeout", CFG_DURATION, G(upstream_connect_timeout_ms), "5s", 10, 600000, NULL },
	{ SEC_GATEWAY, "upstream_first_byte_timeout", CFG_DURATION, G(upstream_first_byte_timeout_ms), "120s", 10, 3600000, NULL },
	{ SEC_GATEWAY, "upstream_idle_timeout", CFG_DURATION, G(upstream_idle_timeout_ms), "60s", 10, 3600000, NULL },
	{ SEC_GATEWAY, "upstream_total_timeout", CFG_DURATION, G(upstream_total_timeout_ms), "15m", 10, 86400000, NULL },
	{ SEC_GATEWAY, "drain_timeout", CFG_DURATION, G(drain_timeout_ms), "30s", 0, 3600000, NULL },
	{ SEC_GATEWAY, "key_refresh", CFG_DURATION, G(key_refresh_ms), "1s", 100, 60000, NULL },
	{ SEC_GATEWAY, "prices", CFG_STR, G(prices_path), NULL, 0, 0, NULL },
	{ SEC_GATEWAY, "budget", CFG_STR, G(budget), NULL, 0, 0, NULL },
	{ SEC_GATEWAY, "budget_timezone", CFG_STR, G(budget_timezone), "UTC", 0, 0, NULL },
	{ SEC_GATEWAY, "over_budget", CFG_ENUM, G(over_budget), "clamp", 0, 0, clamp_refuse },
	{ SEC_GATEWAY, "reserve_pages", CFG_UINT, G(reserve_pages), "1000", 1, 100000, NULL },
	{ SEC_GATEWAY, "reserve_audio", CFG_DURATION, G(reserve_audio_ms), "3h", 1000, 86400000, NULL },
	{ SEC_GATEWAY, "max_choices", CFG_UINT, G(max_choices), "16", 1, 128, NULL },
	{ SEC_GATEWAY, "audit_retention_days", CFG_DAYS, G(audit_retention_ms), "0", 0, 36500 * 86400000ull, NULL },
	{ SEC_GATEWAY, "audit_checkpoint_records", CFG_UINT, G(audit_checkpoint_records), "1000", 1, 10000000, NULL },
	{ SEC_GATEWAY, "audit_checkpoint_interval", CFG_DURATION, G(audit_checkpoint_interval_ms), "60s", 100, 86400000, NULL },

	{ SEC_UPSTREAM, "url", CFG_STR, U(url), NULL, 0, 0, NULL },
	{ SEC_UPSTREAM, "kind", CFG_ENUM, U(kind), "mistral", 0, 0, kinds },
	{ SEC_UPSTREAM, "region", CFG_STR, U(region), NULL, 0, 0, NULL },
	{ SEC_UPSTREAM, "zdr", CFG_ENUM, U(zdr), "off", 0, 0, off_on },
	{ SEC_UPSTREAM, "endpoints", CFG_ENUM, U(endpoints), "all", 0, 0, endpoint_sets },
	{ SEC_UPSTREAM, "training", CFG_ENUM, U(training), "opt-out", 0, 0, trainings },
	{ SEC_UPSTREAM, "api_key_env", CFG_STR, U(api_key_env), NULL, 0, 0, NULL },
	{ SEC_UPSTREAM, "unless_env", CFG_STR, U(unless_env), NULL, 0, 0, NULL },
	{ SEC_UPSTREAM, "models", CFG_LIST, U(models), "*", 0, 0, NULL },
	{ SEC_UPSTREAM, "pricing", CFG_ENUM, U(pricing), "list", 0, 0, pricings },
	{ SEC_UPSTREAM, "priority", CFG_UINT, U(priority), "0", 0, 1000, NULL },
	{ SEC_UPSTREAM, "weight", CFG_UINT, U(weight), "1", 0, 1000, NULL },
	{ SEC_UPSTREAM, "fail_threshold", CFG_UINT, U(fail_threshold), "5", 0, 1000, NULL },
	{ SEC_UPSTREAM, "cooldown", CFG_DURATION, U(cooldown_ms), "30s", 100, 3600000, NULL },
	{ SEC_UPSTREAM, "health_path", CFG_STR, U(health_path), NULL, 0, 0, NULL },
	{ SEC_UPSTREAM, "health_interval", CFG_DURATION, U(health_interval_ms), "10s", 100, 3600000, NULL },

	{ SEC_POLICY, "models", CFG_LIST, P(models), "*", 0, 0, NULL },
	{ SEC_POLICY, "models_deny", CFG_LIST, P(models_deny), "labs-*", 0, 0, NULL },
	{ SEC_POLICY, "regions", CFG_LIST, P(regions), "*", 0, 0, NULL },
	{ SEC_POLICY, "zdr", CFG_ENUM, P(zdr), "off", 0, 0, off_on },
	{ SEC_POLICY, "training", CFG_ENUM, P(training), "opt-out", 0, 0, trainings },
	{ SEC_POLICY, "sensitive", CFG_LIST, P(sensitive), NULL, 0, 0, NULL },
	{ SEC_POLICY, "sensitive_regions", CFG_LIST, P(sensitive_regions), NULL, 0, 0, NULL },
	{ SEC_POLICY, "service_tier", CFG_ENUM, P(service_tier), "client", 0, 0, tiers },
	{ SEC_POLICY, "safe_prompt", CFG_ENUM, P(safe_prompt), "client", 0, 0, forces },
	{ SEC_POLICY, "store", CFG_ENUM, P(store), "client", 0, 0, client_off },
	{ SEC_POLICY, "pii", CFG_ENUM, P(pii), "off", 0, 0, pii_actions },
	{ SEC_POLICY, "pii_off", CFG_LIST, P(pii_off), NULL, 0, 0, NULL },
	{ SEC_POLICY, "pii_detect", CFG_LIST, P(pii_detect), NULL, 0, 0, NULL },
	{ SEC_POLICY, "pii_redact", CFG_LIST, P(pii_redact), NULL, 0, 0, NULL },
	{ SEC_POLICY, "pii_pseudonymize", CFG_LIST, P(pii_pseudonymize), NULL,
	  0, 0, NULL },
	{ SEC_POLICY, "pii_block", CFG_LIST, P(pii_block), NULL, 0, 0, NULL },
	{ SEC_POLICY, "pii_allow", CFG_LIST, P(pii_allow), NULL, 0, 0, NULL },
	{ SEC_POLICY, "pii_unscannable", CFG_ENUM, P(pii_unscannable), "block",
	  0, 0, allow_block },
};

static const char *const section_names[] = { "gateway", "upstream", "policy" };

/*
 * The built-in defaults, used when eugate runs without -c: the Mistral
 * cloud when MISTRAL_API_KEY is set, else the bundled demo upstream.
 */
static const char builtin_ini[] =
    "[gateway]\n"
    "[upstream mistral]\n"
    "url = https://api.eu.mistral.ai\n"
    "kind = mistral\n"
    "region = eu\n"
    "endpoints = inference\n"
    "pricing = regional\n"
    "api_key_env = MISTRAL_API_KEY\n"
    "[upstream demo]\n"
    "url = http://127.0.0.1:8090\n"
    "kind = mistral\n"
    "region = onprem\n"
    "training = none\n"
    "unless_env = MISTRAL_API_KEY\n"
    "[policy default]\n"
    "pii = pseudonymize\n";

struct parse_state {
	struct config *cfg;
	const char *file;
	int line;		/* line of the text last read, for messages */
	int next_line;		/* line where the next read starts */
	int section_line;	/* line of the last [section] header */
	char err[512];		/* first error */
	int err_line;
	/* The text being read (the file is read whole first). */
	const char *mem;
	size_t mem_off;
};

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
parse_list(const char *value, struct strlist *out)
{
	struct strlist l = { NULL, 0 };
	const char *p = value;

	while (*p != '\0') {
		const char *start, *end;

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
		l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
		if (l.v == NULL)
			abort();
		l.v[l.n] = strndup(start, (size_t)(end - start));
		if (l.v[l.n] == NULL)
			abort();
		l.n++;
	}
	if (l.n == 0)
		return -1;
	strlist_free(out);
	*out = l;
	return 0;
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

static int
set_value(const struct cfg_key *k, void *base, const char *value, char *err,
    size_t errlen)
{
	void *field = (char *)base + k->offset;
	uint64_t n;

	switch (k->type) {
	case CFG_STR:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case CFG_LIST:
		if (parse_list(value, field) != 0) {
			snprintf(err, errlen, "%s: empty list", k->name);
			return -1;
		}
		return 0;
	case CFG_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(value, k->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		snprintf(err, errlen, "%s: unknown value '%s'", k->name, value);
		return -1;
	case CFG_SIZE:
	case CFG_DURATION:
	case CFG_UINT:
	case CFG_DAYS:
		if ((k->type == CFG_SIZE && parse_size(value, &n) != 0) ||
		    (k->type == CFG_DURATION && parse_duration(value, &n) != 0) ||
		    (k->type == CFG_DAYS && parse_days(value, &n) != 0) ||
		    (k->type == CFG_UINT &&
		    util_parse_u64(value, strlen(value), &n) != 0)) {
			snprintf(err, errlen, "%s: invalid %s '%s'", k->name,
			    k->type == CFG_SIZE ? "size (e.g. 16k, 2m)" :
			    k->type == CFG_DURATION ?
			    "duration (e.g. 500ms, 30s, 2m)" :
			    k->type == CFG_DAYS ? "number of days (e.g. 30, "
			    "0.5)" : "number", value);
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

/* Applies every default of one section to a fresh object. */
static void
apply_defaults(int section, void *base)
{
	char err[128];

	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->section == section && k->def != NULL &&
		    set_value(k, base, k->def, err, sizeof(err)) != 0)
			abort();	/* a bad default is a programming error */
	}
}

static int
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

static int fail(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first error with the current line; returns 0 for inih. */
static int
fail(struct parse_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->err_line == 0) {
		va_start(ap, fmt);
		vsnprintf(st->err, sizeof(st->err), fmt, ap);
		va_end(ap);
		st->err_line = st->line;
	}
	return 0;
}

static void *
section_object(struct parse_state *st, const char *section, int *kind)
{
	struct config *cfg = st->cfg;
	const char *sp = strchr(section, ' ');
	char type[32];
	const char *name;
	size_t tl;

	if (strcmp(section, "gateway") == 0) {
		*kind = SEC_GATEWAY;
		return cfg;
	}
	if (sp == NULL)
		return NULL;
	tl = (size_t)(sp - section);
	if (tl >= sizeof(type))
		return NULL;
	memcpy(type, section, tl);
	type[tl] = '\0';
	name = sp + 1;
	while (*name == ' ')
		name++;
	if (!valid_name(name))
		return NULL;
	if (strcmp(type, "upstream") == 0) {
		*kind = SEC_UPSTREAM;
		for (size_t i = 0; i < cfg->n_upstreams; i++)
			if (strcmp(cfg->upstreams[i].name, name) == 0)
				return &cfg->upstreams[i];
		cfg->upstreams = realloc(cfg->upstreams,
		    (cfg->n_upstreams + 1) * sizeof(*cfg->upstreams));
		if (cfg->upstreams == NULL)
			abort();
		struct upstream_conf *u = &cfg->upstreams[cfg->n_upstreams++];
		memset(u, 0, sizeof(*u));
		u->name = xstrdup(name);
		u->line = st->section_line;
		apply_defaults(SEC_UPSTREAM, u);
		return u;
	}
	if (strcmp(type, "policy") == 0) {
		*kind = SEC_POLICY;
		for (size_t i = 0; i < cfg->n_policies; i++)
			if (strcmp(cfg->policies[i].name, name) == 0)
				return &cfg->policies[i];
		cfg->policies = realloc(cfg->policies,
		    (cfg->n_policies + 1) * sizeof(*cfg->policies));
		if (cfg->policies == NULL)
			abort();
		struct policy_conf *p = &cfg->policies[cfg->n_policies++];
		memset(p, 0, sizeof(*p));
		p->name = xstrdup(name);
		p->line = st->section_line;
		apply_defaults(SEC_POLICY, p);
		return p;
	}
	return NULL;
}

static int
on_ini_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_state *st = user;
	void *obj;
	int kind;
	char err[256];

	if (st->err_line != 0)
		return 1;
	if (name == NULL)
		return 1;
	obj = section_object(st, section, &kind);
	if (obj == NULL)
		return fail(st, "unknown section [%s]%s", section,
		    strchr(section, ' ') ? " (names: letters, digits, - _ .)" :
		    " (expected [gateway], [upstream NAME], [policy NAME])");
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->section != kind || strcmp(k->name, name) != 0)
			continue;
		if (set_value(k, obj, value, err, sizeof(err)) != 0)
			return fail(st, "%s", err);
		return 1;
	}
	return fail(st, "unknown key '%s' in [%s]", name, section_names[kind]);
}

/*
 * ini_reader over the text in memory. It counts lines itself, so that
 * messages name the right line even when libinih reads a line longer than
 * its buffer in several pieces.
 */
static char *
read_line(char *buf, int size, void *stream)
{
	struct parse_state *st = stream;
	size_t i = 0;
	const char *p;

	if (st->mem[st->mem_off] == '\0')
		return NULL;
	st->line = st->next_line;
	p = st->mem + st->mem_off;
	if (st->mem_off == 0 || st->mem[st->mem_off - 1] == '\n') {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '[')
			st->section_line = st->line;
	}
	while (i + 1 < (size_t)size && st->mem[st->mem_off] != '\0') {
		char c = st->mem[st->mem_off++];

		buf[i++] = c;
		if (c == '\n') {
			st->next_line++;
			return (buf[i] = '\0', buf);
		}
	}
	buf[i] = '\0';
	if (st->mem[st->mem_off] == '\n') {
		st->mem_off++;		/* the line fit; only its end did not */
		st->next_line++;
	} else if (st->mem[st->mem_off] != '\0') {
		/* Longer than libinih's buffer: an error on this line, and the
		 * rest of it is skipped so that line numbers stay right. */
		fail(st, "line longer than %d bytes", size - 1);
		while (st->mem[st->mem_off] != '\0' &&
		    st->mem[st->mem_off] != '\n')
			st->mem_off++;
		if (st->mem[st->mem_off] == '\n') {
			st->mem_off++;
			st->next_line++;
		}
	}
	return buf;
}

static void
upstream_free(struct upstream_conf *u)
{
	free(u->name);
	free(u->url);
	free(u->region);
	free(u->api_key_env);
	free(u->unless_env);
	free(u->health_path);
	if (u->api_key != NULL) {
		OPENSSL_cleanse(u->api_key, strlen(u->api_key));
		free(u->api_key);
	}
	strlist_free(&u->models);
}

static void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++)
		if (cfg_keys[i].section == SEC_GATEWAY &&
		    cfg_keys[i].type == CFG_STR)
			free(*(char **)((char *)cfg + cfg_keys[i].offset));
	for (size_t i = 0; i < cfg->n_upstreams; i++)
		upstream_free(&cfg->upstreams[i]);
	free(cfg->upstreams);
	for (size_t i = 0; i < cfg->n_policies; i++) {
		struct policy_conf *p = &cfg->policies[i];

		free(p->name);
		strlist_free(&p->models);
		strlist_free(&p->models_deny);
		strlist_free(&p->regions);
		strlist_free(&p->sensitive);
		strlist_free(&p->sensitive_regions);
		strlist_free(&p->pii_off);
		strlist_free(&p->pii_detect);
		strlist_free(&p->pii_redact);
		strlist_free(&p->pii_pseudonymize);
		strlist_free(&p->pii_block);
		strlist_free(&p->pii_allow);
	}
	free(cfg->policies);
	prices_free(cfg->prices);
	free(cfg->path);
	free(cfg);
}

int
config_split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(addr, ':');
	uint64_t p;
	size_t hl;

	if (colon == NULL)
		return -1;
	hl = (size_t)(colon - addr);
	if (hl == 0 || hl >= hostlen)
		return -1;
	if (util_parse_u64(colon + 1, strlen(colon + 1), &p) != 0 ||
	    p > 65535)
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	/* Accept [::1]:80 style IPv6 literals. */
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	*port = (int)p;
	return 0;
}

/* Turns a policy's pii keys into one action per entity type. */
static int
resolve_pii(struct parse_state *st, struct policy_conf *p)
{
	const struct {
		const struct strlist *l;
		int action;
	} lists[] = {
		{ &p->pii_detect, PII_ACT_DETECT },
		{ &p->pii_redact, PII_ACT_REDACT },
		{ &p->pii_pseudonymize, PII_ACT_PSEUDONYMIZE },
		{ &p->pii_block, PII_ACT_BLOCK },
		{ &p->pii_off, PII_ACT_OFF },
	};

	st->line = p->line;
	memset(p->pii_actions, p->pii, sizeof(p->pii_actions));
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		for (size_t i = 0; i < lists[k].l->n; i++) {
			const char *name = lists[k].l->v[i];
			int t = pii_type_parse(name, strlen(name));

			if (t < 0)
				return fail(st, "[policy %s]: unknown PII type "
				    "'%s' (EMAIL, PHONE, IBAN, CREDIT_CARD, ...)",
				    p->name, name);
			p->pii_actions[t] = (unsigned char)lists[k].action;
		}
	}
	return 1;
}

/* Region labels: names, or "*" alone. */
static int
check_regions(struct parse_state *st, const struct policy_conf *p,
    const char *key, const struct strlist *l, int block_ok)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *v = l->v[i];

		if (l->n == 1 && (strcmp(v, "*") == 0 ||
		    (block_ok && strcmp(v, "block") == 0)))
			return 1;
		if (!valid_name(v) || strcmp(v, "block") == 0)
			return fail(st, "[policy %s]: %s: '%s' is not a region "
			    "label%s", p->name, key, v, block_ok ?
			    " (or block, alone)" : " (or *, alone)");
	}
	return 1;
}

/* Regions and data-classification routing of a policy. */
static int
resolve_routing(struct parse_state *st, struct policy_conf *p)
{
	st->line = p->line;
	if (!check_regions(st, p, "regions", &p->regions, 0) ||
	    !check_regions(st, p, "sensitive_regions", &p->sensitive_regions,
	    1))
		return 0;
	if ((p->sensitive.n == 0) != (p->sensitive_regions.n == 0))
		return fail(st, "[policy %s]: sensitive and sensitive_regions "
		    "go together", p->name);
	p->sensitive_block = p->sensitive_regions.n == 1 &&
	    strcmp(p->sensitive_regions.v[0], "block") == 0;
	for (size_t i = 0; i < p->sensitive.n; i++) {
		const char *name = p->sensitive.v[i];
		int t = pii_type_parse(name, strlen(name)), any = 0;

		if (strcmp(name, "raw") == 0) {
			p->sensitive_raw = 1;
			continue;
		}
		if (t < 0 && strcmp(name, "NATIONAL_ID") != 0)
			return fail(st, "[policy %s]: sensitive: unknown PII "
			    "type '%s' (a type, NATIONAL_ID or raw)", p->name,
			    name);
		for (int k = 0; k < PII__COUNT; k++) {
			if (k != t && (t >= 0 || !pii_national_id(k)))
				continue;
			p->sensitive_types[k] = 1;
			any |= p->pii_actions[k] != PII_ACT_OFF;
		}
		if (!any)
			return fail(st, "[policy %s]: sensitive: %s is never "
			    "found: the policy does not scan it (pii_off)",
			    p->name, name);
	}
	return 1;
}

/* UTC, or a zone name with a TZif file in the system's zone database. */
static int
valid_timezone(const char *name)
{
	char path[256], *data = NULL;
	size_t len = 0;
	int ok;

	if (strcmp(name, "UTC") == 0)
		return 1;
	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(name))
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	if (util_read_file(path, 1 << 20, &data, &len) != GW_OK)
		return 0;
	ok = len >= 4 && memcmp(data, "TZif", 4) == 0;
	free(data);
	return ok;
}

/* Loads the price table: the file named by prices, or the built-in one. */
static int
load_prices(struct parse_state *st)
{
	struct config *cfg = st->cfg;
	char *text = NULL, err[256];
	size_t len;
	enum gw_err e;
	int rc;

	st->line = 1;
	if (cfg->prices_path == NULL)
		rc = prices_parse(prices_builtin, &cfg->prices, err, sizeof(err));
	else {
		e = util_read_file(cfg->prices_path, MAX_FILE, &text, &len);
		if (e != GW_OK)
			return fail(st, "prices: cannot read %s: %s",
			    cfg->prices_path, e == GW_ERR_IO ||
			    e == GW_ERR_NOTFOUND ? strerror(errno) :
			    gw_strerror(e));
		if (len == MAX_FILE || memchr(text, '\0', len) != NULL) {
			free(text);
			return fail(st, "prices: %s: not a price table",
			    cfg->prices_path);
		}
		rc = prices_parse(text, &cfg->prices, err, sizeof(err));
		free(text);
	}
	if (rc != 0)
		return fail(st, "prices: %s:%s", cfg->prices_path ?
		    cfg->prices_path : "(built-in)", err);
	return 1;
}

/* Checks the whole configuration once parsing is done. */
static int
validate(struct parse_state *st)
{
	struct config *cfg = st->cfg;
	char host[256];
	int port, enabled = 0;

	st->line = 1;
	if (config_split_addr(cfg->listen, host, sizeof(host), &port) != 0)
		return fail(st, "listen: expected HOST:PORT, got '%s'",
		    cfg->listen);
	if (config_split_addr(cfg->admin_listen, host, sizeof(host), &port) != 0)
		return fail(st, "admin_listen: expected HOST:PORT, got '%s'",
		    cfg->admin_listen);
	if (strcmp(cfg->listen, cfg->admin_listen) == 0 && port != 0)
		return fail(st, "admin_listen must differ from listen");
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return fail(st, "tls_cert and tls_key go together");
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		struct upstream_conf *u = &cfg->upstreams[i];
		size_t len;

		st->line = u->line;
		if (u->url == NULL)
			return fail(st, "[upstream %s]: url is required",
			    u->name);
		if (strncmp(u->url, "http://", 7) != 0 &&
		    strncmp(u->url, "https://", 8) != 0)
			return fail(st, "[upstream %s]: url must start with "
			    "http:// or https://, got '%s'", u->name, u->url);
		len = strlen(u->url);
		while (len > 0 && u->url[len - 1] == '/')
			u->url[--len] = '\0';
		if (u->region == NULL)
			return fail(st, "[upstream %s]: region is required (a "
			    "label such as eu, us or onprem: policies route by "
			    "it)", u->name);
		if (!valid_name(u->region) || strcmp(u->region, "block") == 0)
			return fail(st, "[upstream %s]: region '%s': letters, "
			    "digits, - _ . only", u->name, u->region);
		if (u->health_path != NULL && u->health_path[0] != '/')
			return fail(st, "[upstream %s]: health_path must start "
			    "with /", u->name);
		u->enabled = 1;
		if (u->unless_env != NULL && getenv(u->unless_env) != NULL &&
		    *getenv(u->unless_env) != '\0')
			u->enabled = 0;
		else if (u->api_key_env != NULL) {
			const char *v = getenv(u->api_key_env);

			if (v == NULL || *v == '\0')
				u->enabled = 0;
			else if (strpbrk(v, "\r\n") != NULL)
				return fail(st, "[upstream %s]: %s holds a "
				    "line break", u->name, u->api_key_env);
			else
				u->api_key = xstrdup(v);
		}
		enabled += u->enabled;
	}
	if (cfg->n_upstreams == 0) {
		st->line = 1;
		return fail(st, "no [upstream NAME] section");
	}
	if (enabled == 0) {
		st->line = cfg->upstreams[0].line;
		return fail(st, "no usable upstream: [upstream %s] needs %s "
		    "in the environment", cfg->upstreams[0].name,
		    cfg->upstreams[0].api_key_env ?
		    cfg->upstreams[0].api_key_env : "no unless_env variable");
	}
	if (load_prices(st) == 0)
		return 0;
	cfg->global_budget.limit = -1;
	if (cfg->budget != NULL) {
		st->line = 1;
		if (budget_parse(cfg->budget, &cfg->global_budget.limit,
		    &cfg->global_budget.currency,
		    &cfg->global_budget.period) != 0)
			return fail(st, "budget: expected AMOUNT CURRENCY/PERIOD "
			    "(e.g. 1000EUR/month), got '%s'", cfg->budget);
	}
	if (!valid_timezone(cfg->budget_timezone))
		return fail(st, "budget_timezone: '%s' is not a time zone of "
		    "/usr/share/zoneinfo (e.g. UTC, Europe/Berlin)",
		    cfg->budget_timezone);
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &cfg->upstreams[i];

		st->line = u->line;
		if (u->pricing == PRICING_OWN &&
		    prices_upstream(cfg->prices, u->name) == NULL)
			return fail(st, "[upstream %s]: pricing = own needs an "
			    "[upstream %s] section in the price table", u->name,
			    u->name);
	}
	if (config_policy(cfg, "default") == NULL) {
		/* Teams without a policy name use "default": it always exists. */
		section_object(st, "policy default", &port);
	}
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (!resolve_pii(st, &cfg->policies[i]) ||
		    !resolve_routing(st, &cfg->policies[i]))
			return 0;
	return 1;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct parse_state st;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	char *text = NULL;
	size_t len = 0;
	int rc, zdr;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.file = path ? path : "(built-in)";
	cfg->refs = 1;
	cfg->path = path ? xstrdup(path) : NULL;
	apply_defaults(SEC_GATEWAY, cfg);
	st.next_line = 1;
	if (path != NULL) {
		enum gw_err e = util_read_file(path, MAX_FILE, &text, &len);

		if (e != GW_OK) {
			snprintf(err, errlen, "%s:0: cannot open: %s", path,
			    e == GW_ERR_IO || e == GW_ERR_NOTFOUND ?
			    strerror(errno) : gw_strerror(e));
			config_free(cfg);
			return NULL;
		}
		if (len == MAX_FILE || memchr(text, '\0', len) != NULL) {
			snprintf(err, errlen, "%s:0: %s", path, len == MAX_FILE ?
			    "file too large" : "NUL byte in the file");
			free(text);
			config_free(cfg);
			return NULL;
		}
		st.mem = text;
	} else {
		st.mem = builtin_ini;
	}
	rc = ini_parse_stream(read_line, &st, on_ini_key, &st);
	free(text);
	if (rc > 0 && st.err_line == 0) {
		st.err_line = rc;
		snprintf(st.err, sizeof(st.err),
		    "syntax error (expected [section] or key = value; "
		    "lines are limited to 200 bytes)");
	}
	if (st.err_line == 0)
		validate(&st);
	if (st.err_line != 0) {
		snprintf(err, errlen, "%s:%d: %s", st.file, st.err_line, st.err);
		config_free(cfg);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &cfg->upstreams[i];

		if (u->enabled)
			continue;
		if (u->api_key_env != NULL && getenv(u->api_key_env) == NULL)
			log_warn("upstream %s disabled: %s is not set",
			    u->name, u->api_key_env);
		else
			log_info("upstream %s disabled: %s is set", u->name,
			    u->unless_env);
	}
	zdr = 0;
	for (size_t j = 0; j < cfg->n_upstreams; j++)
		zdr |= cfg->upstreams[j].zdr;
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (cfg->policies[i].zdr && !zdr)
			log_warn("policy %s: zdr = on, but no upstream has "
			    "zdr = on: its requests are refused",
			    cfg->policies[i].name);
	return cfg;
}

struct config *
config_ref(struct config *cfg)
{
	cfg->refs++;
	return cfg;
}

void
config_unref(struct config *cfg)
{
	if (cfg == NULL || --cfg->refs > 0)
		return;
	config_free(cfg);
}

const struct policy_conf *
config_policy(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (strcmp(cfg->policies[i].name, name) == 0)
			return &cfg->policies[i];
	return NULL;
}

void
config_list_keys(FILE *out)
{
	for (size_t i = 0; i < sizeof(cfg_keys) / sizeof(cfg_keys[0]); i++)
		fprintf(out, "%s %s\n", section_names[cfg_keys[i].section],
		    cfg_keys[i].name);
}
