/*
 * Admin routes of the objects teams keep upstream: what each team owns,
 * and the deletion of a team, which reports what it leaves upstream.
 */
#include <stdio.h>
#include <string.h>

#include "admin/admin_int.h"
#include "common/log.h"

/* GET /admin/v1/objects?team=: objects kept upstream and their teams. */
void
admin_objects_list(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	(void)arg;
	(void)body;
	snprintf(c->op.team, sizeof(c->op.team), "%s", c->qteam);
	admin_submit_read(c, STORE_OBJECTS_LIST, admin_listed);
}

/* The keys and then the owner cache follow the deletion; then the
 * answer goes. */
static void
owners_reloaded(void *arg)
{
	struct call *c = arg;

	admin_reply_json(c, c->status, c->result);
}

/* ... and the admin principals (its team admins lost it). */
static void
owners_gone(void *arg)
{
	struct call *c = arg;

	admin_refresh(c->a, 1, owners_reloaded, c);
}

static void
keys_gone(void *arg)
{
	struct call *c = arg;

	c->a->hooks.objects_changed(c->a->hooks.arg, owners_gone, c);
}

static void
team_deleted(struct store_op *op)
{
	struct call *c = op->arg;
	json_t *left;

	if (op->err != GW_OK) {
		admin_reply_error(c, op->err == GW_ERR_NOTFOUND ? "not_found" :
		    "storage_unavailable", "team '%s': %s", op->name,
		    op->err == GW_ERR_NOTFOUND ? "no such team" :
		    gw_strerror(op->err));
		return;
	}
	left = json_object_get(op->json, "objects_left");
	log_info("admin: team %s deleted; %zu objects left upstream",
	    log_q(op->name), json_array_size(left));
	c->status = 200;
	c->result = json_pack("{s:s, s:s, s:O, s:O}", "object",
	    "team_deletion", "name", op->name, "keys_revoked",
	    json_object_get(op->json, "keys_revoked"), "objects_left", left);
	json_decref(op->json);
	op->json = NULL;
	c->a->hooks.keys_changed(c->a->hooks.arg, keys_gone, c);
}

/*
 * DELETE /admin/v1/teams/{name}: its keys are revoked at once and its
 * team admins lose it (requests in flight finish; new ones are
 * refused); its ledger and audit records stay (evidence). The objects
 * it made upstream stay there, reachable by no team, and are listed in
 * the answer for the operator to remove.
 */
void
admin_team_delete(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	(void)query;
	(void)body;
	if (strlen(arg) == 0 || strlen(arg) >= sizeof(c->op.name) ||
	    strchr(arg, '~') != NULL) {
		admin_reply_error(c, "not_found", "no such team");
		return;
	}
	snprintf(c->op.name, sizeof(c->op.name), "%s", arg);
	snprintf(c->op.team, sizeof(c->op.team), "%s", arg);
	admin_submit(c, STORE_TEAM_DELETE, team_deleted);
}
