/* The fake upstream's object store: the store, its helpers, the routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sys/random.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "tests/fake_objects_int.h"

/* -- answers ----------------------------------------------------------- */

void
fo_json(struct fake_objects_reply *r, int status, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL) {	/* a bug in the fake: say so */
		status = 500;
		s = strdup("{\"object\":\"error\",\"message\":"
		    "\"fake: no JSON\",\"type\":\"server_error\","
		    "\"param\":null,\"code\":null}");
	}
	r->status = status;
	r->ctype = "application/json";
	r->body = s;
	r->len = s != NULL ? strlen(s) : 0;
}

void
fo_empty(struct fake_objects_reply *r, int status)
{
	r->status = status;
	r->ctype = "application/json";
	r->body = NULL;
	r->len = 0;
}

void
fo_error(struct fake_objects_reply *r, int status, const char *code,
    const char *msg)
{
	json_t *m = json_string(msg);

	fo_json(r, status, json_pack("{s:s, s:o, s:s, s:n, s:s}", "object",
	    "error", "message", m != NULL ? m : json_string("?"), "type",
	    "invalid_request_error", "param", "code", code));
}

void
fo_not_found(struct fake_objects_reply *r, const char *what, const char *id)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s %.300s not found", what, id);
	fo_error(r, 404, "not_found", msg);
}

void
fo_invalid(struct fake_objects_reply *r, const char *where,
    const char *field, const char *msg)
{
	json_t *loc = json_pack("[s]", where);

	if (field != NULL)
		json_array_append_new(loc, json_string(field));
	fo_json(r, 422, json_pack("{s:[{s:s, s:o, s:s, s:n}]}", "detail",
	    "type", strncmp(msg, "Field required", 14) == 0 ? "missing" :
	    "value_error", "loc", loc, "msg", msg, "input"));
}

void
fo_full(struct fake_objects_reply *r)
{
	fo_error(r, 507, "store_full", "the fake upstream's store is full");
}

/* -- ids and times ----------------------------------------------------- */

static void
random_bytes(unsigned char *b, size_t n)
{
	ssize_t got = getrandom(b, n, 0);
	struct timespec ts;

	if (got == (ssize_t)n)
		return;
	/* Not expected; still unique enough for a test process. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (size_t i = got > 0 ? (size_t)got : 0; i < n; i++)
		b[i] = (unsigned char)((unsigned long)ts.tv_nsec >> (i % 4 * 8)
		    ^ i * 131);
}

void
fo_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[64];

	if (n > 2 * sizeof(b))
		n = 2 * sizeof(b);
	random_bytes(b, (n + 1) / 2);
	for (size_t i = 0; i < n; i++)
		out[i] = digits[i % 2 ? b[i / 2] & 15 : b[i / 2] >> 4];
	out[n] = '\0';
}

void
fo_uuid(char *out)
{
	char h[33];

	fo_hex(h, 32);
	h[12] = '4';				/* version 4 */
	h[16] = "89ab"[h[16] % 4];		/* variant 10 */
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
}

json_int_t
fo_now(void)
{
	return (json_int_t)time(NULL);
}

void
fo_iso_now(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char day[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%06ldZ", day, ts.tv_nsec / 1000);
}

/* -- the store --------------------------------------------------------- */

static size_t
stored_bytes(json_t *o)
{
	return json_string_length(json_object_get(o, "_content")) +
	    json_string_length(json_object_get(o, "_text"));
}

struct fake_objects *
fake_objects_new(void)
{
	struct fake_objects *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	for (int k = 0; k < FO_NKINDS; k++) {
		s->kind[k] = json_array();
		if (s->kind[k] == NULL) {
			fake_objects_free(s);
			return NULL;
		}
	}
	fo_uuid(s->org);
	return s;
}

void
fake_objects_free(struct fake_objects *s)
{
	if (s == NULL)
		return;
	for (int k = 0; k < FO_NKINDS; k++)
		json_decref(s->kind[k]);
	free(s);
}

static void
store_reset(struct fake_objects *s)
{
	for (int k = 0; k < FO_NKINDS; k++)
		json_array_clear(s->kind[k]);
	s->bytes = 0;
}

json_t *
fo_add(struct fake_objects *s, enum fo_kind k, json_t *o)
{
	size_t n = stored_bytes(o);

	if (o == NULL || json_array_size(s->kind[k]) >= FO_MAX_OBJECTS ||
	    n > FO_MAX_BYTES - s->bytes ||
	    json_array_append_new(s->kind[k], o) != 0) {
		json_decref(o);
		return NULL;
	}
	s->bytes += n;
	return o;
}

static long
index_of(struct fake_objects *s, enum fo_kind k, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(s->kind[k], i, o) {
		const char *oid = json_string_value(json_object_get(o, "id"));

		if (oid != NULL && strcmp(oid, id) == 0)
			return (long)i;
	}
	return -1;
}

json_t *
fo_find(struct fake_objects *s, enum fo_kind k, const char *id)
{
	long i = index_of(s, k, id);

	return i < 0 ? NULL : json_array_get(s->kind[k], (size_t)i);
}

void
fo_remove(struct fake_objects *s, enum fo_kind k, const char *id)
{
	long i = index_of(s, k, id);

	if (i < 0)
		return;
	s->bytes -= stored_bytes(json_array_get(s->kind[k], (size_t)i));
	json_array_remove(s->kind[k], (size_t)i);
}

json_t *
fo_public(json_t *o)
{
	json_t *c = json_object(), *v;
	const char *k;

	json_object_foreach(o, k, v) {
		if (k[0] != '_')
			json_object_set_new(c, k, json_deep_copy(v));
	}
	return c;
}

/* -- queries, pages, forms --------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
fo_query(const char *query, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t o = 0;

		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 &&
		    p[nl] == '=') {
			for (p += nl + 1; p < end && o + 1 < len; p++) {
				if (*p == '%' && end - p > 2 &&
				    hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
					out[o++] = (char)(hexval(p[1]) * 16 +
					    hexval(p[2]));
					p += 2;
				} else {
					out[o++] = *p == '+' ? ' ' : *p;
				}
			}
			out[o] = '\0';
			return 1;
		}
		if ((size_t)(end - p) == nl && strncmp(p, name, nl) == 0) {
			snprintf(out, len, "%s", "");
			return 1;
		}
		p = *end == '&' ? end + 1 : end;
	}
	return 0;
}

int
fo_query_long(const struct fo_call *c, struct fake_objects_reply *r,
    const char *name, long def, long min, long max, long *v)
{
	char buf[32], *end, msg[96];

	*v = def;
	if (!fo_query(c->query, name, buf, sizeof(buf)))
		return 1;
	*v = strtol(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0') {
		fo_invalid(r, "query", name,
		    "Input should be a valid integer");
		return 0;
	}
	if (*v < min || *v > max) {
		snprintf(msg, sizeof(msg), "Input should be %s %ld",
		    *v < min ? "greater than or equal to" :
		    "less than or equal to", *v < min ? min : max);
		fo_invalid(r, "query", name, msg);
		return 0;
	}
	return 1;
}

int
fo_paging(const struct fo_call *c, struct fake_objects_reply *r,
    const char *size_name, long def, long max, int by_offset,
    struct fo_page *p)
{
	memset(p, 0, sizeof(*p));
	if (!fo_query_long(c, r, size_name, def, 1, max, &p->size))
		return 0;
	if (by_offset) {
		if (!fo_query_long(c, r, "offset", 0, 0, 1000000000L,
		    &p->offset))
			return 0;
		p->page = p->offset / p->size;
		return 1;
	}
	if (!fo_query_long(c, r, "page", 0, 0, 1000000000L, &p->page))
		return 0;
	p->offset = p->page * p->size;
	return 1;
}

json_t *
fo_list(struct fake_objects *s, enum fo_kind k, const char *key,
    const char *val, const struct fo_page *p, long *total)
{
	json_t *a = s->kind[k], *out = json_array(), *o;
	long n = 0;

	for (size_t i = json_array_size(a); i-- > 0;) {
		const char *v;

		o = json_array_get(a, i);
		v = key != NULL ? json_string_value(json_object_get(o, key)) :
		    NULL;
		if (key != NULL && (v == NULL || strcmp(v, val) != 0))
			continue;
		if (n >= p->offset && n < p->offset + p->size)
			json_array_append_new(out, fo_public(o));
		n++;
	}
	*total = n;
	return out;
}

/* The value of parameter name (name="...") of a header line. */
static int
header_param(const char *line, const char *end, const char *name, char *out,
    size_t len)
{
	size_t nl = strlen(name);

	for (const char *p = line; p + nl + 2 < end; p++) {
		const char *q;
		size_t n;

		if ((p[-1] != ';' && p[-1] != ' ') ||
		    strncasecmp(p, name, nl) != 0 || p[nl] != '=' ||
		    p[nl + 1] != '"')
			continue;
		q = memchr(p + nl + 2, '"', (size_t)(end - p - nl - 2));
		if (q == NULL)
			return 0;
		n = (size_t)(q - p - nl - 2);
		snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1),
		    p + nl + 2);
		return 1;
	}
	return 0;
}

int
fo_form_part(const struct fo_call *c, const char *name,
    struct fo_part *part)
{
	const char *b = strstr(c->ctype, "boundary="), *end = c->raw + c->len;
	const char *p;
	char delim[220];
	size_t n, dl;

	if (b == NULL || c->raw == NULL || c->len == 0)
		return 0;
	b += 9;
	if (*b == '"')
		b++;
	n = strcspn(b, "\"; \t");
	if (n == 0 || n > 200)
		return 0;
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)n, b);
	/* p: at a "--boundary"; the first one may open the body. */
	if (c->len >= dl - 2 && memcmp(c->raw, delim + 2, dl - 2) == 0) {
		p = c->raw;
	} else {
		p = memmem(c->raw, c->len, delim, dl);
		p = p != NULL ? p + 2 : NULL;
	}
	while (p != NULL && end - p > (long)dl) {
		const char *head = p + dl - 2, *body, *next, *line;
		char pname[128];

		if (head[0] == '-' && head[1] == '-')
			break;				/* the closing one */
		head += 2;				/* CRLF */
		body = memmem(head, (size_t)(end - head), "\r\n\r\n", 4);
		if (body == NULL)
			break;
		next = memmem(body + 4, (size_t)(end - body - 4), delim, dl);
		if (next == NULL)
			break;
		memset(part, 0, sizeof(*part));
		pname[0] = '\0';
		for (line = head; line < body;) {
			const char *le = memmem(line, (size_t)(body + 2 - line),
			    "\r\n", 2);

			if (le == NULL)
				le = body;
			if (strncasecmp(line, "Content-Disposition:", 20) ==
			    0) {
				header_param(line, le, "name", pname,
				    sizeof(pname));
				header_param(line, le, "filename",
				    part->filename, sizeof(part->filename));
			} else if (strncasecmp(line, "Content-Type:", 13) ==
			    0) {
				const char *v = line + 13;

				while (v < le && *v == ' ')
					v++;
				snprintf(part->ctype, sizeof(part->ctype),
				    "%.*s", (int)(le - v), v);
			}
			line = le + 2;
		}
		if (strcmp(pname, name) == 0) {
			part->data = body + 4;
			part->len = (size_t)(next - body - 4);
			return 1;
		}
		p = next + 2;
	}
	return 0;
}

int
fo_form_text(const struct fo_call *c, const char *name, char *out, size_t len)
{
	struct fo_part part;

	if (!fo_form_part(c, name, &part))
		return 0;
	snprintf(out, len, "%.*s", (int)(part.len < len ? part.len : len - 1),
	    part.data);
	return 1;
}

/* The text of a content: a string, or the last text chunk. */
static const char *
content_text(json_t *content)
{
	json_t *chunk;
	size_t i;
	const char *t = NULL;

	if (json_is_string(content))
		return json_string_value(content);
	json_array_foreach(content, i, chunk) {
		if (json_is_string(json_object_get(chunk, "text")))
			t = json_string_value(json_object_get(chunk, "text"));
	}
	return t;
}

void
fo_echo_text(json_t *body, char *out, size_t len)
{
	json_t *list = json_object_get(body, "messages"), *m;
	const char *t = NULL;
	size_t i;

	if (list == NULL)
		list = json_object_get(body, "inputs");
	if (json_is_string(list))
		t = json_string_value(list);
	json_array_foreach(list, i, m) {
		const char *role = json_string_value(json_object_get(m,
		    "role"));
		const char *mt = content_text(json_object_get(m, "content"));

		if (mt != NULL && (role == NULL || strcmp(role, "user") == 0))
			t = mt;
	}
	if (t == NULL)
		t = json_string_value(json_object_get(body, "prompt"));
	if (t == NULL)
		t = json_string_value(json_object_get(body, "input"));
	if (t == NULL)
		t = "";
	/* Cut to len on a character boundary: the echo stays UTF-8. */
	i = strlen(t);
	if (i >= len)
		for (i = len - 1; i > 0 && (t[i] & 0xC0) == 0x80; i--)
			;
	snprintf(out, len, "%.*s", (int)i, t);
}

json_t *
fo_text(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_string("");
}

/* -- routes ------------------------------------------------------------ */

/* Method, path ('*' is one non-empty segment, an id), handler. */
static const struct fo_route {
	const char *method, *path;
	fo_fn *fn;
} routes[] = {
	{ "POST", "/v1/files", fo_file_create },
	{ "GET", "/v1/files", fo_file_list },
	{ "GET", "/v1/files/*", fo_file_get },
	{ "DELETE", "/v1/files/*", fo_file_delete },
	{ "GET", "/v1/files/*/content", fo_file_content },
	{ "GET", "/v1/files/*/url", fo_file_url },
	{ "POST", "/v1/batch/jobs", fo_batch_create },
	{ "GET", "/v1/batch/jobs", fo_batch_list },
	{ "GET", "/v1/batch/jobs/*", fo_batch_get },
	{ "DELETE", "/v1/batch/jobs/*", fo_batch_delete },
	{ "POST", "/v1/batch/jobs/*/cancel", fo_batch_cancel },
	{ "POST", "/v1/fine_tuning/jobs", fo_ft_create },
	{ "GET", "/v1/fine_tuning/jobs", fo_ft_list },
	{ "GET", "/v1/fine_tuning/jobs/*", fo_ft_get },
	{ "POST", "/v1/fine_tuning/jobs/*/cancel", fo_ft_cancel },
	{ "GET", "/v1/models", fo_model_list },
	{ "GET", "/v1/models/*", fo_model_get },
	{ "DELETE", "/v1/models/*", fo_model_delete },
	{ "PATCH", "/v1/fine_tuning/models/*", fo_model_update },
	{ "POST", "/v1/fine_tuning/models/*/archive", fo_model_archive },
	{ "DELETE", "/v1/fine_tuning/models/*/archive", fo_model_archive },
	{ "POST", "/v1/agents", fo_agent_create },
	{ "GET", "/v1/agents", fo_agent_list },
	{ "GET", "/v1/agents/*", fo_agent_get },
	{ "PATCH", "/v1/agents/*", fo_agent_update },
	{ "DELETE", "/v1/agents/*", fo_agent_delete },
	{ "POST", "/v1/conversations", fo_conv_start },
	{ "GET", "/v1/conversations", fo_conv_list },
	{ "GET", "/v1/conversations/*", fo_conv_get },
	{ "DELETE", "/v1/conversations/*", fo_conv_delete },
	{ "POST", "/v1/conversations/*", fo_conv_append },
	{ "GET", "/v1/conversations/*/history", fo_conv_history },
	{ "GET", "/v1/conversations/*/messages", fo_conv_messages },
	{ "POST", "/v1/conversations/*/restart", fo_conv_restart },
	{ "POST", "/v1/libraries", fo_lib_create },
	{ "GET", "/v1/libraries", fo_lib_list },
	{ "GET", "/v1/libraries/*", fo_lib_get },
	{ "PATCH", "/v1/libraries/*", fo_lib_update },
	{ "PUT", "/v1/libraries/*", fo_lib_update },
	{ "DELETE", "/v1/libraries/*", fo_lib_delete },
	{ "POST", "/v1/libraries/*/documents", fo_doc_create },
	{ "GET", "/v1/libraries/*/documents", fo_doc_list },
	{ "GET", "/v1/libraries/*/documents/*", fo_doc_get },
	{ "PATCH", "/v1/libraries/*/documents/*", fo_doc_update },
	{ "PUT", "/v1/libraries/*/documents/*", fo_doc_update },
	{ "DELETE", "/v1/libraries/*/documents/*", fo_doc_delete },
	{ "GET", "/v1/libraries/*/documents/*/text_content", fo_doc_text },
	{ "GET", "/v1/libraries/*/documents/*/status", fo_doc_status },
	{ "POST", "/v1/audio/voices", fo_voice_create },
	{ "GET", "/v1/audio/voices", fo_voice_list },
	{ "GET", "/v1/audio/voices/*", fo_voice_get },
	{ "PATCH", "/v1/audio/voices/*", fo_voice_update },
	{ "DELETE", "/v1/audio/voices/*", fo_voice_delete },
};

/* 1 when path matches pattern; the '*' segments are copied, each ended
 * by a NUL, into ids (as long as path), and pointed to by id[]. */
static int
route_match(const char *pattern, const char *path, char *ids,
    const char *id[2])
{
	int n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '*') {
			size_t k = strcspn(path, "/");

			if (k == 0 || n == 2)
				return 0;
			memcpy(ids, path, k);
			ids[k] = '\0';
			id[n++] = ids;
			ids += k + 1;
			path += k;
			pattern++;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "?";
	}
}

int
fake_objects_answer(struct fake_objects *s, struct evhttp_request *req,
    json_t *body, struct fake_objects_reply *out)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *buf = evhttp_request_get_input_buffer(req);
	const char *uri = evhttp_request_get_uri(req), *q, *v;
	char path[8448], ids[sizeof(path) + 2];
	struct fo_call c;

	v = evhttp_find_header(in, "x-fake-reset");
	if (v != NULL && strcmp(v, "1") == 0)
		store_reset(s);
	q = strchr(uri, '?');
	if (strlen(uri) >= sizeof(path))
		return 0;
	snprintf(path, sizeof(path), "%.*s", (int)(q != NULL ? q - uri :
	    (long)strlen(uri)), uri);
	memset(&c, 0, sizeof(c));
	c.method = method_name(evhttp_request_get_command(req));
	for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
		c.id[0] = c.id[1] = "";
		if (strcmp(routes[i].method, c.method) != 0 ||
		    !route_match(routes[i].path, path, ids, c.id))
			continue;
		c.query = q != NULL ? q + 1 : "";
		v = evhttp_find_header(in, "Content-Type");
		c.ctype = v != NULL ? v : "";
		c.body = body;
		c.len = evbuffer_get_length(buf);
		c.raw = c.len > 0 ? (const char *)evbuffer_pullup(buf, -1) : "";
		memset(out, 0, sizeof(*out));
		routes[i].fn(s, &c, out);
		return 1;
	}
	return 0;
}
