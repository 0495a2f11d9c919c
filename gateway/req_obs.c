/*
 * A request's metrics and spans, taken at a few known points of its life
 * (head, upstream attempt start, response head and end, the end). With
 * tracing off, a span costs one branch per point. Spans and metric labels
 * hold identifiers and counts, never content, keys or personal data.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/errors.h"
#include "common/util.h"
#include "gateway/metrics.h"
#include "gateway/request_int.h"
#include "gateway/trace.h"
#include "policy/pii.h"
#include "policy/pii_vault.h"

/* A model, team or key name that may go into a span: 1 to 128 bytes of
 * [A-Za-z0-9._:/+-] (no spaces, no '@': nothing that reads as text or an
 * address). */
static int
plain_name(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n == 128 || !((c >= 'a' && c <= 'z') || (c >= 'A' &&
		    c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		    c == '_' || c == ':' || c == '/' || c == '+' || c == '-'))
			return 0;
	}
	return n > 0;
}

/* The OpenTelemetry GenAI operation of an endpoint. */
static const char *
operation_name(const struct endpoint *ep)
{
	static const struct {
		const char *path, *op;
	} ops[] = {
		{ "/v1/chat/completions", "chat" },
		{ "/v1/fim/completions", "text_completion" },
		{ "/v1/embeddings", "embeddings" },
		{ "/v1/agents/completions", "invoke_agent" },
		{ "/v1/conversations", "invoke_agent" },
	};
	const char *op = "other";

	for (size_t i = 0; ep != NULL && i < sizeof(ops) / sizeof(ops[0]);
	    i++)
		if (strcmp(ep->path, ops[i].path) == 0)
			return ops[i].op;
	return ep != NULL ? endpoint_group_name(ep->group) : op;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The wall clock of a monotonic instant of the request. */
static uint64_t
at_ns(const struct req *r, uint64_t us)
{
	return r->obs.t0_ns + (us > r->t0_us ? us - r->t0_us : 0) * 1000;
}

void
req_obs_begin(struct req *r, const struct http1_request *hr)
{
	const struct http1_header *tp, *ts;

	r->obs.att_result = -1;
	if (r->gw->tracer == NULL)
		return;
	tp = http1_find(hr, "traceparent");
	ts = http1_find(hr, "tracestate");
	tracer_start(r->gw->tracer, &r->obs.tc, tp ? tp->value : NULL,
	    tp ? tp->value_len : 0, ts ? ts->value : NULL,
	    ts ? ts->value_len : 0, (uint32_t)r->cfg->otlp_sample_ppm);
	if (r->obs.tc.flags & 1)
		r->obs.t0_ns = wall_ns();
}

/* GenAI attributes that the server and the client span share. */
static void
genai_attrs(struct span *s, const struct req *r,
    const struct upstream_conf *up)
{
	if (up != NULL) {
		const char *sys = up->kind == UPSTREAM_MISTRAL ? "mistral_ai" :
		    "openai";

		span_attr_str(s, "gen_ai.system", sys);
		span_attr_str(s, "gen_ai.provider.name", sys);
	}
	span_attr_str(s, "gen_ai.operation.name", operation_name(r->ep));
	if (plain_name(r->model))
		span_attr_str(s, "gen_ai.request.model", r->model);
}

/* Host and port of an upstream URL. */
static void
url_host(const char *url, char *host, size_t cap, int *port)
{
	const char *p = strstr(url, "://"), *e;
	size_t n;

	*port = strncmp(url, "https:", 6) == 0 ? 443 : 80;
	p = p != NULL ? p + 3 : url;
	/* Never user information (a name, a password) before the host. */
	for (e = p; *e != '\0' && *e != '/'; e++)
		if (*e == '@')
			p = e + 1;
	e = p;
	if (*e == '[') {
		while (*e != '\0' && *e != ']')
			e++;
		if (*e == ']')
			e++;
	}
	while (*e != '\0' && *e != ':' && *e != '/')
		e++;
	n = (size_t)(e - p) < cap - 1 ? (size_t)(e - p) : cap - 1;
	memcpy(host, p, n);
	host[n] = '\0';
	if (*e == ':') {
		uint64_t v = 0;
		const char *d = ++e;

		while (*e >= '0' && *e <= '9')
			e++;
		if (util_parse_u64(d, (size_t)(e - d), &v) == 0 && v < 65536)
			*port = (int)v;
	}
}

/* Queues the open attempt's client span (a child of the server span). */
static void
attempt_span(struct req *r, uint64_t end_us)
{
	const struct upstream_conf *up = r->obs.att_up;
	const char *op = operation_name(r->ep);
	char name[160], host[256];
	struct span *s;
	int port, failed;

	snprintf(name, sizeof(name), "%s%s%s", op, plain_name(r->model) ?
	    " " : "", plain_name(r->model) ? r->model : "");
	s = tracer_span_begin(r->gw->tracer, &r->obs.tc, r->obs.att_span,
	    r->obs.tc.span_id, SPAN_CLIENT, name, at_ns(r, r->obs.att_t0_us),
	    at_ns(r, end_us));
	if (s == NULL)
		return;
	genai_attrs(s, r, up);
	span_attr_str(s, "http.request.method", r->method);
	url_host(up->url, host, sizeof(host), &port);
	span_attr_str(s, "server.address", host);
	span_attr_int(s, "server.port", port);
	if (r->obs.att_status != 0)
		span_attr_int(s, "http.response.status_code",
		    r->obs.att_status);
	span_attr_str(s, "eugate.upstream", up->name);
	span_attr_str(s, "eugate.region", up->region);
	failed = r->obs.att_status == 0 || r->obs.att_status >= 500;
	if (failed) {
		const char *why = r->obs.att_status >= 500 ? "upstream_status" :
		    r->obs.att_result == CURLE_OPERATION_TIMEDOUT ||
		    (r->obs.att_result < 0 && r->timed_out) ? "timeout" :
		    r->obs.att_result < 0 ? "aborted" : "upstream_error";
		char code[16];

		/* The semantic conventions: the status code, else a type. */
		snprintf(code, sizeof(code), "%d", r->obs.att_status);
		span_attr_str(s, "error.type", r->obs.att_status >= 500 ? code :
		    why);
		span_set_error(s, why);
	}
	tracer_span_end(r->gw->tracer, s);
}

/* Ends the open attempt, if any. */
static void
attempt_close(struct req *r, uint64_t now)
{
	if (r->obs.att_up == NULL)
		return;
	if (r->obs.tc.flags & 1)
		attempt_span(r, r->obs.att_end_us ? r->obs.att_end_us : now);
	r->obs.att_up = NULL;
}

const char *
req_obs_attempt(struct req *r, char tp[TRACEPARENT_SIZE])
{
	uint64_t now = util_now_us();

	attempt_close(r, now);
	r->obs.att_up = r->up;
	r->obs.att_t0_us = now;
	r->obs.att_end_us = 0;
	r->obs.att_status = 0;
	r->obs.att_result = -1;
	if (!r->obs.tc.on)
		return NULL;
	tracer_span_id(r->gw->tracer, r->obs.att_span);
	trace_format_parent(r->obs.tc.trace_id, r->obs.att_span,
	    r->obs.tc.flags, tp);
	return tp;
}

void
req_obs_first_byte(struct req *r, int status)
{
	struct metrics *m = r->gw->metrics;
	uint64_t now = util_now_us();

	r->obs.att_status = status;
	if (r->obs.att_up != NULL)
		metrics_observe(m, MF_FIRST_BYTE, metrics_label(m, ML_UPSTREAM,
		    r->obs.att_up->name), 0, now - r->obs.att_t0_us);
}

void
req_obs_attempt_end(struct req *r, int result)
{
	r->obs.att_end_us = util_now_us();
	r->obs.att_result = result;
}

void
req_obs_failover(struct req *r)
{
	struct metrics *m = r->gw->metrics;

	metrics_add(m, MF_UPSTREAM_FAILOVERS, metrics_label(m, ML_UPSTREAM,
	    r->up->name), 0, 0, 1);
}

/* The request's counters, histograms and gauges. */
static void
end_metrics(struct req *r, uint64_t end_us, int record_failed)
{
	const struct store_request *rec = &r->op.rec;
	struct metrics *m = r->gw->metrics;
	int cls = rec->status >= 100 && rec->status < 600 ?
	    rec->status / 100 - 1 : 5;
	int route = r->ep != NULL ? (int)(r->ep - endpoints) : (int)n_endpoints;
	int code = r->error[0] != '\0' ? metrics_code(r->error) : -1;
	int team;

	metrics_observe(m, MF_REQUEST_DURATION, route, cls, end_us - r->t0_us);
	if (code >= 0)
		metrics_add(m, MF_REFUSALS, code, 0, 0, 1);
	if (record_failed)
		metrics_add(m, MF_AUDIT_FAILURES, 0, 0, 0, 1);
	for (int t = 0; t < PII__COUNT; t++)
		if (r->pr.pii_counts[t] > 0)
			metrics_add(m, MF_PII, t, r->pr.policy != NULL ?
			    r->pr.policy->pii_actions[t] : PII_ACT_DETECT, 0,
			    r->pr.pii_counts[t]);
	if (!r->authed)
		return;
	team = metrics_label(m, ML_TEAM, rec->team);

	if (rec->prompt_tokens > 0 || rec->completion_tokens > 0) {
		/* Tokens come with an upstream's answer: the model is one an
		 * upstream serves, not any string a client sent. */
		int model = metrics_label(m, ML_MODEL, r->answered &&
		    rec->status < 300 ? rec->model : NULL);

		if (rec->prompt_tokens > 0)
			metrics_add(m, MF_TOKENS, team, model, MD_INPUT,
			    (uint64_t)rec->prompt_tokens);
		if (rec->completion_tokens > 0)
			metrics_add(m, MF_TOKENS, team, model, MD_OUTPUT,
			    (uint64_t)rec->completion_tokens);
	}
	for (int c = 0; c < 2; c++)
		if (rec->cost[c] > 0)
			metrics_add(m, MF_SPEND, team, c, 0,
			    (uint64_t)rec->cost[c]);
	for (int i = 0; i < r->charge.sp.n_budgets; i++) {
		const struct store_budget *b = &r->charge.sp.budgets[i];

		if (b->scope == 't' && b->limit > 0)
			metrics_set(m, MF_BUDGET_USED, team, 0,
			    (double)b->used / (double)b->limit);
	}
}

/* "EMAIL,IBAN": the types found, never values. */
static void
pii_types(const struct req *r, char *out, size_t cap, int64_t *count)
{
	size_t n = 0;

	out[0] = '\0';
	*count = 0;
	for (int t = 0; t < PII__COUNT; t++) {
		if (r->pr.pii_counts[t] == 0)
			continue;
		*count += r->pr.pii_counts[t];
		if (n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
			    n ? "," : "", pii_type_name(t));
	}
}

static int
has_parent(const struct trace_ctx *tc)
{
	uint8_t any = 0;

	for (size_t i = 0; i < sizeof(tc->parent_id); i++)
		any |= tc->parent_id[i];
	return any != 0;
}

/* Queues the server span of the request. */
static void
server_span(struct req *r, uint64_t end_us)
{
	const struct store_request *rec = &r->op.rec;
	const char *route = r->ep != NULL ? r->ep->path : "other";
	char name[160], types[256];
	struct span *s;
	int64_t n_pii;
	int c;

	snprintf(name, sizeof(name), "%s %s", r->method, route);
	s = tracer_span_begin(r->gw->tracer, &r->obs.tc, r->obs.tc.span_id,
	    has_parent(&r->obs.tc) ? r->obs.tc.parent_id : NULL, SPAN_SERVER,
	    name, r->obs.t0_ns, at_ns(r, end_us));
	if (s == NULL)
		return;
	span_attr_str(s, "http.request.method", r->method);
	span_attr_str(s, "http.route", route);
	span_attr_int(s, "http.response.status_code", rec->status);
	genai_attrs(s, r, r->answered ? r->up : NULL);
	if (plain_name(r->usage.model))
		span_attr_str(s, "gen_ai.response.model", r->usage.model);
	if (rec->prompt_tokens >= 0)
		span_attr_int(s, "gen_ai.usage.input_tokens",
		    rec->prompt_tokens);
	if (rec->completion_tokens >= 0)
		span_attr_int(s, "gen_ai.usage.output_tokens",
		    rec->completion_tokens);
	span_attr_str(s, "eugate.request_id", r->id);
	if (plain_name(rec->team))
		span_attr_str(s, "eugate.team", rec->team);
	if (plain_name(rec->key_id))
		span_attr_str(s, "eugate.key_id", rec->key_id);
	if (rec->upstream[0] != '\0') {
		span_attr_str(s, "eugate.upstream", rec->upstream);
		span_attr_str(s, "eugate.region", rec->region);
	}
	c = rec->cost[0] >= 0 ? 0 : rec->cost[1] >= 0 ? 1 : -1;
	if (c >= 0) {
		span_attr_double(s, "eugate.cost", (double)rec->cost[c] / 1e6);
		span_attr_str(s, "eugate.cost.currency", c == 0 ? "EUR" :
		    "USD");
	}
	pii_types(r, types, sizeof(types), &n_pii);
	span_attr_int(s, "eugate.pii.count", n_pii);
	if (types[0] != '\0')
		span_attr_str(s, "eugate.pii.types", types);
	if (r->error[0] != '\0' && metrics_code(r->error) >= 0) {
		span_attr_str(s, "eugate.refusal.code", r->error);
		span_set_error(s, r->error);
	} else if (rec->status >= 500) {
		span_set_error(s, "upstream_error");
	}
	tracer_span_end(r->gw->tracer, s);
}

void
req_obs_end(struct req *r, int record_failed)
{
	uint64_t now = util_now_us();
	uint64_t end = r->obs.done_us ? r->obs.done_us : now;

	end_metrics(r, end, record_failed);
	if (r->obs.tc.flags & 1) {
		attempt_close(r, now);
		server_span(r, end);
	}
	trace_ctx_cleanup(&r->obs.tc);
}
