/* The checks on a request's head: target, key, route, subject, rates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/jsontext.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/request.h"
#include "gateway/request_int.h"

int
req_valid_request_id(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/*
 * The gateway key: "Authorization: Bearer KEY", or "x-api-key: KEY" (what
 * Mistral's API takes for some operations). Exactly one credential
 * header: two (of either name) are ambiguous and refused. Neither ever
 * goes upstream (forward_headers can not list them).
 */
int
req_authenticate(struct req *r, struct conn *c)
{
	const struct http1_request *hr = conn_request(c);
	const struct http1_header *h = NULL;
	const struct key_entry *k;
	const char *tok = NULL;
	size_t n = 0, len = 0;

	for (size_t i = 0; i < hr->n_headers; i++) {
		const struct http1_header *x = &hr->headers[i];

		if (util_ascii_ieq(x->name, x->name_len, "authorization") ||
		    util_ascii_ieq(x->name, x->name_len, "x-api-key")) {
			h = x;
			n++;
		}
	}
	if (n > 1) {
		req_fail(r, "invalid_api_key",
		    "more than one credential header (Authorization, "
		    "x-api-key)");
		return -1;
	}
	if (h != NULL && h->name_len == 9) {	/* x-api-key */
		tok = h->value;
		len = h->value_len;
	} else if (h != NULL && h->value_len > 7 &&
	    strncasecmp(h->value, "Bearer ", 7) == 0) {
		tok = h->value + 7;
		len = h->value_len - 7;
	}
	if (tok == NULL) {
		req_fail(r, "invalid_api_key",
		    "missing or malformed Authorization header");
		return -1;
	}
	k = keycache_check(r->gw->keys, r->gw->hmac, tok, len);
	if (k == NULL) {
		req_fail(r, "invalid_api_key",
		    "invalid API key");
		return -1;
	}
	r->key = *k;
	r->authed = 1;
	return 0;
}

/* The team's policy, and what it allows of the operation and of the
 * objects its path names: checked before the body is read. */
int
req_check_route(struct req *r)
{
	struct policy_block blk;

	r->pr.key = &r->key;
	r->pr.policy = config_policy(r->cfg, r->key.policy);
	if (r->pr.policy == NULL) {
		req_fail(r, "policy_blocked",
		    "team policy '%s' is not configured", r->key.policy);
		return -1;
	}
	r->n_params = endpoint_params(r->ep, r->path, r->path_len, r->params,
	    sizeof(r->params) / sizeof(r->params[0]));
	if (access_check_route(r->pr.policy, r->ep, r->params, r->n_params,
	    r->gw->objects, r->key.team, &blk) == POLICY_BLOCK) {
		snprintf(r->pr.verdicts, sizeof(r->pr.verdicts),
		    "access=block");
		req_fail(r, blk.code, "%s", blk.message);
		return -1;
	}
	return 0;
}

/* X-Eugate-Subject names the data subject a request is about; only its
 * keyed hash is kept, so that the subject's records can be found and
 * unlinked (storage: STORE_SUBJECT_ERASE). Never forwarded. */
int
req_subject_tag(struct req *r, struct conn *c)
{
	const struct http1_header *h = http1_find(conn_request(c),
	    "x-eugate-subject");

	if (h == NULL)
		return 0;
	if (keys_subject_hash(r->gw->hmac, h->value, h->value_len,
	    r->subject) != GW_OK) {
		req_fail(r, "invalid_subject",
		    "X-Eugate-Subject: 1 to %d bytes", KEYS_SUBJECT_MAX);
		return -1;
	}
	r->has_subject = 1;
	return 0;
}

/* Requests and tokens per minute of the key and its team. */
int
req_rate_limit(struct req *r)
{
	const struct key_limits *lim[2] = { &r->key.key_limits,
	    &r->key.team_limits };
	int rc;

	for (int i = 0; i < 2; i++) {
		if (lim[i]->rpm <= 0 && lim[i]->tpm <= 0)
			continue;
		snprintf(r->rl_id[r->n_rl], sizeof(r->rl_id[0]), "%c:%s",
		    i == 0 ? 'k' : 't', i == 0 ? r->key.id : r->key.team);
		r->rl[r->n_rl].id = r->rl_id[r->n_rl];
		r->rl[r->n_rl].rpm = lim[i]->rpm;
		r->rl[r->n_rl].tpm = lim[i]->tpm;
		r->n_rl++;
	}
	r->rls.limit_req = r->rls.limit_tok = -1;
	if (r->n_rl == 0)
		return 0;
	rc = ratelimit_take(r->gw->rl, r->rl, r->n_rl, util_now_us(), &r->rls);
	for (int i = 0; i < 4; i++)
		snprintf(r->rl_hdr[i], sizeof(r->rl_hdr[i]), "%lld",
		    (long long)(i == 0 ? r->rls.limit_req : i == 1 ?
		    r->rls.remaining_req : i == 2 ? r->rls.limit_tok :
		    r->rls.remaining_tok));
	req_clear_out_headers(r);
	if (rc == 0)
		return 0;
	r->n_rl = 0;	/* a refused request charges no tokens */
	r->retry_after_s = r->rls.retry_after_s;
	r->gw->stats.rate_limited++;
	req_fail(r, "rate_limited", "%s per minute limit "
	    "of this %s reached", r->rls.refused_tokens ? "tokens" :
	    "requests", r->key.key_limits.rpm > 0 ||
	    r->key.key_limits.tpm > 0 ? "key or team" : "team");
	return -1;
}

/*
 * The path as the audit record and the ledger keep it (255 bytes): whole
 * when it fits and is printable, else its first bytes (others as '?')
 * and "#sha256:" with the hash of all of it; '#' is never in a path.
 */
void
req_record_path(struct req *r, const char *target, size_t len)
{
	static const char mark[] = "#sha256:";
	const char *q = memchr(target, '?', len);
	size_t n = q != NULL ? (size_t)(q - target) : len, keep = n;
	unsigned char h[32];
	int plain = n < sizeof(r->rec_path);

	for (size_t i = 0; i < n && plain; i++)
		plain = target[i] > 0x20 && target[i] < 0x7f;
	if (!plain)
		keep = sizeof(r->rec_path) - 1 - (sizeof(mark) - 1) - 64;
	if (keep > n)
		keep = n;
	for (size_t i = 0; i < keep; i++)
		r->rec_path[i] = target[i] > 0x20 && target[i] < 0x7f ?
		    target[i] : '?';
	r->rec_path[keep] = '\0';
	if (plain)
		return;
	SHA256((const unsigned char *)target, n, h);
	memcpy(r->rec_path + keep, mark, sizeof(mark) - 1);
	util_hex(h, sizeof(h), r->rec_path + keep + sizeof(mark) - 1);
}

/*
 * Checks the request target and finds its operation, before anything
 * else: what is forwarded is exactly the path checked here (no
 * normalization anywhere), and only operations of the endpoint table.
 */
int
req_parse_target(struct req *r, const struct http1_request *hr)
{
	struct ep_target t;
	int rc;

	req_record_path(r, hr->target, hr->target_len);
	rc = endpoint_target(hr->target, hr->target_len,
	    (size_t)r->cfg->max_target_bytes, &t);
	if (rc == EP_TARGET_TOO_LONG) {
		req_fail(r, "uri_too_long",
		    "request target over %llu bytes (max_target_bytes)",
		    (unsigned long long)r->cfg->max_target_bytes);
		return -1;
	}
	if (rc != EP_TARGET_OK) {
		req_fail(r, "invalid_path",
		    "request target not accepted: dot-segments, empty "
		    "segments, percent-encoding, backslashes and control "
		    "bytes are refused in paths");
		return -1;
	}
	rc = endpoint_find(hr->method, t.path, t.path_len, &r->ep);
	if (rc == EP_NO_PATH) {
		req_fail(r, "not_found",
		    "no such endpoint of the Mistral API");
		return -1;
	}
	if (rc == EP_NO_METHOD) {
		req_fail(r, "method_not_allowed",
		    "method not allowed on this endpoint");
		return -1;
	}
	r->path = malloc(t.path_len + t.query_len + 2);
	if (r->path == NULL) {
		req_fail(r, "out_of_memory", "out of memory");
		return -1;
	}
	memcpy(r->path, t.path, t.path_len);
	r->path[t.path_len] = '\0';
	r->path_len = t.path_len;
	if (t.query != NULL) {
		memcpy(r->path + t.path_len + 1, t.query, t.query_len);
		r->path[t.path_len + 1 + t.query_len] = '\0';
		r->query = r->path + t.path_len + 1;
		r->query_len = t.query_len;
	}
	r->pr.path = r->path;
	r->pr.ep = r->ep;
	return 0;
}
