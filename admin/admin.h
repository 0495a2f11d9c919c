/*
 * The admin API: JSON over HTTP on its own listener, authenticated with
 * an admin token: the bootstrap owner's (admin_token_env) or a stored
 * principal's, each with a role (owner, admin, team-admin, auditor).
 * Transport-free: the daemon hands each request to admin_handle() and
 * gets the answer through callbacks, whole or streamed (exports), after
 * storage committed the call's audit record. Routes live in one table
 * (method, path, handler, the roles that may call it, and how a team
 * admin's team is found).
 */
#ifndef ADMIN_ADMIN_H
#define ADMIN_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct store;
struct keys_hmac;
struct posture_conf;
struct admin;
struct call;		/* one admin call in flight */

/* What the admin API needs from the daemon. */
struct admin_hooks {
	void *arg;
	/* 1 if a [policy NAME] section exists. */
	int (*policy_exists)(void *arg, const char *name);
	/* Reload the key cache, then call then(then_arg). */
	void (*keys_changed)(void *arg, void (*then)(void *), void *then_arg);
	/* Reload the cache of object owners, then call then(then_arg). */
	void (*objects_changed)(void *arg, void (*then)(void *),
	    void *then_arg);
	/* Delete objects upstream (gateway/owners.h says how); then gets
	 * the report (a new reference). */
	void (*delete_objects)(void *arg, json_t *objects,
	    void (*then)(void *then_arg, json_t *report), void *then_arg);
	/* A JSON object for GET /admin/v1/health (new reference). */
	json_t *(*health)(void *arg);
	/* Prometheus text for GET /admin/v1/metrics (malloc'ed). */
	char *(*metrics)(void *arg);
	/* The audit retention in force, in ms (0: records are kept). */
	uint64_t (*retention_ms)(void *arg);
	/* Fills out with the configuration in force, for the reports; its
	 * pointers stay valid until the caller returns to the event loop. */
	void (*evidence)(void *arg, struct posture_conf *out);
	/* Submits the keys' last uses kept in memory (an op submitted
	 * after sees them). */
	void (*keys_flush_uses)(void *arg);
};

/* How an answer goes back; content_type NULL means JSON. */
struct admin_io {
	/* The whole answer: body is malloc'ed and becomes the callee's. */
	void (*reply)(void *arg, int status, char *body, size_t len,
	    const char *content_type);
	/* A streamed answer: begin, write pieces, end (ok 0: cut short).
	 * write returns 1 when the client's buffer is full (wait for
	 * admin_resume()), -1 when the client is gone. */
	void (*begin)(void *arg, int status, const char *content_type);
	int (*write)(void *arg, const char *data, size_t len);
	void (*end)(void *arg, int ok);
};

struct admin_request {
	const char *method;	/* "GET", "POST", ... */
	const char *client;	/* the caller's address, for the record */
	const char *target;	/* path and query */
	size_t target_len;
	const char *auth;	/* Authorization value, or NULL */
	size_t auth_len;
	const char *body;
	size_t body_len;
};

/* token_hash: SHA-256 of the admin token (copied); the rest borrowed.
 * reader: a read-only store for exports and verification. */
struct admin *admin_new(struct store *st, struct store *reader,
    struct keys_hmac *hmac, const unsigned char token_hash[32],
    const struct admin_hooks *hooks);
void admin_free(struct admin *a);

/*
 * Handles one request; the answer comes through io (io_arg), now or
 * later. *handle is set first (before any answer) to what
 * admin_resume() and admin_abort() take; it is valid until io->reply or
 * io->end was called.
 */
void admin_handle(struct admin *a, const struct admin_request *r,
    const struct admin_io *io, void *io_arg, struct call **handle);
/*
 * Reloads the admin principals when storage has a newer snapshot (with
 * force, whatever its version), then calls then(arg) (may be NULL). The
 * daemon calls it with every key refresh, so that a revoked admin token
 * stops working within key_refresh on every instance.
 */
void admin_refresh(struct admin *a, int force, void (*then)(void *),
    void *arg);

/* Prints the route table, one route a line: "METHOD PATH ROLES SCOPE"
 * (ROLES comma-separated; SCOPE how a team admin's team is found). */
void admin_routes_print(FILE *out);

/* The client's buffer drained: a paused stream goes on. */
void admin_resume(struct call *c);
/* The client left: a stream stops (io->end follows). */
void admin_abort(struct call *c);

#endif
