/* eugatectl: the command-line client of the admin API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

struct ctl {
	const char *url;
	const char *token;
	int json;
};

struct buf {
	char *data;
	size_t len;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;
	char *nd;

	if (b->len + len > 64 * 1024 * 1024)
		return 0;
	nd = realloc(b->data, b->len + len + 1);
	if (nd == NULL)
		return 0;
	b->data = nd;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static void
die(const char *msg)
{
	fprintf(stderr, "eugatectl: %s\n", msg);
	exit(1);
}

/*
 * Calls the admin API; exits with a one-line reason on any failure. Takes
 * the reference to body; the result is the caller's.
 */
static json_t *
call(const struct ctl *c, const char *method, const char *path, json_t *body,
    char **text)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = NULL;
	struct buf b = { NULL, 0 };
	char url[2048], auth[1024], *payload = NULL, msg[512];
	long status = 0;
	CURLcode rc;
	json_t *res;
	json_error_t jerr;

	if (e == NULL)
		die("out of memory");
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload);
	}
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	free(payload);
	if (rc != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%s: %s", c->url,
		    curl_easy_strerror(rc));
		die(msg);
	}
	if (text != NULL && status == 200) {
		*text = b.data ? b.data : strdup("");
		return NULL;
	}
	res = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	if (status < 200 || status >= 300) {
		const char *m = json_string_value(json_object_get(res,
		    "message"));

		snprintf(msg, sizeof(msg), "%s %s: HTTP %ld: %s", method, path,
		    status, m ? m : (b.data ? b.data : "no answer"));
		json_decref(res);
		free(b.data);
		die(msg);
	}
	free(b.data);
	if (res == NULL)
		die("the admin API did not answer JSON");
	return res;
}

/* A streamed answer (exports): its body goes to stdout as it arrives. */
struct sink {
	CURL *e;
	struct buf err;		/* the body of a failed call */
	long status;
	int failed;		/* stdout could not be written */
};

static size_t
to_stdout(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;

	if (k->status == 0)
		curl_easy_getinfo(k->e, CURLINFO_RESPONSE_CODE, &k->status);
	if (k->status != 200)
		return collect(p, size, n, &k->err);
	if (fwrite(p, size, n, stdout) != n) {
		k->failed = 1;
		return 0;
	}
	return size * n;
}

/* Calls the admin API and copies a 200 answer to stdout as it streams;
 * a failure, or an answer cut short, exits non-zero. */
static void
stream(const struct ctl *c, const char *method, const char *path,
    json_t *body)
{
	struct sink k = { curl_easy_init(), { NULL, 0 }, 0, 0 };
	struct curl_slist *h = NULL;
	char url[2048], auth[1024], *payload = NULL, msg[512];
	CURLcode rc;

	if (k.e == NULL)
		die("out of memory");
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(k.e, CURLOPT_URL, url);
	curl_easy_setopt(k.e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k.e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(k.e, CURLOPT_WRITEFUNCTION, to_stdout);
	curl_easy_setopt(k.e, CURLOPT_WRITEDATA, &k);
	/* No total timeout (an export may be large): stalls end it. */
	curl_easy_setopt(k.e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(k.e, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(k.e, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		curl_easy_setopt(k.e, CURLOPT_POSTFIELDS, payload);
	}
	rc = curl_easy_perform(k.e);
	curl_easy_getinfo(k.e, CURLINFO_RESPONSE_CODE, &k.status);
	curl_slist_free_all(h);
	curl_easy_cleanup(k.e);
	free(payload);
	if (fflush(stdout) != 0 || k.failed)
		die("cannot write to stdout");
	if (rc == CURLE_OK && k.status == 200)
		return;
	if (k.status != 200 && k.status != 0) {
		json_t *res = json_loadb(k.err.data ? k.err.data : "",
		    k.err.len, 0, NULL);
		const char *m = json_string_value(json_object_get(res,
		    "message"));

		snprintf(msg, sizeof(msg), "%s %s: HTTP %ld: %s", method, path,
		    k.status, m ? m : "no answer");
		json_decref(res);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s (the output is incomplete)",
		    c->url, curl_easy_strerror(rc));
	}
	free(k.err.data);
	die(msg);
}

static void
print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s ? s : "null");
	free(s);
}

static const char *
str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static void
print_list(const json_t *res, const char *const *cols)
{
	const json_t *data = json_object_get(res, "data"), *row;
	size_t i;

	for (int k = 0; cols[k] != NULL; k++)
		printf("%-20s", cols[k]);
	printf("\n");
	json_array_foreach(data, i, row) {
		for (int k = 0; cols[k] != NULL; k++) {
			const json_t *v = json_object_get(row, cols[k]);

			if (json_is_integer(v))
				printf("%-20lld", (long long)json_integer_value(v));
			else if (json_is_object(v)) {	/* a budget */
				char b[64];

				snprintf(b, sizeof(b), "%s%s/%s",
				    str(v, "amount"), str(v, "currency"),
				    str(v, "period"));
				printf("%-20s", b);
			} else if (json_is_array(v)) {	/* model globs */
				char b[256];
				size_t j, len = 0;
				const json_t *g;

				b[0] = '\0';
				json_array_foreach(v, j, g)
					if (len < sizeof(b))
						len += (size_t)snprintf(b + len,
						    sizeof(b) - len, "%s%s",
						    j ? "," : "",
						    json_string_value(g));
				printf("%-20s", b);
			} else
				printf("%-20s", str(row, cols[k]));
		}
		printf("\n");
	}
}

/* Finds "--name value" in argv; returns NULL if absent. */
static const char *
opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

/*
 * Adds --budget, --rpm, --tpm and (keys) --models, --models-deny to a
 * request body ("none" removes one). The gateway checks the values; only
 * the shape is checked here.
 */
static json_t *
limits(json_t *body, int argc, char **argv)
{
	const char *b = opt(argc, argv, "--budget");
	const char *const rates[] = { "--rpm", "--tpm" };
	const char *const globs[][2] = { { "--models", "models" },
		{ "--models-deny", "models_deny" } };

	for (int i = 0; i < 2; i++) {
		const char *v = opt(argc, argv, globs[i][0]);
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
		const char *v = opt(argc, argv, rates[i]);
		char *end;
		long long n;

		if (v == NULL)
			continue;
		if (strcmp(v, "none") == 0) {
			json_object_set_new(body, rates[i] + 2, json_null());
			continue;
		}
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 0) {
			fprintf(stderr, "eugatectl: %s: a number or none\n",
			    rates[i]);
			exit(2);
		}
		json_object_set_new(body, rates[i] + 2, json_integer(n));
	}
	return body;
}

/* Appends "&name=value" for an option that is given. */
static void
query_add(char *q, size_t len, int argc, char **argv, const char *option,
    const char *name)
{
	const char *v = opt(argc, argv, option);
	size_t n = strlen(q);

	if (v != NULL)
		snprintf(q + n, len - n, "%s%s=%s", n ? "&" : "?", name, v);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: eugatectl [--url URL] [--token TOKEN] [--json] COMMAND\n"
	    "commands:\n"
	    "  team create NAME [--policy POLICY] [LIMITS]\n"
	    "  team set NAME LIMITS\n"
	    "  team list\n"
	    "  team delete NAME   (revokes its keys; lists what it leaves "
	    "upstream)\n"
	    "  objects [--team TEAM]   (objects kept upstream, by team)\n"
	    "  key create --team TEAM [--name NAME] [LIMITS]"
	    "   (prints the key only)\n"
	    "  key set ID LIMITS\n"
	    "  key list [--team TEAM]\n"
	    "  key revoke ID\n"
	    "  spend [--team TEAM] [--key ID] [--from DATE] [--to DATE]\n"
	    "        [--group-by model|day|team|key]\n"
	    "LIMITS: --budget 100EUR/month (day, month, total; EUR, USD),\n"
	    "        --rpm N (requests/minute), --tpm N (tokens/minute);\n"
	    "        keys also --models GLOB,GLOB and --models-deny GLOB,GLOB;\n"
	    "        none removes one. DATE: YYYY-MM-DD (UTC) or Unix "
	    "seconds.\n"
	    "  requests [--limit N]\n"
	    "  audit verify [--checkpoints FILE]   (exit 1 when it fails)\n"
	    "  audit export [--from DATE] [--to DATE] [--team TEAM]\n"
	    "        [--format jsonl|csv]\n"
	    "  audit checkpoints   (JSON; keep copies elsewhere)\n"
	    "  report processing [--team TEAM] [--from DATE] [--to DATE]\n"
	    "        [--format json|html]\n"
	    "  subject export ID   (the records tagged X-Eugate-Subject: ID)\n"
	    "  subject erase ID    (deletes its objects upstream; removes "
	    "the\n"
	    "                       records' link to ID)\n"
	    "  health\n"
	    "  metrics\n"
	    "environment: EUGATE_ADMIN_URL (default http://127.0.0.1:8081),\n"
	    "             EUGATE_ADMIN_TOKEN\n");
}

int
main(int argc, char **argv)
{
	struct ctl c = { getenv("EUGATE_ADMIN_URL"), getenv("EUGATE_ADMIN_TOKEN"),
		0 };
	char *args[64];
	int n = 0;
	json_t *res = NULL;
	char path[512];

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
	}
	args[n] = NULL;
	if (c.url == NULL)
		c.url = "http://127.0.0.1:8081";
	if (n == 0) {
		usage(stderr);
		return 2;
	}
	if (c.token == NULL)
		die("no admin token: use --token or EUGATE_ADMIN_TOKEN");
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (n >= 3 && strcmp(args[0], "team") == 0 &&
	    strcmp(args[1], "create") == 0) {
		const char *policy = opt(n, args, "--policy");

		res = call(&c, "POST", "/admin/v1/teams", limits(json_pack(
		    "{s:s, s:s}", "name", args[2], "policy", policy ? policy :
		    "default"), n, args), NULL);
		if (!c.json)
			printf("team %s created (policy %s)\n", str(res, "name"),
			    str(res, "policy"));
	} else if (n >= 3 && (strcmp(args[0], "team") == 0 ||
	    strcmp(args[0], "key") == 0) && strcmp(args[1], "set") == 0) {
		snprintf(path, sizeof(path), "/admin/v1/%ss/%s", args[0],
		    args[2]);
		res = call(&c, "PATCH", path, limits(json_object(), n, args),
		    NULL);
		if (!c.json)
			printf("%s %s updated\n", args[0], args[2]);
	} else if (n == 2 && strcmp(args[0], "team") == 0 &&
	    strcmp(args[1], "list") == 0) {
		static const char *const cols[] = { "name", "policy", "keys",
			"budget", "rpm", "tpm", NULL };

		res = call(&c, "GET", "/admin/v1/teams", NULL, NULL);
		if (!c.json)
			print_list(res, cols);
	} else if (n == 3 && strcmp(args[0], "team") == 0 &&
	    strcmp(args[1], "delete") == 0) {
		static const char *const cols[] = { "kind", "id", "upstream",
			NULL };

		snprintf(path, sizeof(path), "/admin/v1/teams/%s", args[2]);
		res = call(&c, "DELETE", path, NULL, NULL);
		if (!c.json) {
			printf("team %s deleted: %lld keys revoked, %zu objects "
			    "left upstream\n", args[2], (long long)
			    json_integer_value(json_object_get(res,
			    "keys_revoked")), json_array_size(json_object_get(
			    res, "objects_left")));
			if (json_array_size(json_object_get(res,
			    "objects_left")) > 0) {
				json_t *l = json_pack("{s:O}", "data",
				    json_object_get(res, "objects_left"));

				print_list(l, cols);
				json_decref(l);
			}
		}
	} else if (n >= 1 && strcmp(args[0], "objects") == 0) {
		static const char *const cols[] = { "team", "kind", "id",
			"upstream", "created", NULL };
		const char *team = opt(n, args, "--team");

		snprintf(path, sizeof(path), "/admin/v1/objects%s%s",
		    team ? "?team=" : "", team ? team : "");
		res = call(&c, "GET", path, NULL, NULL);
		if (!c.json)
			print_list(res, cols);
	} else if (n >= 2 && strcmp(args[0], "key") == 0 &&
	    strcmp(args[1], "create") == 0) {
		const char *team = opt(n, args, "--team");
		const char *name = opt(n, args, "--name");
		json_t *body;

		if (team == NULL)
			die("key create needs --team TEAM");
		body = limits(json_pack("{s:s}", "team", team), n, args);
		if (name != NULL)
			json_object_set_new(body, "name", json_string(name));
		res = call(&c, "POST", "/admin/v1/keys", body, NULL);
		if (!c.json)
			printf("%s\n", str(res, "key"));
	} else if (n >= 2 && strcmp(args[0], "key") == 0 &&
	    strcmp(args[1], "list") == 0) {
		static const char *const cols[] = { "id", "team", "name",
			"created_at", "revoked_at", "budget", "models", NULL };
		const char *team = opt(n, args, "--team");

		snprintf(path, sizeof(path), "/admin/v1/keys%s%s",
		    team ? "?team=" : "", team ? team : "");
		res = call(&c, "GET", path, NULL, NULL);
		if (!c.json)
			print_list(res, cols);
	} else if (n == 3 && strcmp(args[0], "key") == 0 &&
	    strcmp(args[1], "revoke") == 0) {
		snprintf(path, sizeof(path), "/admin/v1/keys/%s", args[2]);
		res = call(&c, "DELETE", path, NULL, NULL);
		if (!c.json)
			printf("key %s revoked\n", str(res, "id"));
	} else if (n >= 1 && strcmp(args[0], "requests") == 0) {
		static const char *const cols[] = { "request_id", "team",
			"path", "model", "region", "status", "prompt_tokens",
			"completion_tokens", NULL };
		const char *limit = opt(n, args, "--limit");

		snprintf(path, sizeof(path), "/admin/v1/requests?limit=%s",
		    limit ? limit : "20");
		res = call(&c, "GET", path, NULL, NULL);
		if (!c.json)
			print_list(res, cols);
	} else if (n >= 1 && strcmp(args[0], "spend") == 0) {
		static const char *const by[] = { "model", "day", "team",
			"key" };
		static const char *const fixed[] = { "requests",
			"prompt_tokens", "completion_tokens", "cost_eur",
			"cost_usd", "reserved_eur" };
		const char *cols[8] = { NULL }, *g = opt(n, args, "--group-by");
		char q[400] = "";
		int k = 0;

		for (int i = 0; g != NULL && i < 4; i++)
			if (strcmp(g, by[i]) == 0)
				cols[k++] = by[i];
		for (int i = 0; i < 6; i++)
			cols[k++] = fixed[i];
		query_add(q, sizeof(q), n, args, "--team", "team");
		query_add(q, sizeof(q), n, args, "--key", "key");
		query_add(q, sizeof(q), n, args, "--from", "from");
		query_add(q, sizeof(q), n, args, "--to", "to");
		query_add(q, sizeof(q), n, args, "--group-by", "group_by");
		snprintf(path, sizeof(path), "/admin/v1/spend%s", q);
		res = call(&c, "GET", path, NULL, NULL);
		if (!c.json)
			print_list(res, cols);
	} else if (n >= 2 && strcmp(args[0], "audit") == 0 &&
	    strcmp(args[1], "verify") == 0) {
		const char *file = opt(n, args, "--checkpoints");
		json_t *body = NULL, *bad;
		json_error_t jerr;

		if (file != NULL) {
			body = json_load_file(file, 0, &jerr);
			if (!json_is_object(body)) {
				snprintf(path, sizeof(path), "%s: %s", file,
				    jerr.text);
				die(path);
			}
		}
		res = call(&c, "POST", "/admin/v1/audit/verify", body, NULL);
		bad = json_object_get(res, "first_bad");
		if (!c.json && bad == NULL)
			printf("ok: %lld records (%lld..%lld), signed through "
			    "%lld (%lld checkpoints, %lld external)\n",
			    (long long)json_integer_value(json_object_get(res,
			    "records")), (long long)json_integer_value(
			    json_object_get(res, "first_seq")),
			    (long long)json_integer_value(json_object_get(res,
			    "last_seq")), (long long)json_integer_value(
			    json_object_get(res, "signed_through")),
			    (long long)json_integer_value(json_object_get(res,
			    "checkpoints")), (long long)json_integer_value(
			    json_object_get(res, "external_checkpoints")));
		else if (!c.json)
			printf("FAILED at record %lld: %s\n",
			    (long long)json_integer_value(json_object_get(bad,
			    "seq")), str(bad, "reason"));
		if (bad != NULL) {
			if (c.json)
				print_json(res);
			json_decref(res);
			return 1;
		}
	} else if (n >= 2 && strcmp(args[0], "audit") == 0 &&
	    strcmp(args[1], "export") == 0) {
		char q[400] = "";

		query_add(q, sizeof(q), n, args, "--from", "from");
		query_add(q, sizeof(q), n, args, "--to", "to");
		query_add(q, sizeof(q), n, args, "--team", "team");
		query_add(q, sizeof(q), n, args, "--format", "format");
		snprintf(path, sizeof(path), "/admin/v1/audit%s", q);
		stream(&c, "GET", path, NULL);
	} else if (n == 2 && strcmp(args[0], "audit") == 0 &&
	    strcmp(args[1], "checkpoints") == 0) {
		res = call(&c, "GET", "/admin/v1/audit/checkpoints", NULL, NULL);
		c.json = 1;
	} else if (n >= 2 && strcmp(args[0], "report") == 0 &&
	    strcmp(args[1], "processing") == 0) {
		const char *f = opt(n, args, "--format");
		char q[400] = "", *text = NULL;

		query_add(q, sizeof(q), n, args, "--team", "team");
		query_add(q, sizeof(q), n, args, "--from", "from");
		query_add(q, sizeof(q), n, args, "--to", "to");
		query_add(q, sizeof(q), n, args, "--format", "format");
		snprintf(path, sizeof(path), "/admin/v1/reports/processing%s", q);
		if (f != NULL && strcmp(f, "html") == 0) {
			call(&c, "GET", path, NULL, &text);
			fputs(text, stdout);
			free(text);
		} else {
			res = call(&c, "GET", path, NULL, NULL);
			c.json = 1;
		}
	} else if (n == 3 && strcmp(args[0], "subject") == 0 &&
	    strcmp(args[1], "export") == 0) {
		stream(&c, "POST", "/admin/v1/subjects/export",
		    json_pack("{s:s}", "subject", args[2]));
	} else if (n == 3 && strcmp(args[0], "subject") == 0 &&
	    strcmp(args[1], "erase") == 0) {
		res = call(&c, "POST", "/admin/v1/subjects/erase",
		    json_pack("{s:s}", "subject", args[2]), NULL);
		if (!c.json)
			printf("%lld records unlinked from the subject\n",
			    (long long)json_integer_value(json_object_get(res,
			    "records_unlinked")));
	} else if (n == 1 && strcmp(args[0], "health") == 0) {
		res = call(&c, "GET", "/admin/v1/health", NULL, NULL);
		if (!c.json)
			printf("%s (version %s, %lld keys, %d in flight)\n",
			    str(res, "status"), str(res, "version"),
			    (long long)json_integer_value(json_object_get(res,
			    "keys")), (int)json_integer_value(json_object_get(res,
			    "in_flight")));
	} else if (n == 1 && strcmp(args[0], "metrics") == 0) {
		char *text = NULL;

		call(&c, "GET", "/admin/v1/metrics", NULL, &text);
		fputs(text, stdout);
		free(text);
	} else {
		usage(stderr);
		return 2;
	}
	if (c.json && res != NULL)
		print_json(res);
	json_decref(res);
	curl_global_cleanup();
	return 0;
}
