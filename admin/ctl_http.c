/* eugatectl's admin API calls: escaped paths, JSON answers, streams. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "admin/ctl_http.h"

/* An answer kept in memory: JSON answers and error bodies. */
#define MAX_ANSWER (64 * 1024 * 1024)

struct buf {
	char *data;
	size_t len;
};

void
ctl_die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("eugatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

size_t
ctl_escape(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	if (cap == 0)
		return (size_t)-1;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		int plain = (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~';

		if (n + (plain ? 1 : 3) >= cap) {
			out[n] = '\0';
			return (size_t)-1;
		}
		if (plain) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return n;
}

/* Appends text to p (escaped or not); a path over the cap ends the
 * program. */
static void
path_put(struct ctl_path *p, const char *text, int escape)
{
	size_t n;

	if (escape)
		n = ctl_escape(text, p->buf + p->len, sizeof(p->buf) - p->len);
	else {
		n = strlen(text);
		if (n >= sizeof(p->buf) - p->len)
			n = (size_t)-1;
		else
			memcpy(p->buf + p->len, text, n + 1);
	}
	if (n == (size_t)-1)
		ctl_die(2, "an argument is too long (%zu bytes at most in all)",
		    sizeof(p->buf) / 3);
	p->len += n;
}

void
ctl_path_init(struct ctl_path *p, const char *path)
{
	p->len = 0;
	p->n_query = 0;
	p->buf[0] = '\0';
	path_put(p, path, 0);
}

void
ctl_path_seg(struct ctl_path *p, const char *seg)
{
	path_put(p, "/", 0);
	path_put(p, seg, 1);
}

void
ctl_path_lit(struct ctl_path *p, const char *lit)
{
	path_put(p, lit, 0);
}

void
ctl_path_query(struct ctl_path *p, const char *name, const char *value)
{
	if (value == NULL)
		return;
	path_put(p, p->n_query++ ? "&" : "?", 0);
	path_put(p, name, 1);
	path_put(p, "=", 0);
	path_put(p, value, 1);
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;
	char *nd;

	if (b->len + len > MAX_ANSWER)
		return 0;
	nd = realloc(b->data, b->len + len + 1);
	if (nd == NULL)
		return 0;
	b->data = nd;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* A streamed answer (exports): its body goes to stdout as it arrives. */
struct sink {
	CURL *e;
	struct buf err;		/* the body of a failed call */
	long status;
	int failed;		/* stdout could not be written */
};

static size_t
to_stdout(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;

	if (k->status == 0)
		curl_easy_getinfo(k->e, CURLINFO_RESPONSE_CODE, &k->status);
	if (k->status != 200)
		return collect(p, size, n, &k->err);
	if (fwrite(p, size, n, stdout) != n) {
		k->failed = 1;
		return 0;
	}
	return size * n;
}

/*
 * One request to the admin API: the answer goes to write(arg). Returns
 * curl's result and the status in *status. Takes the reference to body.
 */
static CURLcode
perform(const struct ctl *c, CURL *e, const char *method, const char *path,
    json_t *body, curl_write_callback write, void *arg, int streamed,
    long *status)
{
	struct curl_slist *h = NULL, *h2;
	char url[4096], auth[1024], *payload = NULL;
	CURLcode rc;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->url, path) >=
	    sizeof(url) || (size_t)snprintf(auth, sizeof(auth),
	    "Authorization: Bearer %s", c->token) >= sizeof(auth))
		ctl_die(2, "the URL or the token is too long");
	h = curl_slist_append(h, auth);
	h2 = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
	if (body != NULL) {
		payload = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	if (h2 == NULL || (body != NULL && payload == NULL))
		ctl_die(1, "out of memory");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, arg);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (streamed) {
		/* No total timeout (an export may be large): stalls end it. */
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
	} else {
		curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	}
	if (payload != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload);
	rc = curl_easy_perform(e);
	*status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	free(payload);
	return rc;
}

/* Ends the program with the admin API's message for a failed call. */
static void
die_status(const char *method, const char *path, long status,
    const struct buf *b)
{
	json_t *res = json_loadb(b->data ? b->data : "", b->len, 0, NULL);
	const char *m = json_string_value(json_object_get(res, "message"));
	char msg[512];

	/* The message is the API's own; a body that is not JSON is shown
	 * up to the end of its first line. */
	snprintf(msg, sizeof(msg), "%s", m ? m : b->data ? b->data :
	    "no answer");
	msg[strcspn(msg, "\r\n")] = '\0';
	json_decref(res);
	ctl_die(1, "%s %s: HTTP %ld: %s", method, path, status, msg);
}

json_t *
ctl_call(const struct ctl *c, const char *method, const char *path,
    json_t *body, char **text)
{
	CURL *e = curl_easy_init();
	struct buf b = { NULL, 0 };
	long status;
	CURLcode rc;
	json_t *res;

	if (e == NULL)
		ctl_die(1, "out of memory");
	rc = perform(c, e, method, path, body, collect, &b, 0, &status);
	curl_easy_cleanup(e);
	if (rc != CURLE_OK)
		ctl_die(1, "%s: %s", c->url, curl_easy_strerror(rc));
	if (status < 200 || status >= 300)
		die_status(method, path, status, &b);
	if (text != NULL && status == 200) {
		*text = b.data ? b.data : strdup("");
		if (*text == NULL)
			ctl_die(1, "out of memory");
		return NULL;
	}
	res = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	free(b.data);
	if (res == NULL)
		ctl_die(1, "the admin API did not answer JSON");
	return res;
}

void
ctl_stream(const struct ctl *c, const char *method, const char *path,
    json_t *body)
{
	struct sink k = { curl_easy_init(), { NULL, 0 }, 0, 0 };
	long status;
	CURLcode rc;

	if (k.e == NULL)
		ctl_die(1, "out of memory");
	rc = perform(c, k.e, method, path, body, to_stdout, &k, 1, &status);
	curl_easy_cleanup(k.e);
	if (fflush(stdout) != 0 || k.failed)
		ctl_die(1, "cannot write to stdout");
	if (status != 200 && status != 0)
		die_status(method, path, status, &k.err);
	free(k.err.data);
	if (rc != CURLE_OK)
		ctl_die(1, "%s: %s (the output is incomplete)", c->url,
		    curl_easy_strerror(rc));
}
