/*
 * Admin API internals shared by admin/admin.c (dispatch, answers, records)
 * and the route files: teams_routes.c, spend_routes.c, objects_routes.c,
 * audit_routes.c, reports_routes.c (with reports_html.c), admins_routes.c
 * (principals and their cache).
 * Not for use outside admin/.
 */
#ifndef ADMIN_ADMIN_INT_H
#define ADMIN_ADMIN_INT_H

#include <jansson.h>

#include "admin/admin.h"
#include "policy/keys.h"
#include "storage/store.h"

struct route;		/* a row of the route table (admin.c) */

/* The roles of admin principals, from most to least power. */
enum admin_role { ROLE_OWNER, ROLE_ADMIN, ROLE_TEAM_ADMIN, ROLE_AUDITOR,
	ROLE__COUNT };

#define ADMIN_MAX_TEAMS 16	/* teams of one team admin */

/* Who calls: the bootstrap owner or a stored principal. */
struct principal {
	char name[65];
	int role;		/* enum admin_role */
	unsigned char hmac[32];	/* its token's (stored principals) */
	char teams[ADMIN_MAX_TEAMS][65];	/* a team admin's */
	int n_teams;
};

struct admin {
	struct store *store;
	struct store *reader;	/* long reads: exports, verification */
	struct keys_hmac *hmac;
	unsigned char token_hash[32];	/* the bootstrap owner's token */
	struct admin_hooks hooks;
	uint64_t seq;		/* admin call ids */
	/* The stored principals, replaced whole on reload. */
	struct principal *principals;
	size_t n_principals;
	int64_t admins_version;
	int admins_loading;
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
	/* Who calls, and what the route table let through. */
	struct principal who;	/* a copy: reloads do not move it */
	const struct route *rt;
	char arg[128];		/* the path's segment (percent-decoded) */
	char query[256];
	json_t *req;		/* the JSON body, until the route runs */
	/* A team admin's reads (routes with the query's team): qteam is
	 * the team named (or its only one; "" when it has several and
	 * named none); team_filter: rows of other teams are dropped from
	 * lists (by the row's filter_field, "team" by default). */
	char qteam[65];
	int team_filter;
	const char *filter_field;
};

/* The name of a role ("team-admin"), or NULL; and back (-1: none). */
const char *admin_role_name(int role);
int admin_role_parse(const char *name);
/* 1 when p administers team (owners, admins, auditors: every team). */
int admin_has_team(const struct principal *p, const char *team);
/* The caller is a team admin. */
int admin_is_team_admin(const struct call *c);
/* A team admin's report needs one team: replies 400 and returns -1
 * when qteam is empty. */
int admin_need_team(struct call *c);
/* Authenticates an "ega_" token against the stored principals: 1 and
 * *out filled, or 0 (admins_routes.c). */
int admin_principal_find(struct admin *a, const char *tok, size_t len,
    struct principal *out);

void admin_reply_json(struct call *c, int status, json_t *j);
/* An error answer: the code's status and type from common/errors.c. */
void admin_reply_error(struct call *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same, naming the body field at fault in the envelope's "param". */
void admin_reply_field(struct call *c, const char *code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answers with a text body (malloc'ed, taken) of the given type. */
void admin_reply_text(struct call *c, int status, char *body, size_t len,
    const char *ctype);
/* Starts a streamed answer once the call's record is written; then
 * calls next(c) for each piece. */
void admin_reply_stream(struct call *c, const char *ctype,
    void (*next)(struct call *));
/* Ends a streamed answer and frees the call. */
void admin_stream_end(struct call *c, int ok);
void admin_submit(struct call *c, int type, void (*done)(struct store_op *));
void admin_submit_read(struct call *c, int type,
    void (*done)(struct store_op *));
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

void admin_key_rotate(struct call *c, const char *arg, const char *query,
    json_t *body);

/* admin/admins_routes.c: admin principals and the caller's own. */
void admin_me(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_admins_list(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_admins_create(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_admins_revoke(struct call *c, const char *arg, const char *query,
    json_t *body);
void admin_admins_rotate(struct call *c, const char *arg, const char *query,
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
