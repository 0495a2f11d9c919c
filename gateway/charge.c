/* A request's money: budgets, reservation, settlement, spend headers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/http.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/charge.h"
#include "policy/spend_estimate.h"
#include "policy/endpoint.h"

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
	util_copy(sb->id, sizeof(sb->id), id);
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

	if (c->e.kind == SPEND_NONE) {
		reserved[0] = reserved[1] = -1;
		return -1;
	}
	refused = spend_plan_fit(&c->e.plan, avail, cur, n);
	for (int i = 0; i < CUR__COUNT; i++)
		reserved[i] = c->e.plan.reserved[i];
	return refused;
}

int
charge_begin(struct charge *c, const struct charge_req *q, char *msg,
    size_t msglen)
{
	const struct key_entry *k = q->key;
	struct store_spend *sp = &c->sp;

	memset(c, 0, sizeof(*c));
	c->e = *q->est;
	if (c->e.kind == SPEND_NONE)
		goto entry;
	add_budget(c, 'g', "", &q->cfg->global_budget, q->now_ms,
	    q->local_time);
	add_budget(c, 't', k->team, &k->team_limits.budget, q->now_ms,
	    q->local_time);
	add_budget(c, 'k', k->id, &k->key_limits.budget, q->now_ms,
	    q->local_time);
	for (int i = 0; i < sp->n_budgets; i++) {
		int cur = sp->budgets[i].currency;
		const char *who = sp->budgets[i].scope == 'g' ? "gateway" :
		    sp->budgets[i].scope == 't' ? "team" : "key";

		if (c->e.plan.rate[cur].ok)
			continue;
		c->code = "price_unknown";
		if (c->e.unknown)
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
	c->e.plan.clamp = c->e.clamp_field && q->cfg->over_budget == 0;
entry:
	util_copy(sp->method, sizeof(sp->method), q->method);
	util_copy(sp->path, sizeof(sp->path), q->path);
	util_copy(sp->client, sizeof(sp->client), q->client);
	util_copy(sp->ledger_id, sizeof(sp->ledger_id), q->ledger_id);
	util_copy(sp->request_id, sizeof(sp->request_id),
	    q->request_id);
	sp->ts_ms = q->now_ms;
	util_copy(sp->team, sizeof(sp->team), k->team);
	util_copy(sp->key_id, sizeof(sp->key_id), k->id);
	util_copy(sp->model, sizeof(sp->model), q->model ? q->model : "");
	sp->decide = decide;
	sp->decide_arg = c;
	sp->refused = -1;
	for (int i = 0; i < q->n_rl && i < STORE_MAX_RATES; i++) {
		util_copy(sp->rates[i].subject, sizeof(sp->rates[i].subject),
		    q->rl[i].id);
		sp->rates[i].rpm = q->rl[i].rpm;
		sp->rates[i].tpm = q->rl[i].tpm;
		sp->n_rates++;
	}
	c->op.type = STORE_RESERVE;
	c->op.spend = sp;
	return 1;
}

/* "12.50 EUR" into out (cap bytes), copied piece by piece. */
static void
amount_with_currency(char *out, size_t cap, const char *amount, int cur)
{
	size_t n = util_copy(out, cap, amount);

	n += util_copy(out + n, cap - n, " ");
	util_copy(out + n, cap - n, currency_name(cur));
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
		share = b->limit > 0 ?
		    (__int128)left * MONEY_UNIT / b->limit : 0;
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
	amount_with_currency(c->remaining, sizeof(c->remaining), amount,
	    tight->currency);
	money_format(tight->used, amount, sizeof(amount));
	amount_with_currency(c->spent, sizeof(c->spent), amount,
	    tight->currency);
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
	if (c->e.plan.clamped && body != NULL) {
		/* The plan lowered the output of each choice alike. */
		int64_t per = c->e.plan.est.completion /
		    (c->e.plan.choices > 0 ? c->e.plan.choices : 1);

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
	if (c->e.kind == SPEND_NONE) {
		sp->cost[0] = sp->cost[1] = -1;	/* free to the gateway */
		return;
	}
	/* Never reached, or it refused: nothing billed. */
	refused = (!answered && !timed_out) ||
	    (answered && status >= 400 && status != 499);
	memset(&used, 0, sizeof(used));
	switch (c->e.kind) {
	case SPEND_BATCH:
		/* Its lines run later: the reservation is its price. */
		known = 0;
		break;
	case SPEND_CHARS:
		/* The characters were counted in what was forwarded. */
		known = !refused;
		used.chars = c->e.chars;
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
	if (u->invalid && c->e.kind != SPEND_BATCH &&
	    c->e.kind != SPEND_CHARS) {
		/* Out of bounds: no count is kept, the worst case is paid. */
		c->usage_invalid = 1;
		known = 0;
		refused = 0;
		sp->prompt_tokens = sp->completion_tokens = -1;
	}
	for (int cur = 0; cur < CUR__COUNT; cur++) {
		struct rate r = c->e.plan.rate[cur];

		if (up != NULL)
			spend_estimate_rate(&c->e, cfg->prices, up,
			    sp->model[0] ? sp->model : NULL, cur, u->priority,
			    &r);
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
