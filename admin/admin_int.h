/*
 * Admin API internals shared by admin/admin.c (dispatch, answers, records)
 * and the route files: teams_routes.c, spend_routes.c, objects_routes.c,
 * audit_routes.c, reports_routes.c (with reports_html.c).
 * Not for use outside admin/.
 */
#ifndef ADMIN_ADMIN_INT_H
#define ADMIN_ADMIN_INT_H

#include <jansson.h>

#include "admin/admin.h"
#include "policy/keys.h"
#include "storage/store.h"

struct admin {
	struct store *store;
	struct store *reader;	/* long reads: exports, verification */
	struct keys_hmac *hmac;
	unsigned char token_hash[32];
	struct admin_hooks hooks;
	uint64_t seq;		/* admin call ids */
};

/* One admin call in flight. */
struct call {
	struct admin *a;
	const struct admin_io *io;
	void *io_arg;
	struct store_op op;
	char key[KEY_LEN + 1];	/* a new key, shown once */
	json_t *result;		/* answer kept while keys reload */
	int status;
	/* Its audit record, written before the answer leaves. */
	int audited;
	struct store_op audit;
	char *body;		/* the answer, held while it is recorded */
	size_t body_len;
	const char *ctype;
	uint64_t t0_us;
	char error[48];		/* the error code answered, or "" */
	/* A streamed answer (exports): pages read one at a time. */
	void (*next)(struct call *c);
	int streaming;
	int paused;		/* waits for admin_resume() */
	int gone;		/* the client left */
	int html;		/* the report as an HTML page */
	struct store_obj *objs;	/* objects a call forgets (malloc'ed) */
};

void admin_reply_json(struct call *c, int status, json_t *j);
/* An error answer: the code's status and type from common/errors.c. */
void admin_reply_error(struct call *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers with a text body (malloc'ed, taken) of the given type. */
void admin_reply_text(struct call *c, int status, char *body, size_t len,
    const char *ctype);
/* Starts a streamed answer once the call's record is written; then
 * calls next(c) for each piece. */
void admin_reply_stream(struct call *c, const char *ctype, void (*next)(struct call *));
/* Ends a streamed answer and frees the call. */
void admin_stream_end(struct call *c, int ok);
void admin_submit(struct call *c, int type, void (*done)(struct store_op *));
void admin_submit_read(struct call *c, int type, void (*done)(struct store_op *));
/* The value of name= in query, percent-decoded into out: 1 found, 0 not
 * there, -1 a bad escape or longer than outlen - 1. */
int admin_query_param(const char *query, const char *name, char *out,
    size_t outlen);
/* "2026-11-01" (UTC midnight) or Unix seconds, into milliseconds. */
int admin_parse_time(const char *s, int64_t *ms);
/* from= and to= of a query into [from, to); replies 400 and returns -1. */
int admin_query_period(struct call *c, const char *query, int64_t *from,
    int64_t *to);

/* A store read's rows answered as {"object": "list", "data": rows}. */
void admin_listed(struct store_op *op);

/* admin/teams_routes.c: teams, keys and their limits. */
void admin_team_create(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_team_list(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_team_update(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_key_create(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_key_list(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_key_revoke(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_key_update(struct call *c, const char *arg, const char *query,
    json_t *body);

/* admin/spend_routes.c: spend and the request log. */
void admin_spend_report(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_request_list(struct call *c, const char *arg, const char *query,
    json_t *body);

/* admin/objects_routes.c: objects kept upstream, and deleting a team. */
void admin_objects_list(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_team_delete(struct call *c, const char *arg, const char *query,
    json_t *body);

/* admin/audit_routes.c: the routes of the audit log. */
void admin_audit_list(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_audit_verify(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_audit_checkpoints(struct call *c, const char *arg,
    const char *query, json_t *body);
void admin_subject_export(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_subject_erase(struct call *c, const char *arg, const char *query,
    json_t *body);

/* admin/reports_routes.c: the compliance reports, JSON or HTML. */
void admin_report_posture(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_report_art30(struct call *c, const char *arg, const char *query,
    json_t *body);

/*
 * admin/reports_html.c: the reports as self-contained HTML documents to
 * print on A4 (inline style, no script, every value escaped). rep is the
 * JSON answer of the route (borrowed); the result is malloc'ed, NULL when
 * memory ran out.
 */
char *admin_html_posture(json_t *rep, size_t *len);
char *admin_html_art30(json_t *rep, size_t *len);

#endif
