/* Circuit breakers of upstreams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/health.h"

size_t
health_slot(struct health_table *t, const char *name)
{
	struct up_health *v;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return i;
	v = realloc(t->v, (t->n + 1) * sizeof(*v));
	if (v == NULL)
		return (size_t)-1;
	t->v = v;
	memset(&v[t->n], 0, sizeof(v[0]));
	snprintf(v[t->n].name, sizeof(v[0].name), "%s", name);
	return t->n++;
}

void
health_table_free(struct health_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int
health_status_ok(int status)
{
	return status != 500 && status != 502 && status != 503 && status != 504;
}

int
health_state(const struct up_health *h, uint64_t now_us)
{
	if (!h->open)
		return HEALTH_CLOSED;
	return now_us < h->open_until_us ? HEALTH_OPEN : HEALTH_HALF_OPEN;
}

int
health_usable(const struct up_health *h, uint64_t now_us)
{
	switch (health_state(h, now_us)) {
	case HEALTH_CLOSED:
		return 1;
	case HEALTH_HALF_OPEN:
		return !h->probing;
	default:
		return 0;
	}
}

void
health_begin(struct up_health *h, uint64_t now_us)
{
	if (health_state(h, now_us) == HEALTH_HALF_OPEN)
		h->probing = 1;
}

void
health_result(struct up_health *h, int ok, uint64_t now_us,
    unsigned threshold, uint64_t cooldown_us)
{
	int was_probe = h->probing;

	h->probing = 0;
	if (ok < 0)
		return;
	if (ok) {
		h->successes++;
		h->fails = 0;
		/* While open, only the probe's answer closes the breaker: a
		 * late answer of an older attempt proves less. */
		if (!h->open || was_probe ||
		    health_state(h, now_us) == HEALTH_HALF_OPEN)
			h->open = 0;
		return;
	}
	h->failures++;
	if (h->fails < UINT32_MAX)
		h->fails++;
	if (threshold == 0)
		return;
	if (was_probe || (!h->open && h->fails >= threshold) ||
	    (h->open && health_state(h, now_us) == HEALTH_HALF_OPEN)) {
		if (!h->open)
			h->opened++;
		h->open = 1;
		h->open_until_us = now_us + cooldown_us;
	}
}
