/* Shared by the backends' exports and reports: text, CSV cells, report JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "storage/report.h"

void
report_text_cat(struct report_text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t c = t->cap ? t->cap : 4096;
		char *b;

		while (c < t->len + n + 1)
			c *= 2;
		b = realloc(t->p, c);
		if (b == NULL) {
			t->oom = 1;
			return;
		}
		t->p = b;
		t->cap = c;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

const char *const report_export_cols[] = { "seq", "ts", "kind",
	"request_id", "key_id", "team", "client", "method", "path", "model",
	"upstream", "region", "policy", "verdicts", "route", "pii", "zdr",
	"streamed", "status", "error", "prompt_tokens", "completion_tokens",
	"cost_eur_micros", "cost_usd_micros", "latency_us", "request_hash",
	"response_hash", "prev", "hash" };
const size_t report_n_export_cols = sizeof(report_export_cols) /
    sizeof(report_export_cols[0]);

/* Through the one CSV cell writer (common/csv.h). */
void
report_csv_field(struct report_text *t, const char *v)
{
	char buf[2048], *big;
	size_t n = csv_cell(buf, sizeof(buf), v);

	if (n < sizeof(buf)) {
		report_text_cat(t, buf, n);
		return;
	}
	big = malloc(n + 1);
	if (big == NULL) {
		t->oom = 1;
		return;
	}
	csv_cell(big, n + 1, v);
	report_text_cat(t, big, n);
	free(big);
}

json_t *
report_team(json_t *teams, const char *name)
{
	size_t i;
	json_t *t;

	json_array_foreach(teams, i, t)
		if (strcmp(json_string_value(json_object_get(t, "team")),
		    name) == 0)
			return t;
	t = json_pack("{s:s, s:I, s:I, s:[], s:{}, s:{}, s:[]}", "team", name,
	    "requests", (json_int_t)0, "zdr_requests", (json_int_t)0,
	    "policies", "policy_requests", "personal_data", "recipients");
	json_array_append_new(teams, t);
	return t;
}

/* a + b x c for counts (>= 0), saturated: stored text may say anything. */
static json_int_t
count_add(json_int_t a, unsigned long long b, int64_t c)
{
	__int128 v = (__int128)a + (__int128)(b > INT64_MAX ? INT64_MAX : b) *
	    (c > 0 ? c : 0);

	return v > INT64_MAX ? INT64_MAX : (json_int_t)v;
}

void
report_add_pii(json_t *pd, const char *pii, int64_t requests)
{
	char type[64];
	unsigned long long count;
	int used;

	while (*pii != '\0' && sscanf(pii, "%63[^:]:%llu%n", type, &count,
	    &used) == 2) {
		json_t *e = json_object_get(pd, type);

		if (e == NULL) {
			e = json_pack("{s:I, s:I}", "values", (json_int_t)0,
			    "requests", (json_int_t)0);
			json_object_set_new(pd, type, e);
		}
		json_object_set_new(e, "values", json_integer(count_add(
		    json_integer_value(json_object_get(e, "values")), count,
		    requests)));
		json_object_set_new(e, "requests", json_integer(count_add(
		    json_integer_value(json_object_get(e, "requests")), 1,
		    requests)));
		pii += used;
		if (*pii == ',')
			pii++;
	}
}

void
report_add_count(json_t *o, const char *key, int64_t n)
{
	json_object_set_new(o, key, json_integer(count_add(json_integer_value(
	    json_object_get(o, key)), 1, n)));
}

void
report_add_policy(json_t *team, const char *policy, int64_t requests)
{
	if (*policy == '\0')
		return;
	json_array_append_new(json_object_get(team, "policies"),
	    json_string(policy));
	report_add_count(json_object_get(team, "policy_requests"), policy,
	    requests);
}
