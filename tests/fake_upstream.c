/*
 * eugate-demo-upstream: a small Mistral-like server for the quick start,
 * the integration tests and the benchmark. It answers chat, FIM,
 * embeddings and models like the Mistral API, keeps files, jobs, agents,
 * conversations, libraries and voices (tests/fake_objects.c), echoes what it
 * received, and records every request as a JSON line (--record FILE) so
 * that tests can assert what reached the upstream. Request headers
 * x-fake-* script failures: status, delays, stream length, cuts, absurd
 * usage (x-fake-usage), compressed answers (x-fake-encoding),
 * compression bombs (x-fake-bomb) and '<' escaped (x-fake-escape-lt).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "tests/fake_api.h"
#include "tests/fake_encode.h"
#include "tests/fake_objects.h"

struct fake {
	struct event_base *base;
	FILE *record;
	const char *name;
	int openai;		/* behave like vLLM */
	int fixed_status;	/* -s: answer every request with this */
	int delay_ms;		/* -d: wait before every answer */
	unsigned long seq;
	char once[16][64];	/* x-fake-429-once tokens already refused */
	unsigned n_once;
	struct fake_objects *objs;	/* files, jobs, agents, ... */
};

/* x-fake-429-once: TOKEN: the first request with TOKEN gets 429 with
 * Retry-After: 1, later ones are served (a client's retry succeeds). */
static int
refuse_once(struct fake *f, struct evhttp_request *req)
{
	const char *t = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "x-fake-429-once");

	if (t == NULL || strlen(t) >= sizeof(f->once[0]))
		return 0;
	for (unsigned i = 0; i < f->n_once && i < 16; i++)
		if (strcmp(f->once[i], t) == 0)
			return 0;
	snprintf(f->once[f->n_once++ % 16], sizeof(f->once[0]), "%s", t);
	return 1;
}

struct stream {
	struct fake *f;
	struct evhttp_request *req;
	struct event *timer;
	int sent, total, cut_after, delay_ms, pad;
	int closed;
	char model[128];
	char echo[256];
	int include_usage;	/* openai: usage in a separate chunk */
	int prompt;		/* prompt tokens reported
				 * (x-fake-prompt-tokens) */
	char request_id[80];
	unsigned long id;
	/* x-fake-split: the echo in pieces of so many characters, for n
	 * choices, as content or as tool-call arguments (x-fake-tool). */
	char **pieces;
	int n_pieces, n_choices, tool;
	struct fenc_stream *enc;	/* x-fake-encoding, or NULL */
};

static json_t *usage_obj(int prompt, int completion);
static void record_usage(struct fake *f, const char *request_id, int prompt,
    int completion);
static void stream_chunk(struct stream *s, const char *data);

/* Splits text into pieces of n UTF-8 characters. */
static int
split_text(const char *text, int n, char ***out)
{
	int count = 0;
	const char *p = text;
	char **v = NULL;

	while (*p != '\0') {
		const char *start = p;

		for (int k = 0; k < n && *p != '\0'; k++) {
			p++;
			while ((*p & 0xC0) == 0x80)
				p++;
		}
		v = realloc(v, (size_t)(count + 1) * sizeof(*v));
		v[count++] = strndup(start, (size_t)(p - start));
	}
	*out = v;
	return count;
}

static void
send_piece(struct stream *s, int choice, const char *piece, int last)
{
	json_t *delta, *chunk;
	char *js;

	if (s->tool)
		delta = json_pack("{s:[{s:i, s:s, s:s, s:{s:s, s:s}}]}",
		    "tool_calls", "index", 0, "id", "call_1", "type",
		    "function", "function", "name", "echo", "arguments", piece);
	else
		delta = json_pack("{s:s}", "content", piece);
	chunk = json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:o, s:o}]}", "id",
	    "cmpl-fake", "object", "chat.completion.chunk", "created",
	    1700000000, "model", s->model, "choices", "index", choice,
	    "delta", delta, "finish_reason", last ? json_string(s->tool ?
	    "tool_calls" : "stop") : json_null());
	if (last && choice == s->n_choices - 1)
		json_object_set_new(chunk, "usage", usage_obj(s->prompt,
		    s->n_pieces));
	js = json_dumps(chunk, JSON_COMPACT);
	stream_chunk(s, js);
	free(js);
	json_decref(chunk);
}

/* A decimal int, or def when s is not one (strtol: atoi is banned). */
static int
to_int(const char *s, int def)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < INT_MIN ||
	    v > INT_MAX)
		return def;
	return (int)v;
}

static int
hdr_int(struct evhttp_request *req, const char *name, int def)
{
	const char *v = evhttp_find_header(
	    evhttp_request_get_input_headers(req), name);

	return v ? to_int(v, def) : def;
}

static void
record(struct fake *f, struct evhttp_request *req, const char *body,
    size_t len)
{
	json_t *o = json_object(), *h = json_object(), *b;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyval *kv;
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT",
		"DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH" };
	int m = evhttp_request_get_command(req), mi = 0;
	char *line;

	while (mi < 9 && (1 << mi) != m)
		mi++;
	TAILQ_FOREACH(kv, in, next) {
		char lower[128];
		size_t i;

		for (i = 0; kv->key[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)(kv->key[i] >= 'A' &&
			    kv->key[i] <= 'Z' ? kv->key[i] + 32 : kv->key[i]);
		lower[i] = '\0';
		json_object_set_new(h, lower, json_string(kv->value));
	}
	b = json_stringn(body, len);
	json_object_set_new(o, "upstream", json_string(f->name));
	json_object_set_new(o, "method",
	    json_string(mi < 9 ? methods[mi] : "?"));
	json_object_set_new(o, "uri", json_string(evhttp_request_get_uri(req)));
	json_object_set_new(o, "headers", h);
	json_object_set_new(o, "body", b ? b : json_null());
	json_object_set_new(o, "body_len", json_integer((json_int_t)len));
	line = json_dumps(o, JSON_COMPACT);
	if (f->record != NULL && line != NULL) {
		fprintf(f->record, "%s\n", line);
		fflush(f->record);
	}
	free(line);
	json_decref(o);
}

static void
record_event(struct fake *f, const char *event, unsigned long id, int sent)
{
	if (f->record == NULL)
		return;
	fprintf(f->record, "{\"upstream\":\"%s\",\"event\":\"%s\","
	    "\"stream\":%lu,\"sent\":%d}\n", f->name, event, id, sent);
	fflush(f->record);
}

/* The usage the fake reported, so that tests can check the ledger. */
static void
record_usage(struct fake *f, const char *request_id, int prompt,
    int completion)
{
	if (f->record == NULL)
		return;
	fprintf(f->record, "{\"upstream\":\"%s\",\"event\":\"usage\","
	    "\"request_id\":\"%s\",\"prompt\":%d,\"completion\":%d}\n",
	    f->name, request_id, prompt, completion);
	fflush(f->record);
}

static const char *
request_id(struct evhttp_request *req)
{
	const char *v = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "x-request-id");

	return v != NULL && strlen(v) < 80 && strchr(v, '"') == NULL ? v : "";
}

static void
common_headers(struct fake *f, struct evhttp_request *req, const char *ctype)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "x-ratelimit-limit-req-minute", "1000");
	evhttp_add_header(out, "x-ratelimit-remaining-req-minute", "999");
	evhttp_add_header(out, "x-upstream-name", f->name);
	evhttp_add_header(out, "Set-Cookie", "upstream-session=secret");
}

static const char *
header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

/*
 * x-fake-usage: JSON that replaces the answer's usage (usage_info for
 * OCR), or "omit" to leave it out: what a broken upstream may report.
 */
static void
fake_usage(struct evhttp_request *req, json_t *obj)
{
	const char *v = header(req, "x-fake-usage");
	const char *key = json_object_get(obj, "usage_info") != NULL ?
	    "usage_info" : "usage";
	json_t *u;

	if (v == NULL || json_object_get(obj, key) == NULL)
		return;
	if (strcmp(v, "omit") == 0) {
		json_object_del(obj, key);
		return;
	}
	u = json_loads(v, JSON_DECODE_ANY, NULL);
	if (u != NULL)
		json_object_set_new(obj, key, u);
}

/* Sends a whole body in the coding x-fake-encoding asks for. */
static void
send_body(struct evhttp_request *req, int status, const char *data,
    size_t len)
{
	int e = fenc_parse(header(req, "x-fake-encoding"));
	struct fenc_stream *enc = fenc_new(e);
	struct evbuffer *b = evbuffer_new();

	if (enc != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Encoding", fenc_name(e));
		fenc_write(enc, data, len, FENC_END, b);
		fenc_free(enc);
	} else {
		evbuffer_add(b, data, len);
	}
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", b);
	evbuffer_free(b);
}

/*
 * x-fake-escape-lt: '<' and '>' written as \u003c and \u003e, as Go's
 * encoding/json writes them (they only occur inside strings). Returns a
 * malloc'ed copy, or NULL.
 */
static char *
escape_lt(const char *s)
{
	size_t n = 0, k = 0;
	char *o;

	for (const char *p = s; *p != '\0'; p++)
		n += *p == '<' || *p == '>' ? 6 : 1;
	o = malloc(n + 1);
	if (o == NULL)
		return NULL;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '<' || *p == '>') {
			memcpy(o + k, *p == '<' ? "\\u003c" : "\\u003e", 6);
			k += 6;
		} else {
			o[k++] = *p;
		}
	}
	o[k] = '\0';
	return o;
}

static void
send_json(struct fake *f, struct evhttp_request *req, int status, json_t *j)
{
	char *s;

	fake_usage(req, j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s != NULL && header(req, "x-fake-escape-lt") != NULL) {
		char *e = escape_lt(s);

		free(s);
		s = e;
	}
	common_headers(f, req, "application/json");
	send_body(req, status, s ? s : "{}", s ? strlen(s) : 2);
	free(s);
}

/*
 * x-fake-bomb: N: an answer of N zero bytes in the x-fake-encoding coding
 * (gzip by default), coded as it is made (a few KB on the wire): JSON, or
 * one endless SSE event when the request streams, or with
 * x-fake-bomb-events a stream of N bytes of small events.
 */
static void
send_bomb(struct fake *f, struct evhttp_request *req, long n, int sse)
{
	int e = fenc_parse(header(req, "x-fake-encoding"));
	struct fenc_stream *enc = fenc_new(e != FENC_NONE ? e : FENC_GZIP);
	struct evbuffer *b = evbuffer_new();
	static char fill[65530];

	memset(fill, 0, sizeof(fill));
	if (sse && header(req, "x-fake-bomb-events") != NULL)
		for (size_t i = 0; i + 10 <= sizeof(fill); i += 10)
			memcpy(fill + i, "data: {}\n\n", 10);
	else if (sse)
		fenc_write(enc, "data: ", 6, FENC_MORE, b);
	common_headers(f, req, sse ? "text/event-stream" : "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Encoding", fenc_name(e != FENC_NONE ? e : FENC_GZIP));
	for (; n > 0; n -= (long)sizeof(fill))
		fenc_write(enc, fill, n < (long)sizeof(fill) ? (size_t)n :
		    sizeof(fill), FENC_MORE, b);
	fenc_write(enc, "", 0, FENC_END, b);
	fenc_free(enc);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
send_error(struct fake *f, struct evhttp_request *req, int status,
    const char *msg)
{
	if (f->openai)
		send_json(f, req, status, json_pack("{s:{s:s, s:s, s:n, s:i}}",
		    "error", "message", msg, "type", "BadRequestError", "param",
		    "code", status));
	else
		send_json(f, req, status, json_pack("{s:s, s:s, s:s, s:n, s:s}",
		    "object", "error", "message", msg, "type",
		    status == 429 ? "rate_limited" : "invalid_request_error",
		    "param", "code", status == 429 ? "1300" : "3000"));
}

static void
send_objects_reply(struct fake *f, struct evhttp_request *req,
    struct fake_objects_reply *r)
{
	struct evbuffer *b = evbuffer_new();

	common_headers(f, req, r->ctype);
	if (r->disposition[0] != '\0')
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Disposition", r->disposition);
	if (r->len > 0)
		evbuffer_add(b, r->body, r->len);
	evhttp_send_reply(req, r->status, r->status < 300 ? "OK" : "Error", b);
	evbuffer_free(b);
	free(r->body);
}

/* The text of the last user message, for the echo. */
/* Drops a character that a cut to a buffer's size left incomplete: the
 * answer must stay UTF-8, or json_pack() fails. */
static void
utf8_cut(char *s)
{
	size_t n = strlen(s), k = n;

	while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && (unsigned char)s[k - 1] >= 0xC0) {
		unsigned char c = (unsigned char)s[k - 1];
		size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;

		if (n - (k - 1) < want)
			s[k - 1] = '\0';
	}
}

static void
last_user_text(json_t *body, char *out, size_t len)
{
	json_t *msgs = json_object_get(body, "messages"), *m, *c;
	size_t i;

	snprintf(out, len, "%s", "");
	if (json_is_string(json_object_get(body, "prompt")))
		snprintf(out, len, "%s", json_string_value(json_object_get(body,
		    "prompt")));
	json_array_foreach(msgs, i, m) {
		c = json_object_get(m, "content");
		if (json_is_string(c))
			snprintf(out, len, "%s", json_string_value(c));
	}
	utf8_cut(out);
}

static json_t *
usage_obj(int prompt, int completion)
{
	return json_pack("{s:i, s:i, s:i}", "prompt_tokens", prompt,
	    "completion_tokens", completion, "total_tokens",
	    prompt + completion);
}

static void stream_step(evutil_socket_t fd, short what, void *arg);

static void
stream_free(struct stream *s)
{
	fenc_free(s->enc);
	for (int i = 0; i < s->n_pieces; i++)
		free(s->pieces[i]);
	free(s->pieces);
	event_free(s->timer);
	free(s);
}

static void
stream_closed(struct evhttp_connection *conn, void *arg)
{
	struct stream *s = arg;

	s->closed = 1;
}

static void
stream_chunk(struct stream *s, const char *data)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "data: %s\n\n", data);
	if (s->enc != NULL) {
		/* Each event is flushed: decodable as it comes. */
		struct evbuffer *z = evbuffer_new();
		size_t n = evbuffer_get_length(b);

		fenc_write(s->enc, evbuffer_pullup(b, -1), n, FENC_FLUSH, z);
		evbuffer_free(b);
		b = z;
	}
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

/* The end of a coded stream. */
static void
stream_finish(struct stream *s)
{
	struct evbuffer *b;

	if (s->enc == NULL)
		return;
	b = evbuffer_new();
	fenc_write(s->enc, "", 0, FENC_END, b);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

static void
stream_step(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	struct timeval tv = { s->delay_ms / 1000, (s->delay_ms % 1000) * 1000 };
	json_t *chunk;
	char *js, content[70000];

	/* The request is gone with its connection: touch nothing of it. */
	if (s->closed) {
		record_event(s->f, "client_closed", s->id, s->sent);
		stream_free(s);
		return;
	}
	conn = evhttp_request_get_connection(s->req);
	bev = evhttp_connection_get_bufferevent(conn);
	/* Back-pressure: wait while the gateway does not read. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 256 * 1024) {
		struct timeval wait = { 0, 10000 };

		evtimer_add(s->timer, &wait);
		return;
	}
	if (s->cut_after >= 0 && s->sent == s->cut_after) {
		record_event(s->f, "cut", s->id, s->sent);
		evhttp_connection_set_closecb(conn, NULL, NULL);
		shutdown(bufferevent_getfd(bev), SHUT_RDWR);
		stream_free(s);
		return;
	}
	if (s->pieces != NULL && s->sent < s->n_pieces) {
		for (int c = 0; c < s->n_choices; c++)
			send_piece(s, c, s->pieces[s->sent],
			    s->sent == s->n_pieces - 1);
		s->sent++;
		evtimer_add(s->timer, &tv);
		return;
	}
	if (s->pieces == NULL && s->sent < s->total) {
		int last = s->sent == s->total - 1;

		if (s->sent == 0)
			snprintf(content, sizeof(content), "%s", s->echo);
		else
			snprintf(content, sizeof(content), " w%d", s->sent);
		if (s->pad > 0 && s->pad < (int)sizeof(content) - 1) {
			memset(content, 'x', (size_t)s->pad);
			content[s->pad] = '\0';
		}
		chunk = json_pack("{s:s, s:s, s:i, s:s, "
		    "s:[{s:i, s:{s:s, s:s}, s:O}]}",
		    "id", "cmpl-fake", "object", "chat.completion.chunk",
		    "created", 1700000000, "model", s->model, "choices",
		    "index", 0, "delta", "role", "assistant", "content",
		    content, "finish_reason",
		    last ? json_string("stop") : json_null());
		if (last && !s->f->openai) {
			json_object_set_new(chunk, "usage", usage_obj(s->prompt,
			    s->total));
			fake_usage(s->req, chunk);
			record_usage(s->f, s->request_id, s->prompt, s->total);
		}
		js = json_dumps(chunk, JSON_COMPACT);
		stream_chunk(s, js);
		free(js);
		json_decref(chunk);
		s->sent++;
		evtimer_add(s->timer, &tv);
		return;
	}
	if (s->f->openai && s->include_usage) {
		chunk = json_pack("{s:s, s:s, s:i, s:s, s:[], s:o}", "id",
		    "cmpl-fake", "object", "chat.completion.chunk", "created",
		    1700000000, "model", s->model, "choices", "usage",
		    usage_obj(s->prompt, s->total));
		fake_usage(s->req, chunk);
		record_usage(s->f, s->request_id, s->prompt, s->total);
		js = json_dumps(chunk, JSON_COMPACT);
		stream_chunk(s, js);
		free(js);
		json_decref(chunk);
	}
	stream_chunk(s, "[DONE]");
	stream_finish(s);
	evhttp_connection_set_closecb(conn, NULL, NULL);
	evhttp_send_reply_end(s->req);
	record_event(s->f, "done", s->id, s->sent);
	stream_free(s);
}

/* Tools offered and not refused: the model calls the first one. */
static int
wants_tool(json_t *body)
{
	json_t *tc = json_object_get(body, "tool_choice");

	return json_array_size(json_object_get(body, "tools")) > 0 &&
	    !(json_is_string(tc) && strcmp(json_string_value(tc), "none") == 0);
}

/* The assistant message: a tool call, JSON (response_format), or text. */
static json_t *
answer_message(json_t *body, const char *text)
{
	json_t *rf = json_object_get(body, "response_format"), *args;
	const char *type = json_string_value(json_object_get(rf, "type"));
	char *js;
	json_t *m;

	if (wants_tool(body)) {
		const char *name = json_string_value(json_object_get(
		    json_object_get(json_array_get(json_object_get(body,
		    "tools"), 0), "function"), "name"));

		args = json_pack("{s:s}", "text", text);
		js = json_dumps(args, JSON_COMPACT);
		json_decref(args);
		m = json_pack("{s:s, s:s, s:[{s:s, s:s, s:{s:s, s:s}}]}",
		    "role", "assistant", "content", "", "tool_calls", "id",
		    "call0fake1", "type", "function", "function", "name",
		    name ? name : "f", "arguments", js);
		free(js);
		return m;
	}
	if (type != NULL && (strcmp(type, "json_object") == 0 ||
	    strcmp(type, "json_schema") == 0)) {
		args = json_pack("{s:s}", "text", text);
		js = json_dumps(args, JSON_COMPACT);
		json_decref(args);
		m = json_pack("{s:s, s:s}", "role", "assistant", "content", js);
		free(js);
		return m;
	}
	return json_pack("{s:s, s:s}", "role", "assistant", "content", text);
}

static void
chat(struct fake *f, struct evhttp_request *req, json_t *body, int fim)
{
	const char *model = json_string_value(json_object_get(body, "model"));
	char echo[256], text[300], *content = NULL;
	int big;

	/* An agent completion names its agent; the agent has the model. */
	if (model == NULL && json_is_string(json_object_get(body, "agent_id")))
		model = "mistral-medium-latest";
	if (model == NULL) {
		send_error(f, req, 422, "model is required");
		return;
	}
	if (!f->openai && json_object_get(body, "stream_options") != NULL) {
		send_error(f, req, 422, "Extra inputs are not permitted");
		return;
	}
	json_t *mt = json_object_get(body, "max_tokens");
	int max_tokens = json_is_integer(mt) && json_integer_value(mt) > 0 &&
	    json_integer_value(mt) < 1000000 ? (int)json_integer_value(mt) : 0;
	int prompt = hdr_int(req, "x-fake-prompt-tokens", 10);
	int completion = max_tokens > 0 && max_tokens < 5 ? max_tokens : 5;

	last_user_text(body, echo, sizeof(echo));
	if (f->record == NULL)	/* the demo: show what left the gateway */
		fprintf(stderr, "%s received: %s\n", f->name, echo);
	if (json_is_true(json_object_get(body, "stream"))) {
		struct stream *s = calloc(1, sizeof(*s));
		struct evhttp_connection *conn =
		    evhttp_request_get_connection(req);

		s->f = f;
		s->req = req;
		s->id = ++f->seq;
		s->total = hdr_int(req, "x-fake-events", 5);
		s->cut_after = hdr_int(req, "x-fake-cut-after", -1);
		s->delay_ms = hdr_int(req, "x-fake-event-delay-ms", 0);
		s->pad = hdr_int(req, "x-fake-event-bytes", 0);
		s->include_usage = json_is_true(json_object_get(json_object_get(
		    body, "stream_options"), "include_usage"));
		s->prompt = hdr_int(req, "x-fake-prompt-tokens", 10);
		snprintf(s->request_id, sizeof(s->request_id), "%s",
		    request_id(req));
		/* A model never writes more than max_tokens. */
		if (max_tokens > 0 && s->total > max_tokens)
			s->total = max_tokens;
		snprintf(s->model, sizeof(s->model), "%s", model);
		snprintf(s->echo, sizeof(s->echo), "echo: %.240s", echo);
		utf8_cut(s->echo);
		s->timer = evtimer_new(f->base, stream_step, s);
		if (hdr_int(req, "x-fake-split", 0) > 0) {
			char whole[1024];

			s->tool = hdr_int(req, "x-fake-tool", 0);
			s->n_choices = hdr_int(req, "x-fake-n", 1);
			if (s->tool) {
				json_t *a = json_pack("{s:s}", "text", s->echo);
				char *js = json_dumps(a, JSON_COMPACT);

				snprintf(whole, sizeof(whole), "%s", js);
				free(js);
				json_decref(a);
			} else {
				snprintf(whole, sizeof(whole), "%s", s->echo);
			}
			s->n_pieces = split_text(whole, hdr_int(req,
			    "x-fake-split", 0), &s->pieces);
		}
		common_headers(f, req, "text/event-stream");
		s->enc = fenc_new(fenc_parse(header(req, "x-fake-encoding")));
		if (s->enc != NULL)
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Content-Encoding", fenc_name(fenc_parse(
			    header(req, "x-fake-encoding"))));
		evhttp_connection_set_closecb(conn, stream_closed, s);
		evhttp_send_reply_start(req, 200, "OK");
		stream_step(-1, 0, s);
		return;
	}
	snprintf(text, sizeof(text), "echo: %s", echo);
	/* x-fake-answer-bytes: an answer of so many 'x' instead. */
	big = hdr_int(req, "x-fake-answer-bytes", 0);
	if (big > 0 && big <= 64 * 1024 * 1024 &&
	    (content = malloc((size_t)big + 1)) != NULL) {
		memset(content, 'x', (size_t)big);
		content[big] = '\0';
	}
	/* x-fake-answer-repeat: the echo so many times over (a large answer
	 * that holds what the request held). */
	big = hdr_int(req, "x-fake-answer-repeat", 0);
	if (content == NULL && big > 0 && big <= 100000 &&
	    (content = malloc(strlen(text) * (size_t)big + 1)) != NULL) {
		size_t tl = strlen(text);

		for (int i = 0; i < big; i++)
			memcpy(content + tl * (size_t)i, text, tl);
		content[tl * (size_t)big] = '\0';
	}
	send_json(f, req, 200, json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, "
	    "s:o, s:s}], s:o}", "id", fim ? "fim-fake" : "cmpl-fake",
	    "object", "chat.completion", "created", 1700000000, "model", model,
	    "choices", "index", 0, "message", answer_message(body,
	    content ? content : text), "finish_reason", wants_tool(body) ?
	    "tool_calls" : "stop", "usage", usage_obj(prompt, completion)));
	free(content);
	record_usage(f, request_id(req), prompt, completion);
}

/* Standard base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes). */
static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = t[in[i] >> 2];
		out[o++] = t[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		out[o++] = t[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		out[o++] = t[in[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = t[in[i] >> 2];
		out[o++] = t[((in[i] & 3) << 4) |
		    (i + 1 < n ? in[i + 1] >> 4 : 0)];
		out[o++] = i + 1 < n ? t[(in[i + 1] & 15) << 2] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* One embedding of 3 floats, as numbers or (encoding_format "base64",
 * which the openai client asks for) as little-endian float32 bytes. */
static void
embeddings(struct fake *f, struct evhttp_request *req, json_t *body)
{
	const char *fmt = json_string_value(json_object_get(body,
	    "encoding_format"));
	float v[3] = { 0.1f, 0.2f, 0.3f };
	char b64[32];
	json_t *emb;

	if (fmt != NULL && strcmp(fmt, "base64") == 0) {
		base64((const unsigned char *)v, sizeof(v), b64);
		emb = json_string(b64);
	} else {
		emb = json_pack("[f,f,f]", 0.1, 0.2, 0.3);
	}
	send_json(f, req, 200, json_pack("{s:s, s:s, s:s, s:[{s:s, s:i, "
	    "s:o}], s:o}", "id", "emb-fake", "object", "list", "model",
	    json_string_value(json_object_get(body, "model")) ?
	    json_string_value(json_object_get(body, "model")) : "?", "data",
	    "object", "embedding", "index", 0, "embedding", emb,
	    "usage", usage_obj(7, 0)));
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct fake *f = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	const char *uri = evhttp_request_get_uri(req);
	int method = evhttp_request_get_command(req);
	int status = hdr_int(req, "x-fake-status", f->fixed_status);
	int delay = hdr_int(req, "x-fake-delay-ms", f->delay_ms);
	json_t *body = NULL, *api;
	int api_status;
	struct fake_objects_reply rep;
	const char *mname = method == EVHTTP_REQ_GET ? "GET" :
	    method == EVHTTP_REQ_POST ? "POST" : "?";
	char *sse;
	size_t sse_len;
	char path[512];
	const char *q;

	record(f, req, data, len);
	if (delay > 0)
		usleep((useconds_t)delay * 1000);	/* a slow upstream */
	q = strchr(uri, '?');
	snprintf(path, sizeof(path), "%.*s", (int)(q ? q - uri :
	    (long)strlen(uri)), uri);
	if (refuse_once(f, req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		status = 429;
	} else if (status == 429) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "7");
	}
	if (status > 0) {
		send_error(f, req, status, status == 429 ?
		    "Rate limit exceeded" : "scripted failure");
		return;
	}
	if (len > 0 && data[0] == '{')
		body = json_loadb(data, len, 0, NULL);
	if (header(req, "x-fake-bomb") != NULL) {
		send_bomb(f, req, strtol(header(req, "x-fake-bomb"), NULL, 10),
		    json_is_true(json_object_get(body, "stream")));
		json_decref(body);
		return;
	}
	if (!f->openai && fake_objects_answer(f->objs, req, body, &rep)) {
		send_objects_reply(f, req, &rep);
		json_decref(body);
		return;
	}
	if (method == EVHTTP_REQ_POST &&
	    (strcmp(path, "/v1/chat/completions") == 0 ||
	    strcmp(path, "/v1/agents/completions") == 0) && body) {
		chat(f, req, body, 0);
	} else if (method == EVHTTP_REQ_POST && !f->openai &&
	    strcmp(path, "/v1/fim/completions") == 0 && body) {
		chat(f, req, body, 1);
	} else if (method == EVHTTP_REQ_POST &&
	    strcmp(path, "/v1/embeddings") == 0 && body) {
		embeddings(f, req, body);
	} else if (!f->openai && (sse = fake_api_stream(mname, path, body,
	    data, len, &sse_len)) != NULL) {
		common_headers(f, req, "text/event-stream");
		send_body(req, 200, sse, sse_len);
		free(sse);
	} else if (!f->openai && (api = fake_api_resource(mname, path, body,
	    data, len)) != NULL) {
		send_json(f, req, 200, api);
	} else if (!f->openai && (api = fake_api_answer(method ==
	    EVHTTP_REQ_GET ? "GET" : method == EVHTTP_REQ_POST ? "POST" : "?",
	    path, body, &api_status)) != NULL) {
		send_json(f, req, api_status, api);
	} else if (method == EVHTTP_REQ_GET &&
	    strcmp(path, "/v1/models") == 0) {
		send_json(f, req, 200, json_pack("{s:s, s:[{s:s, s:s, s:i, "
		    "s:s}]}", "object", "list", "data", "id",
		    "mistral-small-latest", "object", "model", "created",
		    1700000000, "owned_by", "mistralai"));
	} else {
		send_error(f, req, 404, "Not Found");
	}
	json_decref(body);
}

static void
usage(void)
{
	fprintf(stderr, "usage: eugate-demo-upstream [-p PORT] [-a ADDR] "
	    "[-P PORTFILE] [-r RECORDFILE] [-n NAME] [-o] [-s STATUS] [-d MS]\n"
	    "  -o  behave like an OpenAI-compatible server (vLLM)\n"
	    "  -s  answer every request with STATUS (a broken upstream)\n"
	    "  -d  wait MS milliseconds before every answer (a slow one)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct fake f;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	const char *addr = "127.0.0.1", *port_file = NULL;
	int port = 8090, opt;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&f, 0, sizeof(f));
	f.name = "demo";
	while ((opt = getopt(argc, argv, "p:a:P:r:n:os:d:")) != -1) {
		switch (opt) {
		case 'p': port = to_int(optarg, -1); break;
		case 'a': addr = optarg; break;
		case 'P': port_file = optarg; break;
		case 'r':
			f.record = fopen(optarg, "a");
			if (f.record == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		case 'n': f.name = optarg; break;
		case 'o': f.openai = 1; break;
		case 's': f.fixed_status = to_int(optarg, 0); break;
		case 'd': f.delay_ms = to_int(optarg, 0); break;
		default: usage();
		}
	}
	if (port < 0 || port > 65535 || f.fixed_status < 0 || f.delay_ms < 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	f.objs = fake_objects_new();
	if (f.objs == NULL)
		return 1;
	f.base = event_base_new();
	http = evhttp_new(f.base);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(http, 64 * 1024 * 1024);
	evhttp_set_gencb(http, handle, &f);
	sock = evhttp_bind_socket_with_handle(http, addr, (ev_uint16_t)port);
	if (sock == NULL) {
		fprintf(stderr,
		    "eugate-demo-upstream: cannot listen on %s:%d\n", addr,
		    port);
		return 1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(sock),
	    (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (port_file != NULL) {
		FILE *pf = fopen(port_file, "w");

		if (pf != NULL) {
			fprintf(pf, "%d\n", port);
			fclose(pf);
		}
	}
	fprintf(stderr, "eugate-demo-upstream %s listening on %s:%d%s\n",
	    f.name, addr, port, f.openai ? " (openai mode)" : "");
	event_base_dispatch(f.base);
	fake_objects_free(f.objs);
	return 0;
}
