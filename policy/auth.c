/*
 * The auth module (HEAD): the caller's key, from the one credential header
 * the client sent (Authorization: Bearer, or x-api-key), checked against
 * the key cache; and the policy of its team.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

static int
refuse(struct policy_block *b, const char *code, const char *msg)
{
	b->code = code;
	snprintf(b->message, sizeof(b->message), "%s", msg);
	return POLICY_BLOCK;
}

static int
auth_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct key_entry *k;

	if (r->n_credentials > 1)
		return refuse(b, "invalid_api_key", "more than one credential "
		    "header (Authorization, x-api-key)");
	if (r->credential == NULL)
		return refuse(b, "invalid_api_key", "missing or malformed "
		    "Authorization header");
	k = r->env->keys != NULL ? keycache_check(r->env->keys, r->env->hmac,
	    r->credential, r->credential_len) : NULL;
	if (k == NULL) {
		/* The caller logs it: a wrong secret, or keys hashed with
		 * another server secret (instances that differ). */
		r->key_mismatch = keycache_has_id(r->env->keys, r->credential,
		    r->credential_len);
		return refuse(b, "invalid_api_key", "invalid API key");
	}
	r->caller = *k;
	r->key = &r->caller;
	for (size_t i = 0; i < r->n_policies; i++)
		if (strcmp(r->policies[i].name, k->policy) == 0)
			r->policy = &r->policies[i];
	if (r->policy == NULL) {
		b->code = "policy_blocked";
		snprintf(b->message, sizeof(b->message), "team policy '%s' is "
		    "not configured", k->policy);
		return POLICY_BLOCK;
	}
	return POLICY_PASS;
}

const struct policy_module policy_auth = {
	.name = "auth",
	.phase = POLICY_HEAD,
	.on_request = auth_on_request,
};
