/* eugatectl: the compliance reports as text. */
#include <stdio.h>
#include <string.h>

#include "admin/ctl_report.h"

/* Writes s with control characters as '?'; NULL as "not stated". */
static void
put(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("not stated", out);
		return;
	}
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* A list of strings, comma-separated; empty as "not stated". */
static void
put_list(FILE *out, json_t *a)
{
	json_t *e;
	size_t i;

	if (json_array_size(a) == 0)
		fputs("not stated", out);
	json_array_foreach(a, i, e) {
		fputs(i ? ", " : "", out);
		put(out, json_string_value(e));
	}
}

static void
head(FILE *out, json_t *rep, const char *title)
{
	json_t *w;
	size_t i;

	fprintf(out, "%s, audit records ", title);
	if (str(rep, "from") != NULL &&
	    strcmp(str(rep, "from"), "1970-01-01T00:00:00Z") == 0)
		fputs("from the first record", out);
	else {
		fputs("from ", out);
		put(out, str(rep, "from"));
	}
	fputs(" to ", out);
	put(out, str(rep, "to"));
	fputs(" (generated ", out);
	put(out, str(rep, "generated_at"));
	fputs(")\ncontroller: ", out);
	put(out, str(rep, "controller"));
	fputs("\ndpo:        ", out);
	put(out, str(rep, "dpo"));
	fputc('\n', out);
	json_array_foreach(json_object_get(rep, "warnings"), i, w) {
		fputs("warning:    ", out);
		put(out, json_string_value(w));
		fputc('\n', out);
	}
}

void
ctl_report_posture(FILE *out, json_t *rep)
{
	json_t *t, *c;
	size_t i, k;

	head(out, rep, "GDPR review checklist");
	json_array_foreach(json_object_get(rep, "teams"), i, t) {
		json_t *s = json_object_get(t, "summary");

		fputs("\nteam ", out);
		put(out, str(t, "team"));
		fputs(" (policy ", out);
		put(out, str(t, "policy"));
		fprintf(out, "): %lld ok, %lld warn, %lld fail\n", num(s, "ok"),
		    num(s, "warn"), num(s, "fail"));
		json_array_foreach(json_object_get(t, "checks"), k, c) {
			fprintf(out, "  %-16s %-5s ", str(c, "check"),
			    str(c, "status"));
			put(out, str(c, "reason"));
			fputc('\n', out);
		}
	}
	if (json_array_size(json_object_get(rep, "teams")) == 0)
		fputs("\nno team exists yet\n", out);
}

static void
art30_team(FILE *out, json_t *t)
{
	const char *type;
	json_t *p, *r;
	size_t i;
	int sep = 0;

	fputs("\nteam ", out);
	put(out, str(t, "team"));
	fprintf(out, ": %lld requests (%lld under zero data retention)\n",
	    num(t, "requests"), num(t, "zdr_requests"));
	json_array_foreach(json_object_get(t, "processing"), i, p) {
		fputs("  policy ", out);
		put(out, str(p, "policy"));
		fprintf(out, " (%lld requests): ", num(p, "requests"));
		if (!json_is_true(json_object_get(p, "configured"))) {
			fputs("no longer configured\n", out);
			continue;
		}
		fputs("purpose: ", out);
		put(out, str(p, "purpose"));
		fputs("; legal basis: ", out);
		put(out, str(p, "legal_basis"));
		fputs("; data subjects: ", out);
		put_list(out, json_object_get(p, "data_subjects"));
		fputc('\n', out);
	}
	fputs("  personal data: ", out);
	json_object_foreach(json_object_get(t, "personal_data"), type, p) {
		fputs(sep++ ? ", " : "", out);
		put(out, type);
		fprintf(out, " (%lld in %lld requests)", num(p, "values"),
		    num(p, "requests"));
	}
	fputs(sep ? "\n" : "none found\n", out);
	json_array_foreach(json_object_get(t, "recipients"), i, r) {
		fputs("  recipient: ", out);
		put(out, str(r, "upstream"));
		fputs(" (", out);
		if (json_is_true(json_object_get(r, "self_hosted")))
			fputs("self-hosted", out);
		else
			put(out, str(r, "provider"));
		fputs(", region ", out);
		put(out, str(r, "region"));
		fprintf(out, "): %lld requests, %lld under ZDR, %lld with "
		    "sensitive data\n", num(r, "requests"), num(r,
		    "zdr_requests"), num(r, "sensitive_requests"));
	}
}

void
ctl_report_art30(FILE *out, json_t *rep)
{
	json_t *t, *v = json_object_get(rep, "verification");
	json_t *cp = json_object_get(v, "checkpoint");
	size_t i;

	head(out, rep, "Record of processing activities (GDPR Art. 30)");
	json_array_foreach(json_object_get(rep, "teams"), i, t)
		art30_team(out, t);
	fputs("\nrecipients:\n", out);
	json_array_foreach(json_object_get(rep, "recipients"), i, t) {
		fputs("  ", out);
		put(out, str(t, "upstream"));
		fputs(": ", out);
		if (json_is_true(json_object_get(t, "self_hosted")))
			fputs("self-hosted", out);
		else
			put(out, str(t, "provider"));
		fputs("; processes in ", out);
		put(out, str(t, "transfer"));
		if (!json_is_true(json_object_get(t, "self_hosted"))) {
			fputs("; DPA ", out);
			put(out, str(t, "dpa"));
			fputs("; subprocessors ", out);
			put(out, str(t, "subprocessors"));
		}
		fprintf(out, "; %lld requests\n", num(t, "requests"));
	}
	fputs("transfers to third countries:", out);
	json_array_foreach(json_object_get(rep, "transfers"), i, t) {
		fputs("\n  ", out);
		put(out, str(t, "upstream"));
		fputs(" -> ", out);
		put(out, str(t, "country_name"));
		fputs(": ", out);
		put(out, json_is_true(json_object_get(t, "ok")) ?
		    str(t, "safeguard") : "NO BASIS");
	}
	fputs(json_array_size(json_object_get(rep, "transfers")) ? "\n" :
	    " none\n", out);
	fputs("time limits for erasure: ", out);
	put(out, str(json_object_get(rep, "retention"), "text"));
	json_array_foreach(json_object_get(json_object_get(rep, "retention"),
	    "providers"), i, t) {
		fputs("; ", out);
		put(out, str(t, "upstream"));
		fputs(": ", out);
		put(out, str(t, "retention"));
	}
	fputs("\nmeasures:\n", out);
	json_array_foreach(json_object_get(rep, "measures"), i, t) {
		fputs("  ", out);
		put(out, str(t, "measure"));
		fputs(": ", out);
		put(out, str(t, "description"));
		fputc('\n', out);
	}
	fprintf(out, "verification: %s, records %lld..%lld, ",
	    json_is_true(json_object_get(v, "ok")) ? "the chain is intact" :
	    "THE CHAIN DOES NOT VERIFY", num(v, "first_seq"),
	    num(v, "last_seq"));
	if (num(v, "signed_through") > 0)
		fprintf(out, "signed through %lld", num(v, "signed_through"));
	else
		fputs("no checkpoint signed yet", out);
	if (json_is_object(cp)) {
		fputs(" (checkpoint of ", out);
		put(out, str(cp, "time"));
		fputs(", head ", out);
		put(out, str(cp, "head"));
		fputc(')', out);
	}
	fputc('\n', out);
}
