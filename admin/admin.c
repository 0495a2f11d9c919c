/* The admin API: routes for teams, keys, health, metrics and requests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "admin/admin.h"
#include "common/log.h"
#include "common/util.h"
#include "policy/keys.h"
#include "storage/store.h"

struct admin {
	struct store *store;
	struct keys_hmac *hmac;
	unsigned char token_hash[32];
	struct admin_hooks hooks;
};

/* One admin call in flight. */
struct call {
	struct admin *a;
	admin_reply_fn reply;
	void *reply_arg;
	struct store_op op;
	char key[KEY_LEN + 1];	/* a new key, shown once */
	json_t *result;		/* answer kept while keys reload */
	int status;
};

typedef void (*route_fn)(struct call *c, const char *arg, const char *query,
    json_t *body);

struct route {
	const char *method;
	const char *path;	/* a trailing '*' matches one path segment */
	route_fn fn;
	int needs_body;
};

static void
reply_json(struct call *c, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL) {
		s = strdup("{}");
		status = 500;
	}
	c->reply(c->reply_arg, status, s, s ? strlen(s) : 0, 0);
	OPENSSL_cleanse(c->key, sizeof(c->key));
	free(c);
}

static void reply_error(struct call *c, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
reply_error(struct call *c, int status, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(c, status, json_pack("{s:s, s:s, s:s, s:n, s:s}", "object",
	    "error", "message", msg, "type", status == 401 ?
	    "authentication_error" : "invalid_request_error", "param", "code",
	    code));
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.'))
			return 0;
	}
	return 1;
}

/* Checks that body has only the allowed keys; returns the bad one. */
static const char *
unknown_field(json_t *body, const char *const *allowed)
{
	const char *k;
	json_t *v;

	json_object_foreach(body, k, v) {
		int ok = 0;

		for (int i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = 1;
		if (!ok)
			return k;
	}
	return NULL;
}

static const char *
store_code(enum gw_err err)
{
	return err == GW_ERR_EXISTS ? "already_exists" :
	    err == GW_ERR_NOTFOUND ? "not_found" : "storage_unavailable";
}

static int
store_status(enum gw_err err)
{
	return err == GW_ERR_EXISTS ? 409 : err == GW_ERR_NOTFOUND ? 404 : 503;
}

static void
submit(struct call *c, int type, void (*done)(struct store_op *))
{
	c->op.type = type;
	c->op.done = done;
	c->op.arg = c;
	store_submit(c->a->store, &c->op);
}

static void
team_created(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		reply_error(c, store_status(op->err), store_code(op->err),
		    "team '%s': %s", op->name, gw_strerror(op->err));
		return;
	}
	log_info("admin: team %s created (policy %s)", op->name, op->policy);
	reply_json(c, 201, json_pack("{s:s, s:s, s:s}", "object", "team",
	    "name", op->name, "policy", op->policy));
}

static void
team_create(struct call *c, const char *arg, const char *query, json_t *body)
{
	static const char *const allowed[] = { "name", "policy", NULL };
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *policy = json_string_value(json_object_get(body, "policy"));
	const char *bad = unknown_field(body, allowed);

	if (bad != NULL) {
		reply_error(c, 400, "invalid_field", "unknown field '%s'", bad);
		return;
	}
	if (name == NULL || !valid_name(name)) {
		reply_error(c, 400, "invalid_name", "name: 1-64 letters, "
		    "digits, '-', '_' or '.'");
		return;
	}
	if (policy == NULL)
		policy = "default";
	if (!c->a->hooks.policy_exists(c->a->hooks.arg, policy)) {
		reply_error(c, 400, "unknown_policy", "no [policy %.64s] in the "
		    "configuration", policy);
		return;
	}
	snprintf(c->op.name, sizeof(c->op.name), "%s", name);
	snprintf(c->op.policy, sizeof(c->op.policy), "%s", policy);
	submit(c, STORE_TEAM_CREATE, team_created);
}

static void
listed(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *data = op->json;

	op->json = NULL;
	if (op->err != GW_OK) {
		json_decref(data);
		reply_error(c, 503, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	reply_json(c, 200, json_pack("{s:s, s:o}", "object", "list", "data",
	    data));
}

static void
team_list(struct call *c, const char *arg, const char *query, json_t *body)
{
	submit(c, STORE_TEAM_LIST, listed);
}

/* Answers once the daemon's key cache has the change. */
static void
keys_reloaded(void *arg)
{
	struct call *c = arg;

	reply_json(c, c->status, c->result);
}

static void
key_created(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		reply_error(c, store_status(op->err), op->err == GW_ERR_NOTFOUND ?
		    "team_not_found" : store_code(op->err), "team '%s': %s",
		    op->team, op->err == GW_ERR_NOTFOUND ? "no such team" :
		    gw_strerror(op->err));
		return;
	}
	log_info("admin: key %s created for team %s", op->key_id, op->team);
	c->status = 201;
	c->result = json_pack("{s:s, s:s, s:s, s:s, s:s}", "object", "key",
	    "id", op->key_id, "key", c->key, "team", op->team, "name",
	    op->name);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

static void
key_create(struct call *c, const char *arg, const char *query, json_t *body)
{
	static const char *const allowed[] = { "team", "name", NULL };
	const char *team = json_string_value(json_object_get(body, "team"));
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *bad = unknown_field(body, allowed);
	char id[KEY_ID_LEN + 1];

	if (bad != NULL) {
		reply_error(c, 400, "invalid_field", "unknown field '%s'", bad);
		return;
	}
	if (team == NULL || !valid_name(team)) {
		reply_error(c, 400, "invalid_team", "team: a team name is "
		    "required");
		return;
	}
	if (name != NULL && (strlen(name) > 64 || !valid_name(name))) {
		reply_error(c, 400, "invalid_name", "name: 1-64 letters, "
		    "digits, '-', '_' or '.'");
		return;
	}
	if (keys_generate(c->a->hmac, c->key, id, c->op.hmac) != GW_OK) {
		reply_error(c, 500, "internal_error", "cannot generate a key");
		return;
	}
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", id);
	snprintf(c->op.team, sizeof(c->op.team), "%s", team);
	snprintf(c->op.name, sizeof(c->op.name), "%s", name ? name : "");
	submit(c, STORE_KEY_CREATE, key_created);
}

static int
query_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = len - nl - 1;

			if (vl >= outlen)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static void
key_list(struct call *c, const char *arg, const char *query, json_t *body)
{
	if (query_param(query, "team", c->op.team, sizeof(c->op.team)) < 0) {
		reply_error(c, 400, "invalid_team", "team: too long");
		return;
	}
	submit(c, STORE_KEY_LIST, listed);
}

static void
key_revoked(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		reply_error(c, store_status(op->err), store_code(op->err),
		    "key '%s': %s", op->key_id, op->err == GW_ERR_NOTFOUND ?
		    "no such active key" : gw_strerror(op->err));
		return;
	}
	log_info("admin: key %s revoked", op->key_id);
	c->status = 200;
	c->result = json_pack("{s:s, s:s, s:b}", "object", "key", "id",
	    op->key_id, "revoked", 1);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

static void
key_revoke(struct call *c, const char *arg, const char *query, json_t *body)
{
	if (strlen(arg) != KEY_ID_LEN) {
		reply_error(c, 404, "not_found", "no such key");
		return;
	}
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", arg);
	submit(c, STORE_KEY_REVOKE, key_revoked);
}

static void
request_list(struct call *c, const char *arg, const char *query, json_t *body)
{
	char lim[16];
	uint64_t n = 100;

	if (query_param(query, "limit", lim, sizeof(lim)) == 1 &&
	    (util_parse_u64(lim, strlen(lim), &n) != 0 || n == 0 || n > 10000)) {
		reply_error(c, 400, "invalid_limit", "limit: 1 to 10000");
		return;
	}
	c->op.limit = (int)n;
	submit(c, STORE_REQUEST_LIST, listed);
}

static void
health(struct call *c, const char *arg, const char *query, json_t *body)
{
	reply_json(c, 200, c->a->hooks.health(c->a->hooks.arg));
}

static void
metrics(struct call *c, const char *arg, const char *query, json_t *body)
{
	char *text = c->a->hooks.metrics(c->a->hooks.arg);

	c->reply(c->reply_arg, 200, text, text ? strlen(text) : 0, 1);
	free(c);
}

/* The one table of admin routes. */
static const struct route routes[] = {
	{ "GET", "/admin/v1/health", health, 0 },
	{ "GET", "/admin/v1/metrics", metrics, 0 },
	{ "POST", "/admin/v1/teams", team_create, 1 },
	{ "GET", "/admin/v1/teams", team_list, 0 },
	{ "POST", "/admin/v1/keys", key_create, 1 },
	{ "GET", "/admin/v1/keys", key_list, 0 },
	{ "DELETE", "/admin/v1/keys/*", key_revoke, 0 },
	{ "GET", "/admin/v1/requests", request_list, 0 },
};

/* Matches path against pattern; a final '*' captures one segment. */
static int
route_match(const char *pattern, const char *path, char *arg, size_t arglen)
{
	size_t pl = strlen(pattern);

	if (pattern[pl - 1] != '*')
		return strcmp(pattern, path) == 0;
	if (strncmp(pattern, path, pl - 1) != 0)
		return 0;
	path += pl - 1;
	if (*path == '\0' || strchr(path, '/') != NULL ||
	    strlen(path) >= arglen)
		return 0;
	snprintf(arg, arglen, "%s", path);
	return 1;
}

static int
authorized(struct admin *a, const struct admin_request *r)
{
	unsigned char h[32];
	unsigned int hl = 0;

	if (r->auth == NULL || r->auth_len < 8 ||
	    strncasecmp(r->auth, "Bearer ", 7) != 0)
		return 0;
	if (EVP_Digest(r->auth + 7, r->auth_len - 7, h, &hl, EVP_sha256(),
	    NULL) != 1)
		return 0;
	return CRYPTO_memcmp(h, a->token_hash, 32) == 0;
}

void
admin_handle(struct admin *a, const struct admin_request *r,
    admin_reply_fn reply, void *reply_arg)
{
	struct call *c = calloc(1, sizeof(*c));
	char path[512], arg[128];
	const char *q;
	size_t plen;
	int path_found = 0;
	json_t *body = NULL;

	if (c == NULL) {
		reply(reply_arg, 503, NULL, 0, 0);
		return;
	}
	c->a = a;
	c->reply = reply;
	c->reply_arg = reply_arg;
	q = memchr(r->target, '?', r->target_len);
	plen = q ? (size_t)(q - r->target) : r->target_len;
	if (plen >= sizeof(path)) {
		reply_error(c, 404, "not_found", "no such route");
		return;
	}
	memcpy(path, r->target, plen);
	path[plen] = '\0';
	if (!authorized(a, r)) {
		reply_error(c, 401, "invalid_admin_token",
		    "missing or invalid admin token");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];
		char query[256] = "";

		if (!route_match(rt->path, path, arg, sizeof(arg)))
			continue;
		path_found = 1;
		if (strcmp(rt->method, r->method) != 0)
			continue;
		if (q != NULL) {
			size_t ql = r->target_len - plen - 1;

			if (ql >= sizeof(query)) {
				reply_error(c, 400, "invalid_query",
				    "query too long");
				return;
			}
			memcpy(query, q + 1, ql);
			query[ql] = '\0';
		}
		if (rt->needs_body) {
			json_error_t err;

			body = json_loadb(r->body ? r->body : "", r->body_len,
			    JSON_REJECT_DUPLICATES, &err);
			if (!json_is_object(body)) {
				json_decref(body);
				reply_error(c, 400, "invalid_json",
				    "body must be a JSON object");
				return;
			}
		}
		rt->fn(c, arg, query, body);
		json_decref(body);
		return;
	}
	if (path_found)
		reply_error(c, 405, "method_not_allowed", "method not allowed");
	else
		reply_error(c, 404, "not_found", "no such route");
}

struct admin *
admin_new(struct store *st, struct keys_hmac *hmac,
    const unsigned char token_hash[32], const struct admin_hooks *hooks)
{
	struct admin *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->store = st;
	a->hmac = hmac;
	a->hooks = *hooks;
	memcpy(a->token_hash, token_hash, 32);
	return a;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}
