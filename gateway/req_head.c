/* The checks on a request's head: target, the HEAD phase, subject. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/digest.h"
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
 * Mistral's API takes for some operations), for the auth module; it
 * refuses two (of either name) as ambiguous. Neither ever goes upstream
 * (forward_headers can not list them).
 */
static void
credentials(struct req *r, const struct http1_request *hr)
{
	const struct http1_header *h = NULL;

	for (size_t i = 0; i < hr->n_headers; i++) {
		const struct http1_header *x = &hr->headers[i];

		if (util_ascii_ieq(x->name, x->name_len, "authorization") ||
		    util_ascii_ieq(x->name, x->name_len, "x-api-key")) {
			h = x;
			r->pr.n_credentials++;
		}
	}
	if (h != NULL && h->name_len == 9) {	/* x-api-key */
		r->pr.credential = h->value;
		r->pr.credential_len = h->value_len;
	} else if (h != NULL && h->value_len > 7 &&
	    strncasecmp(h->value, "Bearer ", 7) == 0) {
		r->pr.credential = h->value + 7;
		r->pr.credential_len = h->value_len - 7;
	}
}

/*
 * The policy chain's HEAD phase, before the body is read: the key (auth),
 * what its policy lets it reach (scope: API groups and the objects the
 * path names), its rate limits (rates).
 */
int
req_head_checks(struct req *r, struct conn *c)
{
	struct policy_block blk;
	int v;

	credentials(r, conn_request(c));
	/* The key snapshot is swapped whole on refresh: the current one. */
	r->gw->env.keys = r->gw->keys;
	r->gw->env.rl = r->gw->rl;
	r->pr.policies = r->cfg->policies;
	r->pr.n_policies = r->cfg->n_policies;
	r->pr.now_us = util_now_us();
	r->pr.wall_s = util_wall_s();
	r->pr.client_family = conn_peer_addr(c, r->pr.client_addr);
	v = policy_run_phase(&r->pr, POLICY_HEAD, &blk);
	r->pr.credential = NULL;	/* it lives in the head's buffer */
	r->authed = r->pr.key != NULL;
	/* The last use, in memory: written in batches (gateway.c). */
	if (r->authed)
		keycache_touch(r->gw->keys, r->pr.caller.id, r->pr.wall_s);
	if (r->pr.rls.limit_req >= 0 || r->pr.rls.limit_tok >= 0) {
		for (int i = 0; i < 4; i++)
			snprintf(r->rl_hdr[i], sizeof(r->rl_hdr[i]), "%lld",
			    (long long)(i == 0 ? r->pr.rls.limit_req : i == 1 ?
			    r->pr.rls.remaining_req : i == 2 ?
			    r->pr.rls.limit_tok : r->pr.rls.remaining_tok));
		req_clear_out_headers(r);
	}
	if (v != POLICY_BLOCK)
		return 0;
	if (strcmp(blk.code, "rate_limited") == 0)
		r->gw->stats.rate_limited++;
	if (r->pr.key_mismatch)
		log_warn("req=%s a key whose id is known came with another "
		    "secret: a wrong key, or instances that hash keys with "
		    "different secrets (data_dir/secret.key, secret_env)",
		    log_q(r->id));
	r->retry_after_s = blk.retry_after_s;
	req_fail(r, blk.code, "%s", blk.message);
	return -1;
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
	digest_sha256((const unsigned char *)target, n, h);
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
	r->pr.path_len = r->path_len;
	r->pr.ep = r->ep;
	return 0;
}
