/* The admin API: the route table, authentication, every call's audit
 * record, answers (whole, streamed, errors) and query parsing; health and
 * metrics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/digest.h"
#include "admin/admin_int.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "policy/keys.h"
#include "policy/money.h"
#include "storage/store.h"

typedef void (*route_fn)(struct call *c, const char *arg, const char *query,
    json_t *body);

enum route_flags {
	ROUTE_BODY = 1,		/* a JSON object body is required */
	ROUTE_BODY_OPT = 2,	/* ... or may be empty */
	ROUTE_UNRECORDED = 4,	/* no audit record (polled: health) */
	ROUTE_NO_BODY_HASH = 8,	/* the body names a data subject: its hash
				 * would be a link, so none is kept */
};

/*
 * How a route finds the team a team admin acts on; owners, admins and
 * auditors act on every team.
 */
enum route_scope {
	SCOPE_NONE,	/* none: team admins are not among its roles, or it
			 * is about the caller */
	SCOPE_QUERY,	/* reads: team= of the query, else the team admin's
			 * teams; another team's answers 404 */
	SCOPE_BODY,	/* writes: the body's "team"; another team's: 403 */
	SCOPE_KEY,	/* the key id of the path: its team; another's: 403 */
	SCOPE_TEAM,	/* the team name of the path; another's: 403 */
	SCOPE__COUNT
};

static const char *const scope_names[SCOPE__COUNT] = { "-", "query",
	"body", "key", "team" };

#define R_OWNER (1u << ROLE_OWNER)
#define R_ADMIN (1u << ROLE_ADMIN)
#define R_TEAM (1u << ROLE_TEAM_ADMIN)
#define R_AUDITOR (1u << ROLE_AUDITOR)
#define R_STAFF (R_OWNER | R_ADMIN)		/* writes beyond a team */
#define R_READ (R_STAFF | R_AUDITOR)		/* reads of every team */
#define R_ALL (R_READ | R_TEAM)

struct route {
	const char *method;
	const char *path;	/* a '*' matches one path segment */
	route_fn fn;
	int flags;		/* enum route_flags */
	unsigned roles;		/* R_*: the roles that may call it */
	int scope;		/* enum route_scope */
};

static const char *const role_names[ROLE__COUNT] = { "owner", "admin",
	"team-admin", "auditor" };

const char *
admin_role_name(int role)
{
	return role >= 0 && role < ROLE__COUNT ? role_names[role] : NULL;
}

int
admin_role_parse(const char *name)
{
	for (int i = 0; i < ROLE__COUNT; i++)
		if (strcmp(role_names[i], name) == 0)
			return i;
	return -1;
}

int
admin_has_team(const struct principal *p, const char *team)
{
	if (p->role != ROLE_TEAM_ADMIN)
		return 1;
	for (int i = 0; i < p->n_teams; i++)
		if (strcmp(p->teams[i], team) == 0)
			return 1;
	return 0;
}

int
admin_is_team_admin(const struct call *c)
{
	return c->who.role == ROLE_TEAM_ADMIN;
}

int
admin_need_team(struct call *c)
{
	if (!admin_is_team_admin(c) || c->qteam[0] != '\0')
		return 0;
	admin_reply_field(c, "invalid_query", "team", "team: name one of "
	    "your teams (you administer %d)", c->who.n_teams);
	return -1;
}

static void
free_call(struct call *c)
{
	if (c->body != NULL) {
		OPENSSL_cleanse(c->body, c->body_len);	/* may hold a new key */
		free(c->body);
	}
	OPENSSL_cleanse(c->key, sizeof(c->key));
	json_decref(c->req);
	free(c->objs);
	free(c);
}

static void
answer(struct call *c)
{
	c->io->reply(c->io_arg, c->status, c->body, c->body_len, c->ctype);
	c->body = NULL;
	free_call(c);
}

/* The record is written (or none was due): the answer goes. */
static void
proceed(struct call *c)
{
	if (c->streaming) {
		c->io->begin(c->io_arg, c->status, c->ctype);
		c->next(c);
		return;
	}
	answer(c);
}

static void
recorded(struct store_op *op)
{
	struct call *c = op->arg;
	static const char unavailable[] = "{\"object\":\"error\",\"message\":"
	    "\"the audit record of this call could not be stored; if it "
	    "changed anything, the change was applied\",\"type\":"
	    "\"server_error\",\"param\":null,\"code\":\"audit_unavailable\"}";

	if (op->err != GW_OK) {
		log_error("admin: %s %s not recorded: %s",
		    log_q(op->rec.method), log_q(op->rec.path),
		    gw_strerror(op->err));
		if (c->body != NULL) {
			OPENSSL_cleanse(c->body, c->body_len);
			free(c->body);
		}
		c->body = strdup(unavailable);
		c->body_len = c->body ? strlen(c->body) : 0;
		c->status = 503;
		c->ctype = NULL;
		c->streaming = 0;
	}
	proceed(c);
}

/* Writes the call's audit record (the answer's status and hash), then
 * answers. */
static void
record_then_answer(struct call *c)
{
	struct store_request *rec = &c->audit.rec;

	if (!c->audited) {
		proceed(c);
		return;
	}
	rec->ts_ms = util_wall_s() * 1000;
	rec->status = c->status;
	rec->latency_us = (int64_t)(util_now_us() - c->t0_us);
	snprintf(rec->error, sizeof(rec->error), "%s", c->error);
	if (c->op.team[0] != '\0')
		snprintf(rec->team, sizeof(rec->team), "%s", c->op.team);
	if (c->op.key_id[0] != '\0')
		snprintf(rec->key_id, sizeof(rec->key_id), "%s", c->op.key_id);
	if (!c->streaming) {
		digest_sha256((const unsigned char *)(c->body ? c->body : ""),
		    c->body_len, rec->resp_hash);
		rec->has_resp_hash = 1;
	}
	c->audit.type = STORE_AUDIT_APPEND;
	c->audit.done = recorded;
	c->audit.arg = c;
	store_submit(c->a->store, &c->audit);
}

void
admin_reply_text(struct call *c, int status, char *body, size_t len,
    const char *ctype)
{
	c->status = status;
	c->body = body;
	c->body_len = body ? len : 0;
	c->ctype = ctype;
	record_then_answer(c);
}

void
admin_reply_json(struct call *c, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL) {
		s = strdup("{}");
		status = 500;
	}
	admin_reply_text(c, status, s, s ? strlen(s) : 0, NULL);
}

static void
reply_error(struct call *c, const char *code, const char *field,
    const char *fmt, va_list ap)
{
	const struct api_error *e = api_error(code);
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(c->error, sizeof(c->error), "%s", e->code);
	admin_reply_json(c, e->status, json_pack("{s:s, s:s, s:s, s:o, s:s}",
	    "object", "error", "message", msg, "type", e->type, "param",
	    field != NULL ? json_string(field) : json_null(), "code", e->code));
}

void
admin_reply_error(struct call *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error(c, code, NULL, fmt, ap);
	va_end(ap);
}

void
admin_reply_field(struct call *c, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error(c, code, field, fmt, ap);
	va_end(ap);
}

void
admin_reply_stream(struct call *c, const char *ctype,
    void (*next)(struct call *))
{
	c->status = 200;
	c->ctype = ctype;
	c->streaming = 1;
	c->next = next;
	record_then_answer(c);
}

void
admin_stream_end(struct call *c, int ok)
{
	c->io->end(c->io_arg, ok);
	free_call(c);
}

void
admin_resume(struct call *c)
{
	if (c->paused) {
		c->paused = 0;
		c->next(c);
	}
}

void
admin_abort(struct call *c)
{
	c->gone = 1;
	if (c->paused)
		admin_stream_end(c, 0);
}

void
admin_submit(struct call *c, int type, void (*done)(struct store_op *))
{
	c->op.type = type;
	c->op.done = done;
	c->op.arg = c;
	store_submit(c->a->store, &c->op);
}

void
admin_submit_read(struct call *c, int type, void (*done)(struct store_op *))
{
	c->op.type = type;
	c->op.done = done;
	c->op.arg = c;
	store_submit(c->a->reader, &c->op);
}

/* Answers a store read's rows as {"object": "list", "data": rows};
 * a team admin's hold its teams' only. */
void
admin_listed(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *data = op->json;

	op->json = NULL;
	if (op->err != GW_OK) {
		json_decref(data);
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	for (size_t i = 0; c->team_filter && i < json_array_size(data);) {
		const char *t = json_string_value(json_object_get(
		    json_array_get(data, i), c->filter_field ? c->filter_field :
		    "team"));

		if (t == NULL || !admin_has_team(&c->who, t))
			json_array_remove(data, i);
		else
			i++;
	}
	admin_reply_json(c, 200,
	    json_pack("{s:s, s:o}", "object", "list", "data", data));
}

int
admin_query_param(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			return util_pct_decode(p + nl + 1, len - nl - 1, 1, out,
			    outlen) < 0 ? -1 : 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

int
admin_parse_time(const char *s, int64_t *ms)
{
	uint64_t n;
	int y, m, d;
	char tail;

	if (util_parse_u64(s, strlen(s), &n) == 0 && n < 253402300800ULL) {
		*ms = (int64_t)n * 1000;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*ms = money_civil_days(y, m, d) * 86400 * 1000;
	return 0;
}

int
admin_query_period(struct call *c, const char *query, int64_t *from,
    int64_t *to)
{
	char v[80];
	int rc;

	*from = 0;
	*to = INT64_MAX;
	if ((rc = admin_query_param(query, "from", v, sizeof(v))) != 0 &&
	    (rc < 0 || admin_parse_time(v, from) != 0)) {
		admin_reply_error(c, "invalid_query", "from: YYYY-MM-DD or "
		    "Unix seconds");
		return -1;
	}
	if ((rc = admin_query_param(query, "to", v, sizeof(v))) != 0 &&
	    (rc < 0 || admin_parse_time(v, to) != 0)) {
		admin_reply_error(c, "invalid_query", "to: YYYY-MM-DD or "
		    "Unix seconds (exclusive)");
		return -1;
	}
	return 0;
}

static void
health(struct call *c, const char *arg, const char *query, json_t *body)
{
	admin_reply_json(c, 200, c->a->hooks.health(c->a->hooks.arg));
}

static void
metrics(struct call *c, const char *arg, const char *query, json_t *body)
{
	char *text = c->a->hooks.metrics(c->a->hooks.arg);

	admin_reply_text(c, text ? 200 : 503, text, text ? strlen(text) : 0,
	    "text/plain; version=0.0.4");
}

/*
 * The one table of admin routes, with who may call each: the roles, and
 * for team admins how the team is found (enum route_scope). The
 * handlers refine within a route: an admin can not make or change an
 * owner, a team admin can not set limits (budget, rpm, tpm, models).
 * tests/test_roles.py calls every route as every role, for the team
 * admin's own team and another (eugate --list-admin-routes).
 */
static const struct route routes[] = {
	{ "GET", "/admin/v1/health", health, ROUTE_UNRECORDED, R_ALL,
	    SCOPE_NONE },
	{ "GET", "/admin/v1/metrics", metrics, ROUTE_UNRECORDED, R_READ,
	    SCOPE_NONE },
	{ "GET", "/admin/v1/me", admin_me, 0, R_ALL, SCOPE_NONE },
	{ "POST", "/admin/v1/teams", admin_team_create, ROUTE_BODY, R_STAFF,
	    SCOPE_NONE },
	{ "GET", "/admin/v1/teams", admin_team_list, 0, R_ALL, SCOPE_QUERY },
	{ "PATCH", "/admin/v1/teams/*", admin_team_update, ROUTE_BODY,
	    R_STAFF, SCOPE_TEAM },
	{ "DELETE", "/admin/v1/teams/*", admin_team_delete, 0, R_STAFF,
	    SCOPE_TEAM },
	{ "POST", "/admin/v1/keys", admin_key_create, ROUTE_BODY,
	    R_STAFF | R_TEAM, SCOPE_BODY },
	{ "GET", "/admin/v1/keys", admin_key_list, 0, R_ALL, SCOPE_QUERY },
	{ "DELETE", "/admin/v1/keys/*", admin_key_revoke, 0, R_STAFF | R_TEAM,
	    SCOPE_KEY },
	{ "PATCH", "/admin/v1/keys/*", admin_key_update, ROUTE_BODY,
	    R_STAFF | R_TEAM, SCOPE_KEY },
	{ "POST", "/admin/v1/keys/*/rotate", admin_key_rotate, ROUTE_BODY_OPT,
	    R_STAFF | R_TEAM, SCOPE_KEY },
	{ "GET", "/admin/v1/objects", admin_objects_list, 0, R_ALL,
	    SCOPE_QUERY },
	{ "GET", "/admin/v1/spend", admin_spend_report, 0, R_ALL,
	    SCOPE_QUERY },
	{ "GET", "/admin/v1/requests", admin_request_list, 0, R_ALL,
	    SCOPE_QUERY },
	{ "GET", "/admin/v1/audit", admin_audit_list, 0, R_ALL, SCOPE_QUERY },
	{ "POST", "/admin/v1/audit/verify", admin_audit_verify,
	    ROUTE_BODY_OPT, R_READ, SCOPE_NONE },
	{ "GET", "/admin/v1/audit/checkpoints", admin_audit_checkpoints, 0,
	    R_READ, SCOPE_NONE },
	{ "GET", "/admin/v1/reports/posture", admin_report_posture, 0,
	    R_ALL, SCOPE_QUERY },
	{ "GET", "/admin/v1/reports/art30", admin_report_art30, 0,
	    R_ALL, SCOPE_QUERY },
	/* The Art. 30 record's former name. */
	{ "GET", "/admin/v1/reports/processing", admin_report_art30, 0,
	    R_ALL, SCOPE_QUERY },
	{ "POST", "/admin/v1/subjects/export", admin_subject_export,
	    ROUTE_BODY | ROUTE_NO_BODY_HASH, R_READ, SCOPE_NONE },
	{ "POST", "/admin/v1/subjects/erase", admin_subject_erase,
	    ROUTE_BODY | ROUTE_NO_BODY_HASH, R_STAFF, SCOPE_NONE },
	{ "GET", "/admin/v1/admins", admin_admins_list, 0, R_READ,
	    SCOPE_NONE },
	{ "POST", "/admin/v1/admins", admin_admins_create, ROUTE_BODY,
	    R_STAFF, SCOPE_NONE },
	{ "DELETE", "/admin/v1/admins/*", admin_admins_revoke, 0, R_STAFF,
	    SCOPE_NONE },
	{ "POST", "/admin/v1/admins/*/rotate", admin_admins_rotate, 0,
	    R_STAFF, SCOPE_NONE },
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

void
admin_routes_print(FILE *out)
{
	for (size_t i = 0; i < N_ROUTES; i++) {
		const struct route *rt = &routes[i];
		const char *sep = "";

		fprintf(out, "%s %s ", rt->method, rt->path);
		for (int k = 0; k < ROLE__COUNT; k++)
			if (rt->roles & (1u << k)) {
				fprintf(out, "%s%s", sep, role_names[k]);
				sep = ",";
			}
		fprintf(out, " %s\n", scope_names[rt->scope]);
	}
}

/*
 * Matches path against pattern; a '*' captures one segment (into arg,
 * percent-decoded: a segment that does not decode matches nothing).
 */
static int
route_match(const char *pattern, const char *path, char *arg, size_t arglen)
{
	const char *star = strchr(pattern, '*');
	size_t pre, seg;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(star - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	path += pre;
	seg = strcspn(path, "/");
	if (seg == 0 || strcmp(path + seg, star + 1) != 0)
		return 0;
	return util_pct_decode(path, seg, 0, arg, arglen) >= 0;
}

/*
 * Who calls: the bootstrap owner (the admin_token_env token, compared
 * by its SHA-256) or a stored principal ("ega_" tokens, by HMAC).
 * Returns 1 and fills who, or 0.
 */
static int
authenticate(struct admin *a, const struct admin_request *r,
    struct principal *who)
{
	unsigned char h[32];
	unsigned int hl = 0;
	const char *tok;
	size_t len;

	if (r->auth == NULL || r->auth_len < 8 ||
	    strncasecmp(r->auth, "Bearer ", 7) != 0)
		return 0;
	tok = r->auth + 7;
	len = r->auth_len - 7;
	if (EVP_Digest(tok, len, h, &hl, EVP_sha256(), NULL) != 1)
		return 0;
	if (CRYPTO_memcmp(h, a->token_hash, 32) == 0) {
		memset(who, 0, sizeof(*who));
		snprintf(who->name, sizeof(who->name), "owner");
		who->role = ROLE_OWNER;
		return 1;
	}
	return admin_principal_find(a, tok, len, who);
}

/* What the call's audit record knows before the call runs. */
static void
record_begin(struct call *c, const struct admin_request *r, const char *path,
    int flags)
{
	struct store_request *rec = &c->audit.rec;

	c->audited = 1;
	snprintf(rec->kind, sizeof(rec->kind), "admin");
	snprintf(rec->request_id, sizeof(rec->request_id), "adm-%llx-%llu",
	    (unsigned long long)c->t0_us, (unsigned long long)++c->a->seq);
	snprintf(rec->client, sizeof(rec->client), "%s",
	    r->client ? r->client : "");
	snprintf(rec->method, sizeof(rec->method), "%s", r->method);
	snprintf(rec->path, sizeof(rec->path), "%.255s", path);
	if (c->who.name[0] != '\0')
		snprintf(rec->verdicts, sizeof(rec->verdicts),
		    "admin=%s role=%s", c->who.name, role_names[c->who.role]);
	rec->prompt_tokens = rec->completion_tokens = -1;
	rec->cost[0] = rec->cost[1] = -1;
	if (!(flags & ROUTE_NO_BODY_HASH)) {
		digest_sha256((const unsigned char *)(r->body ? r->body : ""),
		    r->body_len, rec->req_hash);
		rec->has_req_hash = 1;
	}
}

/* Runs the route's handler; the call may be over when it returns. */
static void
run_route(struct call *c)
{
	json_t *body = c->req;

	c->req = NULL;
	c->rt->fn(c, c->arg, c->query, body);
	json_decref(body);
}

/* The key of the path is known: its team goes into the record, and a
 * team admin may act on its own teams' keys only. */
static void
key_scoped(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err == GW_ERR_NOTFOUND) {
		admin_reply_error(c, "not_found", "no such key");
		return;
	}
	if (op->err != GW_OK) {
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	if (!admin_has_team(&c->who, op->team)) {
		admin_reply_error(c, "team_not_allowed", "key %s belongs to a "
		    "team you do not administer", op->key_id);
		return;
	}
	run_route(c);
}

/*
 * The route's scope, for a team admin: which team the call acts on, and
 * whether it may. Runs the route (now, or once the key's team is read).
 */
static void
scope_then_run(struct call *c)
{
	const char *t;
	int rc;

	switch (c->rt->scope) {
	case SCOPE_QUERY:
		rc = admin_query_param(c->query, "team", c->qteam,
		    sizeof(c->qteam));
		if (rc < 0) {
			admin_reply_field(c, "invalid_query", "team",
			    "team: a team name");
			return;
		}
		if (!admin_is_team_admin(c))
			break;
		c->team_filter = 1;
		if (rc == 1 && !admin_has_team(&c->who, c->qteam)) {
			/* Another team's objects do not exist for it. */
			admin_reply_error(c, "not_found", "no such team");
			return;
		}
		if (rc == 0 && c->who.n_teams == 1)
			snprintf(c->qteam, sizeof(c->qteam), "%s",
			    c->who.teams[0]);
		break;
	case SCOPE_BODY:
		t = json_string_value(json_object_get(c->req, "team"));
		if (t != NULL && !admin_has_team(&c->who, t)) {
			admin_reply_field(c, "team_not_allowed", "team",
			    "team '%.64s': not a team you administer", t);
			return;
		}
		break;
	case SCOPE_TEAM:
		if (!admin_has_team(&c->who, c->arg)) {
			admin_reply_error(c, "team_not_allowed",
			    "team '%.64s': not a team you administer", c->arg);
			return;
		}
		snprintf(c->op.team, sizeof(c->op.team), "%s", c->arg);
		break;
	case SCOPE_KEY:
		if (strlen(c->arg) != KEY_ID_LEN) {
			admin_reply_error(c, "not_found", "no such key");
			return;
		}
		snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", c->arg);
		admin_submit(c, STORE_KEY_GET, key_scoped);
		return;
	}
	run_route(c);
}

void
admin_handle(struct admin *a, const struct admin_request *r,
    const struct admin_io *io, void *io_arg, struct call **handle)
{
	struct call *c = calloc(1, sizeof(*c));
	char path[512];
	const char *q;
	size_t plen;
	int path_found = 0;

	*handle = c;
	if (c == NULL) {
		io->reply(io_arg, 503, NULL, 0, NULL);
		return;
	}
	c->a = a;
	c->io = io;
	c->io_arg = io_arg;
	c->t0_us = util_now_us();
	q = memchr(r->target, '?', r->target_len);
	plen = q ? (size_t)(q - r->target) : r->target_len;
	if (plen >= sizeof(path)) {
		admin_reply_error(c, "not_found", "no such route");
		return;
	}
	memcpy(path, r->target, plen);
	path[plen] = '\0';
	if (!authenticate(a, r, &c->who)) {
		/* Recorded too: attempts without the token are evidence. */
		record_begin(c, r, path, 0);
		admin_reply_error(c, "invalid_admin_token",
		    "missing or invalid admin token");
		return;
	}
	for (size_t i = 0; i < N_ROUTES; i++) {
		const struct route *rt = &routes[i];

		if (!route_match(rt->path, path, c->arg, sizeof(c->arg)))
			continue;
		path_found = 1;
		if (strcmp(rt->method, r->method) != 0)
			continue;
		c->rt = rt;
		if (!(rt->roles & (1u << c->who.role))) {
			/* Refusals are recorded, polled routes' too. */
			record_begin(c, r, path, rt->flags);
			admin_reply_error(c, "insufficient_role", "the %s role "
			    "may not %s %s", role_names[c->who.role],
			    rt->method, rt->path);
			return;
		}
		if (!(rt->flags & ROUTE_UNRECORDED))
			record_begin(c, r, path, rt->flags);
		if (q != NULL) {
			size_t ql = r->target_len - plen - 1;

			if (ql >= sizeof(c->query)) {
				admin_reply_error(c, "invalid_query",
				    "query too long");
				return;
			}
			memcpy(c->query, q + 1, ql);
			c->query[ql] = '\0';
		}
		if ((rt->flags & ROUTE_BODY) ||
		    ((rt->flags & ROUTE_BODY_OPT) && r->body_len > 0)) {
			json_error_t err;

			c->req = json_loadb(r->body ? r->body : "", r->body_len,
			    JSON_REJECT_DUPLICATES, &err);
			if (!json_is_object(c->req)) {
				admin_reply_error(c, "invalid_json",
				    "body must be a JSON object");
				return;
			}
		}
		scope_then_run(c);
		return;
	}
	record_begin(c, r, path, 0);
	if (path_found)
		admin_reply_error(c, "method_not_allowed",
		    "method not allowed");
	else
		admin_reply_error(c, "not_found", "no such route");
}

struct admin *
admin_new(struct store *st, struct store *reader, struct keys_hmac *hmac,
    const unsigned char token_hash[32], const struct admin_hooks *hooks)
{
	struct admin *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->store = st;
	a->reader = reader;
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
	if (a->principals != NULL) {
		OPENSSL_cleanse(a->principals, a->n_principals *
		    sizeof(*a->principals));
		free(a->principals);
	}
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}
