/* The table of errors eugate answers with (README: "Errors"). */
#include <string.h>

#include "common/errors.h"

#define IR "invalid_request_error"
#define SE "server_error"

const struct api_error api_errors[] = {
	/* The request itself. */
	{ "bad_request", 400, IR, "malformed HTTP request" },
	{ "invalid_path", 400, IR, "the request target has dot-segments, "
	    "empty segments, percent-encoding, backslashes or control bytes" },
	{ "invalid_json", 400, IR, "the body is not one JSON object (or "
	    "array, where the operation takes one)" },
	{ "invalid_parameter", 400, IR, "a body field has a value the "
	    "upstream would not read as meant (n, max_tokens, pages, ...)" },
	{ "invalid_query", 400, IR, "a query parameter is malformed" },
	{ "invalid_multipart", 400, IR, "a multipart form without a usable "
	    "boundary" },
	{ "invalid_subject", 400, IR, "X-Eugate-Subject is empty or too long" },
	{ "invalid_api_key", 401, "authentication_error", "no key, a "
	    "malformed or unknown one, or more than one credential header" },
	{ "key_expired", 401, "authentication_error", "the key's expiry time "
	    "has passed (the message says when)" },
	{ "ip_not_allowed", 403, IR, "the key's IP allowlist does not hold "
	    "the client's address" },
	{ "endpoint_not_allowed", 403, IR, "the team's policy does not allow "
	    "this group of the API (endpoints =)" },
	{ "model_not_allowed", 403, IR, "the policy or the key does not allow "
	    "this model" },
	{ "policy_blocked", 403, IR, "the team's policy is not configured" },
	{ "pii_blocked", 403, IR, "personal data that the policy blocks, or "
	    "that may go nowhere (sensitive_regions = block)" },
	{ "unscannable_content", 403, IR, "content that can not be scanned "
	    "for personal data (pii_unscannable = block)" },
	{ "region_unavailable", 403, IR, "no upstream in the regions the "
	    "policy allows serves this" },
	{ "zdr_not_covered", 403, IR, "zero data retention does not cover "
	    "this endpoint" },
	{ "price_unknown", 403, IR, "a budgeted request whose price is not "
	    "known (or can not be reserved)" },
	{ "not_found", 404, IR, "no such endpoint, or no such object for "
	    "this team" },
	{ "model_not_found", 404, IR, "no upstream serves this model" },
	{ "endpoint_not_supported", 404, IR, "no upstream that serves the "
	    "model offers this endpoint" },
	{ "method_not_allowed", 405, IR, "the path exists with other "
	    "methods" },
	{ "request_timeout", 408, IR, "the request did not arrive in time" },
	{ "request_too_large", 413, IR, "the body is over max_body_bytes" },
	{ "uri_too_long", 414, IR, "the request target is over "
	    "max_target_bytes" },
	{ "unsupported_media_type", 415, IR, "a multipart form where the "
	    "operation takes JSON" },
	{ "expectation_failed", 417, IR, "an Expect header other than "
	    "100-continue" },
	{ "budget_exceeded", 429, "budget_exceeded", "a budget is spent for "
	    "this period (Retry-After: its end)" },
	{ "rate_limited", 429, "rate_limited", "a requests or tokens per "
	    "minute limit is reached (Retry-After)" },
	{ "headers_too_large", 431, IR, "too many or too large headers" },
	/* The gateway and its upstreams. */
	{ "internal_error", 500, SE, "an internal error" },
	{ "pii_scan_failed", 500, SE, "the personal data scan failed; "
	    "nothing was forwarded" },
	{ "not_implemented", 501, SE, "a transfer coding other than chunked" },
	{ "upstream_error", 502, SE, "the upstream failed this request "
	    "(connection refused or lost)" },
	{ "upstream_bad_encoding", 502, SE, "the upstream answered in a "
	    "content coding the gateway does not decode" },
	{ "response_too_large", 502, SE, "the upstream's answer is over "
	    "max_response_bytes" },
	{ "event_too_large", 502, SE, "an event of the upstream's stream is "
	    "over max_event_bytes" },
	{ "upstream_unavailable", 503, SE, "every upstream allowed for this "
	    "request is failing (Retry-After)" },
	{ "overloaded", 503, SE, "too many request bodies in flight "
	    "(Retry-After)" },
	{ "out_of_memory", 503, SE, "out of memory (Retry-After)" },
	{ "storage_unavailable", 503, SE, "storage failed; nothing was "
	    "forwarded or reported as stored" },
	{ "upstream_timeout", 504, SE, "the upstream did not answer in time" },
	{ "http_version_not_supported", 505, IR, "an HTTP version other than "
	    "1.0 and 1.1" },
	/* The admin API. */
	{ "invalid_admin_token", 401, "authentication_error", "no admin "
	    "token, or a wrong one" },
	{ "invalid_name", 400, IR, "a name of 1 to 64 letters, digits, - _ ." },
	{ "invalid_team", 400, IR, "a team name is missing or malformed" },
	{ "team_not_found", 404, IR, "no such team" },
	{ "invalid_field", 400, IR, "an unknown or malformed field" },
	{ "invalid_limits", 400, IR, "a malformed budget or limit" },
	{ "invalid_limit", 400, IR, "limit: a whole number" },
	{ "invalid_checkpoints", 400, IR, "saved checkpoints that are not "
	    "those of eugatectl audit checkpoints" },
	{ "unknown_policy", 400, IR, "no such [policy NAME] section" },
	{ "already_exists", 409, IR, "it exists already" },
	{ "insufficient_role", 403, IR, "the admin principal's role does not "
	    "allow this action" },
	{ "team_not_allowed", 403, IR, "the object belongs to a team the "
	    "team admin does not administer" },
	{ "invalid_role", 400, IR, "role: owner, admin, team-admin or "
	    "auditor" },
};

const size_t n_api_errors = sizeof(api_errors) / sizeof(api_errors[0]);

const struct api_error *
api_error(const char *code)
{
	for (size_t i = 0; i < n_api_errors; i++)
		if (strcmp(api_errors[i].code, code) == 0)
			return &api_errors[i];
	for (size_t i = 0; i < n_api_errors; i++)
		if (strcmp(api_errors[i].code, "internal_error") == 0)
			return &api_errors[i];
	return &api_errors[0];
}
