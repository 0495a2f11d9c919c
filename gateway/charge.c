/* A request's money: budgets, reservation, settlement, spend headers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/http.h"
#include "common/log.h"
#include "gateway/charge.h"
#include "policy/endpoint.h"

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
charge_scan(const char *raw, size_t len, struct charge_scan *out)
{
	out->images = (int64_t)count(raw, len, "image_url");
	out->documents = (int64_t)(count(raw, len, "document_url") +
	    count(raw, len, "file_id"));
}

static int64_t
model_context(const struct charge_req *q, int64_t *max_output)
{
	const struct model_price *m = q->model ?
	    prices_model(q->cfg->prices, q->model) : NULL;

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
bad_number(struct charge *c, char *msg, size_t msglen, const char *where,
    const char *name, const char *what)
{
	c->code = "invalid_parameter";
	snprintf(msg, msglen, "%s%s: %s", where, name, what);
	return -1;
}

/*
 * The worst case of one body of an operation of kind (a request, or a
 * line of a batch job; where names it in messages). The numbers it
 * depends on are read once, strictly: what the upstream would read as
 * a number is that number, anything else is refused.
 */
static int
body_estimate(struct charge *c, const struct charge_req *q, int kind,
    const json_t *body, const char *where, struct body_est *b, char *msg,
    size_t msglen)
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
		    "(max_choices)", (unsigned long long)q->cfg->max_choices);
		rc = spend_json_count(json_object_get(body, "n"), 1,
		    (int64_t)q->cfg->max_choices, &b->choices);
		if (rc < 0)
			return bad_number(c, msg, msglen, where, "n", what);
		if (rc > 0)
			b->choices = 1;
		/* Either limit may be the one the upstream obeys (Mistral
		 * takes max_tokens, vLLM max_completion_tokens first): the
		 * larger counts; 0 or none is the model's own cap. */
		for (int i = 0; i < 2; i++) {
			rc = spend_json_count(json_object_get(body, limits[i]),
			    0, INT64_MAX, &v);
			if (rc < 0)
				return bad_number(c, msg, msglen, where,
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
		    "image_url") == 0 ? 1 : (int64_t)q->cfg->reserve_pages;
		x = json_object_get(body, "pages");
		if (json_is_array(x) && json_array_size(x) > 0)
			b->pages = (int64_t)json_array_size(x);
		else if (json_is_string(x))
			b->pages = spend_page_list(json_string_value(x),
			    json_string_length(x), MAX_LIST_PAGES);
		else if (x != NULL && !json_is_null(x) && !json_is_array(x))
			b->pages = -1;
		if (b->pages < 0)
			return bad_number(c, msg, msglen, where, "pages",
			    "a list of page numbers, or a string of numbers "
			    "and ranges (\"0,2-4\")");
		x = json_object_get(body, "document_annotation_format");
		b->annotated = (x != NULL && !json_is_null(x)) ||
		    ((x = json_object_get(body, "bbox_annotation_format")) !=
		    NULL && !json_is_null(x));
		break;
	case SPEND_AUDIO:
		b->audio_seconds = (int64_t)(q->cfg->reserve_audio_ms / 1000);
		break;
	case SPEND_CHARS:
		x = json_object_get(body, "input");
		if (x != NULL && !json_is_string(x))
			return bad_number(c, msg, msglen, where, "input",
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
batch_estimate(struct charge *c, const struct charge_req *q, int64_t *lines,
    char *msg, size_t msglen)
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
		return bad_number(c, msg, msglen, "", "endpoint",
		    "one of the endpoints a batch job runs");
	c->line_kind = lep->cost;
	if (reqs != NULL && !json_is_null(reqs) && !json_is_array(reqs))
		return bad_number(c, msg, msglen, "", "requests",
		    "an array of {custom_id, body}");
	c->unknown = json_array_size(files) > 0;
	*lines = 0;
	json_array_foreach(reqs, i, line) {
		const json_t *body = json_object_get(line, "body");
		const json_t *m = json_object_get(body, "model");

		snprintf(where, sizeof(where), "requests[%zu].body.", i);
		if (!json_is_object(body))
			return bad_number(c, msg, msglen, "requests[] ", "body",
			    "a JSON object");
		if (m != NULL && q->model != NULL && !(json_is_string(m) &&
		    strcmp(json_string_value(m), q->model) == 0))
			return bad_number(c, msg, msglen, where, "model",
			    "the job's model, or none");
		if (body_estimate(c, q, c->line_kind, body, where, &b, msg,
		    msglen) != 0)
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
estimate(struct charge *c, const struct charge_req *q, char *msg,
    size_t msglen)
{
	struct spend_units *e = &c->plan.est;
	int64_t max_output, context = model_context(q, &max_output);
	int64_t prompt, prompts = 1;
	const json_t *tier;
	struct body_est b;

	memset(e, 0, sizeof(*e));
	c->plan.choices = 1;
	if (c->kind == SPEND_BATCH) {
		if (batch_estimate(c, q, &prompts, msg, msglen) != 0)
			return -1;
	} else {
		if (body_estimate(c, q, c->kind, q->body, "", &b, msg,
		    msglen) != 0)
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
	prompt = (int64_t)q->raw_len + (int64_t)q->pii_found * PII_TOKEN_BYTES +
	    q->scan.images * IMAGE_TOKENS;
	if (q->scan.documents > 0 || prompt > sat_mul(context, prompts))
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
static void
rate_at(const struct charge *c, const struct config *cfg,
    const struct upstream_conf *u, const char *model, int cur, int priority,
    struct rate *r)
{
	spend_rate(cfg->prices, u, model, c->line_kind, cur, r);
	if (c->unknown)
		r->ok = 0;
	if (!r->ok)
		return;
	if (c->annotated && r->page_annotated > 0)
		r->page = r->page_annotated;
	if (c->kind == SPEND_BATCH &&
	    spend_rate_scale(r, cfg->prices->batch_factor) != 0)
		r->ok = 0;
	if (priority && (u->pricing == PRICING_LIST ||
	    u->pricing == PRICING_REGIONAL) &&
	    spend_rate_scale(r, cfg->prices->priority_factor) != 0)
		r->ok = 0;
}

/* The rate that makes the worst case dearest among the candidates. */
static void
worst_rate(struct charge *c, const struct charge_req *q, int cur)
{
	struct rate *best = &c->plan.rate[cur];
	int64_t best_cost = -1;

	memset(best, 0, sizeof(*best));
	for (size_t i = 0; i < q->n_cand; i++) {
		struct rate r;
		int64_t cost;

		rate_at(c, q->cfg, &q->cfg->upstreams[q->cand[i]], q->model,
		    cur, c->priority, &r);
		if (!r.ok) {	/* one unpriced candidate: not priced */
			best->ok = 0;
			return;
		}
		if (spend_cost(&r, &c->plan.est, &cost) == 0 && cost > best_cost) {
			*best = r;
			best_cost = cost;
		}
	}
}

/*
 * Calendar periods in the process's time zone (TZ, set at startup from
 * budget_timezone): local midnight, the first of the month; mktime()
 * handles the days that daylight saving time makes 23 or 25 hours long.
 */
static void
local_bounds(int period, int64_t now, int64_t *start, int64_t *end)
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (period == PERIOD_MONTHLY)
		tm.tm_mday = 1;
	tm.tm_isdst = -1;
	*start = (int64_t)mktime(&tm);
	if (period == PERIOD_MONTHLY)
		tm.tm_mon++;
	else
		tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*end = (int64_t)mktime(&tm);
}

static void
add_budget(struct charge *c, char scope, const char *id,
    const struct budget *b, int64_t now_ms, int local)
{
	struct store_budget *sb;
	int64_t start, end;

	if (b->limit < 0)
		return;
	sb = &c->sp.budgets[c->sp.n_budgets++];
	memset(sb, 0, sizeof(*sb));
	sb->scope = scope;
	snprintf(sb->id, sizeof(sb->id), "%s", id);
	sb->limit = b->limit;
	sb->currency = b->currency;
	if (local && b->period != PERIOD_TOTAL)
		local_bounds(b->period, now_ms / 1000, &start, &end);
	else
		period_bounds(b->period, now_ms / 1000, &start, &end);
	sb->start_ms = start * 1000;
	sb->end_ms = end == INT64_MAX ? INT64_MAX : end * 1000;
}

static int
decide(void *arg, const int64_t *avail, const int *cur, int n,
    int64_t *reserved)
{
	struct charge *c = arg;
	int refused;

	if (c->kind == SPEND_NONE) {
		reserved[0] = reserved[1] = -1;
		return -1;
	}
	refused = spend_plan_fit(&c->plan, avail, cur, n);
	for (int i = 0; i < CUR__COUNT; i++)
		reserved[i] = c->plan.reserved[i];
	return refused;
}

int
charge_begin(struct charge *c, const struct charge_req *q, char *msg,
    size_t msglen)
{
	const struct key_entry *k = q->key;
	struct store_spend *sp = &c->sp;

	memset(c, 0, sizeof(*c));
	c->kind = c->line_kind = q->ep->cost;
	if (c->kind == SPEND_NONE)
		goto entry;
	add_budget(c, 'g', "", &q->cfg->global_budget, q->now_ms,
	    q->local_time);
	add_budget(c, 't', k->team, &k->team_limits.budget, q->now_ms,
	    q->local_time);
	add_budget(c, 'k', k->id, &k->key_limits.budget, q->now_ms,
	    q->local_time);
	if (estimate(c, q, msg, msglen) != 0)
		return -1;
	for (int cur = 0; cur < CUR__COUNT; cur++)
		worst_rate(c, q, cur);
	for (int i = 0; i < sp->n_budgets; i++) {
		int cur = sp->budgets[i].currency;
		const char *who = sp->budgets[i].scope == 'g' ? "gateway" :
		    sp->budgets[i].scope == 't' ? "team" : "key";

		if (c->plan.rate[cur].ok)
			continue;
		c->code = "price_unknown";
		if (c->unknown)
			snprintf(msg, msglen, "the lines of a batch job's "
			    "input_files can not be reserved against the %s's "
			    "budget: send them inline in requests[]", who);
		else
			snprintf(msg, msglen, "model '%.64s' has no %s price "
			    "for this endpoint, and the %s has a %s budget",
			    q->model ? q->model : "(none)", currency_name(cur),
			    who, currency_name(cur));
		return -1;
	}
	c->plan.clamp = c->clamp_field && q->cfg->over_budget == 0;
entry:
	snprintf(sp->method, sizeof(sp->method), "%s", q->method);
	snprintf(sp->path, sizeof(sp->path), "%.255s", q->path);
	snprintf(sp->client, sizeof(sp->client), "%s", q->client);
	snprintf(sp->ledger_id, sizeof(sp->ledger_id), "%s", q->ledger_id);
	snprintf(sp->request_id, sizeof(sp->request_id), "%s", q->request_id);
	sp->ts_ms = q->now_ms;
	snprintf(sp->team, sizeof(sp->team), "%s", k->team);
	snprintf(sp->key_id, sizeof(sp->key_id), "%s", k->id);
	snprintf(sp->model, sizeof(sp->model), "%s", q->model ? q->model : "");
	sp->decide = decide;
	sp->decide_arg = c;
	sp->refused = -1;
	c->op.type = STORE_RESERVE;
	c->op.spend = sp;
	return 1;
}

void
charge_headers(struct charge *c)
{
	const struct store_budget *tight = NULL;
	__int128 best = 0;
	char amount[32];

	/* The budget with the smallest share left speaks for all. */
	for (int i = 0; i < c->sp.n_budgets; i++) {
		const struct store_budget *b = &c->sp.budgets[i];
		int64_t left = b->limit - b->used;
		__int128 share;

		if (left < 0)
			left = 0;
		share = b->limit > 0 ? (__int128)left * MONEY_UNIT / b->limit : 0;
		if (tight == NULL || share < best) {
			tight = b;
			best = share;
		}
	}
	c->remaining[0] = c->spent[0] = '\0';
	if (tight == NULL)
		return;
	money_format(tight->limit > tight->used ? tight->limit - tight->used :
	    0, amount, sizeof(amount));
	snprintf(c->remaining, sizeof(c->remaining), "%s %s", amount,
	    currency_name(tight->currency));
	money_format(tight->used, amount, sizeof(amount));
	snprintf(c->spent, sizeof(c->spent), "%s %s", amount,
	    currency_name(tight->currency));
}

/* Sets the lowered output limit; max_completion_tokens too when the
 * client sent it (a server may obey either). */
static void
set_limit(json_t *body, int64_t per)
{
	if (body == NULL)
		return;
	json_object_set_new(body, "max_tokens", json_integer(per));
	if (json_object_get(body, "max_completion_tokens") != NULL)
		json_object_set_new(body, "max_completion_tokens",
		    json_integer(per));
}

void
charge_reserved(struct charge *c, json_t *body, json_t *orig)
{
	c->open = 1;
	if (c->plan.clamped && body != NULL) {
		/* The plan lowered the output of each choice alike. */
		int64_t per = c->plan.est.completion / (c->plan.choices > 0 ?
		    c->plan.choices : 1);

		set_limit(body, per);
		set_limit(orig, per);
		snprintf(c->max_tokens, sizeof(c->max_tokens), "%lld",
		    (long long)per);
	}
	charge_headers(c);
}

int64_t
charge_retry_after(const struct charge *c, int64_t now_ms)
{
	const struct store_budget *b;

	if (c->sp.refused < 0 || c->sp.refused >= c->sp.n_budgets)
		return -1;
	b = &c->sp.budgets[c->sp.refused];
	if (b->end_ms == INT64_MAX)
		return -1;
	return (b->end_ms - now_ms + 999) / 1000;
}

void
charge_settle(struct charge *c, const struct config *cfg,
    const struct upstream_conf *up, const struct usage *u, int status,
    int answered, int timed_out)
{
	struct store_spend *sp = &c->sp;
	struct spend_units used;
	int known, refused;

	if (!c->open)
		return;
	sp->settle = 1;
	sp->charged = 0;
	sp->prompt_tokens = u->prompt_tokens;
	sp->completion_tokens = u->completion_tokens;
	if (c->kind == SPEND_NONE) {
		sp->cost[0] = sp->cost[1] = -1;	/* free to the gateway */
		return;
	}
	/* Never reached, or it refused: nothing billed. */
	refused = (!answered && !timed_out) ||
	    (answered && status >= 400 && status != 499);
	memset(&used, 0, sizeof(used));
	switch (c->kind) {
	case SPEND_BATCH:
		/* Its lines run later: the reservation is its price. */
		known = 0;
		break;
	case SPEND_CHARS:
		/* The characters were counted in what was forwarded. */
		known = !refused;
		used.chars = c->chars;
		break;
	case SPEND_PAGES:
		known = u->pages >= 0;
		used.pages = u->pages;
		break;
	case SPEND_AUDIO:
		known = u->audio_seconds >= 0;
		used.audio_seconds = u->audio_seconds;
		break;
	default:
		known = u->prompt_tokens >= 0;
		used.prompt = u->prompt_tokens;
		used.completion = u->completion_tokens > 0 ?
		    u->completion_tokens : 0;
	}
	if (u->invalid && c->kind != SPEND_BATCH && c->kind != SPEND_CHARS) {
		/* Out of bounds: no count is kept, the worst case is paid. */
		c->usage_invalid = 1;
		known = 0;
		refused = 0;
		sp->prompt_tokens = sp->completion_tokens = -1;
	}
	for (int cur = 0; cur < CUR__COUNT; cur++) {
		struct rate r = c->plan.rate[cur];

		if (up != NULL)
			rate_at(c, cfg, up, sp->model[0] ? sp->model : NULL,
			    cur, u->priority, &r);
		if (known) {
			if (!r.ok || spend_cost(&r, &used, &sp->cost[cur]) != 0)
				sp->cost[cur] = sp->reserved[cur];
		} else if (refused) {
			sp->cost[cur] = sp->reserved[cur] >= 0 ? 0 : -1;
		} else {
			sp->cost[cur] = sp->reserved[cur];
			sp->charged = 1;
		}
		if (sp->reserved[cur] >= 0 && sp->cost[cur] > sp->reserved[cur])
			c->excess = 1;
	}
	if (c->usage_invalid)
		log_warn("req=%s key=%s team=%s upstream %s reported usage out "
		    "of bounds: the reservation is charged", sp->request_id,
		    sp->key_id, sp->team, up != NULL ? up->name : "-");
	if (c->excess) {
		char cost[32], res[32];
		int cur = sp->cost[0] > sp->reserved[0] &&
		    sp->reserved[0] >= 0 ? 0 : 1;

		money_format(sp->cost[cur], cost, sizeof(cost));
		money_format(sp->reserved[cur], res, sizeof(res));
		log_warn("req=%s key=%s team=%s upstream %s reported usage "
		    "that costs %s %s, more than the %s reserved: the cost is "
		    "charged", sp->request_id, sp->key_id, sp->team,
		    up != NULL ? up->name : "-", cost, currency_name(cur), res);
	}
}

const char *
charge_verdict(const struct charge *c)
{
	if (c->usage_invalid)
		return "spend=usage_invalid";
	if (c->excess)
		return "spend=excess";
	return NULL;
}
