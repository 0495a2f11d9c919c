/* Configuration: the INI parser on top of libinih, sections, checks. */
#include <ctype.h>
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
#include "gateway/config_keys.h"
#include "policy/endpoint.h"
#include "policy/pii_phone.h"
#include "policy/pii_vault.h"
#include "policy/prices.h"
#include "policy/transfer.h"

#define MAX_FILE (1024 * 1024)

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
    "[policy default]\n";

struct parse_state {
	struct config *cfg;
	const char *file;
	int line;		/* line of the text last read, for messages */
	int next_line;		/* line where the next read starts */
	char err[512];		/* first error */
	int err_line;
	/* The text being read (the file is read whole first). */
	const char *mem;
	size_t mem_off;
	/* The section being read, opened by read_line (libinih does not say
	 * where a section starts, nor call the handler for an empty one). */
	int kind;		/* enum cfg_section */
	void *obj;		/* NULL before the first section */
	int gateway_line;	/* the [gateway] header; 0: none yet */
	int *key_line;		/* per key of the table: where this section
				 * set it; 0: not yet */
	int prev_key;		/* the last key of this section; -1: none */
	int line_cont;		/* the line read is a continuation line */
};

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

/* A new [upstream NAME] with its defaults; line: where it starts. */
static struct upstream_conf *
upstream_add(struct config *cfg, const char *name, int line)
{
	struct upstream_conf *u;

	u = realloc(cfg->upstreams, (cfg->n_upstreams + 1) * sizeof(*u));
	if (u == NULL)
		abort();
	cfg->upstreams = u;
	u = &cfg->upstreams[cfg->n_upstreams++];
	memset(u, 0, sizeof(*u));
	u->name = xstrdup(name);
	u->line = line;
	config_keys_defaults(CFG_SEC_UPSTREAM, u);
	return u;
}

/* A new [policy NAME] with its defaults; line: where it starts. */
static struct policy_conf *
policy_add(struct config *cfg, const char *name, int line)
{
	struct policy_conf *p;

	p = realloc(cfg->policies, (cfg->n_policies + 1) * sizeof(*p));
	if (p == NULL)
		abort();
	cfg->policies = p;
	p = &cfg->policies[cfg->n_policies++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->line = line;
	config_keys_defaults(CFG_SEC_POLICY, p);
	return p;
}

/*
 * Opens the section of a "[...]" line (text: after the '['): the object it
 * configures, created with its defaults so that an empty section exists
 * too. A section that is not known, or that came before, is an error.
 */
static void
section_open(struct parse_state *st, const char *text)
{
	struct config *cfg = st->cfg;
	char sec[256];
	const char *name;
	size_t len = 0, tl;
	int was_space = 0;

	st->obj = NULL;
	st->prev_key = -1;
	memset(st->key_line, 0, config_keys_count() * sizeof(*st->key_line));
	/* The name ends at ']' or, as libinih reads it, at an inline
	 * comment: then libinih reports the line. */
	while (text[len] != '\0' && text[len] != ']' &&
	    !(was_space && text[len] == ';')) {
		was_space = isspace((unsigned char)text[len]);
		len++;
	}
	if (text[len] != ']' || len >= sizeof(sec))
		return;
	memcpy(sec, text, len);
	sec[len] = '\0';
	if (strcmp(sec, "gateway") == 0) {
		if (st->gateway_line != 0) {
			fail(st, "duplicate section [gateway] (first at line "
			    "%d)", st->gateway_line);
			return;
		}
		st->gateway_line = st->line;
		st->kind = CFG_SEC_GATEWAY;
		st->obj = cfg;
		return;
	}
	tl = strcspn(sec, " ");
	name = sec + tl;
	while (*name == ' ')
		name++;
	if (tl == 8 && strncmp(sec, "upstream", 8) == 0 && valid_name(name)) {
		for (size_t i = 0; i < cfg->n_upstreams; i++)
			if (strcmp(cfg->upstreams[i].name, name) == 0) {
				fail(st, "duplicate section [upstream %s] "
				    "(first at line %d)", name,
				    cfg->upstreams[i].line);
				return;
			}
		st->kind = CFG_SEC_UPSTREAM;
		st->obj = upstream_add(cfg, name, st->line);
		return;
	}
	if (tl == 6 && strncmp(sec, "policy", 6) == 0 && valid_name(name)) {
		for (size_t i = 0; i < cfg->n_policies; i++)
			if (strcmp(cfg->policies[i].name, name) == 0) {
				fail(st, "duplicate section [policy %s] (first "
				    "at line %d)", name, cfg->policies[i].line);
				return;
			}
		st->kind = CFG_SEC_POLICY;
		st->obj = policy_add(cfg, name, st->line);
		return;
	}
	fail(st, "unknown section [%s]%s", sec,
	    (tl == 8 && strncmp(sec, "upstream", 8) == 0) ||
	    (tl == 6 && strncmp(sec, "policy", 6) == 0) ?
	    " (names: letters, digits, - _ .)" :
	    " (expected [gateway], [upstream NAME], [policy NAME])");
}

/*
 * Reads one line the way libinih will (a BOM on the first line, comments,
 * continuation lines, section headers), because its handler is not told:
 * opens sections, and marks an indented line after a key, which libinih
 * hands over as one more value of that key.
 */
static void
line_classify(struct parse_state *st, const char *line)
{
	const char *p = line;

	st->line_cont = 0;
	if (st->err_line != 0)
		return;
	if (st->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == ';' || *p == '#')
		return;
	if (p > line && st->prev_key >= 0)
		st->line_cont = 1;
	else if (*p == '[')
		section_open(st, p + 1);
}

/*
 * A continuation line (value: its text): more items for a list. For any
 * other key, and for what looks like an indented key or section, it is an
 * error, not a value.
 */
static int
key_continue(struct parse_state *st, const char *value)
{
	const struct cfg_key *k = config_keys_at((size_t)st->prev_key);
	int first = st->key_line[st->prev_key], was_space = 0;
	char text[256], err[256];
	size_t len;

	/* Debian's libinih 55 keeps inline comments here: cut them. */
	util_copy(text, sizeof(text), value);
	for (len = 0; text[len] != '\0'; len++) {
		if (was_space && text[len] == ';')
			break;
		was_space = isspace((unsigned char)text[len]);
	}
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	text[len] = '\0';
	if (!config_keys_continuable(text))
		return fail(st, "indented line after '%s' (line %d): libinih "
		    "reads it as more of that value; do not indent keys or "
		    "sections", k->name, first);
	if (k->type != CFG_LIST)
		return fail(st, "indented line after '%s' (line %d): libinih "
		    "reads it as more of that value, and %s takes one value",
		    k->name, first, k->name);
	if (config_keys_set(k, st->obj, text, 1, err, sizeof(err)) != 0)
		return fail(st, "%s", err);
	return 1;
}

static int
on_ini_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse_state *st = user;
	const struct cfg_key *k;
	size_t i;
	char err[256];

	(void)section;		/* cut at 49 bytes by libinih: st->obj */
	if (st->err_line != 0 || name == NULL)
		return 1;
	if (st->line_cont)
		return key_continue(st, value);
	if (st->obj == NULL)
		return fail(st, "key '%s' before any section (expected "
		    "[gateway], [upstream NAME], [policy NAME])", name);
	k = config_keys_find(st->kind, name);
	if (k == NULL)
		return fail(st, "unknown key '%s' in [%s]", name,
		    config_keys_section_name(st->kind));
	i = (size_t)(k - config_keys_at(0));
	if (st->key_line[i] != 0)
		return fail(st, "duplicate key '%s' (first at line %d)", name,
		    st->key_line[i]);
	st->key_line[i] = st->line;
	st->prev_key = (int)i;
	if (config_keys_set(k, st->obj, value, 0, err, sizeof(err)) != 0)
		return fail(st, "%s", err);
	return 1;
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

	if (st->mem[st->mem_off] == '\0')
		return NULL;
	st->line = st->next_line;
	while (i + 1 < (size_t)size && st->mem[st->mem_off] != '\0') {
		char c = st->mem[st->mem_off++];

		buf[i++] = c;
		if (c == '\n') {
			st->next_line++;
			break;
		}
	}
	buf[i] = '\0';
	if (i > 0 && buf[i - 1] == '\n')
		;			/* a whole line */
	else if (st->mem[st->mem_off] == '\n') {
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
	line_classify(st, buf);
	return buf;
}

/* Frees the strings and lists of one section's object. */
static void
keys_free(int section, void *base)
{
	for (size_t i = 0; i < config_keys_count(); i++) {
		const struct cfg_key *k = config_keys_at(i);
		void *field = (char *)base + k->offset;

		if (k->section != section)
			continue;
		if (k->type == CFG_STR)
			free(*(char **)field);
		else if (k->type == CFG_LIST)
			config_keys_strlist_free(field);
	}
}

static void
config_free(struct config *cfg)
{
	keys_free(CFG_SEC_GATEWAY, cfg);
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		struct upstream_conf *u = &cfg->upstreams[i];

		free(u->name);
		if (u->api_key != NULL) {
			OPENSSL_cleanse(u->api_key, strlen(u->api_key));
			free(u->api_key);
		}
		keys_free(CFG_SEC_UPSTREAM, u);
	}
	free(cfg->upstreams);
	for (size_t i = 0; i < cfg->n_policies; i++) {
		struct policy_conf *p = &cfg->policies[i];

		for (size_t u = 0; p->up_keys != NULL && u < cfg->n_upstreams;
		    u++) {
			if (p->up_keys[u] == NULL)
				continue;
			OPENSSL_cleanse(p->up_keys[u], strlen(p->up_keys[u]));
			free(p->up_keys[u]);
		}
		free(p->up_keys);
		free(p->name);
		keys_free(CFG_SEC_POLICY, p);
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

/*
 * Turns a policy's pii keys into one action per entity type. A type in
 * two of the lists is a contradiction, not a precedence rule.
 */
static int
resolve_pii(struct parse_state *st, struct policy_conf *p)
{
	const struct {
		const struct strlist *l;
		int action;
		const char *key;
	} lists[] = {
		{ &p->pii_off, PII_ACT_OFF, "pii_off" },
		{ &p->pii_detect, PII_ACT_DETECT, "pii_detect" },
		{ &p->pii_redact, PII_ACT_REDACT, "pii_redact" },
		{ &p->pii_pseudonymize, PII_ACT_PSEUDONYMIZE,
		  "pii_pseudonymize" },
		{ &p->pii_block, PII_ACT_BLOCK, "pii_block" },
	};
	size_t from[PII__COUNT];	/* the list a type is in, + 1 */
	const char *bad;

	st->line = p->line;
	memset(from, 0, sizeof(from));
	memset(p->pii_actions, p->pii, sizeof(p->pii_actions));
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		for (size_t i = 0; i < lists[k].l->n; i++) {
			const char *name = lists[k].l->v[i];
			int t = pii_type_parse(name, strlen(name));

			if (t < 0)
				return fail(st, "[policy %s]: unknown PII "
				    "type '%s' (EMAIL, PHONE, IBAN, "
				    "CREDIT_CARD, ...)", p->name, name);
			if (from[t] != 0 && from[t] != k + 1)
				return fail(st, "[policy %s]: %s is in both %s "
				    "and %s", p->name, name,
				    lists[from[t] - 1].key, lists[k].key);
			from[t] = k + 1;
			p->pii_actions[t] = (unsigned char)lists[k].action;
		}
	}
	if (pii_phone_regions_parse(p->pii_phone_regions.v,
	    p->pii_phone_regions.n, &p->phone_regions, &bad) != 0)
		return fail(st, "[policy %s]: pii_phone_regions: '%s' is not a "
		    "region code (DE, FR, GB, ...; at most %d)", p->name, bad,
		    PII_REGIONS_MAX);
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

/*
 * The API groups a policy allows, and the upstream keys of its own: an
 * entry "VAR" applies to every upstream, "UPSTREAM:VAR" to one (and wins
 * there). A named variable must be set: its teams never fall back to the
 * company's key.
 */
static int
resolve_access(struct parse_state *st, struct config *cfg,
    struct policy_conf *p)
{
	const struct strlist *l = &p->upstream_key_env;

	st->line = p->line;
	p->groups = 0;
	for (size_t i = 0; i < p->endpoints.n; i++) {
		const char *g = p->endpoints.v[i];
		int n = endpoint_group_parse(g, strlen(g));

		if (strcmp(g, "all") == 0)
			p->groups = ~0u;
		else if (n < 0)
			return fail(st, "[policy %s]: endpoints: unknown group "
			    "'%s' (all, or inference, models, files, batch, "
			    "fine_tuning, agents, conversations, libraries, "
			    "voices, prompts, skills, connectors, workflows, "
			    "rag, observability, users, admin)", p->name, g);
		else
			p->groups |= 1u << n;
	}
	if (l->n == 0)
		return 1;
	p->up_keys = xcalloc(cfg->n_upstreams, sizeof(*p->up_keys));
	for (int pass = 0; pass < 2; pass++) {
		/* First the entries for every upstream, then the named. */
		for (size_t i = 0; i < l->n; i++) {
			const char *e = l->v[i], *colon = strchr(e, ':');
			const char *var = colon ? colon + 1 : e, *v;
			size_t n = colon ? (size_t)(colon - e) : 0;

			if ((colon != NULL) != pass)
				continue;
			v = getenv(var);
			if (v == NULL || *v == '\0' || strpbrk(v, "\r\n"))
				return fail(st, "[policy %s]: "
				    "upstream_key_env: "
				    "%s is not set (or holds a line break)",
				    p->name, var);
			for (size_t u = 0; u < cfg->n_upstreams; u++) {
				const char *name = cfg->upstreams[u].name;

				if (colon != NULL && (strlen(name) != n ||
				    strncmp(name, e, n) != 0))
					continue;
				if (p->up_keys[u] != NULL) {
					OPENSSL_cleanse(p->up_keys[u],
					    strlen(p->up_keys[u]));
					free(p->up_keys[u]);
				}
				p->up_keys[u] = xstrdup(v);
			}
			if (colon != NULL && config_upstream_index(cfg, e, n) <
			    0)
				return fail(st, "[policy %s]: "
				    "upstream_key_env: no [upstream %.*s]",
				    p->name, (int)n, e);
		}
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
		rc = prices_parse(prices_builtin, &cfg->prices, err,
		    sizeof(err));
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

/*
 * Client headers that may be forwarded: names or globs, lower-cased here.
 * Credentials, framing, hop-by-hop and the gateway's own headers can not
 * be named: the gateway sets or drops those itself.
 */
/*
 * url is http:// or https:// with no credentials in it: secrets come from
 * the environment (api_key_env, otlp_headers_env), never from the INI
 * file, and a URL is printed in logs and reports.
 */
static int
check_url(struct parse_state *st, const char *what, const char *url)
{
	const char *host;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return fail(st, "%s must start with http:// or https://, "
		    "got '%s'", what, url);
	if (memchr(host, '@', strcspn(host, "/?#")) != NULL)
		return fail(st, "%s must not hold credentials (user:password@"
		    "): put them in the environment", what);
	return 1;
}

static int
check_forward_headers(struct parse_state *st, struct strlist *l)
{
	static const char *const never[] = {
		"authorization", "proxy-authorization", "x-api-key", "cookie",
		"host", "content-length", "content-type", "transfer-encoding",
		"expect", "connection", "keep-alive", "te", "trailer",
		"upgrade", "proxy-connection", "x-request-id",
		"accept-encoding", "x-eugate-subject", NULL
	};

	st->line = 1;
	for (size_t i = 0; i < l->n; i++) {
		char *v = l->v[i];

		for (char *p = v; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
			else if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' ||
			    *p == '_' || *p == '*'))
				return fail(st, "forward_headers: '%s' is "
				    "not a header name (letters, digits, - _ "
				    "and * globs)", v);
		}
		for (int k = 0; never[k] != NULL; k++)
			if (util_glob_match(v, never[k]))
				return fail(st, "forward_headers: '%s' "
				    "would forward %s, which the gateway sets "
				    "or drops itself", v, never[k]);
		if (util_glob_match(v, "x-eugate-x"))
			return fail(st, "forward_headers: '%s' would forward "
			    "x-eugate-* headers", v);
	}
	return 1;
}

/*
 * What an upstream's contract says (all optional): where it processes,
 * as ISO 3166 codes, and how long the provider keeps data ("30d").
 */
static int
check_contract(struct parse_state *st, struct upstream_conf *u)
{
	const char *r = u->provider_retention;
	uint64_t days;
	size_t len;

	for (size_t i = 0; i < u->location.n; i++)
		if (!transfer_code_valid(u->location.v[i]))
			return fail(st, "[upstream %s]: location: '%s' is not "
			    "an ISO 3166 country code (two capital letters: "
			    "DE, FR, US; EU for the Union)", u->name,
			    u->location.v[i]);
	u->provider_retention_days = -1;
	if (r == NULL || *r == '\0')
		return 1;
	len = strlen(r);
	if (len < 2 || r[len - 1] != 'd' ||
	    util_parse_u64(r, len - 1, &days) != 0 || days > 36500)
		return fail(st, "[upstream %s]: provider_retention: '%s' is "
		    "not a number of days (0d, 30d)", u->name, r);
	u->provider_retention_days = (int64_t)days;
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
	if (config_split_addr(cfg->admin_listen, host, sizeof(host),
	    &port) != 0)
		return fail(st, "admin_listen: expected HOST:PORT, got '%s'",
		    cfg->admin_listen);
	if (strcmp(cfg->listen, cfg->admin_listen) == 0 && port != 0)
		return fail(st, "admin_listen must differ from listen");
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return fail(st, "tls_cert and tls_key go together");
	if (cfg->otlp_endpoint != NULL &&
	    !check_url(st, "otlp_endpoint", cfg->otlp_endpoint))
		return 0;
	if (check_forward_headers(st, &cfg->forward_headers) == 0)
		return 0;
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		struct upstream_conf *u = &cfg->upstreams[i];
		char what[128];
		size_t len;

		st->line = u->line;
		if (u->url == NULL)
			return fail(st, "[upstream %s]: url is required",
			    u->name);
		snprintf(what, sizeof(what), "[upstream %s]: url", u->name);
		if (!check_url(st, what, u->url))
			return 0;
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
		if (check_contract(st, u) == 0)
			return 0;
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
			return fail(st, "budget: expected AMOUNT "
			    "CURRENCY/PERIOD (e.g. 1000EUR/month), got '%s'",
			    cfg->budget);
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
		/* Teams without a policy name use "default": it always
		 * exists. */
		policy_add(cfg, "default", 1);
	}
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (!resolve_pii(st, &cfg->policies[i]) ||
		    !resolve_routing(st, &cfg->policies[i]) ||
		    !resolve_access(st, cfg, &cfg->policies[i]))
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
	config_keys_defaults(CFG_SEC_GATEWAY, cfg);
	st.next_line = 1;
	st.prev_key = -1;
	st.key_line = xcalloc(config_keys_count(), sizeof(*st.key_line));
	if (path != NULL) {
		enum gw_err e = util_read_file(path, MAX_FILE, &text, &len);

		if (e != GW_OK) {
			snprintf(err, errlen, "%s:0: cannot open: %s", path,
			    e == GW_ERR_IO || e == GW_ERR_NOTFOUND ?
			    strerror(errno) : gw_strerror(e));
			free(st.key_line);
			config_free(cfg);
			return NULL;
		}
		if (len == MAX_FILE || memchr(text, '\0', len) != NULL) {
			snprintf(err, errlen, "%s:0: %s", path,
			    len == MAX_FILE ? "file too large" :
			    "NUL byte in the file");
			free(text);
			free(st.key_line);
			config_free(cfg);
			return NULL;
		}
		st.mem = text;
	} else {
		st.mem = builtin_ini;
	}
	rc = ini_parse_stream(read_line, &st, on_ini_key, &st);
	free(text);
	free(st.key_line);
	/* libinih goes on after a syntax error: report the first line. */
	if (rc > 0 && (st.err_line == 0 || rc < st.err_line)) {
		st.err_line = rc;
		snprintf(st.err, sizeof(st.err),
		    "syntax error (expected [section] or key = value; "
		    "lines are limited to 200 bytes)");
	}
	if (st.err_line == 0)
		validate(&st);
	if (st.err_line != 0) {
		snprintf(err, errlen, "%s:%d: %s", st.file, st.err_line,
		    st.err);
		config_free(cfg);
		return NULL;
	}
	/* The notes of a good file come in its log format already. */
	log_set_format((enum log_format)cfg->log_format);
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &cfg->upstreams[i];

		if (u->enabled)
			continue;
		if (u->api_key_env != NULL && getenv(u->api_key_env) == NULL)
			log_warn("upstream %s disabled: %s is not set",
			    log_q(u->name), log_q(u->api_key_env));
		else
			log_info("upstream %s disabled: %s is set",
			    log_q(u->name), log_q(u->unless_env));
	}
	zdr = 0;
	for (size_t j = 0; j < cfg->n_upstreams; j++)
		zdr |= cfg->upstreams[j].zdr;
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (cfg->policies[i].zdr && !zdr)
			log_warn("policy %s: zdr = on, but no upstream has "
			    "zdr = on: its requests are refused",
			    log_q(cfg->policies[i].name));
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

int
config_upstream_index(const struct config *cfg, const char *name, size_t len)
{
	for (size_t i = 0; i < cfg->n_upstreams; i++)
		if (strlen(cfg->upstreams[i].name) == len &&
		    strncmp(cfg->upstreams[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const struct policy_conf *
config_policy(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_policies; i++)
		if (strcmp(cfg->policies[i].name, name) == 0)
			return &cfg->policies[i];
	return NULL;
}
