/* eugatectl: the command-line client of the admin API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "admin/ctl_args.h"
#include "admin/ctl_http.h"
#include "admin/ctl_report.h"
#include "admin/ctl_table.h"

static void usage(FILE *out);

/* Prints res as JSON when --json was given; returns 1 when it did. */
static int
print_json(const struct ctl *c, const json_t *res)
{
	char *s;

	if (!c->json)
		return 0;
	s = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", s ? s : "null");
	free(s);
	return 1;
}

/* Prints rows (an array of objects) as a table of the n columns cols. */
static void
print_table(const json_t *rows, const struct ctl_col *cols, size_t n)
{
	if (ctl_table_print(stdout, rows, cols, n) != 0)
		ctl_die(1, "cannot write to stdout");
}

static const char *
str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static long long
num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/*
 * Adds --budget, --rpm, --tpm, --models and --models-deny to a request
 * body ("none" removes one). The gateway checks the values; only the
 * shape is checked here.
 */
static json_t *
limits(json_t *body, const struct ctl_args *a)
{
	const char *b = ctl_opt(a, "--budget");
	const char *const rates[] = { "--rpm", "--tpm" };
	const char *const globs[][2] = { { "--models", "models" },
		{ "--models-deny", "models_deny" } };

	if (body == NULL)
		ctl_die(1, "out of memory");
	for (int i = 0; i < 2; i++) {
		const char *v = ctl_opt(a, globs[i][0]);
		json_t *list;

		if (v == NULL)
			continue;
		list = strcmp(v, "none") == 0 ? json_null() : json_array();
		while (json_is_array(list) && *v != '\0') {
			const char *c = strchr(v, ',');
			size_t len = c ? (size_t)(c - v) : strlen(v);

			json_array_append_new(list, json_stringn(v, len));
			v = c ? c + 1 : v + len;
		}
		json_object_set_new(body, globs[i][1], list);
	}
	if (b != NULL)
		json_object_set_new(body, "budget", strcmp(b, "none") == 0 ?
		    json_null() : json_string(b));
	for (int i = 0; i < 2; i++) {
		const char *v = ctl_opt(a, rates[i]);
		char *end;
		long long n;

		if (v == NULL)
			continue;
		if (strcmp(v, "none") == 0) {
			json_object_set_new(body, rates[i] + 2, json_null());
			continue;
		}
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 0)
			ctl_die(2, "%s: a number or none", rates[i]);
		json_object_set_new(body, rates[i] + 2, json_integer(n));
	}
	return body;
}

static int
team_create(const struct ctl *c, const struct ctl_args *a)
{
	const char *policy = ctl_opt(a, "--policy");
	json_t *res = ctl_call(c, "POST", "/admin/v1/teams", limits(json_pack(
	    "{s:s, s:s}", "name", a->pos[0], "policy", policy ? policy :
	    "default"), a), NULL);

	if (!print_json(c, res))
		printf("team %s created (policy %s)\n", str(res, "name"),
		    str(res, "policy"));
	json_decref(res);
	return 0;
}

/* team set NAME / key set ID: the limits. */
static int
limits_set(const struct ctl *c, const struct ctl_args *a, const char *what)
{
	struct ctl_path p;
	json_t *res;

	ctl_path_init(&p, strcmp(what, "team") == 0 ? "/admin/v1/teams" :
	    "/admin/v1/keys");
	ctl_path_seg(&p, a->pos[0]);
	res = ctl_call(c, "PATCH", p.buf, limits(json_object(), a), NULL);
	if (!print_json(c, res))
		printf("%s %s updated\n", what, a->pos[0]);
	json_decref(res);
	return 0;
}

static int
team_set(const struct ctl *c, const struct ctl_args *a)
{
	return limits_set(c, a, "team");
}

/*
 * Adds --name, --expires and --allow-ip to a key's body: "never" (or
 * "none") clears the expiry, "none" the allowlist; the gateway checks
 * the values.
 */
static json_t *
key_opts(json_t *body, const struct ctl_args *a)
{
	const char *name = ctl_opt(a, "--name");
	const char *exp = ctl_opt(a, "--expires");
	const char *ips = ctl_opt(a, "--allow-ip");

	if (name != NULL)
		json_object_set_new(body, "name", json_string(name));
	if (exp != NULL)
		json_object_set_new(body, "expires",
		    strcmp(exp, "never") == 0 || strcmp(exp, "none") == 0 ?
		    json_null() : json_string(exp));
	if (ips != NULL) {
		json_t *list = strcmp(ips, "none") == 0 ? json_null() :
		    json_array();

		while (json_is_array(list) && *ips != '\0') {
			size_t len = strcspn(ips, ",");

			json_array_append_new(list, json_stringn(ips, len));
			ips += len + (ips[len] == ',');
		}
		json_object_set_new(body, "allow_ips", list);
	}
	return body;
}

static int
key_set(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;
	json_t *res;

	if (a->n_opts == 0)
		ctl_die(2, "key set: nothing to change (usage: eugatectl key "
		    "set ID [--name NAME] [--expires WHEN] [--allow-ip CIDRS] "
		    "[LIMITS])");
	ctl_path_init(&p, "/admin/v1/keys");
	ctl_path_seg(&p, a->pos[0]);
	res = ctl_call(c, "PATCH", p.buf, key_opts(limits(json_object(), a),
	    a), NULL);
	if (!print_json(c, res))
		printf("key %s updated\n", a->pos[0]);
	json_decref(res);
	return 0;
}

static int
key_rotate(const struct ctl *c, const struct ctl_args *a)
{
	const char *grace = ctl_opt(a, "--grace");
	struct ctl_path p;
	json_t *res;

	ctl_path_init(&p, "/admin/v1/keys");
	ctl_path_seg(&p, a->pos[0]);
	ctl_path_lit(&p, "/rotate");
	res = ctl_call(c, "POST", p.buf, grace != NULL ? json_pack("{s:s}",
	    "grace", grace) : NULL, NULL);
	if (!print_json(c, res))
		printf("%s\n", str(res, "key"));
	json_decref(res);
	return 0;
}

/* A GET of a list, shown as a table of cols. */
static int
list(const struct ctl *c, const char *path, const struct ctl_col *cols,
    size_t n)
{
	json_t *res = ctl_call(c, "GET", path, NULL, NULL);

	if (!print_json(c, res))
		print_table(json_object_get(res, "data"), cols, n);
	json_decref(res);
	return 0;
}

#define LIST(c, path, cols) list(c, path, cols, sizeof(cols) / sizeof(*cols))

static int
team_list(const struct ctl *c, const struct ctl_args *a)
{
	static const struct ctl_col cols[] = { { "name", 0 }, { "policy", 0 },
		{ "keys", 0 }, { "budget", 0 }, { "rpm", 0 }, { "tpm", 0 },
		{ "created_at", CTL_CELL_SECONDS } };

	return LIST(c, "/admin/v1/teams", cols);
}

static const struct ctl_col object_cols[] = { { "team", 0 }, { "kind", 0 },
	{ "id", 0 }, { "upstream", 0 }, { "created", CTL_CELL_SECONDS } };

static int
team_delete(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;
	const json_t *left;
	json_t *res;

	ctl_path_init(&p, "/admin/v1/teams");
	ctl_path_seg(&p, a->pos[0]);
	res = ctl_call(c, "DELETE", p.buf, NULL, NULL);
	left = json_object_get(res, "objects_left");
	if (!print_json(c, res)) {
		printf("team %s deleted: %lld keys revoked, %zu objects left "
		    "upstream\n", a->pos[0], num(res, "keys_revoked"),
		    json_array_size(left));
		if (json_array_size(left) > 0)
			print_table(left, object_cols + 1,
			    sizeof(object_cols) / sizeof(*object_cols) - 1);
	}
	json_decref(res);
	return 0;
}

static int
objects(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;

	ctl_path_init(&p, "/admin/v1/objects");
	ctl_path_query(&p, "team", ctl_opt(a, "--team"));
	return LIST(c, p.buf, object_cols);
}

static int
key_create(const struct ctl *c, const struct ctl_args *a)
{
	const char *team = ctl_opt(a, "--team");
	json_t *body = key_opts(limits(json_pack("{s:s}", "team", team), a),
	    a);
	json_t *res;

	res = ctl_call(c, "POST", "/admin/v1/keys", body, NULL);
	if (!print_json(c, res))
		printf("%s\n", str(res, "key"));
	json_decref(res);
	return 0;
}

/* A key list's rows: the state "rotating until 2026-11-01T12:00:00Z". */
static void
key_states(json_t *rows)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		json_t *until = json_object_get(row, "rotating_until");
		char when[32], text[64];

		if (!json_is_integer(until) || ctl_time_iso(
		    json_integer_value(until), when, sizeof(when)) != 0)
			continue;
		snprintf(text, sizeof(text), "rotating until %s", when);
		json_object_set_new(row, "state", json_string(text));
	}
}

static int
key_list(const struct ctl *c, const struct ctl_args *a)
{
	static const struct ctl_col cols[] = { { "id", 0 }, { "team", 0 },
		{ "name", 0 }, { "created_at", CTL_CELL_SECONDS },
		{ "expires_at", CTL_CELL_SECONDS },
		{ "last_used_at", CTL_CELL_SECONDS }, { "state", 0 },
		{ "budget", 0 }, { "models", 0 } };
	struct ctl_path p;
	json_t *res;

	ctl_path_init(&p, "/admin/v1/keys");
	ctl_path_query(&p, "team", ctl_opt(a, "--team"));
	res = ctl_call(c, "GET", p.buf, NULL, NULL);
	if (!print_json(c, res)) {
		key_states(json_object_get(res, "data"));
		print_table(json_object_get(res, "data"), cols,
		    sizeof(cols) / sizeof(cols[0]));
	}
	json_decref(res);
	return 0;
}

static int
admin_create(const struct ctl *c, const struct ctl_args *a)
{
	json_t *teams = json_array(), *res;
	const char *t;
	int pos = 0;

	while ((t = ctl_opt_next(a, "--team", &pos)) != NULL)
		json_array_append_new(teams, json_string(t));
	res = ctl_call(c, "POST", "/admin/v1/admins", json_pack("{s:s, s:s, "
	    "s:o}", "name", a->pos[0], "role", ctl_opt(a, "--role"), "teams",
	    teams), NULL);
	if (!print_json(c, res))
		printf("%s\n", str(res, "token"));
	json_decref(res);
	return 0;
}

static int
admin_list(const struct ctl *c, const struct ctl_args *a)
{
	static const struct ctl_col cols[] = { { "name", 0 }, { "role", 0 },
		{ "teams", 0 }, { "created_at", CTL_CELL_SECONDS },
		{ "created_by", 0 }, { "revoked_at", CTL_CELL_SECONDS } };

	return LIST(c, "/admin/v1/admins", cols);
}

static int
admin_revoke(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;
	json_t *res;

	ctl_path_init(&p, "/admin/v1/admins");
	ctl_path_seg(&p, a->pos[0]);
	res = ctl_call(c, "DELETE", p.buf, NULL, NULL);
	if (!print_json(c, res))
		printf("admin %s revoked\n", str(res, "name"));
	json_decref(res);
	return 0;
}

static int
admin_rotate(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;
	json_t *res;

	ctl_path_init(&p, "/admin/v1/admins");
	ctl_path_seg(&p, a->pos[0]);
	ctl_path_lit(&p, "/rotate");
	res = ctl_call(c, "POST", p.buf, NULL, NULL);
	if (!print_json(c, res))
		printf("%s\n", str(res, "token"));
	json_decref(res);
	return 0;
}

static int
whoami(const struct ctl *c, const struct ctl_args *a)
{
	json_t *res = ctl_call(c, "GET", "/admin/v1/me", NULL, NULL);
	const json_t *teams = json_object_get(res, "teams"), *t;
	size_t i;

	if (!print_json(c, res)) {
		printf("%s (%s)", str(res, "name"), str(res, "role"));
		json_array_foreach(teams, i, t)
			printf("%s%s", i ? ", " : ": teams ",
			    json_string_value(t));
		printf("\n");
	}
	json_decref(res);
	return 0;
}

static int
key_revoke(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;
	json_t *res;

	ctl_path_init(&p, "/admin/v1/keys");
	ctl_path_seg(&p, a->pos[0]);
	res = ctl_call(c, "DELETE", p.buf, NULL, NULL);
	if (!print_json(c, res))
		printf("key %s revoked\n", str(res, "id"));
	json_decref(res);
	return 0;
}

static int
requests(const struct ctl *c, const struct ctl_args *a)
{
	static const struct ctl_col cols[] = { { "ts", CTL_CELL_MILLIS },
		{ "request_id", 0 }, { "team", 0 }, { "path", 0 },
		{ "model", 0 }, { "region", 0 }, { "status", 0 },
		{ "prompt_tokens", 0 }, { "completion_tokens", 0 } };
	const char *limit = ctl_opt(a, "--limit");
	struct ctl_path p;

	ctl_path_init(&p, "/admin/v1/requests");
	ctl_path_query(&p, "limit", limit ? limit : "20");
	return LIST(c, p.buf, cols);
}

static int
spend(const struct ctl *c, const struct ctl_args *a)
{
	static const char *const fixed[] = { "requests", "prompt_tokens",
		"completion_tokens", "cost_eur", "cost_usd", "reserved_eur" };
	const char *g = ctl_opt(a, "--group-by");
	struct ctl_col cols[7];
	struct ctl_path p;
	size_t n = 0;

	/* The group's column first: the model, day, team or key. */
	if (g != NULL && (strcmp(g, "model") == 0 || strcmp(g, "day") == 0 ||
	    strcmp(g, "team") == 0 || strcmp(g, "key") == 0))
		cols[n++] = (struct ctl_col){ g, 0 };
	for (size_t i = 0; i < 6; i++)
		cols[n++] = (struct ctl_col){ fixed[i], 0 };
	ctl_path_init(&p, "/admin/v1/spend");
	ctl_path_query(&p, "team", ctl_opt(a, "--team"));
	ctl_path_query(&p, "key", ctl_opt(a, "--key"));
	ctl_path_query(&p, "from", ctl_opt(a, "--from"));
	ctl_path_query(&p, "to", ctl_opt(a, "--to"));
	ctl_path_query(&p, "group_by", g);
	return list(c, p.buf, cols, n);
}

/* One chain's line: "ok: N records (A..B), signed through S (...)" or
 * "FAILED at record N: reason". */
static void
verify_line(const json_t *res, const char *prefix)
{
	const json_t *bad = json_object_get(res, "first_bad");

	if (bad == NULL)
		printf("%sok: %lld records (%lld..%lld), signed through %lld "
		    "(%lld checkpoints, %lld external)\n", prefix,
		    num(res, "records"), num(res, "first_seq"),
		    num(res, "last_seq"), num(res, "signed_through"),
		    num(res, "checkpoints"), num(res, "external_checkpoints"));
	else
		printf("%sFAILED at record %lld: %s\n", prefix, num(bad, "seq"),
		    str(bad, "reason"));
}

static int
audit_verify(const struct ctl *c, const struct ctl_args *a)
{
	const char *file = ctl_opt(a, "--checkpoints");
	json_t *body = NULL, *res, *one;
	const json_t *bad, *chains;
	json_error_t jerr;
	size_t i;

	if (file != NULL) {
		body = json_load_file(file, 0, &jerr);
		if (!json_is_object(body))
			ctl_die(1, "%s: %s", file, body ? "not a JSON object" :
			    jerr.text);
	}
	res = ctl_call(c, "POST", "/admin/v1/audit/verify", body, NULL);
	bad = json_object_get(res, "first_bad");
	chains = json_object_get(res, "instances");
	if (c->json) {
		print_json(c, res);
	} else if (json_array_size(chains) > 1) {
		/* Several instances on one database: a chain each. */
		printf("%s: %lld records in %zu chains\n", bad == NULL ? "ok" :
		    "FAILED", num(res, "records"), json_array_size(chains));
		json_array_foreach(chains, i, one) {
			char prefix[80];

			snprintf(prefix, sizeof(prefix), "  instance %s: ",
			    str(one, "instance"));
			verify_line(one, prefix);
		}
	} else {
		verify_line(res, "");
	}
	json_decref(res);
	return bad != NULL ? 1 : 0;
}

static int
audit_export(const struct ctl *c, const struct ctl_args *a)
{
	struct ctl_path p;

	ctl_path_init(&p, "/admin/v1/audit");
	ctl_path_query(&p, "from", ctl_opt(a, "--from"));
	ctl_path_query(&p, "to", ctl_opt(a, "--to"));
	ctl_path_query(&p, "team", ctl_opt(a, "--team"));
	ctl_path_query(&p, "format", ctl_opt(a, "--format"));
	ctl_stream(c, "GET", p.buf, NULL);
	return 0;
}

/* Answers that are JSON documents whatever --json says. */
static int
show_json(const struct ctl *c, json_t *res)
{
	struct ctl always = *c;

	always.json = 1;
	print_json(&always, res);
	json_decref(res);
	return 0;
}

static int
audit_checkpoints(const struct ctl *c, const struct ctl_args *a)
{
	return show_json(c, ctl_call(c, "GET", "/admin/v1/audit/checkpoints",
	    NULL, NULL));
}

/* Prints a text answer (an HTML report, Prometheus metrics) as is. */
static int
show_text(const struct ctl *c, const char *path)
{
	char *text = NULL;

	ctl_call(c, "GET", path, NULL, &text);
	fputs(text, stdout);
	free(text);
	return 0;
}

static int
report_processing(const struct ctl *c, const struct ctl_args *a)
{
	const char *f = ctl_opt(a, "--format");
	struct ctl_path p;

	ctl_path_init(&p, "/admin/v1/reports/processing");
	ctl_path_query(&p, "team", ctl_opt(a, "--team"));
	ctl_path_query(&p, "from", ctl_opt(a, "--from"));
	ctl_path_query(&p, "to", ctl_opt(a, "--to"));
	ctl_path_query(&p, "format", f);
	if (f != NULL && strcmp(f, "html") == 0)
		return show_text(c, p.buf);
	return show_json(c, ctl_call(c, "GET", p.buf, NULL, NULL));
}

/*
 * report posture / report art30: text (the default), json (also --json)
 * or html, the printable document.
 */
static int
report(const struct ctl *c, const struct ctl_args *a, const char *path,
    void (*text)(FILE *, json_t *))
{
	const char *f = ctl_opt(a, "--format");
	struct ctl_path p;
	json_t *res;

	if (f != NULL && strcmp(f, "text") != 0 && strcmp(f, "json") != 0 &&
	    strcmp(f, "html") != 0)
		ctl_die(2, "--format: json, html or text");
	ctl_path_init(&p, path);
	ctl_path_query(&p, "team", ctl_opt(a, "--team"));
	ctl_path_query(&p, "from", ctl_opt(a, "--from"));
	ctl_path_query(&p, "to", ctl_opt(a, "--to"));
	if (f != NULL && strcmp(f, "html") == 0) {
		ctl_path_query(&p, "format", "html");
		return show_text(c, p.buf);
	}
	res = ctl_call(c, "GET", p.buf, NULL, NULL);
	if (c->json || (f != NULL && strcmp(f, "json") == 0))
		return show_json(c, res);
	text(stdout, res);
	json_decref(res);
	return 0;
}

static int
report_posture(const struct ctl *c, const struct ctl_args *a)
{
	return report(c, a, "/admin/v1/reports/posture", ctl_report_posture);
}

static int
report_art30(const struct ctl *c, const struct ctl_args *a)
{
	return report(c, a, "/admin/v1/reports/art30", ctl_report_art30);
}

static int
subject_export(const struct ctl *c, const struct ctl_args *a)
{
	ctl_stream(c, "POST", "/admin/v1/subjects/export",
	    json_pack("{s:s}", "subject", a->pos[0]));
	return 0;
}

static int
subject_erase(const struct ctl *c, const struct ctl_args *a)
{
	json_t *res = ctl_call(c, "POST", "/admin/v1/subjects/erase",
	    json_pack("{s:s}", "subject", a->pos[0]), NULL);

	if (!print_json(c, res))
		printf("%lld records unlinked from the subject\n",
		    num(res, "records_unlinked"));
	json_decref(res);
	return 0;
}

static int
health(const struct ctl *c, const struct ctl_args *a)
{
	json_t *res = ctl_call(c, "GET", "/admin/v1/health", NULL, NULL);

	if (!print_json(c, res))
		printf("%s (version %s, %lld keys, %lld in flight)\n",
		    str(res, "status"), str(res, "version"), num(res, "keys"),
		    num(res, "in_flight"));
	json_decref(res);
	return 0;
}

static int
metrics(const struct ctl *c, const struct ctl_args *a)
{
	return show_text(c, "/admin/v1/metrics");
}

static int
help(const struct ctl *c, const struct ctl_args *a)
{
	usage(stdout);
	return 0;
}

/* The commands: dispatch and the usage text follow this table. */
static const struct ctl_cmd cmds[] = {
	{ "team create", "NAME [--policy POLICY] [LIMITS]",
	  "create a team (policy: default)", team_create },
	{ "team set", "NAME LIMITS", "change a team's limits", team_set },
	{ "team list", "", "teams, their policies and limits", team_list },
	{ "team delete", "NAME",
	  "revoke its keys; list what it leaves upstream", team_delete },
	{ "objects", "[--team TEAM]", "objects kept upstream, by team",
	  objects },
	{ "key create", "--team TEAM [--name NAME] [--expires WHEN] "
	  "[--allow-ip CIDRS] [LIMITS]",
	  "create a key; prints the key only", key_create },
	{ "key set", "ID [--name NAME] [--expires WHEN] [--allow-ip CIDRS] "
	  "[LIMITS]", "change a key's name, expiry, allowlist or limits",
	  key_set },
	{ "key list", "[--team TEAM]", "keys and their states (ids, never "
	  "the keys)", key_list },
	{ "key rotate", "ID [--grace DURATION]", "a new secret, same id; the "
	  "old one works for --grace (24h); prints it", key_rotate },
	{ "key revoke", "ID", "revoke a key", key_revoke },
	{ "spend", "[--team TEAM] [--key ID] [--from DATE] [--to DATE] "
	  "[--group-by model|day|team|key]", "spend, tokens and requests",
	  spend },
	{ "requests", "[--limit N]", "the last requests (20)", requests },
	{ "audit verify", "[--checkpoints FILE]",
	  "verify the audit chain; exit 1 when it fails", audit_verify },
	{ "audit export", "[--from DATE] [--to DATE] [--team TEAM] "
	  "[--format jsonl|csv]", "the audit records, streamed",
	  audit_export },
	{ "audit checkpoints", "", "signed checkpoints (JSON; keep copies "
	  "elsewhere)", audit_checkpoints },
	{ "report posture", "[--team TEAM] [--from DATE] [--to DATE] "
	  "[--format text|json|html]", "the GDPR review checklist per team",
	  report_posture },
	{ "report art30", "[--team TEAM] [--from DATE] [--to DATE] "
	  "[--format text|json|html]", "the record of processing (GDPR "
	  "Art. 30)", report_art30 },
	{ "report processing", "[--team TEAM] [--from DATE] [--to DATE] "
	  "[--format json|html]", "report art30's former name (JSON)",
	  report_processing },
	{ "subject export", "ID",
	  "the records tagged X-Eugate-Subject: ID", subject_export },
	{ "subject erase", "ID", "delete its objects upstream; unlink its "
	  "records from ID", subject_erase },
	{ "admin create", "NAME --role ROLE [--team TEAM]...",
	  "an admin principal; prints its token only", admin_create },
	{ "admin list", "", "admin principals, their roles and teams",
	  admin_list },
	{ "admin revoke", "NAME", "its token stops working", admin_revoke },
	{ "admin rotate", "NAME", "a new token (the old one stops); prints "
	  "the token only", admin_rotate },
	{ "whoami", "", "the admin token's name, role and teams", whoami },
	{ "health", "", "status, version, keys, requests in flight", health },
	{ "metrics", "", "Prometheus metrics", metrics },
	{ "help", "", "this text", help },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: eugatectl [--url URL] [--token TOKEN] [--json] "
	    "COMMAND [ARGS]\ncommands:\n");
	ctl_usage_commands(out, cmds, N_CMDS);
	fprintf(out,
	    "LIMITS: --budget 100EUR/month (day, month, total; EUR, USD),\n"
	    "        --rpm N (requests/minute), --tpm N (tokens/minute);\n"
	    "        keys also --models GLOB,GLOB and --models-deny "
	    "GLOB,GLOB;\n"
	    "        none removes one.\n"
	    "DATE:   YYYY-MM-DD (UTC) or Unix seconds.\n"
	    "WHEN:   a duration (30d, 12h), a date (2027-03-31, 00:00 UTC), "
	    "an RFC 3339\n"
	    "        time (2027-03-31T12:00:00Z) or never.\n"
	    "DURATION: 24h, 30m, 7d, 0 (none).  CIDRS: 10.0.0.0/8,"
	    "2001:db8::/32 or none.\n"
	    "ROLE:   owner, admin, team-admin (with --team), auditor.\n"
	    "Tables show times in UTC (ISO 8601); --json prints the admin "
	    "API's answer.\n"
	    "environment: EUGATE_ADMIN_URL (default http://127.0.0.1:8081),\n"
	    "             EUGATE_ADMIN_TOKEN\n");
}

int
main(int argc, char **argv)
{
	struct ctl c = { getenv("EUGATE_ADMIN_URL"),
		getenv("EUGATE_ADMIN_TOKEN"), 0 };
	const struct ctl_cmd *cmd;
	struct ctl_args a;
	char *args[64];
	int n = 0, used = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			c.url = argv[++i];
		else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
			c.token = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (n < 63)
			args[n++] = argv[i];
		else
			ctl_die(2, "too many arguments");
	}
	args[n] = NULL;
	if (c.url == NULL)
		c.url = "http://127.0.0.1:8081";
	cmd = ctl_cmd_find(cmds, N_CMDS, n, args, &used);
	if (cmd == NULL) {
		if (n > 0)
			fprintf(stderr, "eugatectl: unknown command '%s%s%s'\n",
			    args[0], n > 1 ? " " : "", n > 1 ? args[1] : "");
		usage(stderr);
		return 2;
	}
	ctl_args_parse(cmd, n - used, args + used, &a);
	if (c.token == NULL && cmd->run != help)
		ctl_die(1, "no admin token: use --token or EUGATE_ADMIN_TOKEN");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd->run(&c, &a);
	curl_global_cleanup();
	if (fflush(stdout) != 0 || ferror(stdout))
		ctl_die(1, "cannot write to stdout");
	return rc;
}
