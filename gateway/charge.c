/* A request's money: budgets, reservation, settlement, spend headers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/charge.h"

/* Tokens an image or a referenced document may add to a prompt. */
#define IMAGE_TOKENS 4096
#define DEFAULT_CONTEXT 131072
#define PII_TOKEN_BYTES 24

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

/*
 * The worst case: a token is at least one byte of the body (keys and
 * quotes make the body larger than the text), plus what pseudonyms add,
 * plus images; a referenced file or document may fill the context.
 */
static void
estimate(struct charge *c, const struct charge_req *q)
{
	struct spend_units *e = &c->plan.est;
	int64_t max_output, context = model_context(q, &max_output);
	int64_t prompt;
	json_t *v;

	memset(e, 0, sizeof(*e));
	prompt = (int64_t)q->raw_len + (int64_t)q->pii_found * PII_TOKEN_BYTES +
	    q->scan.images * IMAGE_TOKENS;
	if (q->scan.documents > 0 || prompt > context)
		prompt = context;
	switch (c->kind) {
	case SPEND_TOKENS:
		e->prompt = prompt;
		c->n_choices = 1;
		v = json_object_get(q->body, "n");
		if (json_is_integer(v) && json_integer_value(v) > 1 &&
		    json_integer_value(v) <= 128)
			c->n_choices = json_integer_value(v);
		v = json_object_get(q->body, "max_tokens");
		e->completion = max_output > 0 ? max_output : context;
		if (json_is_integer(v) && json_integer_value(v) > 0 &&
		    json_integer_value(v) < e->completion)
			e->completion = json_integer_value(v);
		e->completion *= c->n_choices;
		/* Chat, FIM and agents take max_tokens at the top level. */
		c->clamp_field = (q->ep->flags & EP_COMPLETION) &&
		    q->body != NULL;
		break;
	case SPEND_INPUT:
		e->prompt = prompt;
		break;
	case SPEND_PAGES:
		v = json_object_get(q->body, "pages");
		e->pages = json_is_array(v) && json_array_size(v) > 0 ?
		    (int64_t)json_array_size(v) : (int64_t)q->cfg->reserve_pages;
		break;
	case SPEND_AUDIO:
		e->audio_seconds = (int64_t)(q->cfg->reserve_audio_ms / 1000);
		break;
	}
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

		spend_rate(q->cfg->prices, &q->cfg->upstreams[q->cand[i]],
		    q->model, c->kind, cur, &r);
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
	c->kind = q->ep->cost;
	if (c->kind == SPEND_NONE)
		goto entry;
	add_budget(c, 'g', "", &q->cfg->global_budget, q->now_ms,
	    q->local_time);
	add_budget(c, 't', k->team, &k->team_limits.budget, q->now_ms,
	    q->local_time);
	add_budget(c, 'k', k->id, &k->key_limits.budget, q->now_ms,
	    q->local_time);
	estimate(c, q);
	for (int cur = 0; cur < CUR__COUNT; cur++)
		worst_rate(c, q, cur);
	for (int i = 0; i < sp->n_budgets; i++) {
		int cur = sp->budgets[i].currency;

		if (!c->plan.rate[cur].ok) {
			snprintf(msg, msglen, "model '%.64s' has no %s price for "
			    "this endpoint, and the %s has a %s budget",
			    q->model ? q->model : "(none)", currency_name(cur),
			    sp->budgets[i].scope == 'g' ? "gateway" :
			    sp->budgets[i].scope == 't' ? "team" : "key",
			    currency_name(cur));
			return -1;
		}
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

void
charge_reserved(struct charge *c, json_t *body, json_t *orig)
{
	c->open = 1;
	if (c->plan.clamped && body != NULL) {
		int64_t per = c->plan.est.completion / c->n_choices;

		if (per < 1)
			per = 1;
		json_object_set_new(body, "max_tokens", json_integer(per));
		if (orig != NULL)
			json_object_set_new(orig, "max_tokens", json_integer(per));
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
	int known;

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
	memset(&used, 0, sizeof(used));
	switch (c->kind) {
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
	for (int cur = 0; cur < CUR__COUNT; cur++) {
		struct rate r = c->plan.rate[cur];

		if (up != NULL)
			spend_rate(cfg->prices, up, sp->model[0] ? sp->model :
			    NULL, c->kind, cur, &r);
		if (known) {
			if (!r.ok || spend_cost(&r, &used, &sp->cost[cur]) != 0)
				sp->cost[cur] = sp->reserved[cur];
		} else if ((!answered && !timed_out) ||
		    (answered && status >= 400 && status != 499)) {
			/* Never reached, or it refused: nothing billed. */
			sp->cost[cur] = sp->reserved[cur] >= 0 ? 0 : -1;
		} else {
			sp->cost[cur] = sp->reserved[cur];
			sp->charged = 1;
		}
	}
}
