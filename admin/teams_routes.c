/*
 * Admin routes of teams and keys: create, list, revoke, rotate, and
 * their limits (budget, rates, model globs), expiry and IP allowlists
 * in the API's form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/cidr.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "common/when.h"
#include "policy/keys.h"
#include "policy/money.h"
#include "storage/store.h"

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

/* A key's name: a label of 1-64 bytes without control characters. */
static int
valid_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * "expires": "30d", "2027-03-31" (00:00 UTC), "2027-03-31T12:00:00Z",
 * Unix seconds, or null / "never" (no expiry, 0). Returns NULL or the
 * error message.
 */
static const char *
parse_expires(json_t *v, int64_t *at)
{
	int64_t now = util_wall_s();
	const char *s = json_string_value(v);

	*at = 0;
	if (json_is_null(v) || (s != NULL && strcmp(s, "never") == 0))
		return NULL;
	if (json_is_integer(v))
		*at = json_integer_value(v);
	else if (s == NULL || when_parse_time(s, now, at) != 0)
		return "expires: a duration (30d, 12h), a date (2027-03-31, "
		    "UTC), an RFC 3339 time (2027-03-31T12:00:00Z), Unix "
		    "seconds or null";
	if (*at <= now)
		return "expires: that time is past";
	if (*at > WHEN_MAX_TIME)
		return "expires: after 9999";
	return NULL;
}

/*
 * "allow_ips": ["10.0.0.0/8", "2001:db8::/32"] (or one string of them,
 * comma-separated); null or [] removes the list. Stored in canonical
 * form, comma-separated. Returns NULL or the error message (in msg).
 */
static const char *
parse_allow_ips(json_t *v, char *out, size_t len, char *msg, size_t msglen)
{
	struct cidr nets[CIDR_LIST_MAX];
	size_t n = 0, pos = 0, i;
	json_t *item;

	out[0] = '\0';
	if (json_is_null(v))
		return NULL;
	if (json_is_string(v)) {
		size_t bad;

		if (json_string_length(v) > 0 && cidr_parse_list(
		    json_string_value(v), nets, CIDR_LIST_MAX, &n, &bad) != 0) {
			snprintf(msg, msglen, "allow_ips: item %zu is not a "
			    "network (10.0.0.0/8, 2001:db8::/32; at most %d)",
			    bad + 1, CIDR_LIST_MAX);
			return msg;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			const char *t = json_string_value(item);

			if (t == NULL || n == CIDR_LIST_MAX ||
			    cidr_parse(t, strlen(t), &nets[n]) != 0) {
				snprintf(msg, msglen, "allow_ips: item %zu is "
				    "not a network (10.0.0.0/8, 2001:db8::/32; "
				    "at most %d)", i + 1, CIDR_LIST_MAX);
				return msg;
			}
			n++;
		}
	} else {
		return "allow_ips: a list of networks, or null";
	}
	for (i = 0; i < n; i++) {
		char one[64];

		if (cidr_format(&nets[i], one, sizeof(one)) != 0 ||
		    pos + strlen(one) + 2 > len)
			return "allow_ips: too long";
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s",
		    pos ? "," : "", one);
	}
	return NULL;
}

/* A team admin sets no limits: budgets and rates are its admins'. */
static int
limits_refused(struct call *c, int mask)
{
	if (!admin_is_team_admin(c) || (mask & (STORE_SET_BUDGET |
	    STORE_SET_RPM | STORE_SET_TPM | STORE_SET_MODELS |
	    STORE_SET_MODELS_DENY)) == 0)
		return 0;
	admin_reply_error(c, "insufficient_role", "a team-admin can not set "
	    "limits (budget, rpm, tpm, models, models_deny)");
	return 1;
}

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

/*
 * Reads "budget", "rpm", "tpm" (and for keys "models", "models_deny")
 * from body into l, marking in *mask what was given. A budget is
 * {"amount": "100.00", "currency": "EUR",
 * "period": "monthly"} or "100EUR/month"; null removes it (so does 0 for
 * rpm and tpm). Money is a decimal string, never a JSON number. Returns
 * NULL or the error message.
 */
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
			if (money_parse(amount, strlen(amount),
			    &l->budget) != 0)
				return "budget.amount: a decimal string "
				    "with at most 6 decimals";
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
			return i == 0 ?
			    "rpm: an integer from 0 (none) to 10^9" :
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

void
admin_team_create(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	static const char *const allowed[] = { "name", "policy", "budget",
		"rpm", "tpm", NULL };
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *policy = json_string_value(json_object_get(body, "policy"));
	const char *bad = unknown_field(body, allowed);

	if (bad != NULL) {
		admin_reply_error(c, "invalid_field", "unknown field '%s'",
		    bad);
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
		admin_reply_error(c, "unknown_policy",
		    "no [policy %.64s] in the configuration", policy);
		return;
	}
	snprintf(c->op.name, sizeof(c->op.name), "%s", name);
	snprintf(c->op.policy, sizeof(c->op.policy), "%s", policy);
	admin_submit(c, STORE_TEAM_CREATE, team_created);
}

/* Team and key rows with their limits in the API's form. */
static void
limits_listed(struct store_op *op)
{
	if (op->err == GW_OK)
		format_limits(op->json);
	admin_listed(op);
}

void
admin_team_list(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	c->filter_field = "name";
	admin_submit(c, STORE_TEAM_LIST, limits_listed);
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
	log_info("admin: key %s created for team %s by %s", log_q(op->key_id),
	    log_q(op->team), log_q(op->principal));
	c->status = 201;
	c->result = with_limits(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, "
	    "s:o}", "object", "key", "id", op->key_id, "key", c->key, "team",
	    op->team, "name", op->name, "created_by", op->principal,
	    "expires_at", op->key.expires_at > 0 ? json_integer(
	    op->key.expires_at) : json_null(), "allow_ips",
	    globs_json(op->key.allow_ips)), &op->limits);
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

/* Reads "name", "expires" and "allow_ips" of a key's body into the op;
 * replies 400 naming the field and returns -1 when one is malformed. */
static int
key_fields(struct call *c, json_t *body)
{
	json_t *v;
	const char *bad;
	char msg[160];

	if ((v = json_object_get(body, "name")) != NULL) {
		const char *name = json_string_value(v);

		if (name == NULL || !valid_label(name)) {
			admin_reply_field(c, "invalid_name", "name",
			    "name: 1-64 bytes, no control characters");
			return -1;
		}
		snprintf(c->op.name, sizeof(c->op.name), "%s", name);
		c->op.set_mask |= STORE_SET_NAME;
	}
	if ((v = json_object_get(body, "expires")) != NULL) {
		bad = parse_expires(v, &c->op.key.expires_at);
		if (bad != NULL) {
			admin_reply_field(c, "invalid_field", "expires", "%s",
			    bad);
			return -1;
		}
		c->op.set_mask |= STORE_SET_EXPIRES;
	}
	if ((v = json_object_get(body, "allow_ips")) != NULL) {
		bad = parse_allow_ips(v, c->op.key.allow_ips,
		    sizeof(c->op.key.allow_ips), msg, sizeof(msg));
		if (bad != NULL) {
			admin_reply_field(c, "invalid_field", "allow_ips", "%s",
			    bad);
			return -1;
		}
		c->op.set_mask |= STORE_SET_ALLOW_IPS;
	}
	return 0;
}

void
admin_key_create(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	static const char *const allowed[] = { "team", "name", "budget",
		"rpm", "tpm", "models", "models_deny", "expires", "allow_ips",
		NULL };
	const char *team = json_string_value(json_object_get(body, "team"));
	const char *bad = unknown_field(body, allowed);
	char id[KEY_ID_LEN + 1];

	if (bad != NULL) {
		admin_reply_field(c, "invalid_field", bad, "unknown field '%s'",
		    bad);
		return;
	}
	bad = parse_limits(body, &c->op.limits, &c->op.set_mask, 1);
	if (bad != NULL) {
		admin_reply_error(c, "invalid_limits", "%s", bad);
		return;
	}
	if (limits_refused(c, c->op.set_mask))
		return;
	if (team == NULL || !valid_name(team)) {
		admin_reply_field(c, "invalid_team", "team",
		    "team: a team name is required");
		return;
	}
	if (key_fields(c, body) != 0)
		return;
	if (keys_generate(c->a->hmac, c->key, id, c->op.hmac) != GW_OK) {
		admin_reply_error(c, "internal_error", "cannot generate a key");
		return;
	}
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", id);
	snprintf(c->op.team, sizeof(c->op.team), "%s", team);
	snprintf(c->op.principal, sizeof(c->op.principal), "%s", c->who.name);
	admin_submit(c, STORE_KEY_CREATE, key_created);
}

/* A key row's state: revoked, expired, rotating (its replaced secret
 * still works, until rotating_until) or active. */
static void
key_states(json_t *rows)
{
	int64_t now = util_wall_s();
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		json_t *exp = json_object_get(row, "expires_at");
		const char *state = "active";

		if (!json_is_null(json_object_get(row, "revoked_at")))
			state = "revoked";
		else if (json_is_integer(exp) && json_integer_value(exp) <= now)
			state = "expired";
		else if (json_is_integer(json_object_get(row,
		    "rotating_until")))
			state = "rotating";
		if (strcmp(state, "rotating") != 0)
			json_object_del(row, "rotating_until");
		json_object_set_new(row, "state", json_string(state));
		json_object_set_new(row, "allow_ips", globs_json(
		    json_string_value(json_object_get(row, "allow_ips"))));
	}
}

static void
keys_listed(struct store_op *op)
{
	if (op->err == GW_OK) {
		format_limits(op->json);
		key_states(op->json);
	}
	admin_listed(op);
}

/* GET /admin/v1/keys?team=: with each key's state; the last uses kept
 * in memory are written first, so that the list has them. */
void
admin_key_list(struct call *c, const char *arg, const char *query, json_t *body)
{
	if (c->a->hooks.keys_flush_uses != NULL)
		c->a->hooks.keys_flush_uses(c->a->hooks.arg);
	snprintf(c->op.team, sizeof(c->op.team), "%s", c->qteam);
	admin_submit(c, STORE_KEY_LIST, keys_listed);
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

void
admin_key_revoke(struct call *c, const char *arg, const char *query,
    json_t *body)
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

/* PATCH a team's or a key's budget and rate limits (a key's name,
 * expiry and IP allowlist too). */
static void
limits_update(struct call *c, const char *team, const char *key_id,
    json_t *body)
{
	static const char *const team_fields[] = { "budget", "rpm", "tpm",
		"models", "models_deny", NULL };
	static const char *const key_fields_[] = { "budget", "rpm", "tpm",
		"models", "models_deny", "name", "expires", "allow_ips", NULL };
	const char *bad = unknown_field(body, key_id[0] ? key_fields_ :
	    team_fields);

	if (bad != NULL) {
		admin_reply_field(c, "invalid_field", bad, "unknown field '%s'",
		    bad);
		return;
	}
	bad = parse_limits(body, &c->op.limits, &c->op.set_mask,
	    key_id[0] != '\0');
	if (bad == NULL && limits_refused(c, c->op.set_mask))
		return;
	if (bad == NULL && key_id[0] != '\0' && key_fields(c, body) != 0)
		return;
	if (bad == NULL && c->op.set_mask == 0)
		bad = key_id[0] ?
		    "nothing to change (budget, rpm, tpm, models, "
		    "models_deny, name, expires, allow_ips)" :
		    "nothing to change (budget, rpm, tpm)";
	if (bad != NULL) {
		admin_reply_error(c, "invalid_limits", "%s", bad);
		return;
	}
	if (team[0] != '\0')
		snprintf(c->op.team, sizeof(c->op.team), "%s", team);
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", key_id);
	admin_submit(c, STORE_LIMITS_SET, limits_updated);
}

void
admin_team_update(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (!valid_name(arg)) {
		admin_reply_error(c, "not_found", "no such team");
		return;
	}
	limits_update(c, arg, "", body);
}

void
admin_key_update(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (strlen(arg) != KEY_ID_LEN) {
		admin_reply_error(c, "not_found", "no such key");
		return;
	}
	limits_update(c, "", arg, body);
}

static void
key_rotated(struct store_op *op)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		admin_reply_error(c, store_code(op->err), "key '%s': %s",
		    op->key_id, op->err == GW_ERR_NOTFOUND ?
		    "no such active key" : gw_strerror(op->err));
		return;
	}
	log_info("admin: key %s rotated by %s; the old secret works %s",
	    log_q(op->key_id), log_q(c->who.name), op->key.grace_until ?
	    "until the grace ends" : "no more");
	c->status = 200;
	c->result = json_pack("{s:s, s:s, s:s, s:s, s:o}", "object", "key",
	    "id", op->key_id, "key", c->key, "team", op->team,
	    "rotating_until", op->key.grace_until > 0 ?
	    json_integer(op->key.grace_until) : json_null());
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_reloaded, c);
}

/* The longest grace a rotation gives the old secret. */
#define GRACE_MAX (90 * 86400)

/*
 * POST /admin/v1/keys/{id}/rotate {"grace": "24h"}: a new secret for the
 * same id (its spend, limits and history go on); the old secret works
 * until the grace ends (default 24h; 0: not at all). Rotating again
 * ends the earlier grace.
 */
void
admin_key_rotate(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	static const char *const allowed[] = { "grace", NULL };
	json_t *g = json_object_get(body, "grace");
	const char *bad = body != NULL ? unknown_field(body, allowed) : NULL;
	int64_t grace = 86400;

	if (bad != NULL) {
		admin_reply_field(c, "invalid_field", bad, "unknown field '%s' "
		    "(grace)", bad);
		return;
	}
	if (json_is_integer(g))
		grace = json_integer_value(g);
	else if (g != NULL && (!json_is_string(g) || when_parse_duration(
	    json_string_value(g), &grace) != 0))
		grace = -1;
	if (grace < 0 || grace > GRACE_MAX) {
		admin_reply_field(c, "invalid_field", "grace", "grace: a "
		    "duration up to 90d (24h, 30m, 0 for none) or seconds");
		return;
	}
	if (keys_generate_secret(c->a->hmac, arg, c->key, c->op.hmac) !=
	    GW_OK) {
		admin_reply_error(c, "internal_error", "cannot generate a key");
		return;
	}
	snprintf(c->op.key_id, sizeof(c->op.key_id), "%s", arg);
	c->op.key.grace_until = grace > 0 ? util_wall_s() + grace : 0;
	admin_submit(c, STORE_KEY_ROTATE, key_rotated);
}
