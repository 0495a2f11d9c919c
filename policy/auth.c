/*
 * The auth module (HEAD): the caller's key, from the one credential header
 * the client sent (Authorization: Bearer, or x-api-key), checked against
 * the key cache; and the policy of its team.
 */
#include <stdio.h>
#include <string.h>

#include "common/cidr.h"
#include "common/when.h"
#include "policy/policy.h"

static int
auth_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct key_entry *k;

	if (r->n_credentials > 1)
		return policy_refuse(b, "invalid_api_key",
		    "more than one credential header (Authorization, "
		    "x-api-key)");
	if (r->credential == NULL)
		return policy_refuse(b, "invalid_api_key",
		    "missing or malformed Authorization header");
	k = r->env->keys != NULL ? keycache_check(r->env->keys, r->env->hmac,
	    r->credential, r->credential_len, r->wall_s) : NULL;
	if (k == NULL) {
		/* The caller logs it: a wrong secret, or keys hashed with
		 * another server secret (instances that differ). */
		r->key_mismatch = keycache_has_id(r->env->keys, r->credential,
		    r->credential_len);
		return policy_refuse(b, "invalid_api_key", "invalid API key");
	}
	/* The secret is right: the record names the key, and the caller
	 * learns why it may not be used. */
	r->caller = *k;
	if (k->expires_at > 0 && r->wall_s >= k->expires_at) {
		char when[32];

		if (when_format(k->expires_at, when, sizeof(when)) != 0)
			snprintf(when, sizeof(when), "%lld",
			    (long long)k->expires_at);
		b->code = "key_expired";
		snprintf(b->message, sizeof(b->message), "API key %s expired "
		    "at %s", k->id, when);
		return POLICY_BLOCK;
	}
	if (k->n_allow > 0 && (r->client_family == 0 || !cidr_match(k->allow,
	    k->n_allow, r->client_family, r->client_addr))) {
		b->code = "ip_not_allowed";
		snprintf(b->message, sizeof(b->message), "API key %s may not "
		    "be used from this address (its IP allowlist)", k->id);
		return POLICY_BLOCK;
	}
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
