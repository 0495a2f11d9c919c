/*
 * Console sessions: the admin token a person typed into the console's
 * login form, kept in memory behind a random session id (an HttpOnly
 * cookie) and a CSRF token, with an idle and an absolute expiry. Pure
 * code with the time passed in, so that it can be unit tested.
 */
#ifndef ADMIN_SESSION_H
#define ADMIN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define SESSION_HEX 64		/* hex characters of an id and a CSRF token */
#define SESSION_TOKEN_MAX 512	/* the longest admin token kept */

struct sessions;
struct session;

/* At most cap sessions at once; idle_ms without a call or life_ms after
 * the login ends one. Returns NULL when out of memory. */
struct sessions *sessions_new(size_t cap, uint64_t idle_ms, uint64_t life_ms);
/* New durations: live sessions keep their ends until their next use. */
void sessions_set_expiry(struct sessions *s, uint64_t idle_ms,
    uint64_t life_ms);
/* Wipes every token. NULL is a no-op. */
void sessions_free(struct sessions *s);

/*
 * A new session for token (len bytes, copied) at now_ms: writes its id
 * and CSRF token (SESSION_HEX hex digits and a NUL each). When every
 * place is taken, the session used longest ago ends. GW_ERR_INVAL: an
 * empty token or one over SESSION_TOKEN_MAX.
 */
enum gw_err sessions_create(struct sessions *s, const char *token, size_t len,
    uint64_t now_ms, char id[SESSION_HEX + 1],
    char csrf[SESSION_HEX + 1]) GW_WUR;
/*
 * The live session whose id is id (len bytes, as the cookie gave it), and
 * its last use set to now_ms; NULL when there is none (unknown, malformed
 * or expired: an expired one ends here). The session stays the table's.
 */
struct session *sessions_find(struct sessions *s, const char *id, size_t len,
    uint64_t now_ms);
/* Ends a session (its token wiped). */
void sessions_end(struct sessions *s, struct session *se);
/* Sessions alive at now_ms (expired ones end). */
size_t sessions_count(struct sessions *s, uint64_t now_ms);

/* The admin token of a session (NUL-terminated, the session's). */
const char *session_token(const struct session *se, size_t *len);
/* The CSRF token, hex and NUL-terminated (the session's). */
const char *session_csrf(const struct session *se);
/* 1 when csrf (len bytes) is the session's CSRF token. */
int session_csrf_ok(const struct session *se, const char *csrf, size_t len);
/* When the session ends unless used again (ms), and at the latest. */
uint64_t session_idle_end(const struct session *se);
uint64_t session_end(const struct session *se);

#endif
