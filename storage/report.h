/*
 * What both backends' audit exports and reports share, without SQL:
 * a growing text for export pages, CSV cells into it, the export's
 * column names, and the processing report's JSON (per team: requests,
 * policies, personal data categories). Not for use outside storage/.
 */
#ifndef STORAGE_REPORT_H
#define STORAGE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A page of an export: at most this many records or bytes. */
#define REPORT_PAGE_RECORDS 1000
#define REPORT_PAGE_BYTES (256 * 1024)

/* A growing text; oom is set (and sticks) when memory ran out. */
struct report_text {
	char *p;
	size_t len, cap;
	int oom;
};

void report_text_cat(struct report_text *t, const char *s, size_t n);
/* One CSV cell (common/csv.h). */
void report_csv_field(struct report_text *t, const char *v);

/* The columns of an export, in order (AUDIT_COLUMNS without subject,
 * with the names users read). */
extern const char *const report_export_cols[];
extern const size_t report_n_export_cols;

/* The team's object in a processing report's array, created on first
 * use ({team, requests, zdr_requests, policies, policy_requests,
 * personal_data, recipients}). */
json_t *report_team(json_t *teams, const char *name);
/* Adds "EMAIL:2,IBAN:1" of requests records to {"EMAIL": {"values": n,
 * "requests": m}}. */
void report_add_pii(json_t *pd, const char *pii, int64_t requests);
/* Adds a policy applied to requests of the team (its policies and
 * policy_requests); "" (no policy) adds nothing. */
void report_add_policy(json_t *team, const char *policy, int64_t requests);
/* Adds n to the count member key of o (saturated). */
void report_add_count(json_t *o, const char *key, int64_t n);

#endif
