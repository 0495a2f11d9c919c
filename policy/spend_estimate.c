/*
 * The spend module (ROUTE): what a request may cost at worst, before it
 * is forwarded: its units (tokens, pages, audio, characters, a batch
 * job's lines) from its body, read strictly, and the dearest rate among
 * the upstreams it may go to. The gateway reserves that against the
 * budgets that apply (gateway/charge.c) and settles it from the usage.
 */
#include <stdio.h>
#include <string.h>

#include "common/http.h"
#include "policy/policy.h"
#include "policy/spend_estimate.h"

/* Tokens an image or a referenced document may add to a prompt. */
#define IMAGE_TOKENS 4096
#define DEFAULT_CONTEXT 131072
#define PII_TOKEN_BYTES 24
/* Pages an OCR "pages" list is counted up to (it may name a range). */
#define MAX_LIST_PAGES 100000000

static size_t
count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	const char *p = hay, *end = hay + len;

	while (p < end && (p = memmem(p, (size_t)(end - p), needle, nl)) !=
	    NULL) {
		n++;
		p += nl;
	}
	return n;
}

void
spend_scan(const char *raw, size_t len, int64_t *images, int64_t *documents)
{
	*images = (int64_t)count(raw, len, "image_url");
	*documents = (int64_t)(count(raw, len, "document_url") +
	    count(raw, len, "file_id"));
}

/* Values the PII module rewrote: each may make the prompt longer. */
static int64_t
pii_found(const struct policy_req *q)
{
	int64_t n = 0;

	for (int t = 0; t < PII__COUNT; t++)
		n += q->pii_counts[t];
	return n;
}

static int64_t
model_context(const struct policy_req *q, int64_t *max_output)
{
	const struct model_price *m = q->model ?
	    prices_model(q->prices, q->model) : NULL;

	*max_output = 0;
	if (m == NULL || m->context == 0)
		return DEFAULT_CONTEXT;
	*max_output = m->max_output;
	return m->context;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int64_t
sat_mul(int64_t a, int64_t b)
{
	return b != 0 && a > INT64_MAX / b ? INT64_MAX : a * b;
}

/* Unicode characters of a UTF-8 string (what speech is priced by). */
static int64_t
utf8_chars(const char *s, size_t len)
{
	int64_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* What a body's numbers make of the worst case. */
struct body_est {
	int64_t completion;	/* output tokens, all choices */
	int64_t choices;
	int64_t pages;
	int64_t audio_seconds;
	int64_t chars;
	int annotated;
};

/* Refuses a number the worst case depends on: 400 invalid_parameter. */
static int
bad_number(struct policy_block *blk, const char *where, const char *name,
    const char *what)
{
	blk->code = "invalid_parameter";
	snprintf(blk->message, sizeof(blk->message), "%s%s: %s", where, name,
	    what);
	return -1;
}

/*
 * The worst case of one body of an operation of kind (a request, or a
 * line of a batch job; where names it in messages). The numbers it
 * depends on are read once, strictly: what the upstream would read as
 * a number is that number, anything else is refused.
 */
static int
body_estimate(struct spend_estimate *c, const struct policy_req *q, int kind,
    const json_t *body, const char *where, struct body_est *b,
    struct policy_block *blk)
{
	int64_t max_output, context = model_context(q, &max_output);
	int64_t cap = max_output > 0 ? max_output : context, per = -1, v;
	static const char *const limits[] = { "max_tokens",
		"max_completion_tokens" };
	char what[96];
	const json_t *x;
	int rc;

	memset(b, 0, sizeof(*b));
	b->choices = 1;
	switch (kind) {
	case SPEND_TOKENS:
		snprintf(what, sizeof(what), "a whole number from 1 to %llu "
		    "(max_choices)",
		    (unsigned long long)q->spend_limits.max_choices);
		rc = spend_json_count(json_object_get(body, "n"), 1,
		    (int64_t)q->spend_limits.max_choices, &b->choices);
		if (rc < 0)
			return bad_number(blk, where, "n", what);
		if (rc > 0)
			b->choices = 1;
		/* Either limit may be the one the upstream obeys (Mistral
		 * takes max_tokens, vLLM max_completion_tokens first): the
		 * larger counts; 0 or none is the model's own cap. */
		for (int i = 0; i < 2; i++) {
			rc = spend_json_count(json_object_get(body, limits[i]),
			    0, INT64_MAX, &v);
			if (rc < 0)
				return bad_number(blk, where,
				    limits[i], "a whole number, 0 or more");
			if (rc > 0)
				continue;
			if (v < 1 || v > cap)
				v = cap;
			if (v > per)
				per = v;
		}
		if (per < 0)
			per = cap;
		b->completion = sat_mul(per, b->choices);
		break;
	case SPEND_PAGES:
		x = json_object_get(json_object_get(body, "document"), "type");
		/* An image is one page; a document may have any number. */
		b->pages = json_is_string(x) && strcmp(json_string_value(x),
		    "image_url") == 0 ? 1 :
		    (int64_t)q->spend_limits.reserve_pages;
		x = json_object_get(body, "pages");
		if (json_is_array(x) && json_array_size(x) > 0)
			b->pages = (int64_t)json_array_size(x);
		else if (json_is_string(x))
			b->pages = spend_page_list(json_string_value(x),
			    json_string_length(x), MAX_LIST_PAGES);
		else if (x != NULL && !json_is_null(x) && !json_is_array(x))
			b->pages = -1;
		if (b->pages < 0)
			return bad_number(blk, where, "pages",
			    "a list of page numbers, or a string of numbers "
			    "and ranges (\"0,2-4\")");
		x = json_object_get(body, "document_annotation_format");
		b->annotated = (x != NULL && !json_is_null(x)) ||
		    ((x = json_object_get(body, "bbox_annotation_format")) !=
		    NULL && !json_is_null(x));
		break;
	case SPEND_AUDIO:
		b->audio_seconds =
		    (int64_t)(q->spend_limits.reserve_audio_ms / 1000);
		break;
	case SPEND_CHARS:
		x = json_object_get(body, "input");
		if (x != NULL && !json_is_string(x))
			return bad_number(blk, where, "input",
			    "the text to speak, a string");
		b->chars = json_is_string(x) ? utf8_chars(json_string_value(x),
		    json_string_length(x)) : 0;
		break;
	}
	return 0;
}

/*
 * A batch job runs its lines later, at the batch price: the worst case is
 * the sum of its inline lines, each estimated like its endpoint. Lines in
 * input files are not the gateway's to read: such a job is not priced.
 */
static int
batch_estimate(struct spend_estimate *c, const struct policy_req *q,
    int64_t *lines, struct policy_block *blk)
{
	struct spend_units *e = &c->plan.est;
	const json_t *ep = json_object_get(q->body, "endpoint");
	const json_t *reqs = json_object_get(q->body, "requests");
	const json_t *files = json_object_get(q->body, "input_files");
	const struct endpoint *lep = NULL;
	struct body_est b;
	char where[48];
	const json_t *line;
	size_t i;

	if (!json_is_string(ep) || endpoint_find(HTTP_POST,
	    json_string_value(ep), json_string_length(ep), &lep) != EP_FOUND ||
	    lep->cost == SPEND_NONE || lep->cost == SPEND_BATCH)
		return bad_number(blk, "", "endpoint",
		    "one of the endpoints a batch job runs");
	c->line_kind = lep->cost;
	if (reqs != NULL && !json_is_null(reqs) && !json_is_array(reqs))
		return bad_number(blk, "", "requests",
		    "an array of {custom_id, body}");
	c->unknown = json_array_size(files) > 0;
	*lines = 0;
	json_array_foreach(reqs, i, line) {
		const json_t *body = json_object_get(line, "body");
		const json_t *m = json_object_get(body, "model");

		snprintf(where, sizeof(where), "requests[%zu].body.", i);
		if (!json_is_object(body))
			return bad_number(blk, "requests[] ", "body",
			    "a JSON object");
		if (m != NULL && q->model != NULL && !(json_is_string(m) &&
		    strcmp(json_string_value(m), q->model) == 0))
			return bad_number(blk, where, "model",
			    "the job's model, or none");
		if (body_estimate(c, q, c->line_kind, body, where, &b,
		    blk) != 0)
			return -1;
		e->completion = sat_add(e->completion, b.completion);
		e->pages = sat_add(e->pages, b.pages);
		e->audio_seconds = sat_add(e->audio_seconds, b.audio_seconds);
		e->chars = sat_add(e->chars, b.chars);
		c->annotated |= b.annotated;
		(*lines)++;
	}
	return 0;
}

/*
 * The worst case: a token is at least one byte of the body (keys and
 * quotes make the body larger than the text), plus what pseudonyms add,
 * plus images; a referenced file or document may fill the context. The
 * context bounds each prompt: an array of inputs (embeddings,
 * moderations, classifications) or a batch job's lines has one each.
 */
static int
estimate(struct spend_estimate *c, const struct policy_req *q,
    struct policy_block *blk)
{
	struct spend_units *e = &c->plan.est;
	int64_t max_output, context = model_context(q, &max_output);
	int64_t prompt, prompts = 1;
	const json_t *tier;
	struct body_est b;

	memset(e, 0, sizeof(*e));
	c->plan.choices = 1;
	if (c->kind == SPEND_BATCH) {
		if (batch_estimate(c, q, &prompts, blk) != 0)
			return -1;
	} else {
		if (body_estimate(c, q, c->kind, q->body, "", &b, blk) != 0)
			return -1;
		e->completion = b.completion;
		e->pages = b.pages;
		e->audio_seconds = b.audio_seconds;
		e->chars = b.chars;
		c->chars = b.chars;
		c->annotated = b.annotated;
		c->plan.choices = b.choices;
		if (c->kind == SPEND_INPUT &&
		    json_is_array(json_object_get(q->body, "input")))
			prompts = (int64_t)json_array_size(json_object_get(
			    q->body, "input"));
		if (json_is_array(q->body))
			prompts = (int64_t)json_array_size(q->body);
	}
	if (prompts < 1)
		prompts = 1;
	prompt = (int64_t)q->body_bytes + pii_found(q) * PII_TOKEN_BYTES +
	    q->images * IMAGE_TOKENS;
	if (q->documents > 0 || prompt > sat_mul(context, prompts))
		prompt = sat_mul(context, prompts);
	if (c->kind == SPEND_TOKENS || c->kind == SPEND_INPUT ||
	    (c->kind == SPEND_BATCH && (c->line_kind == SPEND_TOKENS ||
	    c->line_kind == SPEND_INPUT)))
		e->prompt = prompt;
	/* Chat, FIM and agents take max_tokens at the top level. */
	c->clamp_field = c->kind == SPEND_TOKENS &&
	    (q->ep->flags & EP_COMPLETION) && q->body != NULL;
	/* Priority capacity serves what does not ask for standard only. */
	tier = json_object_get(q->body, "service_tier");
	c->priority = (q->ep->flags & EP_TIER) && !(json_is_string(tier) &&
	    strcmp(json_string_value(tier), "standard_only") == 0);
	return 0;
}

/* The rate of the request at upstream u: the model's, at the annotated
 * page price, at the batch price, at Mistral's priority price. */
void
spend_estimate_rate(const struct spend_estimate *c,
    const struct price_table *prices, const struct upstream_conf *u,
    const char *model, int cur, int priority, struct rate *r)
{
	spend_rate(prices, u, model, c->line_kind, cur, r);
	if (c->unknown)
		r->ok = 0;
	if (!r->ok)
		return;
	if (c->annotated && r->page_annotated > 0)
		r->page = r->page_annotated;
	if (c->kind == SPEND_BATCH &&
	    spend_rate_scale(r, prices->batch_factor) != 0)
		r->ok = 0;
	if (priority && (u->pricing == PRICING_LIST ||
	    u->pricing == PRICING_REGIONAL) &&
	    spend_rate_scale(r, prices->priority_factor) != 0)
		r->ok = 0;
}

/* The rate that makes the worst case dearest among the candidates. */
static void
worst_rate(struct spend_estimate *c, const struct policy_req *q, int cur)
{
	struct rate *best = &c->plan.rate[cur];
	int64_t best_cost = -1;

	memset(best, 0, sizeof(*best));
	for (size_t i = 0; i < q->route.n; i++) {
		struct rate r;
		int64_t cost;

		spend_estimate_rate(c, q->prices, &q->ups[q->route.cand[i]],
		    q->model, cur, c->priority, &r);
		if (!r.ok) {	/* one unpriced candidate: not priced */
			best->ok = 0;
			return;
		}
		if (spend_cost(&r, &c->plan.est, &cost) == 0 &&
		    cost > best_cost) {
			*best = r;
			best_cost = cost;
		}
	}
}

static int
spend_on_request(struct policy_req *r, struct policy_block *b)
{
	struct spend_estimate *e = &r->spend;

	memset(e, 0, sizeof(*e));
	e->kind = e->line_kind = r->ep->cost;
	if (e->kind == SPEND_NONE)
		return POLICY_PASS;
	if (estimate(e, r, b) != 0)
		return POLICY_BLOCK;
	for (int cur = 0; cur < CUR__COUNT; cur++)
		worst_rate(e, r, cur);
	e->n_choices = e->plan.choices;
	return POLICY_PASS;
}

const struct policy_module policy_spend = {
	.name = "spend",
	.phase = POLICY_ROUTE,
	.on_request = spend_on_request,
};
