/*
 * The admin API: JSON over HTTP on its own listener, authenticated with
 * the admin token. Transport-free: the daemon hands each request to
 * admin_handle() and gets the answer through a callback, possibly after
 * storage committed. Routes live in one table (method, path, handler).
 */
#ifndef ADMIN_ADMIN_H
#define ADMIN_ADMIN_H

#include <stddef.h>

#include <jansson.h>

struct store;
struct keys_hmac;
struct admin;

/* What the admin API needs from the daemon. */
struct admin_hooks {
	void *arg;
	/* 1 if a [policy NAME] section exists. */
	int (*policy_exists)(void *arg, const char *name);
	/* Reload the key cache, then call then(then_arg). */
	void (*keys_changed)(void *arg, void (*then)(void *), void *then_arg);
	/* A JSON object for GET /admin/v1/health (new reference). */
	json_t *(*health)(void *arg);
	/* Prometheus text for GET /admin/v1/metrics (malloc'ed). */
	char *(*metrics)(void *arg);
};

/*
 * Answer callback: body is malloc'ed and becomes the callee's. The
 * content type is JSON unless text is 1 (plain text).
 */
typedef void (*admin_reply_fn)(void *arg, int status, char *body,
    size_t len, int text);

struct admin_request {
	const char *method;	/* "GET", "POST", ... */
	const char *target;	/* path and query */
	size_t target_len;
	const char *auth;	/* Authorization value, or NULL */
	size_t auth_len;
	const char *body;
	size_t body_len;
};

/* token_hash: SHA-256 of the admin token (copied); the rest borrowed. */
struct admin *admin_new(struct store *st, struct keys_hmac *hmac,
    const unsigned char token_hash[32], const struct admin_hooks *hooks);
void admin_free(struct admin *a);

void admin_handle(struct admin *a, const struct admin_request *r,
    admin_reply_fn reply, void *reply_arg);

#endif
