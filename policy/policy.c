/* The policy chain runner. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "policy/policy.h"

int
policy_refuse(struct policy_block *b, const char *code, const char *fmt, ...)
{
	va_list ap;

	b->code = code;
	va_start(ap, fmt);
	vsnprintf(b->message, sizeof(b->message), fmt, ap);
	va_end(ap);
	return POLICY_BLOCK;
}

/* The chain, in order: each module runs in its phase. */
static const struct policy_module *const chain[] = {
	&policy_auth,		/* HEAD */
	&policy_scope,
	&policy_rates,
	&policy_access,		/* BODY */
	&policy_pii,
	&policy_routing,	/* ROUTE */
	&policy_spend,
	&policy_translate,	/* ATTEMPT */
};

#define N_MODULES (sizeof(chain) / sizeof(chain[0]))

/* Notes each module's verdict for the audit record. */
static void
note_verdict(struct policy_req *r, const char *module, int v)
{
	static const char *const names[] = { "pass", "modified", "block" };
	char *b = r->verdicts;
	size_t cap = sizeof(r->verdicts), n = strlen(b);

	/* Pieces copied, not formatted: this runs per module and request. */
	if (n > 0)
		n += util_copy(b + n, cap - n, " ");
	n += util_copy(b + n, cap - n, module);
	n += util_copy(b + n, cap - n, "=");
	util_copy(b + n, cap - n, names[v]);
}

int
policy_run_phase(struct policy_req *r, int phase, struct policy_block *b)
{
	int verdict = POLICY_PASS;

	if (phase == POLICY_HEAD)
		r->verdicts[0] = '\0';
	for (size_t i = 0; i < N_MODULES; i++) {
		int v;

		if (chain[i]->phase != phase || chain[i]->on_request == NULL)
			continue;
		b->retry_after_s = 0;
		v = chain[i]->on_request(r, b);
		/* An attempt's translation is not a verdict of the request. */
		if (phase != POLICY_ATTEMPT)
			note_verdict(r, chain[i]->name, v);
		if (v == POLICY_BLOCK) {
			r->module = chain[i]->name;
			return POLICY_BLOCK;
		}
		if (v == POLICY_MODIFIED) {
			r->module = chain[i]->name;
			verdict = POLICY_MODIFIED;
		}
	}
	return verdict;
}

void
policy_run_finish(struct policy_req *r, int status, const struct usage *u)
{
	for (size_t i = 0; i < N_MODULES; i++)
		if (chain[i]->on_finish != NULL)
			chain[i]->on_finish(r, status, u);
}

int
policy_run_response_json(struct policy_req *r, json_t *root)
{
	int changed = 0;

	for (size_t i = N_MODULES; i-- > 0;)
		if (chain[i]->on_response_json != NULL)
			changed |= chain[i]->on_response_json(r, root);
	return changed;
}

/* Events pass the modules' hooks in reverse order (the answer unwinds
 * the chain), each hook emitting into the next. */
struct event_pass {
	struct policy_req *r;
	size_t next;		/* index of the next module to try */
	void (*emit)(void *arg, const char *ev, size_t len);
	void *arg;
};

static void
event_step(void *arg, const char *ev, size_t len)
{
	struct event_pass *p = arg;

	for (size_t i = p->next; i-- > 0;) {
		if (chain[i]->on_event != NULL) {
			struct event_pass inner = { p->r, i, p->emit, p->arg };

			chain[i]->on_event(p->r, ev, len, event_step, &inner);
			return;
		}
	}
	p->emit(p->arg, ev, len);
}

void
policy_run_event(struct policy_req *r, const char *ev, size_t len,
    void (*emit)(void *arg, const char *ev, size_t len), void *arg)
{
	struct event_pass p = { r, N_MODULES, emit, arg };

	event_step(&p, ev, len);
}

void
policy_run_stream_end(struct policy_req *r,
    void (*emit)(void *arg, const char *ev, size_t len), void *arg)
{
	for (size_t i = N_MODULES; i-- > 0;) {
		if (chain[i]->on_stream_end != NULL) {
			/* What a module flushes passes the modules after it. */
			struct event_pass p = { r, i, emit, arg };

			chain[i]->on_stream_end(r, event_step, &p);
		}
	}
}

void
policy_cleanup(struct policy_req *r)
{
	for (size_t i = 0; i < N_MODULES; i++)
		if (chain[i]->cleanup != NULL)
			chain[i]->cleanup(r);
}
