/*
 * The web console on the admin listener: its static files at /ui/
 * (compiled in, admin/ui_files.h), its sessions at /ui/session, and the
 * admin API calls that carry a session cookie instead of a token.
 * Transport-free like admin/admin.h: the daemon hands every request of
 * the admin listener to console_handle(), which answers the console's own
 * and passes the rest to admin_handle().
 */
#ifndef ADMIN_CONSOLE_H
#define ADMIN_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "admin/admin.h"

struct console;

struct console_hdr {
	const char *name;
	const char *value;
};

struct console_conf {
	int enabled;		/* 0: no /ui/, no sessions, cookies ignored */
	uint64_t idle_ms;	/* a session ends unused this long */
	uint64_t life_ms;	/* ... and this long after the login */
	int secure_cookie;	/* the cookie is Secure even without TLS */
};

/* How the console's own answers go back (whole, never streamed). */
struct console_io {
	/* headers (n) and body are borrowed for the call. */
	void (*reply)(void *arg, int status, const struct console_hdr *h,
	    size_t n, const char *body, size_t len);
};

/* A request of the admin listener: what admin_handle() takes, and the
 * headers the console reads (NULL when absent; borrowed for the call). */
struct console_request {
	struct admin_request ar;
	const char *cookie;
	size_t cookie_len;
	const char *csrf;		/* X-CSRF-Token */
	size_t csrf_len;
	const char *origin;
	size_t origin_len;
	const char *host;
	size_t host_len;
	const char *if_none_match;
	size_t if_none_match_len;
	int tls;			/* it came over TLS */
};

/* a is borrowed; conf is copied. NULL when out of memory. */
struct console *console_new(struct admin *a, const struct console_conf *conf);
/* A reloaded configuration: sessions keep their ends, later calls use
 * the new durations. */
void console_set_conf(struct console *co, const struct console_conf *conf);
/* Ends every session (their tokens wiped). NULL is a no-op. */
void console_free(struct console *co);

/*
 * Handles one request of the admin listener. The console's own paths
 * (/, /ui, /ui/...) are answered through cio; every other request goes
 * to admin_handle() with io and arg, authenticated by its session when it
 * carries the session cookie and no Authorization (a call that changes
 * anything also needs the session's CSRF token and, when the browser
 * sends one, the listener's own Origin). *handle is set first, as
 * admin_handle() sets it, or to NULL when there is no admin call.
 */
void console_handle(struct console *co, const struct console_request *r,
    const struct admin_io *io, const struct console_io *cio, void *arg,
    struct call **handle);

/*
 * The headers that every answer of the admin API carries (no caching,
 * no sniffing, no framing, no referrer; a Content-Security-Policy that
 * allows nothing but the inline style of the HTML reports) for an answer
 * of content type ctype (NULL: JSON). Writes at most n into h; returns
 * how many. The values are constants.
 */
size_t console_api_headers(const char *ctype, struct console_hdr *h, size_t n);

#endif
