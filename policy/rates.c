/*
 * The rates module (HEAD): requests and tokens per minute of the key and
 * its team, as token buckets (policy/ratelimit.c). A request takes one
 * request now; its tokens are charged after the answer.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static int
rates_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct key_limits *lim[2] = { &r->key->key_limits,
	    &r->key->team_limits };

	r->n_rl = 0;
	r->rls.limit_req = r->rls.limit_tok = -1;
	for (int i = 0; i < 2; i++) {
		if (lim[i]->rpm <= 0 && lim[i]->tpm <= 0)
			continue;
		snprintf(r->rl_id[r->n_rl], sizeof(r->rl_id[0]), "%c:%s",
		    i == 0 ? 'k' : 't', i == 0 ? r->key->id : r->key->team);
		r->rl[r->n_rl].id = r->rl_id[r->n_rl];
		r->rl[r->n_rl].rpm = lim[i]->rpm;
		r->rl[r->n_rl].tpm = lim[i]->tpm;
		r->n_rl++;
	}
	if (r->n_rl == 0 || r->env->rl == NULL)
		return POLICY_PASS;
	if (ratelimit_take(r->env->rl, r->rl, r->n_rl, r->now_us, &r->rls) ==
	    0)
		return POLICY_PASS;
	r->n_rl = 0;	/* a refused request charges no tokens */
	b->code = "rate_limited";
	b->retry_after_s = r->rls.retry_after_s;
	snprintf(b->message, sizeof(b->message), "%s per minute limit of this "
	    "%s reached", r->rls.refused_tokens ? "tokens" : "requests",
	    r->key->key_limits.rpm > 0 || r->key->key_limits.tpm > 0 ?
	    "key or team" : "team");
	return POLICY_BLOCK;
}

const struct policy_module policy_rates = {
	.name = "rates",
	.phase = POLICY_HEAD,
	.on_request = rates_on_request,
};
