/*
 * Unit tests of storage's keys' lives and admin principals, on a real
 * SQLite file, or (EUGATE_TEST_PG_URL set, tests/test_store_admins_pg.sh)
 * on an empty PostgreSQL database: expiry, allowlists, rotation, last
 * use, admins; both backends give the same answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/store.h"
#include "tests/tap.h"

static struct store *st;

static void
done(struct store_op *op)
{
	(void)op;
}

static struct store_op *
op_new(int type)
{
	struct store_op *op = calloc(1, sizeof(*op));

	op->type = type;
	op->done = done;
	return op;
}

/* Runs op, frees it and returns its result. */
static enum gw_err
run_free(struct store_op *op)
{
	enum gw_err err;

	store_submit(st, op);
	store_flush(st);
	err = op->err;
	store_op_cleanup(op);
	free(op);
	return err;
}

static struct store_op *
run(struct store_op *op)
{
	store_submit(st, op);
	store_flush(st);
	return op;
}

static void
team(const char *name)
{
	struct store_op *op = op_new(STORE_TEAM_CREATE);

	snprintf(op->name, sizeof(op->name), "%s", name);
	snprintf(op->policy, sizeof(op->policy), "default");
	if (run_free(op) != GW_OK)
		ok(0, "create team %s", name);
}

/* The key snapshot's row of id, copied; 0 when it is not there. */
static int
key_row(const char *id, struct store_key_row *out, int64_t *version)
{
	struct store_op *op = op_new(STORE_KEYS_LOAD);
	int found = 0;

	op->version = -1;
	run(op);
	for (size_t i = 0; i < op->n_rows; i++)
		if (strcmp(op->rows[i].id, id) == 0) {
			*out = op->rows[i];
			found = 1;
		}
	if (version != NULL)
		*version = op->version;
	store_op_cleanup(op);
	free(op);
	return found;
}

/* The KEY_LIST row of id (a new reference), or NULL. */
static json_t *
key_listed(const char *id)
{
	struct store_op *op = op_new(STORE_KEY_LIST);
	json_t *row = NULL, *r;
	size_t i;

	run(op);
	json_array_foreach(op->json, i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")),
		    id) == 0)
			row = json_incref(r);
	store_op_cleanup(op);
	free(op);
	return row;
}

static void
test_keys(void)
{
	struct store_op *op;
	struct store_key_row row;
	unsigned char h1[32], h2[32], h3[32];
	int64_t v1, v2, now = time(NULL);
	json_t *r;

	memset(h1, 1, 32);
	memset(h2, 2, 32);
	memset(h3, 3, 32);
	team("ops");
	op = op_new(STORE_KEY_CREATE);
	snprintf(op->key_id, sizeof(op->key_id), "KKKKKKKKKKK1");
	snprintf(op->team, sizeof(op->team), "ops");
	snprintf(op->name, sizeof(op->name), "ci bot");
	snprintf(op->principal, sizeof(op->principal), "alice");
	op->key.expires_at = now + 3600;
	snprintf(op->key.allow_ips, sizeof(op->key.allow_ips),
	    "10.0.0.0/8,2001:db8::/32");
	memcpy(op->hmac, h1, 32);
	is_int(run_free(op), GW_OK, "a key with expiry, allowlist, creator");
	ok(key_row("KKKKKKKKKKK1", &row, &v1) && row.expires_at == now + 3600 &&
	    strcmp(row.allow_ips, "10.0.0.0/8,2001:db8::/32") == 0 &&
	    memcmp(row.hmac, h1, 32) == 0 && row.prev_until == 0,
	    "the snapshot carries expiry and allowlist, no previous secret");
	r = key_listed("KKKKKKKKKKK1");
	ok(r != NULL && strcmp(json_string_value(json_object_get(r,
	    "created_by")), "alice") == 0 && json_integer_value(
	    json_object_get(r, "expires_at")) == now + 3600 &&
	    json_is_null(json_object_get(r, "last_used_at")) &&
	    json_is_null(json_object_get(r, "rotating_until")) &&
	    strcmp(json_string_value(json_object_get(r, "name")),
	    "ci bot") == 0,
	    "the list shows name, creator, expiry; no use yet");
	json_decref(r);

	op = op_new(STORE_KEY_GET);
	snprintf(op->key_id, sizeof(op->key_id), "KKKKKKKKKKK1");
	run(op);
	ok(op->err == GW_OK && strcmp(op->team, "ops") == 0, "a key's team");
	free(op);
	op = op_new(STORE_KEY_GET);
	snprintf(op->key_id, sizeof(op->key_id), "NOSUCHKEY000");
	is_int(run_free(op), GW_ERR_NOTFOUND, "an unknown key: not found");

	/* Rotation with grace, then again: the first secret stops. */
	op = op_new(STORE_KEY_ROTATE);
	snprintf(op->key_id, sizeof(op->key_id), "KKKKKKKKKKK1");
	memcpy(op->hmac, h2, 32);
	op->key.grace_until = now + 86400;
	is_int(run_free(op), GW_OK, "rotated with a grace period");
	ok(key_row("KKKKKKKKKKK1", &row, &v2) &&
	    memcmp(row.hmac, h2, 32) == 0 &&
	    memcmp(row.prev_hmac, h1, 32) == 0 &&
	    row.prev_until == now + 86400 && v2 != v1, "new secret; the old "
	    "one until the grace ends; the keys version moved");
	r = key_listed("KKKKKKKKKKK1");
	ok(json_integer_value(json_object_get(r, "rotating_until")) ==
	    now + 86400, "the list says rotating until then");
	json_decref(r);
	op = op_new(STORE_KEY_ROTATE);
	snprintf(op->key_id, sizeof(op->key_id), "KKKKKKKKKKK1");
	memcpy(op->hmac, h3, 32);
	op->key.grace_until = now + 60;
	is_int(run_free(op), GW_OK, "rotated again during the grace");
	ok(key_row("KKKKKKKKKKK1", &row, NULL) && memcmp(row.hmac, h3, 32) == 0
	    && memcmp(row.prev_hmac, h2, 32) == 0 && row.prev_until == now + 60,
	    "the earlier grace ended: only the last two secrets");
	op = op_new(STORE_KEY_ROTATE);
	snprintf(op->key_id, sizeof(op->key_id), "KKKKKKKKKKK1");
	memcpy(op->hmac, h1, 32);
	is_int(run_free(op), GW_OK, "rotated with no grace");
	ok(key_row("KKKKKKKKKKK1", &row, NULL) && memcmp(row.hmac, h1, 32) == 0
	    && row.prev_until == 0, "no previous secret at all");
	op = op_new(STORE_KEY_ROTATE);
	snprintf(op->key_id, sizeof(op->key_id), "NOSUCHKEY000");
	memcpy(op->hmac, h1, 32);
	is_int(run_free(op), GW_ERR_NOTFOUND, "rotating an unknown key");

	/* Last use: batches; a time never moves back; no reload. */
	{
		struct store_key_use uses[2] = { { "KKKKKKKKKKK1", 1000 },
			{ "NOSUCHKEY000", 1000 } };

		key_row("KKKKKKKKKKK1", &row, &v1);
		op = op_new(STORE_KEYS_TOUCH);
		op->uses = uses;
		op->n_uses = 2;
		is_int(run_free(op), GW_OK, "last use written (an unknown id "
		    "is skipped)");
		uses[0].at = 500;
		op = op_new(STORE_KEYS_TOUCH);
		op->uses = uses;
		op->n_uses = 1;
		is_int(run_free(op), GW_OK, "an older use");
		r = key_listed("KKKKKKKKKKK1");
		is_int(json_integer_value(json_object_get(r, "last_used_at")),
		    1000, "the last use does not move back");
		json_decref(r);
		key_row("KKKKKKKKKKK1", &row, &v2);
		is_int(v2, v1, "last use leaves the keys version alone");
	}

	/* Name, expiry and allowlist change; a team has none of them. */
	op = op_new(STORE_LIMITS_SET);
	snprintf(op->key_id, sizeof(op->key_id), "KKKKKKKKKKK1");
	snprintf(op->name, sizeof(op->name), "renamed");
	op->set_mask = STORE_SET_NAME | STORE_SET_EXPIRES | STORE_SET_ALLOW_IPS;
	is_int(run_free(op), GW_OK, "name set, expiry and allowlist cleared");
	ok(key_row("KKKKKKKKKKK1", &row, NULL) && row.expires_at == 0 &&
	    row.allow_ips[0] == '\0', "... in the snapshot");
	op = op_new(STORE_LIMITS_SET);
	snprintf(op->team, sizeof(op->team), "ops");
	op->set_mask = STORE_SET_EXPIRES;
	op->key.expires_at = now + 5;
	is_int(run_free(op), GW_ERR_INVAL, "a team has no expiry");
}

/* The ADMINS_LOAD snapshot's row of name (a new reference), or NULL. */
static json_t *
admin_loaded(const char *name, int64_t *version)
{
	struct store_op *op = op_new(STORE_ADMINS_LOAD);
	json_t *row = NULL, *r;
	size_t i;

	op->version = -1;
	run(op);
	json_array_foreach(op->json, i, r)
		if (strcmp(json_string_value(json_object_get(r, "name")),
		    name) == 0)
			row = json_incref(r);
	if (version != NULL)
		*version = op->version;
	store_op_cleanup(op);
	free(op);
	return row;
}

static enum gw_err
admin_create(const char *name, const char *role, const char *teams,
    int fill, char *bad_team)
{
	struct store_op *op = op_new(STORE_ADMIN_CREATE);
	enum gw_err err;

	snprintf(op->name, sizeof(op->name), "%s", name);
	snprintf(op->role, sizeof(op->role), "%s", role);
	snprintf(op->teams, sizeof(op->teams), "%s", teams);
	snprintf(op->principal, sizeof(op->principal), "owner");
	memset(op->hmac, fill, 32);
	run(op);
	err = op->err;
	if (bad_team != NULL)
		snprintf(bad_team, 65, "%s", op->team);
	free(op);
	return err;
}

static void
test_admins(void)
{
	struct store_op *op;
	json_t *r;
	char bad[65];
	int64_t v1, v2;
	size_t n;

	team("finance");
	team("legal");
	is_int(admin_create("tina", "team-admin", "finance,legal", 0x11, NULL),
	    GW_OK, "a team admin of two teams");
	r = admin_loaded("tina", &v1);
	ok(r != NULL && strcmp(json_string_value(json_object_get(r, "role")),
	    "team-admin") == 0 && json_array_size(json_object_get(r,
	    "teams")) == 2 && strcmp(json_string_value(json_object_get(r,
	    "hmac")), "1111111111111111111111111111111111111111111111111111111"
	    "111111111") == 0, "its snapshot: role, teams, token HMAC");
	json_decref(r);
	is_int(admin_create("tina", "auditor", "", 0x12, NULL), GW_ERR_EXISTS,
	    "an active name is taken");
	is_int(admin_create("tom", "team-admin", "finance,nosuch", 0x13, bad),
	    GW_ERR_NOTFOUND, "an unknown team is refused");
	is_str(bad, "nosuch", "... and named");
	r = admin_loaded("tom", NULL);
	ok(r == NULL, "... and nothing of it stored");
	json_decref(r);
	op = op_new(STORE_ADMIN_LIST);
	run(op);
	n = json_array_size(op->json);
	ok(n == 1 && json_is_null(json_object_get(json_array_get(op->json, 0),
	    "revoked_at")) && strcmp(json_string_value(json_object_get(
	    json_array_get(op->json, 0), "created_by")), "owner") == 0,
	    "the list: %zu admin, its creator", n);
	store_op_cleanup(op);
	free(op);

	is_int(admin_create("olga", "owner", "", 0x21, NULL), GW_OK,
	    "an owner");
	op = op_new(STORE_ADMIN_REVOKE);
	snprintf(op->name, sizeof(op->name), "olga");
	op->not_owner = 1;
	is_int(run_free(op), GW_ERR_PERM, "an admin can not revoke an owner");
	op = op_new(STORE_ADMIN_ROTATE);
	snprintf(op->name, sizeof(op->name), "olga");
	op->not_owner = 1;
	is_int(run_free(op), GW_ERR_PERM, "... nor rotate its token");
	op = op_new(STORE_ADMIN_ROTATE);
	snprintf(op->name, sizeof(op->name), "tina");
	memset(op->hmac, 0x55, 32);
	is_int(run_free(op), GW_OK, "a new token for tina");
	r = admin_loaded("tina", &v2);
	ok(r != NULL && strncmp(json_string_value(json_object_get(r, "hmac")),
	    "5555", 4) == 0 && v2 != v1, "the snapshot has the new HMAC (the "
	    "admins version moved)");
	json_decref(r);

	/* A deleted team is no longer a team admin's. */
	op = op_new(STORE_TEAM_DELETE);
	snprintf(op->name, sizeof(op->name), "legal");
	is_int(run_free(op), GW_OK, "team legal deleted");
	r = admin_loaded("tina", &v1);
	ok(r != NULL && json_array_size(json_object_get(r, "teams")) == 1 &&
	    strcmp(json_string_value(json_array_get(json_object_get(r,
	    "teams"), 0)), "finance") == 0 && v1 != v2,
	    "its team admins lose it");
	json_decref(r);
	team("legal");
	r = admin_loaded("tina", NULL);
	ok(json_array_size(json_object_get(r, "teams")) == 1,
	    "a new team of the same name is not theirs");
	json_decref(r);

	op = op_new(STORE_ADMIN_REVOKE);
	snprintf(op->name, sizeof(op->name), "tina");
	is_int(run_free(op), GW_OK, "tina revoked");
	ok((r = admin_loaded("tina", NULL)) == NULL, "... and out of the "
	    "snapshot");
	json_decref(r);
	op = op_new(STORE_ADMIN_REVOKE);
	snprintf(op->name, sizeof(op->name), "tina");
	is_int(run_free(op), GW_ERR_NOTFOUND, "revoking twice: not found");
	is_int(admin_create("tina", "auditor", "", 0x31, NULL), GW_OK,
	    "a revoked admin's name may be given again");
	op = op_new(STORE_ADMIN_LIST);
	run(op);
	ok(json_array_size(op->json) == 3 && !json_is_null(json_object_get(
	    json_array_get(op->json, 0), "revoked_at")),
	    "the list keeps the revoked one (evidence)");
	store_op_cleanup(op);
	free(op);
}

int
main(void)
{
	const char *pg = getenv("EUGATE_TEST_PG_URL");
	char path[256];
	struct store_conf conf = { 0 };

	if (pg != NULL && *pg != '\0') {
		snprintf(path, sizeof(path), "%s", pg);
		printf("# PostgreSQL\n");
	} else {
		pg = NULL;
		snprintf(path, sizeof(path), "/tmp/eugate-test-admins-%d.db",
		    (int)getpid());
		unlink(path);
	}
	if (store_open(path, &conf, NULL, &st) != GW_OK)
		tap_bail("the store did not open (%s)", pg != NULL ?
		    "PostgreSQL" : path);
	test_keys();
	test_admins();
	store_close(st);
	if (pg != NULL)
		return tap_done();
	unlink(path);
	{
		char wal[300];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	return tap_done();
}
