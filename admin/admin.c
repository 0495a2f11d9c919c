/* The admin API: routes for teams, keys, spend, health and metrics; every
 * call's audit record; the route table. */
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

/*
 * Reads "budget", "rpm", "tpm" (and for keys "models", "models_deny")
 * from body into l, marking in *mask what was given. A budget is
 * {"amount": "100.00", "currency": "EUR",
 * "period": "monthly"} or "100EUR/month"; null removes it (so does 0 for
 * rpm and tpm). Money is a decimal string, never a JSON number. Returns
 * NULL or the error message.
 */
/*
 * A list of model globs: ["mistral-small-*", "codestral-*"], stored
 * comma-separated; null or [] removes it. Returns NULL or the error.
 */
static const char *
parse_globs(json_t *v, char *out, size_t len)
{
	size_t i, n = 0;
	json_t *g;

	out[0] = '\0';
	if (json_is_null(v))
		return NULL;
	if (!json_is_array(v))
		return "models, models_deny: a list of model globs or null";
	json_array_foreach(v, i, g) {
		const char *t = json_string_value(g);
		size_t tl = t ? strlen(t) : 0;

		if (t == NULL || tl == 0 || tl > 64 || strspn(t,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_.:/*?") != tl)
			return "models, models_deny: globs of letters, digits, "
			    "- _ . : / * ? (1-64 each)";
		if (n + tl + 2 > len)
			return "models, models_deny: too many globs";
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "",
		    t);
	}
	return NULL;
}

/* Model globs as the API shows them: a list. */
static json_t *
globs_json(const char *v)
{
	json_t *a = json_array();

	while (v != NULL && *v != '\0') {
		const char *c = strchr(v, ',');
		size_t len = c ? (size_t)(c - v) : strlen(v);

		json_array_append_new(a, json_stringn(v, len));
		v = c ? c + 1 : NULL;
	}
	return a;
}

static const char *
parse_limits(json_t *body, struct store_limits *l, int *mask, int is_key)
{
	json_t *b = json_object_get(body, "budget");
	const char *const rates[] = { "rpm", "tpm" };
	const char *const globs[] = { "models", "models_deny" };

	l->budget = -1;
	*mask = 0;
	if (b != NULL) {
		*mask |= STORE_SET_BUDGET;
		if (json_is_string(b)) {
			if (budget_parse(json_string_value(b), &l->budget,
			    &l->currency, &l->period) != 0)
				return "budget: expected e.g. \"100EUR/month\"";
		} else if (json_is_object(b)) {
			const char *amount = json_string_value(json_object_get(
			    b, "amount"));
			const char *cur = json_string_value(json_object_get(b,
			    "currency"));
			const char *per = json_string_value(json_object_get(b,
			    "period"));

			if (json_object_size(b) != 3 || amount == NULL ||
			    cur == NULL || per == NULL)
				return "budget: {\"amount\": \"100.00\", "
				    "\"currency\": \"EUR\", \"period\": "
				    "\"monthly\"} (the amount as a string)";
			if (money_parse(amount, strlen(amount), &l->budget) != 0)
				return "budget.amount: a decimal string with at "
				    "most 6 decimals";
			l->currency = currency_parse(cur, strlen(cur));
			if (l->currency < 0)
				return "budget.currency: EUR or USD";
			l->period = period_parse(per, strlen(per));
			if (l->period < 0)
				return "budget.period: daily, monthly or total";
		} else if (!json_is_null(b)) {
			return "budget: an object, a string or null";
		}
	}
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(body, rates[i]);
		int64_t *out = i == 0 ? &l->rpm : &l->tpm;

		if (v == NULL)
			continue;
		*mask |= i == 0 ? STORE_SET_RPM : STORE_SET_TPM;
		if (json_is_null(v)) {
			*out = 0;
		} else if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= 1000000000) {
			*out = json_integer_value(v);
		} else {
			return i == 0 ? "rpm: an integer from 0 (none) to 10^9" :
			    "tpm: an integer from 0 (none) to 10^9";
		}
	}
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(body, globs[i]);
		const char *bad;

		if (v == NULL)
			continue;
		if (!is_key)
			return "models, models_deny: set on keys; a team's "
			    "models are its policy's";
		*mask |= i == 0 ? STORE_SET_MODELS : STORE_SET_MODELS_DENY;
		bad = parse_globs(v, i == 0 ? l->models : l->models_deny,
		    sizeof(l->models));
		if (bad != NULL)
			return bad;
	}
	return NULL;
}

/* A budget as the API shows it: the amount as a decimal string. */
static json_t *
budget_json(int64_t micros, int currency, int period)
{
	char amount[32];

	money_format(micros, amount, sizeof(amount));
	return json_pack("{s:s, s:s, s:s}", "amount", amount, "currency",
	    currency_name(currency), "period", period_name(period));
}

/* Rewrites the limit columns of listed rows into readable fields. */
static void
format_limits(json_t *rows)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		json_t *b = json_object_get(row, "budget");

		if (json_is_integer(b))
			json_object_set_new(row, "budget", budget_json(
			    json_integer_value(b), (int)json_integer_value(
			    json_object_get(row, "budget_currency")),
			    (int)json_integer_value(json_object_get(row,
			    "budget_period"))));
		json_object_del(row, "budget_currency");
		json_object_del(row, "budget_period");
		for (int k = 0; k < 2; k++) {
			const char *name = k ? "models_deny" : "models";
			json_t *m = json_object_get(row, name);

			if (json_is_string(m))
				json_object_set_new(row, name,
				    globs_json(json_string_value(m)));
		}
	}
}

static const char *
store_code(enum gw_err err)
{
	return err == GW_ERR_EXISTS ? "already_exists" :
	    err == GW_ERR_NOTFOUND ? "not_found" : "storage_unavailable";
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

/* Answers once the daemon's key cache has the change. */
static void
keys_reloaded(void *arg)
{
	struct call *c = arg;

	admin_reply_json(c, c->status, c->result);
}

/* Adds budget, rpm and tpm (when set) to an answer object. */
static json_t *
with_limits(json_t *o, const struct store_limits *l)
{
	if (l->budget >= 0)
		json_object_set_new(o, "budget", budget_json(l->budget,
		    l->currency, l->period));
	if (l->rpm > 0)
		json_object_set_new(o, "rpm", json_integer(l->rpm));
	if (l->tpm > 0)
		json_object_set_new(o, "tpm", json_integer(l->tpm));
	if (l->models[0] != '\0')
		json_object_set_new(o, "models", globs_json(l->models));
	if (l->models_deny[0] != '\0')
		json_object_set_new(o, "models_deny",
		    globs_json(l->models_deny));
	return o;
}

static void
team_created(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		admin_reply_error(c, store_code(op->err),
		    "team '%s': %s", op->name, gw_strerror(op->err));
		return;
	}
	log_info("admin: team %s created (policy %s)", log_q(op->name),
	    log_q(op->policy));
	c->status = 201;
	c->result = with_limits(json_pack("{s:s, s:s, s:s}", "object", "team",
	    "name", op->name, "policy", op->policy), &op->limits);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

static void
team_create(struct call *c, const char *arg, const char *query, json_t *body)
{
	static const char *const allowed[] = { "name", "policy", "budget",
		"rpm", "tpm", NULL };
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *policy = json_string_value(json_object_get(body, "policy"));
	const char *bad = unknown_field(body, allowed);

	if (bad != NULL) {
		admin_reply_error(c, "invalid_field", "unknown field '%s'", bad);
		return;
	}
	bad = parse_limits(body, &c->op.limits, &c->op.set_mask, 0);
	if (bad != NULL) {
		admin_reply_error(c, "invalid_limits", "%s", bad);
		return;
	}
	if (name == NULL || !valid_name(name)) {
		admin_reply_error(c, "invalid_name", "name: 1-64 letters, "
		    "digits, '-', '_' or '.'");
		return;
	}
	if (policy == NULL)
		policy = "default";
	if (!c->a->hooks.policy_exists(c->a->hooks.arg, policy)) {
		admin_reply_error(c, "unknown_policy", "no [policy %.64s] in the "
		    "configuration", policy);
		return;
	}
	snprintf(c->op.name, sizeof(c->op.name), "%s", name);
	snprintf(c->op.policy, sizeof(c->op.policy), "%s", policy);
	admin_submit(c, STORE_TEAM_CREATE, team_created);
}

static void
listed(struct store_op *op)
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
	if (op->type == STORE_TEAM_LIST || op->type == STORE_KEY_LIST)
		format_limits(data);
	admin_reply_json(c, 200, json_pack("{s:s, s:o}", "object", "list", "data",
	    data));
}

static void
team_list(struct call *c, const char *arg, const char *query, json_t *body)
{
	admin_submit(c, STORE_TEAM_LIST, listed);
}

static void
key_created(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		admin_reply_error(c, op->err == GW_ERR_NOTFOUND ?
		    "team_not_found" : store_code(op->err), "team '%s': %s",
		    op->team, op->err == GW_ERR_NOTFOUND ? "no such team" :
		    gw_strerror(op->err));
		return;
	}
	log_info("admin: key %s created for team %s", log_q(op->key_id),
	    log_q(op->team));
	c->status = 201;
	c->result = with_limits(json_pack("{s:s, s:s, s:s, s:s, s:s}", "object",
	    "key", "id", op->key_id, "key", c->key, "team", op->team, "name",
	    op->name), &op->limits);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

static void
key_create(struct call *c, const char *arg, const char *query, json_t *body)
{
	static const char *const allowed[] = { "team", "name", "budget",
		"rpm", "tpm", "models", "models_deny", NULL };
	const char *team = json_string_value(json_object_get(body, "team"));
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *bad = unknown_field(body, allowed);
	char id[KEY_ID_LEN + 1];

	if (bad != NULL) {
		admin_reply_error(c, "invalid_field", "unknown field '%s'", bad);
		return;
	}
	bad = parse_limits(body, &c->op.limits, &c->op.set_mask, 1);
	if (bad != NULL) {
		admin_reply_error(c, "invalid_limits", "%s", bad);
		return;
	}
	if (team == NULL || !valid_name(team)) {
		admin_reply_error(c, "invalid_team", "team: a team name is "
		    "required");
		return;
	}
	if (name != NULL && (strlen(name) > 64 || !valid_name(name))) {
		admin_reply_error(c, "invalid_name", "name: 1-64 letters, "
		    "digits, '-', '_' or '.'");
		return;
	}
	if (keys_generate(c->a->hmac, c->key, id, c->op.hmac) != GW_OK) {
		admin_reply_error(c, "internal_error", "cannot generate a key");
		return;
	}
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", id);
	snprintf(c->op.team, sizeof(c->op.team), "%s", team);
	snprintf(c->op.name, sizeof(c->op.name), "%s", name ? name : "");
	admin_submit(c, STORE_KEY_CREATE, key_created);
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
	if (admin_query_param(query, "team", c->op.team, sizeof(c->op.team)) < 0) {
		admin_reply_error(c, "invalid_team", "team: too long");
		return;
	}
	admin_submit(c, STORE_KEY_LIST, listed);
}

static void
key_revoked(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		admin_reply_error(c, store_code(op->err),
		    "key '%s': %s", op->key_id, op->err == GW_ERR_NOTFOUND ?
		    "no such active key" : gw_strerror(op->err));
		return;
	}
	log_info("admin: key %s revoked", log_q(op->key_id));
	c->status = 200;
	c->result = json_pack("{s:s, s:s, s:b}", "object", "key", "id",
	    op->key_id, "revoked", 1);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

static void
key_revoke(struct call *c, const char *arg, const char *query, json_t *body)
{
	if (strlen(arg) != KEY_ID_LEN) {
		admin_reply_error(c, "not_found", "no such key");
		return;
	}
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", arg);
	admin_submit(c, STORE_KEY_REVOKE, key_revoked);
}

static void
limits_updated(struct store_op *op)
{
	struct call *c = op->arg;
	const char *what = op->key_id[0] ? op->key_id : op->team;

	if (op->err != GW_OK) {
		admin_reply_error(c, store_code(op->err),
		    "%s '%s': %s", op->key_id[0] ? "key" : "team", what,
		    op->err == GW_ERR_NOTFOUND ? "not found" :
		    gw_strerror(op->err));
		return;
	}
	log_info("admin: limits of %s %s changed", op->key_id[0] ? "key" :
	    "team", log_q(what));
	c->status = 200;
	c->result = json_pack("{s:s, s:s}", "object", op->key_id[0] ? "key" :
	    "team", op->key_id[0] ? "id" : "name", what);
	if (op->set_mask & STORE_SET_BUDGET)
		json_object_set_new(c->result, "budget", json_null());
	c->result = with_limits(c->result, &op->limits);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

/* PATCH a team's or a key's budget and rate limits. */
static void
limits_update(struct call *c, const char *team, const char *key_id,
    json_t *body)
{
	static const char *const allowed[] = { "budget", "rpm", "tpm",
		"models", "models_deny", NULL };
	const char *bad = unknown_field(body, allowed);

	if (bad != NULL) {
		admin_reply_error(c, "invalid_field", "unknown field '%s'", bad);
		return;
	}
	bad = parse_limits(body, &c->op.limits, &c->op.set_mask,
	    key_id[0] != '\0');
	if (bad == NULL && c->op.set_mask == 0)
		bad = key_id[0] ? "nothing to change (budget, rpm, tpm, models, "
		    "models_deny)" : "nothing to change (budget, rpm, tpm)";
	if (bad != NULL) {
		admin_reply_error(c, "invalid_limits", "%s", bad);
		return;
	}
	snprintf(c->op.team, sizeof(c->op.team), "%s", team);
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", key_id);
	admin_submit(c, STORE_LIMITS_SET, limits_updated);
}

static void
team_update(struct call *c, const char *arg, const char *query, json_t *body)
{
	if (!valid_name(arg)) {
		admin_reply_error(c, "not_found", "no such team");
		return;
	}
	limits_update(c, arg, "", body);
}

static void
key_update(struct call *c, const char *arg, const char *query, json_t *body)
{
	if (strlen(arg) != KEY_ID_LEN) {
		admin_reply_error(c, "not_found", "no such key");
		return;
	}
	limits_update(c, "", arg, body);
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
spend_listed(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *rows = op->json, *row, *out;
	static const char *const money_cols[] = { "cost_eur", "cost_usd",
		"reserved_eur", "reserved_usd" };
	static const char *const group_names[] = { "", "model", "day", "team",
		"key" };
	size_t i;

	op->json = NULL;
	if (op->err != GW_OK) {
		json_decref(rows);
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return;
	}
	/* Money as decimal strings; null stays null (not priced). */
	json_array_foreach(rows, i, row) {
		for (size_t k = 0; k < 4; k++) {
			json_t *v = json_object_get(row, money_cols[k]);
			char amount[32];

			if (!json_is_integer(v))
				continue;
			money_format(json_integer_value(v), amount,
			    sizeof(amount));
			json_object_set_new(row, money_cols[k],
			    json_string(amount));
		}
		if (op->group != STORE_GROUP_NONE)
			json_object_set(row, group_names[op->group],
			    json_object_get(row, "grp"));
		json_object_del(row, "grp");
	}
	out = json_pack("{s:s, s:o}", "object", "spend", "data", rows);
	admin_reply_json(c, 200, out);
}

/* GET /admin/v1/spend?team=&key=&from=&to=&group_by=model|day|team|key */
static void
spend_report(struct call *c, const char *arg, const char *query, json_t *body)
{
	static const char *const groups[] = { "", "model", "day", "team",
		"key", NULL };	/* in the order of enum store_group */
	char v[80];

	if (admin_query_param(query, "team", c->op.team, sizeof(c->op.team)) < 0 ||
	    admin_query_param(query, "key", c->op.key_id, sizeof(c->op.key_id)) < 0) {
		admin_reply_error(c, "invalid_query", "team or key: too long");
		return;
	}
	if (admin_query_period(c, query, &c->op.from_ms, &c->op.to_ms) != 0)
		return;
	if (admin_query_param(query, "group_by", v, sizeof(v)) == 1) {
		c->op.group = -1;
		for (int i = 1; groups[i] != NULL; i++)
			if (strcmp(v, groups[i]) == 0)
				c->op.group = i;
		if (c->op.group < 0) {
			admin_reply_error(c, "invalid_query", "group_by: model, "
			    "day, team or key");
			return;
		}
	}
	admin_submit(c, STORE_SPEND_REPORT, spend_listed);
}

static void
request_list(struct call *c, const char *arg, const char *query, json_t *body)
{
	char lim[16];
	uint64_t n = 100;

	if (admin_query_param(query, "limit", lim, sizeof(lim)) == 1 &&
	    (util_parse_u64(lim, strlen(lim), &n) != 0 || n == 0 || n > 10000)) {
		admin_reply_error(c, "invalid_limit", "limit: 1 to 10000");
		return;
	}
	c->op.limit = (int)n;
	admin_submit(c, STORE_REQUEST_LIST, listed);
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
	{ "POST", "/admin/v1/teams", team_create, ROUTE_BODY },
	{ "GET", "/admin/v1/teams", team_list, 0 },
	{ "POST", "/admin/v1/keys", key_create, ROUTE_BODY },
	{ "GET", "/admin/v1/keys", key_list, 0 },
	{ "DELETE", "/admin/v1/keys/*", key_revoke, 0 },
	{ "PATCH", "/admin/v1/teams/*", team_update, ROUTE_BODY },
	{ "DELETE", "/admin/v1/teams/*", admin_team_delete, 0 },
	{ "GET", "/admin/v1/objects", admin_objects_list, 0 },
	{ "PATCH", "/admin/v1/keys/*", key_update, ROUTE_BODY },
	{ "GET", "/admin/v1/spend", spend_report, 0 },
	{ "GET", "/admin/v1/requests", request_list, 0 },
	{ "GET", "/admin/v1/audit", admin_audit_list, 0 },
	{ "POST", "/admin/v1/audit/verify", admin_audit_verify,
	    ROUTE_BODY_OPT },
	{ "GET", "/admin/v1/audit/checkpoints", admin_audit_checkpoints, 0 },
	{ "GET", "/admin/v1/reports/processing", admin_report_processing, 0 },
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
