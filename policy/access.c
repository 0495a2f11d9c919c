/*
 * The access module: the models a policy and a key allow, the endpoints a
 * zero-data-retention policy allows, and the request fields a policy
 * forces (service_tier, safe_prompt, conversations' store).
 */
#include <stdio.h>
#include <string.h>

#include "common/http.h"
#include "common/util.h"
#include "policy/policy.h"

/* Globs in a comma-separated list (a key's models). */
static int
csv_match(const char *csv, const char *model)
{
	char glob[72];

	while (*csv != '\0') {
		const char *c = strchr(csv, ',');
		size_t len = c ? (size_t)(c - csv) : strlen(csv);

		if (len < sizeof(glob)) {
			memcpy(glob, csv, len);
			glob[len] = '\0';
			if (util_glob_match(glob, model))
				return 1;
		}
		if (c == NULL)
			break;
		csv = c + 1;
	}
	return 0;
}

static int
check_model(struct policy_req *r, struct policy_block *b)
{
	const struct policy_conf *p = r->policy;
	const struct key_entry *k = r->key;

	if (!strlist_glob(&p->models, r->model) ||
	    strlist_glob(&p->models_deny, r->model))
		return policy_refuse(b, "model_not_allowed",
		    "model '%s' is not allowed by policy '%s'", r->model,
		    p->name);
	if (k != NULL && ((k->models[0] != '\0' &&
	    !csv_match(k->models, r->model)) ||
	    csv_match(k->models_deny, r->model)))
		return policy_refuse(b, "model_not_allowed",
		    "model '%s' is not allowed for this key", r->model);
	return POLICY_PASS;
}

/* Sets a field the policy forces; 1 if the body changed. */
static int
force(json_t *body, const char *name, json_t *v)
{
	json_t *old = json_object_get(body, name);
	int same = old != NULL && json_equal(old, v);

	if (!same)
		json_object_set(body, name, v);
	json_decref(v);
	return !same;
}

static int
force_fields(struct policy_req *r)
{
	const struct policy_conf *p = r->policy;
	int changed = 0;

	if (!json_is_object(r->body) || r->method != HTTP_POST)
		return 0;
	if (p->service_tier != TIER_CLIENT && (r->ep->flags & EP_TIER))
		changed |= force(r->body, "service_tier", json_string(
		    p->service_tier == TIER_AUTO ? "auto" : "standard_only"));
	if (p->safe_prompt != FORCE_CLIENT && (r->ep->flags & EP_SAFE_PROMPT))
		changed |= force(r->body, "safe_prompt",
		    json_boolean(p->safe_prompt == FORCE_ON));
	/* Start, append, restart: the conversation is not kept by Mistral. */
	if (p->store && (r->ep->flags & EP_STORE))
		changed |= force(r->body, "store", json_false());
	return changed;
}

static int
not_found(struct policy_block *b, int kind)
{
	return policy_refuse(b, "not_found", "no such %s",
	    endpoint_obj_name(kind));
}

/*
 * The scope module (HEAD): the operation's group is one the policy
 * allows (else 403 endpoint_not_allowed), and every object its path names
 * is the team's, or nobody's under shared_objects (else 404 not_found, as
 * for an object that does not exist). No body is read before this.
 */
static int
scope_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct policy_conf *p = r->policy;
	const struct endpoint *ep = r->ep;

	if (!(p->groups & (1u << ep->group)))
		return policy_refuse(b, "endpoint_not_allowed",
		    "policy '%s' does not allow the %s endpoints (%s %s)",
		    p->name,
		    endpoint_group_name(ep->group),
		    http_method_name(ep->method), ep->path);
	r->n_params = endpoint_params(ep, r->path, r->path_len, r->params,
	    sizeof(r->params) / sizeof(r->params[0]));
	for (size_t i = 0; i < r->n_params && r->env->objects != NULL; i++)
		if (!objects_visible(r->env->objects, r->params[i].kind,
		    r->params[i].id, r->params[i].len, r->key->team,
		    p->shared_objects))
			return not_found(b, r->params[i].kind);
	return POLICY_PASS;
}

const struct policy_module policy_scope = {
	.name = "scope",
	.phase = POLICY_HEAD,
	.on_request = scope_on_request,
};

static int
access_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct policy_conf *p = r->policy;
	int kind;

	if (p == NULL)
		return POLICY_PASS;
	/* Objects the body names (files of a batch, an agent, a
	 * fine-tuned model, ...) must be the team's too. */
	if (r->env != NULL && r->env->objects != NULL && r->body != NULL &&
	    (kind = objects_check_body(r->env->objects, r->body, r->key->team,
	    p->shared_objects)) != EP_OBJ_NONE)
		return not_found(b, kind);
	if (p->zdr && !(r->ep->flags & EP_STATELESS))
		return policy_refuse(b, "zdr_not_covered",
		    "policy '%s' requires zero data retention, which %s %s "
		    "does not offer (files, batch, agents, conversations and "
		    "libraries keep data)", p->name,
		    http_method_name(r->method), r->ep->path);
	if (r->model != NULL && check_model(r, b) == POLICY_BLOCK)
		return POLICY_BLOCK;
	return force_fields(r) ? POLICY_MODIFIED : POLICY_PASS;
}

const struct policy_module policy_access = {
	.name = "access",
	.phase = POLICY_BODY,
	.on_request = access_on_request,
};
