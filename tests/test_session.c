/* admin/session: console sessions, their ids, CSRF tokens and expiry. */
#include <stdio.h>
#include <string.h>

#include "admin/session.h"
#include "tests/tap.h"

#define MIN (60 * 1000ull)

static void
test_basics(void)
{
	struct sessions *s = sessions_new(4, 30 * MIN, 12 * 60 * MIN);
	char id[SESSION_HEX + 1], csrf[SESSION_HEX + 1], id2[SESSION_HEX + 1],
	    csrf2[SESSION_HEX + 1], bad[SESSION_HEX + 1];
	struct session *se;
	const char *tok;
	size_t tl;

	ok(s != NULL, "a table of 4");
	ok(sessions_create(s, "tok-1", 5, 1000, id, csrf) == GW_OK,
	    "a session for a token");
	is_int(strlen(id), SESSION_HEX, "its id: 64 hex digits");
	is_int(strspn(id, "0123456789abcdef"), SESSION_HEX, "  lower-case hex");
	is_int(strlen(csrf), SESSION_HEX, "its CSRF token: 64 hex digits");
	ok(strcmp(id, csrf) != 0, "the CSRF token is not the id");
	se = sessions_find(s, id, strlen(id), 2000);
	ok(se != NULL, "found by its id");
	tok = se ? session_token(se, &tl) : "";
	ok(se != NULL && tl == 5 && strcmp(tok, "tok-1") == 0,
	    "it holds the token");
	ok(se != NULL && session_csrf_ok(se, csrf, strlen(csrf)),
	    "its CSRF token is accepted");
	ok(se != NULL && !session_csrf_ok(se, csrf, 63) &&
	    !session_csrf_ok(se, NULL, 0) && !session_csrf_ok(se, id, 64),
	    "a short, missing or other CSRF token is not");
	ok(sessions_create(s, "tok-2", 5, 1000, id2, csrf2) == GW_OK &&
	    strcmp(id, id2) != 0 && strcmp(csrf, csrf2) != 0,
	    "each session has its own id and CSRF token");
	snprintf(bad, sizeof(bad), "%s", id);
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	ok(sessions_find(s, bad, strlen(bad), 2000) == NULL,
	    "an id one digit off finds nothing");
	bad[10] = 'G';
	ok(sessions_find(s, bad, strlen(bad), 2000) == NULL,
	    "nor does an id that is not hex");
	ok(sessions_find(s, id, 63, 2000) == NULL, "nor a short one");
	for (size_t i = 0; i < strlen(id); i++)
		bad[i] = id[i] >= 'a' ? (char)(id[i] - 'a' + 'A') : id[i];
	ok(sessions_find(s, bad, strlen(bad), 2000) == NULL,
	    "nor the id in upper case");
	is_int(sessions_count(s, 2000), 2, "two sessions");
	se = sessions_find(s, id, strlen(id), 2000);
	sessions_end(s, se);
	ok(sessions_find(s, id, strlen(id), 2000) == NULL,
	    "an ended session is gone");
	is_int(sessions_count(s, 2000), 1, "one left");
	ok(sessions_create(s, "", 0, 1000, id, csrf) == GW_ERR_INVAL,
	    "an empty token is refused");
	{
		char big[SESSION_TOKEN_MAX + 2];

		memset(big, 'x', sizeof(big));
		ok(sessions_create(s, big, SESSION_TOKEN_MAX + 1, 1000, id,
		    csrf) == GW_ERR_INVAL, "a token over the cap is refused");
		ok(sessions_create(s, big, SESSION_TOKEN_MAX, 1000, id,
		    csrf) == GW_OK, "a token at the cap is kept");
	}
	sessions_free(s);
	sessions_free(NULL);
}

static void
test_expiry(void)
{
	struct sessions *s = sessions_new(4, 30 * MIN, 120 * MIN);
	char id[SESSION_HEX + 1], csrf[SESSION_HEX + 1];
	struct session *se;
	uint64_t t = 0;

	ok(sessions_create(s, "tok", 3, t, id, csrf) == GW_OK,
	    "idle: a session");
	ok(sessions_find(s, id, SESSION_HEX, t + 30 * MIN - 1) != NULL,
	    "idle: alive a millisecond before the idle timeout");
	t += 30 * MIN - 1;
	ok(sessions_find(s, id, SESSION_HEX, t + 30 * MIN - 1) != NULL,
	    "idle: each use starts the idle timeout again");
	t += 30 * MIN - 1;
	ok(sessions_find(s, id, SESSION_HEX, t + 30 * MIN) == NULL,
	    "idle: unused for the idle timeout, it ends");
	ok(sessions_find(s, id, SESSION_HEX, t) == NULL,
	    "idle: ... for good, even asked with an earlier time");

	t = 0;
	ok(sessions_create(s, "tok", 3, t, id, csrf) == GW_OK,
	    "absolute: a session");
	for (t = 20 * MIN; t < 120 * MIN; t += 20 * MIN)
		ok(sessions_find(s, id, SESSION_HEX, t) != NULL,
		    "absolute: used at minute %llu, alive",
		    (unsigned long long)(t / MIN));
	ok(sessions_find(s, id, SESSION_HEX, 120 * MIN) == NULL,
	    "absolute: used all along, it still ends at the lifetime");

	ok(sessions_create(s, "tok", 3, 0, id, csrf) == GW_OK,
	    "ends: a session");
	se = sessions_find(s, id, SESSION_HEX, 0);
	ok(se != NULL && session_idle_end(se) == 30 * MIN &&
	    session_end(se) == 120 * MIN, "ends: idle and absolute");
	sessions_set_expiry(s, 5 * MIN, 10 * MIN);
	se = sessions_find(s, id, SESSION_HEX, MIN);
	ok(se != NULL && session_idle_end(se) == 6 * MIN &&
	    session_end(se) == 120 * MIN, "a new idle timeout applies at the "
	    "next use; the absolute end stays");
	sessions_free(s);
}

static void
test_full(void)
{
	struct sessions *s = sessions_new(3, 30 * MIN, 120 * MIN);
	char id[4][SESSION_HEX + 1], csrf[SESSION_HEX + 1];

	for (int i = 0; i < 3; i++)
		ok(sessions_create(s, "tok", 3, (uint64_t)i, id[i], csrf) ==
		    GW_OK, "full: session %d of 3", i + 1);
	ok(sessions_find(s, id[0], SESSION_HEX, 10) != NULL,
	    "full: the oldest is used again");
	ok(sessions_create(s, "tok", 3, 11, id[3], csrf) == GW_OK,
	    "full: a new login still gets a session");
	ok(sessions_find(s, id[1], SESSION_HEX, 12) == NULL,
	    "full: the session used longest ago ended for it");
	ok(sessions_find(s, id[0], SESSION_HEX, 12) != NULL &&
	    sessions_find(s, id[2], SESSION_HEX, 12) != NULL &&
	    sessions_find(s, id[3], SESSION_HEX, 12) != NULL,
	    "full: the others live");
	is_int(sessions_count(s, 12), 3, "full: never more than the cap");
	is_int(sessions_count(s, 12 + 30 * MIN), 0,
	    "count: expired sessions end");
	sessions_free(s);
}

int
main(void)
{
	test_basics();
	test_expiry();
	test_full();
	return tap_done();
}
