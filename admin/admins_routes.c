/*
 * Admin principals: the cache of stored principals (reloaded when their
 * version moves, as keys are) and token authentication against it; the
 * routes of /admin/v1/admins and /admin/v1/me.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin/admin_int.h"
#include "common/log.h"
#include "common/util.h"
#include "policy/keys.h"
#include "storage/store.h"

/* The bootstrap owner (admin_token_env) has this name; no stored
 * principal may take it. */
#define BOOTSTRAP_NAME "owner"

int
admin_principal_find(struct admin *a, const char *tok, size_t len,
    struct principal *out)
{
	unsigned char h[32];
	int found = -1;

	if (len != ADMIN_TOKEN_LEN ||
	    strncmp(tok, ADMIN_TOKEN_PREFIX, 4) != 0 ||
	    keys_admin_hmac(a->hmac, tok, len, h) != GW_OK)
		return 0;
	/* Every stored HMAC is compared, whichever matches. */
	for (size_t i = 0; i < a->n_principals; i++)
		if (CRYPTO_memcmp(h, a->principals[i].hmac, 32) == 0)
			found = (int)i;
	OPENSSL_cleanse(h, sizeof(h));
	if (found < 0)
		return 0;
	*out = a->principals[found];
	return 1;
}

/* Hex digits into bytes; 0 or -1. */
static int
unhex(const char *s, unsigned char *out, size_t n)
{
	if (s == NULL || strlen(s) != n * 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char ch = s[2 * i + k];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* The snapshot's rows into a new array of principals; NULL on error. */
static struct principal *
principals_from(json_t *rows, size_t *n)
{
	struct principal *v = calloc(json_array_size(rows) + 1, sizeof(*v));
	json_t *row, *t;
	size_t i, k;

	*n = 0;
	if (v == NULL)
		return NULL;
	json_array_foreach(rows, i, row) {
		struct principal *p = &v[*n];
		const char *name = json_string_value(json_object_get(row,
		    "name"));
		const char *role = json_string_value(json_object_get(row,
		    "role"));

		if (name == NULL || role == NULL ||
		    (p->role = admin_role_parse(role)) < 0 ||
		    unhex(json_string_value(json_object_get(row, "hmac")),
		    p->hmac, 32) != 0) {
			log_error("admin: principal %s skipped: malformed",
			    log_q(name ? name : "?"));
			memset(p, 0, sizeof(*p));
			continue;
		}
		snprintf(p->name, sizeof(p->name), "%s", name);
		json_array_foreach(json_object_get(row, "teams"), k, t)
			if (p->n_teams < ADMIN_MAX_TEAMS)
				snprintf(p->teams[p->n_teams++],
				    sizeof(p->teams[0]), "%s",
				    json_string_value(t));
		(*n)++;
	}
	return v;
}

struct admins_load {
	struct admin *a;
	struct store_op op;
	void (*then)(void *);
	void *then_arg;
};

static void
admins_loaded(struct store_op *op)
{
	struct admins_load *l = op->arg;
	struct admin *a = l->a;

	a->admins_loading = 0;
	if (op->err != GW_OK) {
		log_error("admin principals: refresh failed: %s",
		    gw_strerror(op->err));
	} else if (op->changed) {
		size_t n;
		struct principal *v = principals_from(op->json, &n);

		if (v != NULL) {
			if (a->principals != NULL) {
				OPENSSL_cleanse(a->principals,
				    a->n_principals * sizeof(*v));
				free(a->principals);
			}
			a->principals = v;
			a->n_principals = n;
			a->admins_version = op->version;
			log_debug("admin principals: %zu (version %lld)", n,
			    (long long)op->version);
		}
	}
	store_op_cleanup(op);
	if (l->then != NULL)
		l->then(l->then_arg);
	free(l);
}

void
admin_refresh(struct admin *a, int force, void (*then)(void *), void *arg)
{
	struct admins_load *l;

	if (!force && a->admins_loading)
		return;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		if (then != NULL)
			then(arg);
		return;
	}
	l->a = a;
	l->then = then;
	l->then_arg = arg;
	l->op.type = STORE_ADMINS_LOAD;
	l->op.version = force ? -1 : a->admins_version;
	l->op.done = admins_loaded;
	l->op.arg = l;
	a->admins_loading = 1;
	store_submit(a->store, &l->op);
}

static json_t *
teams_json(const struct principal *p)
{
	json_t *t = json_array();

	for (int i = 0; i < p->n_teams; i++)
		json_array_append_new(t, json_string(p->teams[i]));
	return t;
}

/* GET /admin/v1/me: who the token is, for clients (the console shows
 * what the role may do). */
void
admin_me(struct call *c, const char *arg, const char *query, json_t *body)
{
	admin_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:o}", "object",
	    "admin", "name", c->who.name, "role",
	    admin_role_name(c->who.role), "teams", teams_json(&c->who)));
}

static void
admins_listed(struct store_op *op)
{
	/* The bootstrap owner first: it can act too. */
	if (op->err == GW_OK)
		json_array_insert_new(op->json, 0, json_pack("{s:s, s:s, s:[], "
		    "s:n, s:n, s:n}", "name", BOOTSTRAP_NAME, "role", "owner",
		    "teams", "created_at", "created_by", "revoked_at"));
	admin_listed(op);
}

void
admin_admins_list(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	admin_submit(c, STORE_ADMIN_LIST, admins_listed);
}

/* A principal's name: 1-64 letters, digits, '-', '_' or '.'. */
static int
valid_admin_name(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") == n;
}

/* The principals changed: the cache has them before the answer goes. */
static void
principals_reloaded(void *arg)
{
	struct call *c = arg;

	admin_reply_json(c, c->status, c->result);
}

static void
admin_created(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err == GW_ERR_EXISTS) {
		admin_reply_field(c, "already_exists", "name", "admin '%s' "
		    "exists", op->name);
		return;
	}
	if (op->err == GW_ERR_NOTFOUND) {
		admin_reply_field(c, "team_not_found", "teams", "teams: no "
		    "such team '%s'", op->team);
		return;
	}
	if (op->err != GW_OK) {
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	log_info("admin: principal %s (%s) created by %s", log_q(op->name),
	    op->role, log_q(op->principal));
	c->status = 201;
	c->result = json_pack("{s:s, s:s, s:s, s:o, s:s}", "object", "admin",
	    "name", op->name, "role", op->role, "teams", json_array(), "token",
	    c->key);
	for (const char *v = op->teams; *v != '\0';) {
		size_t len = strcspn(v, ",");

		json_array_append_new(json_object_get(c->result, "teams"),
		    json_stringn(v, len));
		v += len + (v[len] == ',');
	}
	admin_refresh(c->a, 1, principals_reloaded, c);
}

/* POST /admin/v1/admins {"name", "role", "teams"}: a new principal;
 * its token is answered once. */
void
admin_admins_create(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *role = json_string_value(json_object_get(body, "role"));
	json_t *teams = json_object_get(body, "teams"), *t;
	const char *k;
	json_t *v;
	size_t i, n = 0;
	int r;

	json_object_foreach(body, k, v)
		if (strcmp(k, "name") != 0 && strcmp(k, "role") != 0 &&
		    strcmp(k, "teams") != 0) {
			admin_reply_field(c, "invalid_field", k,
			    "unknown field '%.64s' (name, role, teams)", k);
			return;
		}
	if (!valid_admin_name(name)) {
		admin_reply_field(c, "invalid_name", "name", "name: 1-64 "
		    "letters, digits, '-', '_' or '.'");
		return;
	}
	if (strcmp(name, BOOTSTRAP_NAME) == 0) {
		admin_reply_field(c, "invalid_name", "name", "name: '%s' is "
		    "the bootstrap owner (admin_token_env)", BOOTSTRAP_NAME);
		return;
	}
	r = role != NULL ? admin_role_parse(role) : -1;
	if (r < 0) {
		admin_reply_field(c, "invalid_role", "role", "role: owner, "
		    "admin, team-admin or auditor");
		return;
	}
	if (r == ROLE_OWNER && c->who.role != ROLE_OWNER) {
		admin_reply_error(c, "insufficient_role", "only an owner can "
		    "make an owner");
		return;
	}
	if (teams != NULL && !json_is_array(teams)) {
		admin_reply_field(c, "invalid_field", "teams", "teams: a list "
		    "of team names");
		return;
	}
	if (r == ROLE_TEAM_ADMIN && json_array_size(teams) == 0) {
		admin_reply_field(c, "invalid_field", "teams", "teams: a "
		    "team-admin needs at least one team");
		return;
	}
	if (r != ROLE_TEAM_ADMIN && json_array_size(teams) > 0) {
		admin_reply_field(c, "invalid_field", "teams", "teams: only a "
		    "team-admin is bound to teams (the %s role has all)", role);
		return;
	}
	if (json_array_size(teams) > ADMIN_MAX_TEAMS) {
		admin_reply_field(c, "invalid_field", "teams", "teams: at most "
		    "%d", ADMIN_MAX_TEAMS);
		return;
	}
	json_array_foreach(teams, i, t) {
		const char *tn = json_string_value(t);

		if (!valid_admin_name(tn)) {
			admin_reply_field(c, "invalid_team", "teams", "teams: "
			    "team names (1-64 letters, digits, '-', '_', '.')");
			return;
		}
		n += (size_t)snprintf(c->op.teams + n, sizeof(c->op.teams) - n,
		    "%s%s", n ? "," : "", tn);
	}
	if (keys_admin_token(c->a->hmac, c->key, c->op.hmac) != GW_OK) {
		admin_reply_error(c, "internal_error", "cannot make a token");
		return;
	}
	snprintf(c->op.name, sizeof(c->op.name), "%s", name);
	snprintf(c->op.role, sizeof(c->op.role), "%s", role);
	snprintf(c->op.principal, sizeof(c->op.principal), "%s", c->who.name);
	admin_submit(c, STORE_ADMIN_CREATE, admin_created);
}

static void
admin_changed(struct store_op *op)
{
	struct call *c = op->arg;
	int revoke = c->key[0] == '\0';

	if (op->err == GW_ERR_NOTFOUND) {
		admin_reply_error(c, "not_found", "no such admin");
		return;
	}
	if (op->err == GW_ERR_PERM) {
		admin_reply_error(c, "insufficient_role", "only an owner can "
		    "%s an owner", revoke ? "revoke" : "rotate the token of");
		return;
	}
	if (op->err != GW_OK) {
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	log_info("admin: principal %s %s by %s", log_q(op->name), revoke ?
	    "revoked" : "given a new token", log_q(c->who.name));
	c->status = 200;
	c->result = revoke ? json_pack("{s:s, s:s, s:b}", "object", "admin",
	    "name", op->name, "revoked", 1) : json_pack("{s:s, s:s, s:s}",
	    "object", "admin", "name", op->name, "token", c->key);
	admin_refresh(c->a, 1, principals_reloaded, c);
}

/* The admin named by the path, for a revocation or a new token. */
static int
admin_target(struct call *c, const char *arg)
{
	if (strcmp(arg, BOOTSTRAP_NAME) == 0) {
		admin_reply_error(c, "invalid_name", "'%s' is the bootstrap "
		    "owner: change admin_token_env's token instead",
		    BOOTSTRAP_NAME);
		return -1;
	}
	if (!valid_admin_name(arg)) {
		admin_reply_error(c, "not_found", "no such admin");
		return -1;
	}
	snprintf(c->op.name, sizeof(c->op.name), "%s", arg);
	/* An admin manages admins, team admins and auditors, not owners. */
	c->op.not_owner = c->who.role != ROLE_OWNER;
	return 0;
}

/* DELETE /admin/v1/admins/{name}: its token stops working (here at
 * once, on other instances within key_refresh). */
void
admin_admins_revoke(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (admin_target(c, arg) != 0)
		return;
	admin_submit(c, STORE_ADMIN_REVOKE, admin_changed);
}

/* POST /admin/v1/admins/{name}/rotate: a new token, answered once; the
 * old one stops working. */
void
admin_admins_rotate(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (admin_target(c, arg) != 0)
		return;
	if (keys_admin_token(c->a->hmac, c->key, c->op.hmac) != GW_OK) {
		admin_reply_error(c, "internal_error", "cannot make a token");
		return;
	}
	admin_submit(c, STORE_ADMIN_ROTATE, admin_changed);
}
