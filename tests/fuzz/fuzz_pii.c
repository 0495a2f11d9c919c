/*
 * Fuzz target: the PII scanner, pseudonymization and the JSON walk.
 * Properties: pseudonymized text holds nothing a second pass would
 * change; restoring it gives back the input exactly; the rewritten
 * request body is valid JSON that parses to the same shape; scanning
 * never fails on valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/http.h"
#include "policy/endpoint.h"
#include "policy/keys.h"
#include "policy/pii.h"
#include "policy/pii_vault.h"
#include "policy/policy.h"

static struct pii_engine *eng;
static struct keys_hmac *hm;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* back (a restored text) pseudonymizes to pseudo again: the only
 * difference to the input is the normalization tokens share. */
static void
same_pseudonyms(const char *text, size_t len, const char *back,
    const char *pseudo)
{
	struct pii_rules rules;
	struct pii_vault v;
	struct pii_buf out = { NULL, 0, 0 };
	int ch;

	memset(&rules, 0, sizeof(rules));
	memset(rules.action, PII_ACT_PSEUDONYMIZE, sizeof(rules.action));
	pii_vault_init(&v);
	pii_vault_note_lookalikes(&v, text, len);
	if (pii_apply(eng, &v, hm, "fuzz", &rules, back, strlen(back), &out,
	    &ch) != 0 || (ch ? out.len != strlen(pseudo) ||
	    memcmp(out.p, pseudo, out.len) != 0 : strcmp(back, pseudo) != 0))
		abort();
	pii_buf_free(&out);
	pii_vault_cleanup(&v);
}

static void
check_text(const char *text, size_t len)
{
	struct pii_rules rules;
	struct pii_vault v;
	struct pii_buf out = { NULL, 0, 0 }, again = { NULL, 0, 0 };
	struct pii_buf back = { NULL, 0, 0 };
	int changed = 0, changed2 = 0;

	memset(&rules, 0, sizeof(rules));
	memset(rules.action, PII_ACT_PSEUDONYMIZE, sizeof(rules.action));
	pii_vault_init(&v);
	if (pii_vault_note_lookalikes(&v, text, len) != 0 ||
	    pii_apply(eng, &v, hm, "fuzz", &rules, text, len, &out,
	    &changed) != 0)
		abort();	/* valid UTF-8 must always scan */
	if (changed) {
		/* Restoring everything gives the input back, up to the
		 * normalization that makes "A@x.eu" and "a@x.eu" one token:
		 * then the restored text pseudonymizes to the same text. */
		pii_restore(&v, out.p, 0, out.len, 0, 0, &back);
		if (back.len != len || memcmp(back.p, text, len) != 0)
			same_pseudonyms(text, len, back.p, out.p);
		/* A second pass finds nothing left to replace. */
		if (pii_apply(eng, &v, hm, "fuzz", &rules, out.p, out.len,
		    &again, &changed2) != 0 || changed2)
			abort();
	}
	pii_buf_free(&out);
	pii_buf_free(&again);
	pii_buf_free(&back);
	pii_vault_cleanup(&v);
}

static void
check_walk(const char *text, size_t len)
{
	struct policy_conf pc;
	struct policy_env env = { eng, hm };
	struct key_entry key;
	struct policy_req r;
	struct policy_block b;
	json_t *body = json_pack("{s:s, s:[{s:s, s:s%}], s:{s:s%}}", "model",
	    "m", "messages", "role", "user", "content", text, len, "metadata",
	    "note", text, len), *re;
	char *js;

	if (body == NULL)
		return;
	memset(&pc, 0, sizeof(pc));
	pc.name = (char *)"fuzz";
	memset(pc.pii_actions, PII_ACT_PSEUDONYMIZE, sizeof(pc.pii_actions));
	memset(&key, 0, sizeof(key));
	memcpy(key.team, "fuzz", 5);
	memset(&r, 0, sizeof(r));
	r.env = &env;
	r.path = "/v1/chat/completions";
	r.method = HTTP_POST;
	endpoint_find(HTTP_POST, r.path, strlen(r.path), &r.ep);
	r.body = body;
	r.key = &key;
	r.policy = &pc;
	if (policy_run_phase(&r, POLICY_BODY, &b) == POLICY_BLOCK)
		abort();	/* nothing blocks under pseudonymize */
	js = json_dumps(body, JSON_COMPACT);
	re = js ? json_loads(js, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (re == NULL || json_array_size(json_object_get(re, "messages")) != 1)
		abort();
	/* The answer echoes the request: restoration gives the input, but
	 * for values inside URLs and link targets, which stay pseudonyms. */
	if (policy_run_response_json(&r, re) && memmem(text, len, "://", 3) ==
	    NULL && memmem(text, len, "www.", 4) == NULL &&
	    memmem(text, len, "](", 2) == NULL) {
		const char *c = json_string_value(json_object_get(
		    json_array_get(json_object_get(re, "messages"), 0),
		    "content"));

		const char *sent = json_string_value(json_object_get(
		    json_array_get(json_object_get(body, "messages"), 0),
		    "content"));

		if (c == NULL || sent == NULL)
			abort();
		if (strlen(c) != len || memcmp(c, text, len) != 0)
			same_pseudonyms(text, len, c, sent);
	}
	json_decref(re);
	free(js);
	policy_cleanup(&r);
	json_decref(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *s;
	char err[128];

	if (eng == NULL) {
		unsigned char k[32] = { 1 };

		eng = pii_engine_new(err, sizeof(err));
		hm = keys_hmac_new(k, sizeof(k));
		if (eng == NULL || hm == NULL)
			abort();
	}
	/* Scanned text is always valid UTF-8 (decoded JSON strings). */
	s = json_stringn((const char *)data, size);
	if (s == NULL || memchr(data, '\0', size) != NULL) {
		json_decref(s);
		return 0;
	}
	check_text(json_string_value(s), size);
	check_walk(json_string_value(s), size);
	json_decref(s);
	return 0;
}
