/* Admin routes of spend and of the request log. */
#include <stdio.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/util.h"
#include "policy/money.h"
#include "storage/store.h"

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
		if (op->group2 != STORE_GROUP_NONE)
			json_object_set(row, group_names[op->group2],
			    json_object_get(row, "grp2"));
		json_object_del(row, "grp");
		json_object_del(row, "grp2");
	}
	out = json_pack("{s:s, s:o}", "object", "spend", "data", rows);
	admin_reply_json(c, 200, out);
}

/* One name of group_by: its enum store_group, or -1. */
static int
group_parse(const char *v, size_t len)
{
	static const char *const groups[] = { "", "model", "day", "team",
		"key", NULL };	/* in the order of enum store_group */

	for (int i = 1; groups[i] != NULL; i++)
		if (strlen(groups[i]) == len && strncmp(v, groups[i], len) == 0)
			return i;
	return -1;
}

/*
 * GET /admin/v1/spend?team=&key=&from=&to=&group_by=G[,G2] where G is
 * model, day, team or key: one row per G, or per G and G2 ("day,team":
 * each team's spend per day).
 */
void
admin_spend_report(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	char v[80];

	if (admin_need_team(c) != 0)
		return;
	snprintf(c->op.team, sizeof(c->op.team), "%s", c->qteam);
	if (admin_query_param(query, "key", c->op.key_id,
	    sizeof(c->op.key_id)) < 0) {
		admin_reply_error(c, "invalid_query", "key: too long");
		return;
	}
	if (admin_query_period(c, query, &c->op.from_ms, &c->op.to_ms) != 0)
		return;
	if (admin_query_param(query, "group_by", v, sizeof(v)) == 1) {
		const char *comma = strchr(v, ',');

		c->op.group = group_parse(v, comma ? (size_t)(comma - v) :
		    strlen(v));
		if (comma != NULL) {
			c->op.group2 = group_parse(comma + 1,
			    strlen(comma + 1));
			if (c->op.group2 == c->op.group)
				c->op.group2 = -1;
		}
		if (c->op.group < 0 || c->op.group2 < 0) {
			admin_reply_error(c, "invalid_query", "group_by: "
			    "model, day, team or key, or two of them "
			    "(day,team)");
			return;
		}
	}
	admin_submit(c, STORE_SPEND_REPORT, spend_listed);
}

/* Request rows, their cost as decimal strings (null: not priced). */
static void
requests_listed(struct store_op *op)
{
	json_t *row;
	size_t i;

	json_array_foreach(op->err == GW_OK ? op->json : NULL, i, row) {
		for (int k = 0; k < 2; k++) {
			const char *col = k ? "cost_usd" : "cost_eur";
			json_t *v = json_object_get(row, col);
			char amount[32];

			if (!json_is_integer(v))
				continue;
			money_format(json_integer_value(v), amount,
			    sizeof(amount));
			json_object_set_new(row, col, json_string(amount));
		}
	}
	admin_listed(op);
}

/* GET /admin/v1/requests?limit=&team=: the newest requests first. */
void
admin_request_list(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	char lim[16];
	uint64_t n = 100;

	if (admin_query_param(query, "limit", lim, sizeof(lim)) == 1 &&
	    (util_parse_u64(lim, strlen(lim), &n) != 0 || n == 0 ||
	    n > 10000)) {
		admin_reply_error(c, "invalid_limit", "limit: 1 to 10000");
		return;
	}
	c->op.limit = (int)n;
	/* The route's scope read team= (a team admin's: one of its teams). */
	snprintf(c->op.team, sizeof(c->op.team), "%s", c->qteam);
	admin_submit(c, STORE_REQUEST_LIST, requests_listed);
}
