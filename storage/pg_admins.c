/* Admin principals on PostgreSQL: create, list, revoke, rotate; the
 * snapshot every instance's admin API caches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "storage/pg_admins.h"
#include "storage/pg_sql.h"

#define NOW_S "extract(epoch from now())::bigint"

/* The team names of admin a.id, sorted, comma-separated (team names
 * have no commas); NULL when none. */
#define TEAMS_OF "(SELECT string_agg(t.name, ',' ORDER BY t.name COLLATE " \
	"\"C\") FROM admin_teams x JOIN teams t ON t.id = x.team_id WHERE " \
	"x.admin_id = a.id AND t.deleted_at IS NULL)"

static enum gw_err
bump_version(struct pg_store *st)
{
	return pg_run(st, "UPDATE meta SET value = value + 1 WHERE name = "
	    "'admins_version'", NULL, NULL);
}

/* Team names, comma-separated, as a JSON array. */
static json_t *
teams_array(const char *v)
{
	json_t *a = json_array();

	while (a != NULL && v != NULL && *v != '\0') {
		const char *c = strchr(v, ',');
		size_t len = c ? (size_t)(c - v) : strlen(v);

		json_array_append_new(a, json_stringn(v, len));
		v = c ? c + 1 : NULL;
	}
	return a;
}

/*
 * The next name of the comma-separated list at *v into out (as
 * storage/admins.c walks it: an empty name between commas is a name
 * too); 0 at the end of the list.
 */
static int
next_team(const char **v, char *out, size_t cap)
{
	const char *c;
	size_t len;

	if (**v == '\0')
		return 0;
	c = strchr(*v, ',');
	len = c ? (size_t)(c - *v) : strlen(*v);
	snprintf(out, cap, "%.*s", (int)len, *v);
	*v = c ? c + 1 : *v + len;
	return 1;
}

/* Every team of op->teams exists (locked against its deletion until
 * the transaction ends); NOTFOUND names the first that does not. */
static enum gw_err
teams_exist(struct pg_store *st, struct store_op *op)
{
	const char *v = op->teams;
	char name[sizeof(op->teams)];
	struct pg_args a;
	int64_t id;

	while (next_team(&v, name, sizeof(name))) {
		pga_init(&a);
		pga_str(&a, name);
		if (pg_i64(st, "SELECT id FROM teams WHERE name = $1 AND "
		    "deleted_at IS NULL FOR SHARE", &a, &id) != GW_OK)
			return GW_ERR_STORAGE;
		if (id < 0) {
			size_t n = strlen(name);

			if (n >= sizeof(op->team))
				n = sizeof(op->team) - 1;
			memcpy(op->team, name, n);
			op->team[n] = '\0';
			return GW_ERR_NOTFOUND;
		}
	}
	return GW_OK;
}

/*
 * As storage/admins.c: EXISTS when an active admin has the name, then
 * NOTFOUND (op->team names it) when a team does not exist; nothing is
 * written unless both pass, so the batch's transaction goes on.
 */
enum gw_err
pg_admins_create(struct pg_store *st, struct store_op *op)
{
	const char *v = op->teams;
	char name[sizeof(op->teams)];
	struct pg_args a;
	enum gw_err err;
	int64_t id;

	pga_init(&a);
	pga_str(&a, op->name);
	if (pg_i64(st, "SELECT id FROM admins WHERE name = $1 AND revoked_at "
	    "IS NULL", &a, &id) != GW_OK)
		return GW_ERR_STORAGE;
	if (id >= 0)
		return GW_ERR_EXISTS;
	err = teams_exist(st, op);
	if (err != GW_OK)
		return err;
	pga_init(&a);
	pga_str(&a, op->name);
	pga_str(&a, op->role);
	pga_bytes(&a, op->hmac, 32);
	pga_str(&a, op->principal);
	if (pg_i64(st, "INSERT INTO admins(name, role, hmac, created_at, "
	    "created_by) VALUES($1, $2, $3, " NOW_S ", $4) ON CONFLICT (name) "
	    "WHERE revoked_at IS NULL DO NOTHING RETURNING id", &a, &id) !=
	    GW_OK)
		return GW_ERR_STORAGE;
	if (id < 0)
		return GW_ERR_EXISTS;	/* another instance, just now */
	while (next_team(&v, name, sizeof(name))) {
		pga_init(&a);
		pga_i64(&a, id);
		pga_str(&a, name);
		if (pg_run(st, "INSERT INTO admin_teams(admin_id, team_id) "
		    "SELECT $1, id FROM teams WHERE name = $2 AND deleted_at "
		    "IS NULL ON CONFLICT DO NOTHING", &a, NULL) != GW_OK)
			return GW_ERR_STORAGE;
	}
	return bump_version(st);
}

enum gw_err
pg_admins_list(struct pg_store *st, struct store_op *op)
{
	enum gw_err err = pg_rows_json(st, "SELECT a.name, a.role, " TEAMS_OF
	    " AS teams, a.created_at, a.created_by, a.revoked_at FROM admins "
	    "a ORDER BY a.id", NULL, &op->json);
	size_t i;
	json_t *row;

	if (err != GW_OK)
		return err;
	json_array_foreach(op->json, i, row)
		json_object_set_new(row, "teams", teams_array(
		    json_string_value(json_object_get(row, "teams"))));
	return GW_OK;
}

/* Revokes (revoke set) or gives a new token to the active admin named
 * op->name, locking its row. */
static enum gw_err
admin_change(struct pg_store *st, struct store_op *op, int revoke)
{
	struct pg_args a;
	PGresult *res;
	int64_t id, owner;

	pga_init(&a);
	pga_str(&a, op->name);
	res = pg_query(st, "SELECT id, (role = 'owner')::int FROM admins "
	    "WHERE name = $1 AND revoked_at IS NULL FOR UPDATE", &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return GW_ERR_NOTFOUND;
	}
	id = pg_num(res, 0, 0);
	owner = pg_num(res, 0, 1);
	PQclear(res);
	if (owner == 1 && op->not_owner)
		return GW_ERR_PERM;
	pga_init(&a);
	pga_i64(&a, id);
	if (revoke) {
		if (pg_run(st, "UPDATE admins SET revoked_at = " NOW_S " WHERE "
		    "id = $1", &a, NULL) != GW_OK)
			return GW_ERR_STORAGE;
	} else {
		pga_bytes(&a, op->hmac, 32);
		if (pg_run(st, "UPDATE admins SET hmac = $2, rotated_at = "
		    NOW_S " WHERE id = $1", &a, NULL) != GW_OK)
			return GW_ERR_STORAGE;
	}
	return bump_version(st);
}

enum gw_err
pg_admins_revoke(struct pg_store *st, struct store_op *op)
{
	return admin_change(st, op, 1);
}

enum gw_err
pg_admins_rotate(struct pg_store *st, struct store_op *op)
{
	return admin_change(st, op, 0);
}

enum gw_err
pg_admins_load(struct pg_store *st, struct store_op *op)
{
	PGresult *res;
	json_t *rows;
	int64_t version;

	if (pg_i64(st, "SELECT value FROM meta WHERE name = "
	    "'admins_version'", NULL, &version) != GW_OK)
		return GW_ERR_STORAGE;
	if (version == op->version) {
		op->changed = 0;
		return GW_OK;
	}
	res = pg_query(st, "SELECT a.name, a.role, a.hmac, " TEAMS_OF " FROM "
	    "admins a WHERE a.revoked_at IS NULL ORDER BY a.id", NULL);
	if (res == NULL)
		return GW_ERR_STORAGE;
	rows = json_array();
	for (int i = 0; rows != NULL && i < PQntuples(res); i++) {
		unsigned char h[32];
		char hex[65];

		if (pg_bytes(res, i, 2, h, sizeof(h)) != 32)
			continue;
		util_hex(h, 32, hex);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:o}",
		    "name", PQgetvalue(res, i, 0), "role", PQgetvalue(res, i,
		    1), "hmac", hex, "teams", teams_array(PQgetisnull(res, i,
		    3) ? NULL : PQgetvalue(res, i, 3))));
	}
	PQclear(res);
	if (rows == NULL)
		return GW_ERR_NOMEM;
	op->json = rows;
	op->version = version;
	op->changed = 1;
	return GW_OK;
}

enum gw_err
pg_admins_unbind_team(struct pg_store *st, int64_t team_id)
{
	struct pg_args a;

	pga_init(&a);
	pga_i64(&a, team_id);
	if (pg_run(st, "DELETE FROM admin_teams WHERE team_id = $1", &a,
	    NULL) != GW_OK)
		return GW_ERR_STORAGE;
	return bump_version(st);
}
