/* W3C trace context, spans, and their OTLP/HTTP JSON exporter. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/trace.h"
#include "gateway/upstream.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define BATCH 512		/* spans per export */
#define MAX_ATTRS 32
#define SPAN_TEXT 1536		/* a span's name, state and values */
#define MAX_HEADERS 16
#define WARN_EVERY_MS 60000	/* export failures are logged this seldom */

enum attr_type { AT_STR, AT_INT, AT_DOUBLE };

struct span_attr {
	const char *key;	/* static */
	int type;
	uint16_t off, len;	/* AT_STR: in text */
	int64_t i;
	double d;
};

struct span {
	uint8_t trace_id[16], span_id[8], parent_id[8];
	uint8_t has_parent, kind, error;
	uint64_t start_ns, end_ns;
	uint16_t name_off, name_len, state_off, state_len, msg_off, msg_len;
	struct span_attr a[MAX_ATTRS];
	size_t n_attrs;
	size_t text_len;
	char text[SPAN_TEXT];
};

struct tracer {
	struct event_base *base;
	struct upool *pool;
	struct event *timer;
	char *url;
	char *service;
	char *hdr[MAX_HEADERS + 3];	/* header lines, NULL-ended */
	uint64_t timeout_ms;
	struct span *ring;
	size_t cap, head, n;
	uint64_t rng[4];	/* xoshiro256** */
	/* The export in flight. */
	struct uxfer *xfer;
	char *body;
	size_t body_len;
	size_t in_flight;	/* its spans */
	int status;		/* the collector's answer, 0: none yet */
	uint64_t last_warn_ms;
	struct tracer_stats st;
};

/* -- W3C trace context ------------------------------------------------- */

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* upper case is invalid in traceparent */
}

/* n bytes from 2n lower-case hex digits; 1 when not all zero. */
static int
hex_bytes(const char *s, uint8_t *out, size_t n, int *bad)
{
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			*bad = 1;
			return 0;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
		any |= out[i];
	}
	return any != 0;
}

int
trace_parse_parent(const char *v, size_t len, uint8_t trace_id[16],
    uint8_t parent_id[8], uint8_t *flags)
{
	uint8_t ver, fl;
	int bad = 0;

	/* Leading and trailing spaces and tabs are allowed (RFC 9110 OWS). */
	while (len > 0 && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-')
		return 0;
	hex_bytes(v, &ver, 1, &bad);
	if (bad || ver == 0xff || (ver == 0 && len != 55) ||
	    (len > 55 && v[55] != '-'))
		return 0;
	if (!hex_bytes(v + 3, trace_id, 16, &bad) || bad ||
	    !hex_bytes(v + 36, parent_id, 8, &bad) || bad)
		return 0;
	hex_bytes(v + 53, &fl, 1, &bad);
	if (bad)
		return 0;
	*flags = fl & 1;	/* only "sampled" is defined in version 00 */
	return 1;
}

int
trace_state_ok(const char *v, size_t len)
{
	if (len == 0 || len > TRACESTATE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

void
trace_format_id(const uint8_t trace_id[16], char out[33])
{
	util_hex(trace_id, 16, out);
}

void
trace_format_parent(const uint8_t trace_id[16], const uint8_t span_id[8],
    uint8_t flags, char out[TRACEPARENT_SIZE])
{
	memcpy(out, "00-", 3);
	util_hex(trace_id, 16, out + 3);
	out[35] = '-';
	util_hex(span_id, 8, out + 36);
	out[52] = '-';
	util_hex(&flags, 1, out + 53);
}

/* -- ids and sampling -------------------------------------------------- */

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static void
rng_fill(struct tracer *t, uint8_t *out, size_t n)
{
	do {
		uint8_t any = 0;

		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = rng_next(t->rng);

			memcpy(out + i, &r, n - i < 8 ? n - i : 8);
		}
		for (size_t i = 0; i < n; i++)
			any |= out[i];
		if (any)
			return;
	} while (1);
}

void
tracer_span_id(struct tracer *t, uint8_t id[8])
{
	rng_fill(t, id, 8);
}

void
tracer_start(struct tracer *t, struct trace_ctx *tc, const char *parent,
    size_t plen, const char *state, size_t slen, uint32_t ratio_ppm)
{
	memset(tc, 0, sizeof(*tc));
	tc->on = 1;
	if (parent != NULL && trace_parse_parent(parent, plen, tc->trace_id,
	    tc->parent_id, &tc->flags)) {
		if (state != NULL && trace_state_ok(state, slen))
			tc->state = strndup(state, slen);
	} else {
		uint64_t r;

		memset(tc->parent_id, 0, sizeof(tc->parent_id));
		rng_fill(t, tc->trace_id, 16);
		/* Like OpenTelemetry's TraceIdRatioBased: the id's last 56
		 * bits against the ratio, so that every hop that samples by
		 * ratio decides alike. */
		r = 0;
		for (int i = 9; i < 16; i++)
			r = r << 8 | tc->trace_id[i];
		tc->flags = ratio_ppm >= 1000000 || r < (uint64_t)ratio_ppm *
		    ((1ull << 56) / 1000000);
	}
	rng_fill(t, tc->span_id, 8);
}

void
trace_ctx_cleanup(struct trace_ctx *tc)
{
	free(tc->state);
	tc->state = NULL;
}

/* -- spans ------------------------------------------------------------- */

/* Copies s into the span's text; -1 when it does not fit. */
static int
text_put(struct span *s, const char *v, size_t len, uint16_t *off,
    uint16_t *olen)
{
	if (len > SPAN_TEXT - s->text_len)
		return -1;
	memcpy(s->text + s->text_len, v, len);
	*off = (uint16_t)s->text_len;
	*olen = (uint16_t)len;
	s->text_len += len;
	return 0;
}

struct span *
tracer_span_begin(struct tracer *t, const struct trace_ctx *tc,
    const uint8_t span_id[8], const uint8_t *parent_id, int kind,
    const char *name, uint64_t start_ns, uint64_t end_ns)
{
	struct span *s;

	if (t->n == t->cap) {
		t->st.dropped_queue++;
		return NULL;
	}
	s = &t->ring[(t->head + t->n) % t->cap];
	memcpy(s->trace_id, tc->trace_id, 16);
	memcpy(s->span_id, span_id, 8);
	s->has_parent = parent_id != NULL;
	if (parent_id != NULL)
		memcpy(s->parent_id, parent_id, 8);
	s->kind = (uint8_t)kind;
	s->error = 0;
	s->start_ns = start_ns;
	s->end_ns = end_ns < start_ns ? start_ns : end_ns;
	s->n_attrs = 0;
	s->text_len = 0;
	s->state_len = s->msg_len = s->name_len = 0;
	text_put(s, name, strlen(name), &s->name_off, &s->name_len);
	if (tc->state != NULL)
		text_put(s, tc->state, strlen(tc->state), &s->state_off,
		    &s->state_len);
	return s;
}

static struct span_attr *
attr_add(struct span *s, const char *key, int type)
{
	struct span_attr *a;

	if (s->n_attrs == MAX_ATTRS)
		return NULL;
	a = &s->a[s->n_attrs];
	a->key = key;
	a->type = type;
	return a;
}

void
span_attr_str(struct span *s, const char *key, const char *v)
{
	struct span_attr *a = attr_add(s, key, AT_STR);

	if (a != NULL && v != NULL &&
	    text_put(s, v, strlen(v), &a->off, &a->len) == 0)
		s->n_attrs++;
}

void
span_attr_int(struct span *s, const char *key, int64_t v)
{
	struct span_attr *a = attr_add(s, key, AT_INT);

	if (a != NULL) {
		a->i = v;
		s->n_attrs++;
	}
}

void
span_attr_double(struct span *s, const char *key, double v)
{
	struct span_attr *a = attr_add(s, key, AT_DOUBLE);

	if (a != NULL) {
		a->d = v;
		s->n_attrs++;
	}
}

void
span_set_error(struct span *s, const char *msg)
{
	s->error = 1;
	text_put(s, msg, strlen(msg), &s->msg_off, &s->msg_len);
}

void
tracer_span_end(struct tracer *t, struct span *s)
{
	(void)s;
	t->n++;
	/* A full batch leaves at the loop's next turn, not from inside the
	 * request's callback. */
	if (t->n == BATCH && t->xfer == NULL)
		event_active(t->timer, EV_TIMEOUT, 0);
}

/* -- OTLP/HTTP JSON ---------------------------------------------------- */

struct jbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
jb_str(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

static void
jb_fmt(struct jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
jb_fmt(struct jbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
		    sizeof(tmp) - 1);
}

/* A JSON string: quotes, backslashes and control bytes escaped; bytes
 * outside ASCII become '?', so that the text is valid UTF-8 whatever
 * the value. */
static void
jb_json(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	jb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = i;

		while (run < n && (unsigned char)s[run] >= 0x20 &&
		    (unsigned char)s[run] < 0x7f && s[run] != '"' &&
		    s[run] != '\\')
			run++;
		if (run > i) {
			jb_put(b, s + i, run - i);
			i = run - 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			jb_put(b, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4],
				hex[c & 15] };

			jb_put(b, e, 6);
		} else {
			jb_put(b, "?", 1);
		}
	}
	jb_put(b, "\"", 1);
}

static void
jb_hex(struct jbuf *b, const uint8_t *id, size_t n)
{
	char h[33];

	util_hex(id, n, h);
	jb_put(b, "\"", 1);
	jb_put(b, h, 2 * n);
	jb_put(b, "\"", 1);
}

static void
jb_attr_str(struct jbuf *b, const char *key, const char *v, size_t n)
{
	jb_str(b, "{\"key\":");
	jb_json(b, key, strlen(key));
	jb_str(b, ",\"value\":{\"stringValue\":");
	jb_json(b, v, n);
	jb_str(b, "}}");
}

static void
jb_span(struct jbuf *b, const struct span *s)
{
	jb_str(b, "{\"traceId\":");
	jb_hex(b, s->trace_id, 16);
	jb_str(b, ",\"spanId\":");
	jb_hex(b, s->span_id, 8);
	if (s->has_parent) {
		jb_str(b, ",\"parentSpanId\":");
		jb_hex(b, s->parent_id, 8);
	}
	if (s->state_len > 0) {
		jb_str(b, ",\"traceState\":");
		jb_json(b, s->text + s->state_off, s->state_len);
	}
	jb_str(b, ",\"name\":");
	jb_json(b, s->text + s->name_off, s->name_len);
	jb_fmt(b, ",\"kind\":%d,\"startTimeUnixNano\":\"%llu\","
	    "\"endTimeUnixNano\":\"%llu\",\"attributes\":[", s->kind,
	    (unsigned long long)s->start_ns, (unsigned long long)s->end_ns);
	for (size_t i = 0; i < s->n_attrs; i++) {
		const struct span_attr *a = &s->a[i];

		if (i > 0)
			jb_put(b, ",", 1);
		if (a->type == AT_STR) {
			jb_attr_str(b, a->key, s->text + a->off, a->len);
			continue;
		}
		jb_str(b, "{\"key\":");
		jb_json(b, a->key, strlen(a->key));
		if (a->type == AT_INT)
			jb_fmt(b, ",\"value\":{\"intValue\":\"%lld\"}}",
			    (long long)a->i);
		else
			jb_fmt(b, ",\"value\":{\"doubleValue\":%.9g}}", a->d);
	}
	jb_str(b, "],\"status\":{");
	if (s->error) {
		jb_str(b, "\"code\":2,\"message\":");
		jb_json(b, s->text + s->msg_off, s->msg_len);
	}
	jb_str(b, "}}");
}

/* The next batch as one ExportTraceServiceRequest; the spans leave the
 * queue. */
static int
encode_batch(struct tracer *t, size_t k)
{
	struct jbuf b = { NULL, 0, 0, 0 };

	jb_str(&b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
	jb_attr_str(&b, "service.name", t->service, strlen(t->service));
	jb_put(&b, ",", 1);
	jb_attr_str(&b, "service.version", PACKAGE_VERSION,
	    strlen(PACKAGE_VERSION));
	jb_str(&b, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"eugate\","
	    "\"version\":\"" PACKAGE_VERSION "\"},\"spans\":[");
	for (size_t i = 0; i < k; i++) {
		if (i > 0)
			jb_put(&b, ",", 1);
		jb_span(&b, &t->ring[(t->head + i) % t->cap]);
	}
	jb_str(&b, "]}]}]}");
	t->head = (t->head + k) % t->cap;
	t->n -= k;
	if (b.failed) {
		free(b.p);
		return -1;
	}
	t->body = b.p;
	t->body_len = b.len;
	return 0;
}

/* -- the export -------------------------------------------------------- */

static int
ex_on_head(void *arg, int status, const struct uheader *h, size_t n)
{
	struct tracer *t = arg;

	(void)h;
	(void)n;
	t->status = status;
	return 0;
}

static int
ex_on_data(void *arg, const char *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;	/* the answer (a partial-success report) is not read */
}

static void
ex_on_done(void *arg, int result, const char *errmsg)
{
	struct tracer *t = arg;
	uint64_t now = util_now_ms();

	t->xfer = NULL;
	if (result == 0 && t->status >= 200 && t->status < 300) {
		t->st.exported += t->in_flight;
	} else {
		t->st.dropped_export += t->in_flight;
		if (t->last_warn_ms == 0 || now - t->last_warn_ms >=
		    WARN_EVERY_MS) {
			t->last_warn_ms = now;
			log_warn("trace export to %s failed (%s): %zu spans "
			    "dropped", log_q(t->url), result != 0 ?
			    log_q(errmsg) : "status", t->in_flight);
		}
	}
	free(t->body);
	t->body = NULL;
	t->in_flight = 0;
	/* ex_on_done runs inside the upool's callback: the next batch
	 * leaves at the next tick. */
}

static const struct uxfer_ops ex_ops = {
	.on_head = ex_on_head,
	.on_data = ex_on_data,
	.on_done = ex_on_done,
};

static void
export_start(struct tracer *t)
{
	struct uxfer_req ur;
	size_t k = t->n < BATCH ? t->n : BATCH;

	if (t->xfer != NULL || k == 0)
		return;
	if (encode_batch(t, k) != 0) {
		t->st.dropped_export += k;
		return;
	}
	memset(&ur, 0, sizeof(ur));
	ur.url = t->url;
	ur.method = "POST";
	ur.headers = (const char *const *)t->hdr;
	ur.body = t->body;
	ur.body_len = t->body_len;
	ur.has_body = 1;
	ur.connect_timeout_ms = t->timeout_ms;
	ur.total_timeout_ms = t->timeout_ms;
	t->status = 0;
	t->in_flight = k;
	t->xfer = uxfer_start(t->pool, &ur, &ex_ops, t);
	if (t->xfer == NULL) {
		t->st.dropped_export += k;
		t->in_flight = 0;
		free(t->body);
		t->body = NULL;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	export_start(arg);
}

void
tracer_flush(struct tracer *t)
{
	if (t != NULL)
		export_start(t);
}

void
tracer_get_stats(const struct tracer *t, struct tracer_stats *st)
{
	*st = t->st;
	st->queued = t->n;
}

/* -- setup ------------------------------------------------------------- */

/* "k=v,k2=v2" into "k: v" lines; -1 for an item without '=' or with a
 * byte that can not be in a header. */
static int
parse_headers(struct tracer *t, const char *s, size_t *n)
{
	while (*s != '\0') {
		const char *e = strchr(s, ','), *eq;
		size_t len = e != NULL ? (size_t)(e - s) : strlen(s), kl, vl;
		const char *k = s, *v;

		s += len + (e != NULL);
		while (len > 0 && (*k == ' ' || *k == '\t'))
			k++, len--;
		if (len == 0)
			continue;
		eq = memchr(k, '=', len);
		if (eq == NULL || eq == k || *n == MAX_HEADERS)
			return -1;
		kl = (size_t)(eq - k);
		while (kl > 0 && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
			kl--;
		v = eq + 1;
		vl = len - (size_t)(v - k);
		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		for (size_t i = 0; i < kl; i++)
			if (k[i] <= 0x20 || k[i] >= 0x7f || k[i] == ':')
				return -1;
		for (size_t i = 0; i < vl; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
				return -1;
		t->hdr[*n] = malloc(kl + vl + 3);
		if (t->hdr[*n] == NULL)
			return -1;
		snprintf(t->hdr[*n], kl + vl + 3, "%.*s: %.*s", (int)kl, k,
		    (int)vl, v);
		(*n)++;
	}
	return 0;
}

struct tracer *
tracer_new(struct event_base *base, const struct tracer_conf *c, char *err,
    size_t errlen)
{
	struct tracer *t = calloc(1, sizeof(*t));
	size_t n = 0, ul;
	struct timeval tv;

	if (t == NULL)
		goto nomem;
	t->base = base;
	t->timeout_ms = c->timeout_ms;
	ul = strlen(c->endpoint);
	while (ul > 0 && c->endpoint[ul - 1] == '/')
		ul--;
	if (strncmp(c->endpoint, "http://", 7) != 0 &&
	    strncmp(c->endpoint, "https://", 8) != 0) {
		snprintf(err, errlen, "otlp_endpoint: not an http:// or "
		    "https:// URL");
		goto fail;
	}
	t->url = malloc(ul + sizeof("/v1/traces"));
	t->service = strdup(c->service);
	t->cap = c->queue;
	t->ring = calloc(t->cap, sizeof(*t->ring));
	t->pool = upool_new(base);
	t->timer = event_new(base, -1, EV_PERSIST, tick, t);
	if (t->url == NULL || t->service == NULL || t->ring == NULL ||
	    t->pool == NULL || t->timer == NULL)
		goto nomem;
	memcpy(t->url, c->endpoint, ul);
	memcpy(t->url + ul, "/v1/traces", sizeof("/v1/traces"));
	if (util_random(t->rng, sizeof(t->rng)) != GW_OK)
		goto nomem;
	if (c->headers != NULL && parse_headers(t, c->headers, &n) != 0) {
		/* Never echo the value: it may hold a token. */
		snprintf(err, errlen, "otlp_headers_env: not a list of "
		    "name=value (at most %d)", MAX_HEADERS);
		goto fail;
	}
	t->hdr[n] = strdup("Content-Type: application/json");
	t->hdr[n + 1] = strdup("Expect:");
	if (t->hdr[n] == NULL || t->hdr[n + 1] == NULL)
		goto nomem;
	tv.tv_sec = (time_t)(c->interval_ms / 1000);
	tv.tv_usec = (suseconds_t)(c->interval_ms % 1000) * 1000;
	event_add(t->timer, &tv);
	return t;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	tracer_free(t);
	return NULL;
}

void
tracer_free(struct tracer *t)
{
	if (t == NULL)
		return;
	if (t->timer != NULL)
		event_free(t->timer);
	upool_free(t->pool);	/* the export in flight, without callback */
	for (size_t i = 0; i < MAX_HEADERS + 3; i++) {
		if (t->hdr[i] == NULL)
			continue;
		OPENSSL_cleanse(t->hdr[i], strlen(t->hdr[i]));
		free(t->hdr[i]);
	}
	free(t->body);
	free(t->ring);
	free(t->url);
	free(t->service);
	free(t);
}
