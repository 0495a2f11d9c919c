/*
 * A request's metrics, taken at a few known points of its life (head,
 * upstream attempt start, response head and end, the end). Metric labels
 * hold identifiers and counts, never content, keys or personal data.
 */
#include <stdio.h>
#include <string.h>

#include "common/errors.h"
#include "common/util.h"
#include "gateway/metrics.h"
#include "gateway/request_int.h"
#include "policy/pii.h"
#include "policy/pii_vault.h"

void
req_obs_begin(struct req *r, const struct http1_request *hr)
{
	(void)hr;
	r->obs.att_result = -1;
}

/* Ends the open attempt, if any. */
static void
attempt_close(struct req *r, uint64_t now)
{
	(void)now;
	r->obs.att_up = NULL;
}

void
req_obs_attempt(struct req *r)
{
	uint64_t now = util_now_us();

	attempt_close(r, now);
	r->obs.att_up = r->up;
	r->obs.att_t0_us = now;
	r->obs.att_end_us = 0;
	r->obs.att_status = 0;
	r->obs.att_result = -1;
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

void
req_obs_end(struct req *r, int record_failed)
{
	uint64_t now = util_now_us();
	uint64_t end = r->obs.done_us ? r->obs.done_us : now;

	end_metrics(r, end, record_failed);
	attempt_close(r, now);
}
