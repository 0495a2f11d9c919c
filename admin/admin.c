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

struct route {
	const char *method;
	const char *path;	/* a trailing '*' matches one path segment */
	route_fn fn;
	int flags;		/* enum route_flags */
};

static void
free_call(struct call *c)
{
	if (c->body != NULL) {
		OPENSSL_cleanse(c->body, c->body_len);	/* may hold a new key */
		free(c->body);
	}
	OPENSSL_cleanse(c->key, sizeof(c->key));
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
		SHA256((const unsigned char *)(c->body ? c->body : ""),
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

void
admin_reply_error(struct call *c, const char *code, const char *fmt, ...)
{
	const struct api_error *e = api_error(code);
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->error, sizeof(c->error), "%s", e->code);
	admin_reply_json(c, e->status, json_pack("{s:s, s:s, s:s, s:n, s:s}",
	    "object", "error", "message", msg, "type", e->type, "param", "code",
	    e->code));
}

void
admin_reply_stream(struct call *c, const char *ctype, void (*next)(struct call *))
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

/* Answers a store read's rows as {"object": "list", "data": rows}. */
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
	admin_reply_json(c, 200, json_pack("{s:s, s:o}", "object", "list", "data",
	    data));
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
admin_query_period(struct call *c, const char *query, int64_t *from, int64_t *to)
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

/* The one table of admin routes. */
static const struct route routes[] = {
	{ "GET", "/admin/v1/health", health, ROUTE_UNRECORDED },
	{ "GET", "/admin/v1/metrics", metrics, ROUTE_UNRECORDED },
	{ "POST", "/admin/v1/teams", admin_team_create, ROUTE_BODY },
	{ "GET", "/admin/v1/teams", admin_team_list, 0 },
	{ "POST", "/admin/v1/keys", admin_key_create, ROUTE_BODY },
	{ "GET", "/admin/v1/keys", admin_key_list, 0 },
	{ "DELETE", "/admin/v1/keys/*", admin_key_revoke, 0 },
	{ "PATCH", "/admin/v1/teams/*", admin_team_update, ROUTE_BODY },
	{ "DELETE", "/admin/v1/teams/*", admin_team_delete, 0 },
	{ "GET", "/admin/v1/objects", admin_objects_list, 0 },
	{ "PATCH", "/admin/v1/keys/*", admin_key_update, ROUTE_BODY },
	{ "GET", "/admin/v1/spend", admin_spend_report, 0 },
	{ "GET", "/admin/v1/requests", admin_request_list, 0 },
	{ "GET", "/admin/v1/audit", admin_audit_list, 0 },
	{ "POST", "/admin/v1/audit/verify", admin_audit_verify,
	    ROUTE_BODY_OPT },
	{ "GET", "/admin/v1/audit/checkpoints", admin_audit_checkpoints, 0 },
	{ "GET", "/admin/v1/reports/posture", admin_report_posture, 0 },
	{ "GET", "/admin/v1/reports/art30", admin_report_art30, 0 },
	/* The Art. 30 record's former name. */
	{ "GET", "/admin/v1/reports/processing", admin_report_art30, 0 },
	{ "POST", "/admin/v1/subjects/export", admin_subject_export,
	    ROUTE_BODY | ROUTE_NO_BODY_HASH },
	{ "POST", "/admin/v1/subjects/erase", admin_subject_erase,
	    ROUTE_BODY | ROUTE_NO_BODY_HASH },
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
	if (*path == '\0' || strchr(path, '/') != NULL)
		return 0;
	/* A segment is percent-decoded; one that does not decode matches
	 * nothing. */
	return util_pct_decode(path, strlen(path), 0, arg, arglen) >= 0;
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
	rec->prompt_tokens = rec->completion_tokens = -1;
	rec->cost[0] = rec->cost[1] = -1;
	if (!(flags & ROUTE_NO_BODY_HASH)) {
		SHA256((const unsigned char *)(r->body ? r->body : ""),
		    r->body_len, rec->req_hash);
		rec->has_req_hash = 1;
	}
}

void
admin_handle(struct admin *a, const struct admin_request *r,
    const struct admin_io *io, void *io_arg, struct call **handle)
{
	struct call *c = calloc(1, sizeof(*c));
	char path[512], arg[128];
	const char *q;
	size_t plen;
	int path_found = 0;
	json_t *body = NULL;

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
	if (!authorized(a, r)) {
		/* Recorded too: attempts without the token are evidence. */
		record_begin(c, r, path, 0);
		admin_reply_error(c, "invalid_admin_token",
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
		if (!(rt->flags & ROUTE_UNRECORDED))
			record_begin(c, r, path, rt->flags);
		if (q != NULL) {
			size_t ql = r->target_len - plen - 1;

			if (ql >= sizeof(query)) {
				admin_reply_error(c, "invalid_query",
				    "query too long");
				return;
			}
			memcpy(query, q + 1, ql);
			query[ql] = '\0';
		}
		if ((rt->flags & ROUTE_BODY) ||
		    ((rt->flags & ROUTE_BODY_OPT) && r->body_len > 0)) {
			json_error_t err;

			body = json_loadb(r->body ? r->body : "", r->body_len,
			    JSON_REJECT_DUPLICATES, &err);
			if (!json_is_object(body)) {
				json_decref(body);
				admin_reply_error(c, "invalid_json",
				    "body must be a JSON object");
				return;
			}
		}
		rt->fn(c, arg, query, body);
		json_decref(body);
		return;
	}
	record_begin(c, r, path, 0);
	if (path_found)
		admin_reply_error(c, "method_not_allowed", "method not allowed");
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
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}
