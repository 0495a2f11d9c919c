/*
 * The compliance reports as HTML documents a DPO can print and file:
 * self-contained (one inline style sheet, no script, nothing loaded from
 * elsewhere: the document's own Content-Security-Policy forbids it), A4
 * pages, every value escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"

static const char style[] =
    "@page{size:A4;margin:16mm 14mm}"
    "body{font:10pt/1.4 sans-serif;color:#111;margin:0 auto;"
    "max-width:182mm}"
    "@media screen{body{margin:2em auto;padding:0 1em}}"
    "h1{font-size:17pt;margin:0 0 .3em}"
    "h2{font-size:13pt;margin:1.3em 0 .4em;break-after:avoid}"
    "h3{font-size:11pt;margin:1em 0 .3em;break-after:avoid}"
    "table{width:100%;border-collapse:collapse;margin:.3em 0 .8em}"
    "th,td{border:1px solid #888;padding:.2em .45em;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}"
    "td:first-child{overflow-wrap:normal;hyphens:auto}"
    "th{background:#eee;white-space:nowrap}"
    "thead{display:table-header-group}"
    "tr{break-inside:avoid}"
    ".meta{color:#444}.missing{color:#a00;font-style:italic}"
    ".st{font-weight:bold;white-space:nowrap}"
    ".ok{color:#075e1f}.warn{color:#8a5a00}.fail{color:#b00020}"
    ".box{border:1px solid #b8860b;background:#fff8e1;padding:.3em .8em;"
    "margin:.6em 0}"
    "footer{margin-top:2em;font-size:8.5pt;color:#555}";

/* Writes s HTML-escaped (NULL: nothing). */
static void
esc(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
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

/* A value as cell text: strings escaped, numbers, lists joined, null as
 * "not stated". */
static void
value(FILE *f, json_t *v)
{
	json_t *e;
	size_t i;

	if (json_is_string(v))
		esc(f, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_true(v) || json_is_false(v))
		fputs(json_is_true(v) ? "yes" : "no", f);
	else if (json_is_array(v) && json_array_size(v) > 0)
		json_array_foreach(v, i, e) {
			fputs(i ? ", " : "", f);
			value(f, e);
		}
	else
		fputs("<span class=\"missing\">not stated</span>", f);
}

static void
td(FILE *f, json_t *v)
{
	fputs("<td>", f);
	value(f, v);
	fputs("</td>", f);
}

/* "<tr><th>A</th>...</tr>" from "A|B|C". */
static void
thead(FILE *f, const char *cols)
{
	fputs("<thead><tr><th>", f);
	for (; *cols != '\0'; cols++)
		if (*cols == '|')
			fputs("</th><th>", f);
		else
			fputc(*cols, f);
	fputs("</th></tr></thead>\n", f);
}

static void
head(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta http-equiv=\""
	    "Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>", f);
	esc(f, title);
	fprintf(f, "</title><style>%s</style></head><body>\n", style);
}

static void
warnings(FILE *f, json_t *rep, const char *what)
{
	json_t *w = json_object_get(rep, "warnings"), *e;
	size_t i;

	if (json_array_size(w) == 0)
		return;
	fprintf(f, "<div class=\"box\"><p><b>%s</b></p><ul>\n", what);
	json_array_foreach(w, i, e) {
		fputs("<li>", f);
		esc(f, json_string_value(e));
		fputs("</li>\n", f);
	}
	fputs("</ul></div>\n", f);
}

/* Ends the document; out is the memory stream's buffer, set by fclose. */
static char *
finish(FILE *f, char **out)
{
	fputs("</body></html>\n", f);
	if (fclose(f) != 0) {
		free(*out);
		return NULL;
	}
	return *out;
}

/* "from X to Y" of the report's period. */
static void
period(FILE *f, json_t *rep)
{
	const char *from = str(rep, "from");

	if (from != NULL && strcmp(from, "1970-01-01T00:00:00Z") == 0)
		fputs("from the first record", f);
	else {
		fputs("from ", f);
		esc(f, from);
	}
	fputs(" to ", f);
	esc(f, str(rep, "to"));
}

/* ---- The posture ---------------------------------------------------- */

static void
posture_team(FILE *f, json_t *t)
{
	json_t *c;
	size_t i;

	fputs("<section><h2>Team ", f);
	esc(f, str(t, "team"));
	fputs(" <span class=\"meta\">(policy ", f);
	esc(f, str(t, "policy"));
	fputs(")</span></h2>\n<table>", f);
	thead(f, "Check|Status|Evidence");
	fputs("<tbody>\n", f);
	json_array_foreach(json_object_get(t, "checks"), i, c) {
		const char *st = str(c, "status");
		const char *mark = strcmp(st, "ok") == 0 ? "&#10003; ok" :
		    strcmp(st, "warn") == 0 ? "! warn" : "&#10007; fail";

		fputs("<tr><td>", f);
		esc(f, str(c, "check"));
		fputs("</td><td class=\"st ", f);
		esc(f, st);
		fprintf(f, "\">%s</td><td>", mark);
		esc(f, str(c, "reason"));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

char *
admin_html_posture(json_t *rep, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	json_t *t, *teams = json_object_get(rep, "teams");
	size_t i;

	if (f == NULL)
		return NULL;
	head(f, "GDPR review checklist");
	fputs("<h1>GDPR review checklist</h1>\n<p class=\"meta\">The ten "
	    "questions of a GDPR review of an AI provider, answered per team "
	    "from the eugate configuration and its audit log. Generated ", f);
	esc(f, str(rep, "generated_at"));
	fputs("; audit records ", f);
	period(f, rep);
	fputs(".</p>\n<table>", f);
	thead(f, "Controller|Data protection officer");
	fputs("<tbody><tr>", f);
	td(f, json_object_get(rep, "controller"));
	td(f, json_object_get(rep, "dpo"));
	fputs("</tr></tbody></table>\n", f);
	warnings(f, rep, "Not stated in the configuration:");
	fputs("<h2>Summary</h2>\n<table>", f);
	thead(f, "Team|Policy|ok|warn|fail");
	fputs("<tbody>\n", f);
	json_array_foreach(teams, i, t) {
		json_t *s = json_object_get(t, "summary");

		fputs("<tr>", f);
		td(f, json_object_get(t, "team"));
		td(f, json_object_get(t, "policy"));
		fprintf(f, "<td class=\"ok\">%lld</td><td class=\"warn\">%lld"
		    "</td><td class=\"fail\">%lld</td></tr>\n", num(s, "ok"),
		    num(s, "warn"), num(s, "fail"));
	}
	fputs("</tbody></table>\n", f);
	if (json_array_size(teams) == 0)
		fputs("<p>No team exists yet.</p>\n", f);
	json_array_foreach(teams, i, t)
		posture_team(f, t);
	fputs("<footer>ok: the evidence answers the question; warn: the "
	    "configuration does not state something, or leaves a choice "
	    "open; fail: data may go, or went, where the question says it "
	    "must not.</footer>\n", f);
	return finish(f, &out);
}

/* ---- The Art. 30 record --------------------------------------------- */

static void
art30_team(FILE *f, json_t *t)
{
	const char *k;
	json_t *v, *r;
	size_t i;

	fputs("<h3>Team ", f);
	esc(f, str(t, "team"));
	fprintf(f, "</h3>\n<p>%lld requests, %lld of them under zero data "
	    "retention.</p>\n<table>", num(t, "requests"), num(t,
	    "zdr_requests"));
	thead(f, "Policy|Requests|Purpose|Legal basis|Data subjects");
	fputs("<tbody>\n", f);
	json_array_foreach(json_object_get(t, "processing"), i, v) {
		fputs("<tr>", f);
		td(f, json_object_get(v, "policy"));
		td(f, json_object_get(v, "requests"));
		if (!json_is_true(json_object_get(v, "configured"))) {
			fputs("<td colspan=\"3\" class=\"missing\">the "
			    "policy is no longer configured</td></tr>\n", f);
			continue;
		}
		td(f, json_object_get(v, "purpose"));
		td(f, json_object_get(v, "legal_basis"));
		td(f, json_object_get(v, "data_subjects"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n<table>", f);
	thead(f, "Category of personal data|Values found|Requests");
	fputs("<tbody>\n", f);
	json_object_foreach(json_object_get(t, "personal_data"), k, v) {
		fputs("<tr><td>", f);
		esc(f, k);
		fputs("</td>", f);
		td(f, json_object_get(v, "values"));
		td(f, json_object_get(v, "requests"));
		fputs("</tr>\n", f);
	}
	if (json_object_size(json_object_get(t, "personal_data")) == 0)
		fputs("<tr><td colspan=\"3\">none found</td></tr>\n", f);
	fputs("</tbody></table>\n<table>", f);
	thead(f, "Recipient (upstream)|Provider|Region|Requests|Under ZDR|"
	    "Sensitive");
	fputs("<tbody>\n", f);
	json_array_foreach(json_object_get(t, "recipients"), i, r) {
		fputs("<tr>", f);
		td(f, json_object_get(r, "upstream"));
		if (json_is_true(json_object_get(r, "self_hosted")))
			fputs("<td>self-hosted</td>", f);
		else
			td(f, json_object_get(r, "provider"));
		td(f, json_object_get(r, "region"));
		td(f, json_object_get(r, "requests"));
		td(f, json_object_get(r, "zdr_requests"));
		td(f, json_object_get(r, "sensitive_requests"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void
art30_recipients(FILE *f, json_t *rep)
{
	json_t *r;
	size_t i;

	fputs("<h2>3. Recipients</h2>\n<table>", f);
	thead(f, "Upstream|Provider|Processes in|DPA|Subprocessors|Requests");
	fputs("<tbody>\n", f);
	json_array_foreach(json_object_get(rep, "recipients"), i, r) {
		int self = json_is_true(json_object_get(r, "self_hosted"));

		fputs("<tr>", f);
		td(f, json_object_get(r, "upstream"));
		if (self)
			fputs("<td>self-hosted (the controller)</td>", f);
		else
			td(f, json_object_get(r, "provider"));
		td(f, json_object_get(r, "transfer"));
		if (self)
			fputs("<td>-</td><td>-</td>", f);
		else {
			td(f, json_object_get(r, "dpa"));
			td(f, json_object_get(r, "subprocessors"));
		}
		td(f, json_object_get(r, "requests"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void
art30_transfers(FILE *f, json_t *rep)
{
	json_t *t, *tr = json_object_get(rep, "transfers");
	size_t i;

	fputs("<h2>4. Transfers to third countries</h2>\n", f);
	if (json_array_size(tr) == 0) {
		fputs("<p>None: every recipient processes in the EEA (or its "
		    "location is not stated, see the warnings).</p>\n", f);
		return;
	}
	fputs("<table>", f);
	thead(f, "Upstream|Provider|Country|Safeguard|Adequacy decision");
	fputs("<tbody>\n", f);
	json_array_foreach(tr, i, t) {
		int okay = json_is_true(json_object_get(t, "ok"));

		fputs("<tr>", f);
		td(f, json_object_get(t, "upstream"));
		td(f, json_object_get(t, "provider"));
		fputs("<td>", f);
		esc(f, str(t, "country_name"));
		fputs(" (", f);
		esc(f, str(t, "country"));
		fprintf(f, ")</td><td class=\"%s\">", okay ? "" : "fail");
		esc(f, okay ? str(t, "safeguard") : "no basis stated");
		fputs("</td>", f);
		if (json_is_string(json_object_get(t, "decision")))
			td(f, json_object_get(t, "decision"));
		else
			fputs("<td>-</td>", f);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void
art30_retention(FILE *f, json_t *rep)
{
	json_t *ret = json_object_get(rep, "retention"), *p;
	size_t i;

	fputs("<h2>5. Time limits for erasure</h2>\n<p>", f);
	esc(f, str(ret, "text"));
	fputs(".</p>\n<table>", f);
	thead(f, "Upstream|Provider|Provider keeps");
	fputs("<tbody>\n", f);
	json_array_foreach(json_object_get(ret, "providers"), i, p) {
		fputs("<tr>", f);
		td(f, json_object_get(p, "upstream"));
		td(f, json_object_get(p, "provider"));
		td(f, json_object_get(p, "retention"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void
art30_verification(FILE *f, json_t *rep)
{
	json_t *v = json_object_get(rep, "verification");
	json_t *cp = json_object_get(v, "checkpoint");
	json_t *bad = json_object_get(v, "first_bad");

	fputs("<h2>7. Verification of the figures</h2>\n<p>", f);
	if (bad != NULL) {
		fprintf(f, "<b class=\"fail\">The audit chain does not verify: "
		    "record %lld: ", num(bad, "seq"));
		esc(f, str(bad, "reason"));
		fputs("</b> The figures above include every record.", f);
	} else
		fprintf(f, "The figures above are computed from audit records "
		    "%lld to %lld, whose hash chain verified intact; %lld "
		    "followed the last signed checkpoint.", num(v, "first_seq"),
		    num(v, "last_seq"), num(v, "unsigned_records"));
	fputs("</p>\n<table>", f);
	thead(f, "Signed checkpoint|Time|Chain head (SHA-256)|Signing key "
	    "(Ed25519)");
	fputs("<tbody><tr>", f);
	if (json_is_object(cp)) {
		td(f, json_object_get(cp, "seq"));
		td(f, json_object_get(cp, "time"));
		td(f, json_object_get(cp, "head"));
	} else
		fputs("<td colspan=\"3\" class=\"missing\">no checkpoint "
		    "signed yet</td>", f);
	td(f, json_object_get(v, "public_key"));
	fputs("</tr></tbody></table>\n", f);
}

char *
admin_html_art30(json_t *rep, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	json_t *t, *m, *tt = json_object_get(rep, "transfer_table");
	size_t i;

	if (f == NULL)
		return NULL;
	head(f, "Record of processing activities (GDPR Art. 30)");
	fputs("<h1>Record of processing activities</h1>\n<p class=\"meta\">"
	    "GDPR Art. 30(1). Processing: prompts to AI models and their "
	    "answers, through the eugate gateway. Period: ", f);
	period(f, rep);
	fputs(". Generated ", f);
	esc(f, str(rep, "generated_at"));
	fputs(".</p>\n", f);
	warnings(f, rep, "Not stated, or not in order:");
	fputs("<h2>1. Controller and data protection officer</h2>\n<table>",
	    f);
	thead(f, "Controller (name and contact)|Data protection officer");
	fputs("<tbody><tr>", f);
	td(f, json_object_get(rep, "controller"));
	td(f, json_object_get(rep, "dpo"));
	fputs("</tr></tbody></table>\n<h2>2. Processing per team: purposes, "
	    "legal basis, data subjects, categories of personal data</h2>\n"
	    "<p class=\"meta\">Categories are what eugate's detection found "
	    "in the requests (types and counts; values are never stored).</p>"
	    "\n", f);
	json_array_foreach(json_object_get(rep, "teams"), i, t)
		art30_team(f, t);
	if (json_array_size(json_object_get(rep, "teams")) == 0)
		fputs("<p>No requests in this period.</p>\n", f);
	art30_recipients(f, rep);
	art30_transfers(f, rep);
	art30_retention(f, rep);
	fputs("<h2>6. Technical and organisational measures</h2>\n<table>",
	    f);
	thead(f, "Measure|Description");
	fputs("<tbody>\n", f);
	json_array_foreach(json_object_get(rep, "measures"), i, m) {
		fputs("<tr>", f);
		td(f, json_object_get(m, "measure"));
		td(f, json_object_get(m, "description"));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	art30_verification(f, rep);
	fputs("<footer>EEA membership and adequacy decisions: ", f);
	esc(f, str(tt, "source"));
	fputs(", as of ", f);
	esc(f, str(tt, "date"));
	fputs(".</footer>\n", f);
	return finish(f, &out);
}
