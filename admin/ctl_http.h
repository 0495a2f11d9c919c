/*
 * eugatectl's side of the admin API: request paths with escaped segments
 * and query values, calls that return JSON, and streamed answers. A
 * failure ends the program with a one-line reason on stderr (it is a
 * command-line tool: every caller would do the same).
 */
#ifndef ADMIN_CTL_HTTP_H
#define ADMIN_CTL_HTTP_H

#include <stddef.h>

#include <jansson.h>

struct ctl {
	const char *url;	/* the admin API's base URL */
	const char *token;	/* the admin token */
	int json;		/* --json: print what the API answered */
};

/* A request path and its query, built piece by piece. */
struct ctl_path {
	char buf[2048];
	size_t len;
	int n_query;		/* query parameters added */
};

/* Prints "eugatectl: MESSAGE" on stderr and exits with status. */
void ctl_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Starts p with a path that needs no escaping ("/admin/v1/teams"). */
void ctl_path_init(struct ctl_path *p, const char *path);
/* Appends "/" and seg, percent-encoded: seg stays one path segment. */
void ctl_path_seg(struct ctl_path *p, const char *seg);
/* Appends a constant that needs no escaping ("/rotate"). */
void ctl_path_lit(struct ctl_path *p, const char *lit);
/*
 * Appends "?name=value" or "&name=value", value percent-encoded, so that
 * it stays one value ('&', '=', '+', '#', spaces and bytes above 127 are
 * escaped). A NULL value adds nothing.
 */
void ctl_path_query(struct ctl_path *p, const char *name, const char *value);

/*
 * Percent-encodes s into out (RFC 3986: everything but letters, digits
 * and "-._~"). Returns the length written, or (size_t)-1 when out is too
 * small (out then holds a truncated, terminated prefix).
 */
size_t ctl_escape(const char *s, char *out, size_t cap);

/*
 * Calls the admin API (method, path from ctl_path or a constant); body,
 * whose reference is taken, is sent as JSON when not NULL. Returns the
 * parsed 2xx answer, owned by the caller. With text not NULL, a 200
 * answer is returned in *text as is (the caller frees it) and the result
 * is NULL. A transport error, an error status or an answer that is not
 * JSON ends the program.
 */
json_t *ctl_call(const struct ctl *c, const char *method, const char *path,
    json_t *body, char **text);

/*
 * Calls the admin API and copies a 200 answer to stdout as it arrives
 * (exports); a failure, or an answer cut short, ends the program. Takes
 * the reference to body.
 */
void ctl_stream(const struct ctl *c, const char *method, const char *path,
    json_t *body);

#endif
