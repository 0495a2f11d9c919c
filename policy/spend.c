/* Spend arithmetic: endpoint kinds, rates, costs, reservation plans. */
#include <string.h>

#include "policy/spend.h"

#define SPEND_MAX_UNITS 1000000000000LL
#define SPEND_MAX_PRICE (1000000LL * MONEY_UNIT)

void
spend_rate(const struct price_table *t, const struct upstream_conf *u,
    const char *model, int kind, int cur, struct rate *out)
{
	const struct model_price *m = NULL;

	memset(out, 0, sizeof(*out));
	out->num = out->den = MONEY_UNIT;
	if (u->pricing == PRICING_FREE) {
		out->ok = 1;
		return;
	}
	if (u->pricing == PRICING_OWN)
		m = prices_upstream(t, u->name);
	else if (model != NULL)
		m = prices_model(t, model);
	if (m == NULL)
		return;
	if (u->pricing == PRICING_REGIONAL)
		out->num = t->regional_factor;
	switch (kind) {
	case SPEND_TOKENS:
	case SPEND_INPUT:
		out->ok = m->has_tokens[cur];
		break;
	case SPEND_PAGES:
		out->ok = m->has_page[cur];
		break;
	case SPEND_AUDIO:
		/* Voxtral chat models price audio by the minute and text by
		 * the token; transcription needs the minute price. */
		out->ok = m->has_minute[cur];
		break;
	default:
		out->ok = 1;
	}
	out->in = m->in[cur];
	out->out = m->out[cur];
	out->page = m->page[cur];
	out->minute = m->minute[cur];
	if (m->has_cached[cur])
		out->cached = m->cached[cur];
	else if (money_scale(m->in[cur], t->cached_input_factor, MONEY_UNIT,
	    &out->cached) != 0)
		out->cached = m->in[cur];
}

/*
 * The exact cost is the sum of tokens x price / 10^6, pages x price and
 * seconds x price / 60, times num / den: one division over a common
 * denominator, so that only the total is rounded (up).
 */
int
spend_cost(const struct rate *r, const struct spend_units *u, int64_t *out)
{
	__int128 sum, den;
	int64_t cached = u->cached < u->prompt ? u->cached : u->prompt;

	/* Bounds that keep the sum far inside 128 bits: 10^12 tokens, pages
	 * or seconds; prices up to 10^6 per unit; factors up to 1000. */
	if (u->prompt < 0 || cached < 0 || u->completion < 0 ||
	    u->pages < 0 || u->audio_seconds < 0 || r->den <= 0 || r->num < 0 ||
	    u->prompt > SPEND_MAX_UNITS || u->completion > SPEND_MAX_UNITS ||
	    u->pages > SPEND_MAX_UNITS || u->audio_seconds > SPEND_MAX_UNITS ||
	    r->in > SPEND_MAX_PRICE || r->out > SPEND_MAX_PRICE ||
	    r->cached > SPEND_MAX_PRICE || r->page > SPEND_MAX_PRICE ||
	    r->minute > SPEND_MAX_PRICE || r->num > 1000 * r->den ||
	    r->den > SPEND_MAX_PRICE)
		return -1;
	sum = ((__int128)(u->prompt - cached) * r->in +
	    (__int128)cached * r->cached +
	    (__int128)u->completion * r->out) * 60 +
	    (__int128)u->pages * r->page * 60 * MONEY_UNIT +
	    (__int128)u->audio_seconds * r->minute * MONEY_UNIT;
	sum *= r->num;
	den = (__int128)60 * MONEY_UNIT * r->den;
	sum = (sum + den - 1) / den;
	if (sum > INT64_MAX)
		return -1;
	*out = (int64_t)sum;
	return 0;
}

static void
plan_reserve(struct spend_plan *p)
{
	for (int c = 0; c < CUR__COUNT; c++)
		if (!p->rate[c].ok ||
		    spend_cost(&p->rate[c], &p->est, &p->reserved[c]) != 0)
			p->reserved[c] = -1;
}

/* Whether budget i takes the plan's reservation. */
static int
fits(const struct spend_plan *p, int64_t avail, int cur)
{
	return p->reserved[cur] >= 0 && p->reserved[cur] <= avail;
}

/* The largest completion, at most max, whose cost fits avail. */
static int64_t
max_completion(const struct spend_plan *p, int cur, int64_t avail,
    int64_t max)
{
	struct spend_units u = p->est;
	int64_t lo = 0, hi = max, cost;

	u.completion = 0;
	if (spend_cost(&p->rate[cur], &u, &cost) != 0 || cost > avail)
		return -1;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;

		u.completion = mid;
		if (spend_cost(&p->rate[cur], &u, &cost) == 0 && cost <= avail)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int
spend_plan_fit(struct spend_plan *p, const int64_t *avail, const int *cur,
    int n)
{
	int64_t k;
	int first = -1;

	p->clamped = 0;
	plan_reserve(p);
	for (int i = 0; i < n && first < 0; i++)
		if (!fits(p, avail[i], cur[i]))
			first = i;
	if (first < 0)
		return -1;
	if (!p->clamp || p->est.completion <= 1 || p->reserved[cur[first]] < 0)
		return first;
	k = p->est.completion;
	for (int i = 0; i < n; i++) {
		int64_t m = p->rate[cur[i]].ok ?
		    max_completion(p, cur[i], avail[i], k) : -1;

		if (m < 1)
			return i;
		if (m < k)
			k = m;
	}
	p->est.completion = k;
	p->clamped = 1;
	plan_reserve(p);
	return -1;
}
