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
	case SPEND_CHARS:
		out->ok = m->has_chars[cur];
		break;
	default:
		out->ok = 1;
	}
	out->in = m->in[cur];
	out->out = m->out[cur];
	out->page = m->page[cur];
	out->minute = m->minute[cur];
	out->chars = m->chars[cur];
	if (m->has_page_annotated[cur])
		out->page_annotated = m->page_annotated[cur];
	if (m->has_cached[cur])
		out->cached = m->cached[cur];
	else if (money_scale(m->in[cur], t->cached_input_factor, MONEY_UNIT,
	    &out->cached) != 0)
		out->cached = m->in[cur];
}

/*
 * The exact cost is the sum of tokens x price / 10^6, characters x price
 * / 10^6, pages x price and seconds x price / 60, times num / den: one
 * division over a common denominator, so that only the total is rounded
 * (up).
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
	    u->chars < 0 || u->chars > SPEND_MAX_UNITS ||
	    r->in < 0 || r->out < 0 || r->cached < 0 || r->page < 0 ||
	    r->minute < 0 || r->chars < 0 ||
	    r->in > SPEND_MAX_PRICE || r->out > SPEND_MAX_PRICE ||
	    r->cached > SPEND_MAX_PRICE || r->page > SPEND_MAX_PRICE ||
	    r->minute > SPEND_MAX_PRICE || r->chars > SPEND_MAX_PRICE ||
	    r->num > 1000 * r->den || r->den > SPEND_MAX_PRICE)
		return -1;
	sum = ((__int128)(u->prompt - cached) * r->in +
	    (__int128)cached * r->cached +
	    (__int128)u->completion * r->out +
	    (__int128)u->chars * r->chars) * 60 +
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

int
spend_rate_scale(struct rate *r, int64_t factor)
{
	__int128 num;

	if (factor < 0 || factor > 1000 * MONEY_UNIT || r->num < 0 ||
	    r->num > 1000 * r->den)
		return -1;
	num = ((__int128)r->num * factor + MONEY_UNIT - 1) / MONEY_UNIT;
	if (num > 1000 * (__int128)r->den)
		return -1;
	r->num = (int64_t)num;
	return 0;
}

/* A decimal integer of s[0..len), with at most one ".000" tail. */
static int
count_text(const char *s, size_t len, int64_t *out)
{
	size_t i = 0, end = len;
	int neg = 0, digits = 0;
	uint64_t v = 0;

	while (i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t' ||
	    s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	if (i < end && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < end && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (v > ((uint64_t)INT64_MAX + 1 - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (digits == 0)
		return -1;
	if (i < end && s[i] == '.')
		for (i++; i < end && s[i] == '0'; i++)
			;
	if (i != end || v > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int
spend_json_count(const json_t *v, int64_t min, int64_t max, int64_t *out)
{
	int64_t n;

	if (v == NULL || json_is_null(v))
		return 1;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		/* In range (NaN is not), then without a fraction; 2^63 is
		 * the first double out of range. */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
			return -1;
		n = (int64_t)d;
		if ((double)n != d)
			return -1;
	} else if (json_is_string(v)) {
		if (count_text(json_string_value(v), json_string_length(v),
		    &n) != 0)
			return -1;
	} else {
		return -1;
	}
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* A page number at s[*i] (up to 15 digits), spaces around skipped. */
static int
page_number(const char *s, size_t len, size_t *i, uint64_t *out)
{
	int digits = 0;

	*out = 0;
	while (*i < len && s[*i] == ' ')
		(*i)++;
	for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
		if (++digits > 15)
			return -1;
		*out = *out * 10 + (uint64_t)(s[*i] - '0');
	}
	while (*i < len && s[*i] == ' ')
		(*i)++;
	return digits > 0 ? 0 : -1;
}

int64_t
spend_page_list(const char *s, size_t len, int64_t max)
{
	int64_t total = 0;
	size_t i = 0;

	for (;;) {
		uint64_t a, b;

		if (page_number(s, len, &i, &a) != 0)
			return -1;
		b = a;
		if (i < len && s[i] == '-') {
			i++;
			if (page_number(s, len, &i, &b) != 0 || b < a)
				return -1;
		}
		total += (int64_t)(b - a + 1);
		if (total > max)
			total = max;
		if (i == len)
			return total;
		if (s[i] != ',')
			return -1;
		i++;
	}
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

/* The largest output per choice, at most max, whose cost for every
 * choice fits avail. */
static int64_t
max_per_choice(const struct spend_plan *p, int cur, int64_t avail,
    int64_t max, int64_t choices)
{
	struct spend_units u = p->est;
	int64_t lo = 0, hi = max, cost;

	u.completion = 0;
	if (spend_cost(&p->rate[cur], &u, &cost) != 0 || cost > avail)
		return -1;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo + 1) / 2;

		u.completion = mid * choices;
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
	int64_t choices = p->choices > 0 ? p->choices : 1, k;
	int first = -1;

	p->clamped = 0;
	plan_reserve(p);
	for (int i = 0; i < n && first < 0; i++)
		if (!fits(p, avail[i], cur[i]))
			first = i;
	if (first < 0)
		return -1;
	/* est.completion is choices x k: a smaller k is lowered for each
	 * choice alike, so that the reservation covers all of them. */
	k = p->est.completion / choices;
	if (!p->clamp || k <= 1 || p->reserved[cur[first]] < 0)
		return first;
	for (int i = 0; i < n; i++) {
		int64_t m = p->rate[cur[i]].ok ?
		    max_per_choice(p, cur[i], avail[i], k, choices) : -1;

		if (m < 1)
			return i;
		if (m < k)
			k = m;
	}
	p->est.completion = k * choices;
	p->clamped = 1;
	plan_reserve(p);
	return -1;
}
