/*
 * The web console: static files with their security headers, sessions
 * (login, state, logout) and admin API calls authenticated by a session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "admin/console.h"
#include "admin/session.h"
#include "admin/ui_files.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"

#define COOKIE "eugate_session"
#define MAX_SESSIONS 64

struct console {
	struct admin *admin;
	struct console_conf conf;
	struct sessions *sessions;
};

/* What the console's own pages may do: nothing but load themselves. */
static const struct console_hdr page_headers[] = {
	{ "Content-Security-Policy", "default-src 'self'; object-src 'none'; "
	    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "X-Frame-Options", "DENY" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cross-Origin-Resource-Policy", "same-origin" },
};
#define N_PAGE_HEADERS (sizeof(page_headers) / sizeof(page_headers[0]))

/* Room for the page headers and four more. */
struct answer {
	struct console_hdr h[N_PAGE_HEADERS + 4];
	size_t n;
};

struct console *
console_new(struct admin *a, const struct console_conf *conf)
{
	struct console *co = calloc(1, sizeof(*co));

	if (co == NULL)
		return NULL;
	co->admin = a;
	co->conf = *conf;
	co->sessions = sessions_new(MAX_SESSIONS, conf->idle_ms, conf->life_ms);
	if (co->sessions == NULL) {
		free(co);
		return NULL;
	}
	return co;
}

void
console_set_conf(struct console *co, const struct console_conf *conf)
{
	co->conf = *conf;
	sessions_set_expiry(co->sessions, conf->idle_ms, conf->life_ms);
}

void
console_free(struct console *co)
{
	if (co == NULL)
		return;
	sessions_free(co->sessions);
	free(co);
}

size_t
console_api_headers(const char *ctype, struct console_hdr *h, size_t n)
{
	static const struct console_hdr json[] = {
		{ "Content-Security-Policy", "default-src 'none'; "
		    "frame-ancestors 'none'" },
		{ "X-Content-Type-Options", "nosniff" },
		{ "X-Frame-Options", "DENY" },
		{ "Referrer-Policy", "no-referrer" },
		{ "Cache-Control", "no-store" },
	};
	size_t k = 0;

	for (size_t i = 0; i < sizeof(json) / sizeof(json[0]) && k < n; i++)
		h[k++] = json[i];
	/* The HTML reports style themselves inline and run no script. */
	if (k > 0 && ctype != NULL && strncmp(ctype, "text/html", 9) == 0)
		h[0].value = "default-src 'none'; style-src 'unsafe-inline'; "
		    "frame-ancestors 'none'";
	return k;
}

static void
answer_init(struct answer *an, const char *ctype, const char *cache)
{
	memcpy(an->h, page_headers, sizeof(page_headers));
	an->n = N_PAGE_HEADERS;
	an->h[an->n++] = (struct console_hdr){ "Content-Type", ctype };
	an->h[an->n++] = (struct console_hdr){ "Cache-Control", cache };
}

static void
answer_add(struct answer *an, const char *name, const char *value)
{
	if (an->n < sizeof(an->h) / sizeof(an->h[0]))
		an->h[an->n++] = (struct console_hdr){ name, value };
}

/* Answers a JSON value (taken), never cached; set_cookie may be NULL. */
static void
reply_json(const struct console_io *cio, void *arg, int status, json_t *j,
    const char *set_cookie)
{
	char *s = json_dumps(j, JSON_COMPACT);
	struct answer an;

	json_decref(j);
	answer_init(&an, "application/json", "no-store");
	if (set_cookie != NULL)
		answer_add(&an, "Set-Cookie", set_cookie);
	if (s == NULL) {
		cio->reply(arg, 503, an.h, an.n, "", 0);
		return;
	}
	cio->reply(arg, status, an.h, an.n, s, strlen(s));
	OPENSSL_cleanse(s, strlen(s));	/* may hold a CSRF token */
	free(s);
}

static void
reply_error(const struct console_io *cio, void *arg, const char *code,
    const char *msg, const char *set_cookie)
{
	const struct api_error *e = api_error(code);

	reply_json(cio, arg, e->status, json_pack("{s:s, s:s, s:s, s:n, s:s}",
	    "object", "error", "message", msg ? msg : e->message, "type",
	    e->type, "param", "code", e->code), set_cookie);
}

/* The value of the session cookie in a Cookie header, or NULL. */
static const char *
cookie_value(const char *h, size_t len, size_t *vlen)
{
	const char *end = h + len;
	size_t nl = strlen(COOKIE);

	while (h < end) {
		const char *semi = memchr(h, ';', (size_t)(end - h));
		const char *stop = semi ? semi : end;

		while (h < stop && (*h == ' ' || *h == '\t'))
			h++;
		if ((size_t)(stop - h) > nl && memcmp(h, COOKIE, nl) == 0 &&
		    h[nl] == '=') {
			*vlen = (size_t)(stop - h) - nl - 1;
			while (*vlen > 0 && (h[nl + *vlen] == ' ' ||
			    h[nl + *vlen] == '\t'))
				(*vlen)--;
			return h + nl + 1;
		}
		if (semi == NULL)
			break;
		h = semi + 1;
	}
	return NULL;
}

static struct session *
session_of(struct console *co, const struct console_request *r)
{
	const char *v;
	size_t vl = 0;

	if (r->cookie == NULL)
		return NULL;
	v = cookie_value(r->cookie, r->cookie_len, &vl);
	return v ? sessions_find(co->sessions, v, vl, util_now_ms()) : NULL;
}

/* 1 when the browser sent no Origin, or the listener's own. */
static int
origin_ok(const struct console_request *r)
{
	const char *o = r->origin;
	size_t ol = r->origin_len;

	if (o == NULL)
		return 1;
	if (ol > 7 && strncasecmp(o, "http://", 7) == 0) {
		o += 7;
		ol -= 7;
	} else if (ol > 8 && strncasecmp(o, "https://", 8) == 0) {
		o += 8;
		ol -= 8;
	} else {
		return 0;
	}
	return r->host != NULL && r->host_len == ol &&
	    strncasecmp(r->host, o, ol) == 0;
}

static int
safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0;
}

/* A call that changes anything carries the session's CSRF token and
 * comes from the console's own origin. */
static int
call_allowed(const struct session *se, const struct console_request *r)
{
	if (safe_method(r->ar.method))
		return 1;
	return session_csrf_ok(se, r->csrf, r->csrf_len) && origin_ok(r);
}

/* The session's state: its CSRF token, the idle timeout (s) and when it
 * ends at the latest (Unix seconds). */
static json_t *
session_json(const struct console *co, const struct session *se)
{
	uint64_t now = util_now_ms();
	uint64_t left = session_end(se) > now ? session_end(se) - now : 0;

	return json_pack("{s:s, s:b, s:s, s:I, s:I, s:b}", "object",
	    "session", "active", 1, "csrf", session_csrf(se), "idle_timeout",
	    (json_int_t)(co->conf.idle_ms / 1000), "expires_at",
	    (json_int_t)(util_wall_s() + (int64_t)(left / 1000)), "chart",
	    ui_has_chart);
}

static void
cookie_header(char *out, size_t len, const char *id, int secure)
{
	if (id != NULL)
		snprintf(out, len, COOKIE "=%s; Path=/; HttpOnly; "
		    "SameSite=Strict%s", id, secure ? "; Secure" : "");
	else
		snprintf(out, len, COOKIE "=; Path=/; Max-Age=0; HttpOnly; "
		    "SameSite=Strict%s", secure ? "; Secure" : "");
}

/* A login in flight: the admin API checks the token first. */
struct login {
	struct console *co;
	const struct console_io *cio;
	void *arg;
	int secure;
	int status;
	char auth[8 + SESSION_TOKEN_MAX];	/* "Bearer " and the token */
	size_t auth_len;
};

static void
login_free(struct login *l)
{
	OPENSSL_cleanse(l, sizeof(*l));
	free(l);
}

/* The admin API answered GET /admin/v1/me: 200 (roles) or 404 (none:
 * the one token is the owner's) means the token is good. */
static void
login_checked(void *arg, int status, char *body, size_t len,
    const char *ctype)
{
	struct login *l = arg;
	char id[SESSION_HEX + 1], csrf[SESSION_HEX + 1], cookie[160];
	struct session *se;
	struct answer an;

	(void)ctype;
	if (status != 200 && status != 404) {
		/* The API's own answer: invalid_admin_token, or why the
		 * call could not be recorded. */
		answer_init(&an, "application/json", "no-store");
		l->cio->reply(l->arg, status, an.h, an.n, body ? body : "",
		    body ? len : 0);
		goto out;
	}
	if (sessions_create(l->co->sessions, l->auth + 7, l->auth_len - 7,
	    util_now_ms(), id, csrf) != GW_OK) {
		reply_error(l->cio, l->arg, "out_of_memory", NULL, NULL);
		goto out;
	}
	se = sessions_find(l->co->sessions, id, SESSION_HEX, util_now_ms());
	cookie_header(cookie, sizeof(cookie), id, l->secure);
	log_info("console: a session started (%zu open)",
	    sessions_count(l->co->sessions, util_now_ms()));
	reply_json(l->cio, l->arg, 200, session_json(l->co, se), cookie);
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(cookie, sizeof(cookie));
out:
	if (body != NULL) {
		OPENSSL_cleanse(body, len);
		free(body);
	}
	login_free(l);
}

/* GET /admin/v1/me never streams; a stream would be answered 502. */
static void
login_begin(void *arg, int status, const char *ctype)
{
	(void)ctype;
	((struct login *)arg)->status = status;
}

static int
login_write(void *arg, const char *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

static void
login_end(void *arg, int ok)
{
	struct login *l = arg;

	(void)ok;
	reply_error(l->cio, l->arg, "internal_error", "unexpected answer to "
	    "the login", NULL);
	login_free(l);
}

static const struct admin_io login_io = {
	.reply = login_checked,
	.begin = login_begin,
	.write = login_write,
	.end = login_end,
};

/* POST /ui/session with Authorization: Bearer <admin token>. */
static void
login(struct console *co, const struct console_request *r,
    const struct console_io *cio, void *arg, struct call **handle)
{
	struct admin_request ar;
	struct session *old = session_of(co, r);
	struct login *l;

	if (!origin_ok(r)) {
		reply_error(cio, arg, "invalid_admin_token", "login from "
		    "another origin", NULL);
		return;
	}
	if (r->ar.auth == NULL || r->ar.auth_len < 8 ||
	    r->ar.auth_len - 7 > SESSION_TOKEN_MAX ||
	    strncasecmp(r->ar.auth, "Bearer ", 7) != 0) {
		reply_error(cio, arg, "invalid_admin_token", "the admin token "
		    "goes in Authorization: Bearer", NULL);
		return;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		reply_error(cio, arg, "out_of_memory", NULL, NULL);
		return;
	}
	/* A new login replaces the browser's session. */
	if (old != NULL)
		sessions_end(co->sessions, old);
	l->co = co;
	l->cio = cio;
	l->arg = arg;
	l->secure = co->conf.secure_cookie || r->tls;
	memcpy(l->auth, r->ar.auth, r->ar.auth_len);
	l->auth_len = r->ar.auth_len;
	memset(&ar, 0, sizeof(ar));
	ar.method = "GET";
	ar.client = r->ar.client;
	ar.target = "/admin/v1/me";
	ar.target_len = strlen(ar.target);
	ar.auth = l->auth;
	ar.auth_len = l->auth_len;
	ar.body = "";
	admin_handle(co->admin, &ar, &login_io, l, handle);
}

static void
session_route(struct console *co, const struct console_request *r,
    const struct console_io *cio, void *arg, struct call **handle)
{
	const char *m = r->ar.method;
	struct session *se;
	char cookie[160];

	if (strcmp(m, "POST") == 0) {
		login(co, r, cio, arg, handle);
		return;
	}
	se = session_of(co, r);
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		if (se == NULL)	/* not an error: the page asks first */
			reply_json(cio, arg, 200, json_pack("{s:s, s:b, s:b}",
			    "object", "session", "active", 0, "chart",
			    ui_has_chart), NULL);
		else
			reply_json(cio, arg, 200, session_json(co, se), NULL);
		return;
	}
	if (strcmp(m, "DELETE") != 0) {
		reply_error(cio, arg, "method_not_allowed", NULL, NULL);
		return;
	}
	if (se == NULL || !call_allowed(se, r)) {
		reply_error(cio, arg, "invalid_admin_token", "no session, or "
		    "no CSRF token", NULL);
		return;
	}
	sessions_end(co->sessions, se);
	log_info("console: a session ended (logout)");
	cookie_header(cookie, sizeof(cookie), NULL,
	    co->conf.secure_cookie || r->tls);
	reply_json(cio, arg, 200, json_pack("{s:s, s:b}", "object", "session",
	    "ended", 1), cookie);
}

static const struct ui_file *
ui_file(const char *name)
{
	for (size_t i = 0; i < n_ui_files; i++)
		if (strcmp(ui_files[i].name, name) == 0)
			return &ui_files[i];
	return NULL;
}

/* 1 when If-None-Match names the tag (or is "*"). */
static int
etag_matches(const struct console_request *r, const char *tag)
{
	size_t tl = strlen(tag), len = r->if_none_match_len;
	const char *p = r->if_none_match;

	if (p == NULL)
		return 0;
	if (len == 1 && *p == '*')
		return 1;
	for (size_t i = 0; i + tl <= len; i++)
		if (memcmp(p + i, tag, tl) == 0)
			return 1;
	return 0;
}

static void
static_file(const struct console_request *r, const char *path,
    const struct console_io *cio, void *arg)
{
	const struct ui_file *f;
	const char *name = path + 4;	/* after "/ui/" */
	struct answer an;

	if (strcmp(r->ar.method, "GET") != 0 &&
	    strcmp(r->ar.method, "HEAD") != 0) {
		reply_error(cio, arg, "method_not_allowed", NULL, NULL);
		return;
	}
	f = ui_file(*name == '\0' ? "index.html" : name);
	if (f == NULL) {
		reply_error(cio, arg, "not_found", "no such console file",
		    NULL);
		return;
	}
	/* Revalidated at each use: a new build has new tags. */
	answer_init(&an, f->type, "no-cache");
	answer_add(&an, "ETag", f->etag);
	if (etag_matches(r, f->etag)) {
		cio->reply(arg, 304, an.h, an.n, "", 0);
		return;
	}
	cio->reply(arg, 200, an.h, an.n, (const char *)f->data, f->len);
}

/* An admin API call made with a session: the session's token stands in
 * for the Authorization header until the answer has gone. */
struct relay {
	const struct admin_io *io;
	void *arg;
	char auth[8 + SESSION_TOKEN_MAX];
};

static void
relay_free(struct relay *rl)
{
	OPENSSL_cleanse(rl, sizeof(*rl));
	free(rl);
}

static void
relay_reply(void *arg, int status, char *body, size_t len, const char *ctype)
{
	struct relay *rl = arg;

	rl->io->reply(rl->arg, status, body, len, ctype);
	relay_free(rl);
}

static void
relay_begin(void *arg, int status, const char *ctype)
{
	struct relay *rl = arg;

	rl->io->begin(rl->arg, status, ctype);
}

static int
relay_write(void *arg, const char *data, size_t len)
{
	struct relay *rl = arg;

	return rl->io->write(rl->arg, data, len);
}

static void
relay_end(void *arg, int ok)
{
	struct relay *rl = arg;

	rl->io->end(rl->arg, ok);
	relay_free(rl);
}

static const struct admin_io relay_io = {
	.reply = relay_reply,
	.begin = relay_begin,
	.write = relay_write,
	.end = relay_end,
};

static void
console_relay(struct console *co, const struct session *se,
    const struct console_request *r, const struct admin_io *io, void *arg,
    struct call **handle)
{
	struct admin_request ar = r->ar;
	struct relay *rl = calloc(1, sizeof(*rl));
	const char *token;
	size_t tl;
	int n;

	if (rl == NULL) {
		io->reply(arg, 503, NULL, 0, NULL);
		return;
	}
	rl->io = io;
	rl->arg = arg;
	token = session_token(se, &tl);
	n = snprintf(rl->auth, sizeof(rl->auth), "Bearer %s", token);
	ar.auth = rl->auth;
	ar.auth_len = (size_t)n;
	admin_handle(co->admin, &ar, &relay_io, rl, handle);
}

void
console_handle(struct console *co, const struct console_request *r,
    const struct admin_io *io, const struct console_io *cio, void *arg,
    struct call **handle)
{
	const char *q = memchr(r->ar.target, '?', r->ar.target_len);
	size_t plen = q ? (size_t)(q - r->ar.target) : r->ar.target_len;
	char path[256];
	struct session *se;

	*handle = NULL;
	if (!co->conf.enabled || plen >= sizeof(path)) {
		admin_handle(co->admin, &r->ar, io, arg, handle);
		return;
	}
	memcpy(path, r->ar.target, plen);
	path[plen] = '\0';
	if (strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0) {
		struct answer an;

		answer_init(&an, "text/plain; charset=utf-8", "no-store");
		answer_add(&an, "Location", "/ui/");
		cio->reply(arg, 302, an.h, an.n, "/ui/\n", 5);
		return;
	}
	if (strcmp(path, "/ui/session") == 0) {
		session_route(co, r, cio, arg, handle);
		return;
	}
	if (strncmp(path, "/ui/", 4) == 0) {
		static_file(r, path, cio, arg);
		return;
	}
	/* An admin API call: by token, by session, or refused by the API. */
	se = r->ar.auth == NULL ? session_of(co, r) : NULL;
	if (se != NULL && call_allowed(se, r)) {
		console_relay(co, se, r, io, arg, handle);
		return;
	}
	admin_handle(co->admin, &r->ar, io, arg, handle);
}
