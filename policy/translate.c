/* Translation between backend kinds. */
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"
#include "common/util.h"
#include "policy/policy.h"
#include "policy/translate.h"
#include "policy/usage.h"

int
translate_supported(int kind, const struct endpoint *ep)
{
	return kind == UPSTREAM_MISTRAL || (ep->flags & EP_OPENAI) != 0;
}

static int
rename_field(json_t *body, const char *from, const char *to)
{
	json_t *v = json_object_get(body, from);

	if (v == NULL)
		return 0;
	if (json_object_get(body, to) == NULL)
		json_object_set(body, to, v);
	json_object_del(body, from);
	return 1;
}

int
translate_request(int kind, const struct endpoint *ep, json_t *body,
    int *fold_usage)
{
	/* OpenAI fields Mistral answers with 422 extra_forbidden. */
	static const char *const strip[] = {
		"stream_options", "user", "logit_bias", "logprobs",
		"top_logprobs", "chat_template_kwargs", "store",
		"service_tier_openai", NULL
	};
	int changed = 0;

	*fold_usage = 0;
	if (!json_is_object(body) || !(ep->flags & EP_COMPLETION))
		return 0;
	if (kind == UPSTREAM_MISTRAL) {
		changed |= rename_field(body, "max_completion_tokens",
		    "max_tokens");
		changed |= rename_field(body, "seed", "random_seed");
		for (int i = 0; strip[i] != NULL; i++)
			if (json_object_del(body, strip[i]) == 0)
				changed = 1;
		return changed;
	}
	changed |= rename_field(body, "random_seed", "seed");
	if (json_is_true(json_object_get(body, "stream"))) {
		json_t *so = json_object_get(body, "stream_options");

		if (!json_is_object(so)) {
			so = json_object();
			json_object_set_new(body, "stream_options", so);
			*fold_usage = 1;
		} else if (!json_is_true(json_object_get(so,
		    "include_usage"))) {
			*fold_usage = 1;
		}
		json_object_set_new(so, "include_usage", json_true());
		changed = 1;
	}
	return changed;
}

static void
fold_emit_held(struct sse_fold *f, sse_emit_fn emit, void *arg)
{
	if (f->held == NULL)
		return;
	emit(arg, f->held, f->held_len);
	free(f->held);
	f->held = NULL;
	f->held_len = 0;
}

/*
 * Merges the usage of usage_ev into the held finish chunk and emits it.
 * The held event's bytes are kept: the usage member is spliced in before
 * its closing brace, so that nothing else of the chunk is re-encoded.
 */
static void
fold_merge(struct sse_fold *f, const char *usage_ev, size_t len,
    sse_emit_fn emit, void *arg)
{
	char *ud = NULL, *us = NULL, *out = NULL;
	long ul = sse_event_data(usage_ev, len, &ud);
	json_t *u = ul > 0 ? jsontext_parse(ud, (size_t)ul, 0, NULL) : NULL;
	const char *brace = NULL;

	for (size_t i = f->held_len; i-- > 0;)
		if (f->held[i] == '}') {
			brace = f->held + i;
			break;
		}
	if (json_is_object(json_object_get(u, "usage")))
		us = jsontext_dump(json_object_get(u, "usage"), 0, NULL);
	if (brace != NULL && us != NULL) {
		size_t head = (size_t)(brace - f->held), ulen = strlen(us);
		size_t n = head + 9 + ulen + (f->held_len - head);

		out = malloc(n);
		if (out != NULL) {
			memcpy(out, f->held, head);
			memcpy(out + head, ",\"usage\":", 9);
			memcpy(out + head + 9, us, ulen);
			memcpy(out + head + 9 + ulen, brace,
			    f->held_len - head);
			emit(arg, out, n);
		}
	}
	if (out == NULL) {
		/* Could not merge: relay both as they came. */
		emit(arg, f->held, f->held_len);
		emit(arg, usage_ev, len);
	}
	free(out);
	free(us);
	free(f->held);
	f->held = NULL;
	f->held_len = 0;
	json_decref(u);
	free(ud);
}

static int
contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

void
sse_fold_event(struct sse_fold *f, const char *ev, size_t len,
    sse_emit_fn emit, void *arg)
{
	if (contains(ev, len, "\"choices\":[]") &&
	    contains(ev, len, "\"usage\"")) {
		if (f->held != NULL)
			fold_merge(f, ev, len, emit, arg);
		else
			emit(arg, ev, len);
		return;
	}
	fold_emit_held(f, emit, arg);
	if (contains(ev, len, "\"finish_reason\":\"") &&
	    !contains(ev, len, "\"usage\":{")) {
		f->held = malloc(len);
		if (f->held != NULL) {
			memcpy(f->held, ev, len);
			f->held_len = len;
			return;
		}
	}
	emit(arg, ev, len);
}

void
sse_fold_flush(struct sse_fold *f, sse_emit_fn emit, void *arg)
{
	fold_emit_held(f, emit, arg);
}

void
sse_fold_cleanup(struct sse_fold *f)
{
	free(f->held);
	f->held = NULL;
	f->held_len = 0;
}

/* The translate module (ATTEMPT): the body in the dialect of the backend
 * being tried (MODIFIED when that changed it). */
static int
translate_on_request(struct policy_req *r, struct policy_block *b)
{
	(void)b;
	r->fold_usage = 0;
	if (r->body == NULL)
		return POLICY_PASS;
	return translate_request(r->up_kind, r->ep, r->body, &r->fold_usage) ?
	    POLICY_MODIFIED : POLICY_PASS;
}

const struct policy_module policy_translate = {
	.name = "translate",
	.phase = POLICY_ATTEMPT,
	.on_request = translate_on_request,
};
