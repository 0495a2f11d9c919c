/* Unit tests of routing (regions, data classification, ZDR, training,
 * balancing), circuit breakers and the access module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/http.h"
#include "gateway/config.h"
#include "policy/health.h"
#include "policy/policy.h"
#include "policy/route.h"
#include "tests/tap.h"

static char path[256];

/* The row of "METHOD /path"; aborts when there is none. */
static const struct endpoint *
op(const char *method_path)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT",
		"PATCH", "DELETE", "OPTIONS" };
	const char *path = strchr(method_path, ' ') + 1;
	const struct endpoint *ep = NULL;

	for (int m = 0; m < 7; m++)
		if (strncmp(method_path, names[m], strlen(names[m])) == 0 &&
		    method_path[strlen(names[m])] == ' ')
			endpoint_find(m, path, strlen(path), &ep);
	if (ep == NULL)
		abort();
	return ep;
}

static struct config *
load(const char *text)
{
	char err[600];
	FILE *f = fopen(path, "w");
	struct config *cfg;

	fputs(text, f);
	fclose(f);
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "config: %s\n", err);
		exit(1);
	}
	for (size_t i = 0; i < cfg->n_upstreams; i++)
		cfg->upstreams[i].health_slot = i;
	return cfg;
}

static const char conf[] =
    "[upstream eu1]\nurl = http://eu1\nregion = eu\nmodels = mistral-*\n"
    "[upstream us1]\nurl = http://us1\nregion = us\n"
    "[upstream onprem]\nurl = http://op\nregion = onprem\nkind = openai\n"
    "training = none\n"
    "[upstream euzdr]\nurl = http://ez\nregion = eu\nzdr = on\n"
    "models = mistral-*\npriority = 1\nendpoints = inference\n"
    "[upstream off]\nurl = http://off\nregion = eu\napi_key_env = "
    "EUGATE_TEST_UNSET\n"
    "[policy eu]\nregions = eu\n"
    "[policy hybrid]\nregions = eu, onprem\npii_detect = NL_BSN\n"
    "sensitive = NATIONAL_ID\nsensitive_regions = onprem\n"
    "[policy raw]\npii = pseudonymize\npii_detect = IBAN\nsensitive = raw\n"
    "sensitive_regions = onprem\n"
    "[policy zdr]\nzdr = on\n"
    "[policy notrain]\ntraining = none\n"
    "[policy blocks]\nsensitive = IBAN\nsensitive_regions = block\n"
    "pii = detect\n";

static int
selects(struct config *cfg, const char *policy, const char *model,
    const char *p, int sensitive, struct up_health *h,
    struct route_result *res)
{
	struct route_query q;

	memset(&q, 0, sizeof(q));
	q.ups = cfg->upstreams;
	q.n = cfg->n_upstreams;
	q.policy = config_policy(cfg, policy);
	q.model = model;
	q.ep = op(p ? p : "POST /v1/chat/completions");
	q.sensitive = sensitive;
	q.health = h;
	q.now_us = 1000000;
	q.seed = 7;
	return route_select(&q, res);
}

static int
only(const struct route_result *res, size_t a, size_t b)
{
	if (b == (size_t)-1)
		return res->n == 1 && res->cand[0] == a;
	return res->n == 2 && res->cand[0] == a && res->cand[1] == b;
}

static void
test_regions(struct config *cfg)
{
	struct route_result res;
	unsigned counts[PII__COUNT] = { 0 };

	ok(selects(cfg, "default", "mistral-small", NULL, 0, NULL, &res) ==
	    ROUTE_FOUND && res.n == 4 && res.cand[3] == 3,
	    "default: every region, the priority-1 upstream last");
	ok(selects(cfg, "eu", "mistral-small", NULL, 0, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 0, 3) &&
	    strstr(res.decision, "regions=eu") == res.decision &&
	    strstr(res.decision, "us1:region") != NULL &&
	    strstr(res.decision, "onprem:region") != NULL &&
	    strstr(res.decision, "off:disabled") != NULL,
	    "eu policy: only eu upstreams, the others named (%s)",
	    res.decision);
	ok(selects(cfg, "eu", "llama-3", NULL, 0, NULL, &res) ==
	    ROUTE_NO_REGION && res.n == 0 &&
	    strstr(res.decision, "eu1:model") != NULL,
	    "eu policy, model only outside eu: region_unavailable");
	ok(selects(cfg, "eu", "gpt-x", "POST /v1/fim/completions", 0, NULL,
	    &res) == ROUTE_NO_REGION, "eu policy: us serves it, still refused");
	ok(selects(cfg, "default", "mistral-small",
	    "POST /v1/fim/completions", 0, NULL, &res) == ROUTE_FOUND &&
	    res.n == 3 && strstr(res.decision, "onprem:endpoint") != NULL,
	    "an openai-kind upstream lacks FIM: skipped");
	cfg->upstreams[1].models.v[0][0] = 'x';	/* us1 serves "x" now */
	ok(selects(cfg, "default", "llama-3", "POST /v1/fim/completions", 0,
	    NULL, &res) == ROUTE_NO_ENDPOINT,
	    "only an openai upstream serves it: endpoint_not_supported");
	cfg->upstreams[2].models.v[0][0] = 'x';
	ok(selects(cfg, "default", "llama-3", NULL, 0, NULL, &res) ==
	    ROUTE_NO_MODEL, "no upstream serves the model: model_not_found");
	cfg->upstreams[1].models.v[0][0] = '*';
	cfg->upstreams[2].models.v[0][0] = '*';

	counts[PII_NL_BSN] = 1;
	ok(route_sensitive(config_policy(cfg, "hybrid"), counts, 0),
	    "a national ID makes a request sensitive");
	ok(selects(cfg, "hybrid", "mistral-small", NULL, 1, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 2, (size_t)-1) &&
	    strstr(res.decision, "sensitive=onprem") != NULL &&
	    strstr(res.decision, "eu1:sensitive") != NULL,
	    "hybrid, sensitive: onprem only (%s)", res.decision);
	ok(selects(cfg, "hybrid", "mistral-small", NULL, 0, NULL, &res) ==
	    ROUTE_FOUND && res.n == 3, "hybrid, not sensitive: eu and onprem");
	ok(selects(cfg, "hybrid", "mistral-small", "POST /v1/fim/completions",
	    1, NULL, &res) == ROUTE_NO_REGION,
	    "hybrid, sensitive FIM: onprem lacks it, eu not allowed: refused");
	ok(!route_sensitive(config_policy(cfg, "raw"), counts, 0),
	    "raw: a pseudonymized national ID is not raw");
	memset(counts, 0, sizeof(counts));
	counts[PII_IBAN] = 2;
	ok(route_sensitive(config_policy(cfg, "raw"), counts, 0),
	    "raw: an IBAN forwarded unchanged (detect) is");
	ok(!route_sensitive(config_policy(cfg, "eu"), counts, 0),
	    "a policy without sensitive types: never sensitive");
	memset(counts, 0, sizeof(counts));
	ok(route_sensitive(config_policy(cfg, "raw"), counts, 1) &&
	    !route_sensitive(config_policy(cfg, "hybrid"), counts, 1),
	    "raw: an unscanned image or file counts as raw data");
	ok(selects(cfg, "blocks", "mistral-small", NULL, 1, NULL, &res) ==
	    ROUTE_SENSITIVE_BLOCKED && res.n == 0,
	    "sensitive_regions = block: refused");

	ok(selects(cfg, "zdr", "mistral-small", NULL, 0, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 3, (size_t)-1) &&
	    strstr(res.decision, "zdr=on") != NULL &&
	    strstr(res.decision, "eu1:zdr") != NULL,
	    "zdr policy: only the zdr upstream");
	ok(selects(cfg, "zdr", "llama-3", NULL, 0, NULL, &res) ==
	    ROUTE_NO_REGION, "zdr policy, no zdr upstream serves it: refused");
	ok(selects(cfg, "notrain", "mistral-small", NULL, 0, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 2, (size_t)-1) &&
	    strstr(res.decision, "us1:training") != NULL,
	    "training = none: only upstreams that never train");
	ok(selects(cfg, "eu", NULL, "GET /v1/files", 0, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 0, (size_t)-1) &&
	    strstr(res.decision, "euzdr:endpoint") != NULL,
	    "files: not where endpoints = inference (a regional endpoint)");
	ok(selects(cfg, "default", NULL, "GET /v1/files", 0, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 0, (size_t)-1) &&
	    strstr(res.decision, "us1:stateful") != NULL,
	    "no model (files): the first allowed upstream only");
	ok(selects(cfg, "zdr", NULL, "GET /v1/models", 0, NULL, &res) ==
	    ROUTE_FOUND && only(&res, 3, (size_t)-1),
	    "endpoints = inference still serves model cards");
}

static void
test_breaker_routing(struct config *cfg)
{
	struct up_health h[5];
	struct route_result res;

	memset(h, 0, sizeof(h));
	h[0].open = 1;
	h[0].open_until_us = 5000000;		/* 4 s from now */
	ok(selects(cfg, "eu", "mistral-small", NULL, 0, h, &res) ==
	    ROUTE_FOUND && only(&res, 3, (size_t)-1) &&
	    strstr(res.decision, "eu1:breaker") != NULL,
	    "an open breaker is skipped");
	h[3].open = 1;
	h[3].open_until_us = 3000000;		/* 2 s from now */
	ok(selects(cfg, "eu", "mistral-small", NULL, 0, h, &res) ==
	    ROUTE_ALL_DOWN && res.retry_after_us == 2000000,
	    "all allowed upstreams open: down, retry when the first "
	    "half-opens");
	ok(selects(cfg, "eu", NULL, "GET /v1/files", 0, h, &res) ==
	    ROUTE_ALL_DOWN,
	    "stateful: the holder's breaker is open: down, no other upstream");
	h[0].open_until_us = 500000;		/* half-open now */
	ok(selects(cfg, "eu", "mistral-small", NULL, 0, h, &res) ==
	    ROUTE_FOUND && only(&res, 0, (size_t)-1),
	    "a half-open upstream takes a request");
	h[0].probing = 1;
	ok(selects(cfg, "eu", "mistral-small", NULL, 0, h, &res) ==
	    ROUTE_ALL_DOWN, "... but only one at a time");
}

static void
test_balance(void)
{
	struct config *cfg = load(
	    "[upstream a]\nurl = http://a\nregion = eu\nweight = 3\n"
	    "[upstream b]\nurl = http://b\nregion = eu\n"
	    "[upstream c]\nurl = http://c\nregion = eu\nweight = 0\n"
	    "[upstream d]\nurl = http://d\nregion = eu\npriority = 5\n");
	struct route_query q;
	struct route_result res;
	int first[4] = { 0 }, bad_order = 0;

	memset(&q, 0, sizeof(q));
	q.ups = cfg->upstreams;
	q.n = cfg->n_upstreams;
	q.policy = config_policy(cfg, "default");
	q.model = "m";
	q.ep = op("POST /v1/embeddings");
	for (int i = 0; i < 4000; i++) {
		q.seed = (uint64_t)i;
		route_select(&q, &res);
		first[res.cand[0]]++;
		if (res.n != 4 || res.cand[2] != 2 || res.cand[3] != 3)
			bad_order++;
	}
	ok(first[0] > 2800 && first[0] < 3200 && first[1] == 4000 - first[0],
	    "weights 3:1 share the first place 3:1 (%d:%d)", first[0],
	    first[1]);
	ok(bad_order == 0,
	    "weight 0 is a standby, a higher priority comes last");
	config_unref(cfg);
}

static void
test_health(void)
{
	struct up_health h;
	uint64_t t = 1000000, cool = 30000000;

	memset(&h, 0, sizeof(h));
	health_result(&h, 0, t, 3, cool);
	health_result(&h, 0, t, 3, cool);
	ok(health_state(&h, t) == HEALTH_CLOSED && health_usable(&h, t),
	    "two failures of three: closed");
	health_result(&h, 1, t, 3, cool);
	health_result(&h, 0, t, 3, cool);
	health_result(&h, 0, t, 3, cool);
	ok(health_state(&h, t) == HEALTH_CLOSED,
	    "a success resets the count");
	health_result(&h, 0, t, 3, cool);
	ok(health_state(&h, t) == HEALTH_OPEN && !health_usable(&h, t) &&
	    h.opened == 1, "the third consecutive failure opens it");
	health_result(&h, 1, t + 1, 3, cool);
	ok(health_state(&h, t + 1) == HEALTH_OPEN,
	    "a late success of an older attempt does not close it");
	t += cool;
	ok(health_state(&h, t) == HEALTH_HALF_OPEN && health_usable(&h, t),
	    "after the cool-down: half-open, usable");
	health_begin(&h, t);
	ok(!health_usable(&h, t), "one probe at a time");
	health_result(&h, -1, t, 3, cool);
	ok(health_usable(&h, t), "a probe without verdict frees the slot");
	health_begin(&h, t);
	health_result(&h, 0, t, 3, cool);
	ok(health_state(&h, t) == HEALTH_OPEN && h.open_until_us == t + cool &&
	    h.opened == 1, "a failed probe opens it for another cool-down");
	t += cool;
	health_begin(&h, t);
	health_result(&h, 1, t, 3, cool);
	ok(health_state(&h, t) == HEALTH_CLOSED && h.fails == 0,
	    "a successful probe closes it");
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 100; i++)
		health_result(&h, 0, t, 0, cool);
	ok(health_state(&h, t) == HEALTH_CLOSED && h.failures == 100,
	    "fail_threshold = 0: never opens, failures counted");
	ok(!health_status_ok(500) && !health_status_ok(503) &&
	    !health_status_ok(504) && health_status_ok(429) &&
	    health_status_ok(404) && health_status_ok(501) &&
	    health_status_ok(200), "5xx but 501 count as failures");
}

static int
run_access(struct config *cfg, const char *policy, struct key_entry *k,
    const char *method_path, const char *model, json_t *body,
    struct policy_block *b)
{
	struct policy_req r;
	int v;

	memset(&r, 0, sizeof(r));
	r.policy = config_policy(cfg, policy);
	r.key = k;
	r.method = strncmp(method_path, "GET ", 4) == 0 ? HTTP_GET : HTTP_POST;
	r.path = strchr(method_path, ' ') + 1;
	r.ep = op(method_path);
	r.model = model;
	r.body = body;
	v = policy_access.on_request(&r, b);
	return v;
}

static void
test_access(void)
{
	struct config *cfg = load(
	    "[upstream a]\nurl = http://a\nregion = eu\n"
	    "[policy zdr]\nzdr = on\n"
	    "[policy forced]\nservice_tier = standard_only\nsafe_prompt = on\n"
	    "store = off\nmodels = mistral-*, labs-*\nmodels_deny = none\n");
	struct key_entry k;
	struct policy_block b;
	json_t *body = json_object();

	memset(&k, 0, sizeof(k));
	ok(run_access(cfg, "default", &k, "POST /v1/chat/completions",
	    "labs-devstral-small-2512", NULL, &b) == POLICY_BLOCK &&
	    strcmp(b.code, "model_not_allowed") == 0 &&
	    api_error(b.code)->status == 403,
	    "labs-* models are denied by default");
	ok(run_access(cfg, "forced", &k, "POST /v1/chat/completions",
	    "labs-devstral-small-2512", NULL, &b) == POLICY_PASS,
	    "a policy may allow them (models_deny = none)");
	ok(run_access(cfg, "forced", &k, "POST /v1/chat/completions",
	    "codestral-latest", NULL, &b) == POLICY_BLOCK,
	    "models outside the policy's globs are refused");
	snprintf(k.models, sizeof(k.models), "mistral-small-*,ministral-*");
	snprintf(k.models_deny, sizeof(k.models_deny), "ministral-3b*");
	ok(run_access(cfg, "default", &k, "POST /v1/chat/completions",
	    "mistral-small-latest", NULL, &b) == POLICY_PASS,
	    "a key's allowed glob passes");
	ok(run_access(cfg, "default", &k, "POST /v1/chat/completions",
	    "mistral-large-latest", NULL, &b) == POLICY_BLOCK &&
	    strstr(b.message, "this key") != NULL,
	    "a model outside the key's globs is refused");
	ok(run_access(cfg, "default", &k, "POST /v1/chat/completions",
	    "ministral-3b-latest", NULL, &b) == POLICY_BLOCK,
	    "the key's deny list wins");
	memset(&k, 0, sizeof(k));

	ok(run_access(cfg, "zdr", &k, "POST /v1/files", NULL, NULL, &b) ==
	    POLICY_BLOCK && strcmp(b.code, "zdr_not_covered") == 0,
	    "zdr: files refused");
	ok(run_access(cfg, "zdr", &k, "POST /v1/batch/jobs", NULL, NULL, &b) ==
	    POLICY_BLOCK && run_access(cfg, "zdr", &k,
	    "POST /v1/conversations", "mistral-small", NULL, &b) ==
	    POLICY_BLOCK && run_access(cfg, "zdr", &k,
	    "POST /v1/agents/completions", NULL, NULL, &b) == POLICY_BLOCK &&
	    run_access(cfg, "zdr", &k, "GET /v1/libraries", NULL, NULL, &b) ==
	    POLICY_BLOCK,
	    "zdr: batch, conversations, agents, libraries refused");
	ok(run_access(cfg, "zdr", &k, "POST /v1/chat/completions",
	    "mistral-small", NULL, &b) == POLICY_PASS && run_access(cfg,
	    "zdr", &k, "POST /v1/ocr", "mistral-ocr-latest", NULL, &b) ==
	    POLICY_PASS && run_access(cfg, "zdr", &k, "GET /v1/models", NULL,
	    NULL, &b) == POLICY_PASS, "zdr: chat, ocr and model cards pass");

	json_object_set_new(body, "service_tier", json_string("auto"));
	ok(run_access(cfg, "forced", &k, "POST /v1/chat/completions",
	    "mistral-small", body, &b) == POLICY_MODIFIED &&
	    strcmp(json_string_value(json_object_get(body, "service_tier")),
	    "standard_only") == 0 &&
	    json_is_true(json_object_get(body, "safe_prompt")),
	    "service_tier and safe_prompt forced on chat");
	ok(run_access(cfg, "forced", &k, "POST /v1/chat/completions",
	    "mistral-small", body, &b) == POLICY_PASS,
	    "already as forced: unchanged");
	json_object_clear(body);
	json_object_set_new(body, "store", json_true());
	ok(run_access(cfg, "forced", &k, "POST /v1/conversations/abc",
	    "mistral-small", body, &b) == POLICY_MODIFIED &&
	    json_is_false(json_object_get(body, "store")),
	    "store = off: conversations are not kept");
	json_object_clear(body);
	ok(run_access(cfg, "forced", &k, "POST /v1/embeddings",
	    "codestral-embed", body, &b) == POLICY_BLOCK,
	    "models outside the globs refused on every endpoint");
	ok(run_access(cfg, "default", &k, "POST /v1/embeddings",
	    "mistral-embed", body, &b) == POLICY_PASS &&
	    json_object_size(body) == 0, "no forced field: body untouched");
	json_decref(body);
	config_unref(cfg);
}

int
main(void)
{
	struct config *cfg;

	snprintf(path, sizeof(path), "/tmp/eugate-test-route-%d.ini",
	    (int)getpid());
	unsetenv("EUGATE_TEST_UNSET");
	cfg = load(conf);
	test_regions(cfg);
	test_breaker_routing(cfg);
	config_unref(cfg);
	test_balance();
	test_health();
	test_access();
	unlink(path);
	return tap_done();
}
