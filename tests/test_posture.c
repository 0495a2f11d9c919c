/*
 * Unit tests of the GDPR posture (policy/posture.c) and the transfer
 * table (policy/transfer.c): from a configuration and team facts where
 * every check is ok, one fact at a time is changed (a configuration line
 * or what storage and the audit log say) and the matching check is
 * watched turning warn or fail, the others staying as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "policy/posture.h"
#include "policy/transfer.h"
#include "tests/tap.h"

static char path[256];

#define BASE \
    "[gateway]\naudit_retention_days = 90\n" \
    "[upstream eu]\nurl = https://eu\nregion = eu\nzdr = on\n" \
    "training = none\nprovider = Mistral AI SAS\nlocation = FR\n" \
    "dpa = https://example.eu/dpa\nsubprocessors = https://example.eu/sub\n" \
    "provider_retention = 0d\n" \
    "[upstream us]\nurl = https://us\nregion = us\ntraining = allowed\n" \
    "[upstream onprem]\nurl = http://op\nregion = onprem\nkind = openai\n" \
    "zdr = on\ntraining = none\n" \
    "[policy p]\nregions = eu, onprem\nzdr = on\ntraining = allowed\n" \
    "sensitive = raw\nsensitive_regions = onprem\n" \
    "endpoints = inference, models\n"

/* The configuration text with the first from replaced by to. */
static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(BASE, from);
	size_t n = strlen(BASE) + strlen(to) + 1;
	char *s = malloc(n);

	if (at == NULL || s == NULL) {
		fprintf(stderr, "variant: '%s' not in the base\n", from);
		exit(1);
	}
	snprintf(s, n, "%.*s%s%s", (int)(at - BASE), BASE, to,
	    at + strlen(from));
	return s;
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
	return cfg;
}

/* What storage and the audit log say of the team, in the base: it used
 * eu and onprem, all under ZDR; sensitive requests went on premises. */
static struct posture_use uses[3];
static struct posture_team team;
static struct posture_chain chain;

static void
facts_reset(void)
{
	memset(uses, 0, sizeof(uses));
	uses[0] = (struct posture_use){ "eu", 10, 10, 0 };
	uses[1] = (struct posture_use){ "onprem", 3, 3, 3 };
	team = (struct posture_team){ "finance", "p", "100.00 EUR monthly",
		2, 2, 0, uses, 2 };
	chain = (struct posture_chain){ 1, 40, 40, 0, NULL };
}

static struct posture_result res[POSTURE__COUNT];

static void
evaluate(const char *text)
{
	struct config *cfg = load(text);
	struct posture_conf c = { cfg->controller, cfg->dpo,
		cfg->audit_retention_ms, cfg->budget, cfg->tls_cert != NULL,
		cfg->audit_checkpoint_records,
		cfg->audit_checkpoint_interval_ms, cfg->upstreams,
		cfg->n_upstreams, cfg->policies, cfg->n_policies };

	posture_evaluate(&c, &team, &chain, res);
	config_unref(cfg);
}

/* The statuses as a string, "oooooooooo": o ok, w warn, f fail. */
static const char *
statuses(void)
{
	static char s[POSTURE__COUNT + 1];

	for (int k = 0; k < POSTURE__COUNT; k++)
		s[k] = "owf"[res[k].status];
	s[POSTURE__COUNT] = '\0';
	return s;
}

/* Checks that only check k has the status want, every other ok, and
 * that its reason holds words. */
static void
expect(int k, int want, const char *words, const char *what)
{
	char s[POSTURE__COUNT + 1];

	memset(s, 'o', POSTURE__COUNT);
	s[k] = "owf"[want];
	s[POSTURE__COUNT] = '\0';
	ok(strcmp(statuses(), s) == 0 && strstr(res[k].reason, words) != NULL,
	    "%s: %s %s (%s: %s)", what, posture_check_name(k),
	    posture_status_name(want), statuses(), res[k].reason);
}

static void
with(const char *from, const char *to, int k, int want, const char *words,
    const char *what)
{
	char *text = variant(from, to);

	evaluate(text);
	free(text);
	expect(k, want, words, what);
	facts_reset();
}

static void
test_base(void)
{
	facts_reset();
	evaluate(BASE);
	ok(strcmp(statuses(), "oooooooooo") == 0, "the base is ok everywhere "
	    "(%s)", statuses());
	for (int k = 0; k < POSTURE__COUNT; k++)
		printf("# %s: %s\n", posture_check_name(k), res[k].reason);
	ok(strstr(res[POSTURE_DPA].reason, "eu (Mistral AI SAS: "
	    "https://example.eu/dpa)") != NULL &&
	    strstr(res[POSTURE_DPA].reason, "onprem (self-hosted, no "
	    "processor)") != NULL, "the dpa check names the DPA and the "
	    "self-hosted upstream");
	ok(strstr(res[POSTURE_REGION].reason, "eu (FR (EEA))") != NULL,
	    "the region check names the location and its basis");
	ok(strstr(res[POSTURE_DPA].reason, "us (") == NULL, "an upstream the "
	    "policy does not reach and the team did not use is not in "
	    "question");
}

static void
test_documents(void)
{
	with("dpa = https://example.eu/dpa\n", "", POSTURE_DPA, POSTURE_FAIL,
	    "eu (no dpa =, 10 requests)", "no DPA, and the audit log shows "
	    "requests to it");
	team.n_use = 1;
	uses[0] = uses[1];
	with("dpa = https://example.eu/dpa\n", "", POSTURE_DPA, POSTURE_WARN,
	    "eu (no dpa =)", "no DPA, no request went there yet");
	with("provider = Mistral AI SAS\n", "", POSTURE_DPA, POSTURE_WARN,
	    "no provider =", "a DPA without the provider's name");
	with("subprocessors = https://example.eu/sub\n", "",
	    POSTURE_SUBPROCESSORS, POSTURE_FAIL, "eu (no subprocessors =",
	    "no subprocessor list, requests went there");
	team.n_use = 1;
	uses[0] = uses[1];
	with("subprocessors = https://example.eu/sub\n", "",
	    POSTURE_SUBPROCESSORS, POSTURE_WARN, "eu (no subprocessors =)",
	    "no subprocessor list, no request yet");

	/* The audit log: requests to an upstream no longer configured. */
	facts_reset();
	uses[2] = (struct posture_use){ "old-cloud", 4, 4, 0 };
	team.n_use = 3;
	evaluate(BASE);
	ok(res[POSTURE_DPA].status == POSTURE_FAIL &&
	    res[POSTURE_SUBPROCESSORS].status == POSTURE_FAIL &&
	    res[POSTURE_REGION].status == POSTURE_WARN &&
	    strstr(res[POSTURE_DPA].reason, "old-cloud (no longer configured, "
	    "4 requests)") != NULL, "requests to an upstream that is gone: "
	    "no DPA on file (%s)", res[POSTURE_DPA].reason);
	facts_reset();
}

static void
test_region(void)
{
	with("location = FR\n", "", POSTURE_REGION, POSTURE_WARN,
	    "eu (location not stated)", "no location");
	with("location = FR\n", "location = US\n", POSTURE_REGION,
	    POSTURE_FAIL, "US (its adequacy decision covers certified "
	    "recipients only", "US, transfer left out");
	with("location = FR\n", "location = US\ntransfer = scc\n",
	    POSTURE_REGION, POSTURE_OK, "US (scc)", "US under SCC");
	with("location = FR\n", "location = US\ntransfer = adequacy\n",
	    POSTURE_REGION, POSTURE_OK, "US (adequacy)", "US, certified under "
	    "the Data Privacy Framework");
	with("location = FR\n", "location = US\ntransfer = none\n",
	    POSTURE_REGION, POSTURE_FAIL, "transfer = none is no basis",
	    "US with transfer = none");
	with("location = FR\n", "location = IN\ntransfer = adequacy\n",
	    POSTURE_REGION, POSTURE_FAIL, "no adequacy decision covers it",
	    "adequacy claimed where there is none");
	with("location = FR\n", "location = CH\n", POSTURE_REGION,
	    POSTURE_OK, "CH (adequacy decision)", "Switzerland: derived");
	with("location = FR\n", "location = EU, BR\n", POSTURE_REGION,
	    POSTURE_OK, "EU (EEA), BR (adequacy decision)", "two locations");
	with("location = FR\n", "location = FR, CN\n", POSTURE_REGION,
	    POSTURE_FAIL, "CN (no safeguard stated", "one of two locations "
	    "has no basis");
}

static void
test_retention_training(void)
{
	with("audit_retention_days = 90\n", "", POSTURE_RETENTION,
	    POSTURE_WARN, "without a time limit", "audit records kept "
	    "forever");
	with("provider_retention = 0d\n", "provider_retention = 30d\n",
	    POSTURE_RETENTION, POSTURE_FAIL, "zdr = on, yet "
	    "provider_retention = 30d", "ZDR and 30 days contradict");
	with("provider_retention = 0d\n", "", POSTURE_RETENTION, POSTURE_OK,
	    "eu (zero data retention)", "retention left out under ZDR");
	with("url = https://eu\nregion = eu\nzdr = on\ntraining = none\n",
	    "url = https://eu\nregion = eu\nzdr = on\ntraining = opt-out\n",
	    POSTURE_TRAINING, POSTURE_WARN, "eu (training = opt-out)",
	    "opt-out");
	with("url = https://eu\nregion = eu\nzdr = on\ntraining = none\n",
	    "url = https://eu\nregion = eu\nzdr = on\ntraining = allowed\n",
	    POSTURE_TRAINING, POSTURE_FAIL, "eu (training = allowed)",
	    "training allowed");
}

static void
test_zdr(void)
{
	uses[0].zdr_requests = 7;
	with("zdr = on\ntraining = allowed\n", "zdr = on\ntraining = allowed\n",
	    POSTURE_ZDR, POSTURE_FAIL, "3 of the team's 13 requests sent "
	    "without it", "the audit log: requests without ZDR");
	with("[policy p]\nregions = eu, onprem\nzdr = on\n",
	    "[policy p]\nregions = eu, onprem\nzdr = off\n", POSTURE_ZDR,
	    POSTURE_WARN, "2 of the 2 upstreams it reaches have it",
	    "the policy does not require ZDR");
	with("[upstream eu]\nurl = https://eu\nregion = eu\nzdr = on\n",
	    "[upstream eu]\nurl = https://eu\nregion = eu\nzdr = off\n",
	    POSTURE_ZDR, POSTURE_OK, "(onprem)", "an upstream without ZDR is "
	    "not reached");
}

static void
test_logging_access_spend(void)
{
	chain.ok = 0;
	chain.bad_seq = 17;
	chain.reason = "record 17 was changed";
	with("[policy p]\n", "[policy p]\n", POSTURE_LOGGING, POSTURE_FAIL,
	    "record 17: record 17 was changed", "the chain does not verify");
	with("[policy p]\n", "[policy p]\npii = off\n", POSTURE_LOGGING,
	    POSTURE_WARN, "pii = off", "no PII scan: no categories");
	with("endpoints = inference, models\n", "endpoints = all\n",
	    POSTURE_ACCESS, POSTURE_FAIL, "as all", "endpoints = all");
	with("endpoints = inference, models\n", "endpoints = inference, "
	    "admin\n", POSTURE_ACCESS, POSTURE_FAIL, "administration",
	    "the admin group");
	team.keys_expiring = 1;
	with("[policy p]\n", "[policy p]\n", POSTURE_ACCESS, POSTURE_WARN,
	    "1 of the team's 2 keys never expire", "a key without expiry");
	team.keys = team.keys_expiring = 0;
	with("[policy p]\n", "[policy p]\n", POSTURE_ACCESS, POSTURE_OK,
	    "no usable key", "no key at all");
	team.budget = NULL;
	with("[policy p]\n", "[policy p]\n", POSTURE_SPEND, POSTURE_FAIL,
	    "No budget caps", "no budget anywhere");
	team.budget = NULL;
	with("[gateway]\n", "[gateway]\nbudget = 1000EUR/month\n",
	    POSTURE_SPEND, POSTURE_WARN, "(1000EUR/month)", "only the "
	    "gateway's budget");
	team.budget = NULL;
	team.keys_budget = 2;
	with("[policy p]\n", "[policy p]\n", POSTURE_SPEND, POSTURE_WARN,
	    "each of its 2 keys has one", "budgets per key only");
}

static void
test_self_deployment(void)
{
	with("sensitive_regions = onprem\n", "sensitive_regions = eu, onprem\n",
	    POSTURE_SELF_DEPLOYMENT, POSTURE_FAIL, "go to third-party "
	    "upstreams: eu", "sensitive data may go to the cloud");
	uses[0].sensitive = 2;
	with("[policy p]\n", "[policy p]\n", POSTURE_SELF_DEPLOYMENT,
	    POSTURE_FAIL, "2 requests of the team with sensitive data (raw) "
	    "that went to third-party upstreams: eu (2)", "the audit log: "
	    "sensitive requests went to the cloud");
	with("sensitive = raw\nsensitive_regions = onprem\n", "",
	    POSTURE_SELF_DEPLOYMENT, POSTURE_WARN, "on-premises upstreams: "
	    "onprem", "no data class kept in-house");
	with("sensitive_regions = onprem\n", "sensitive_regions = block\n",
	    POSTURE_SELF_DEPLOYMENT, POSTURE_OK, "it never leaves",
	    "sensitive data blocked");
	with("[upstream onprem]\nurl = http://op\n", "[upstream onprem]\n"
	    "api_key_env = EUGATE_TEST_UNSET_VAR\nurl = http://op\n",
	    POSTURE_SELF_DEPLOYMENT, POSTURE_WARN, "none is enabled",
	    "the on-premises upstream is disabled");
	with("regions = eu, onprem\n", "regions = onprem\n",
	    POSTURE_SELF_DEPLOYMENT, POSTURE_OK, "All of the team's requests "
	    "stay on premises", "on premises only");
}

static void
test_policy_missing(void)
{
	int all = 1;

	team.policy = "gone";
	evaluate(BASE);
	for (int k = 0; k < POSTURE__COUNT; k++)
		all &= res[k].status == POSTURE_FAIL &&
		    strstr(res[k].reason, "policy gone is not configured") !=
		    NULL;
	ok(all, "a team whose policy is not configured fails every check");
	facts_reset();
}

static void
test_transfer_table(void)
{
	const char *basis, *why;

	ok(transfer_assess("DE", TRANSFER_UNSET, &basis, &why) ==
	    TRANSFER_OK && strcmp(basis, "none") == 0, "DE: EEA, no transfer");
	ok(transfer_assess("NO", TRANSFER_UNSET, &basis, &why) ==
	    TRANSFER_OK && strcmp(basis, "none") == 0, "NO: EEA");
	ok(transfer_assess("JP", TRANSFER_UNSET, &basis, &why) ==
	    TRANSFER_OK && strcmp(basis, "adequacy") == 0, "JP: adequacy");
	ok(transfer_assess("UK", TRANSFER_UNSET, &basis, &why) ==
	    TRANSFER_OK && transfer_country("GB") != NULL, "UK and GB");
	ok(transfer_assess("CA", TRANSFER_UNSET, &basis, &why) ==
	    TRANSFER_BAD && transfer_assess("CA", TRANSFER_ADEQUACY, &basis,
	    &why) == TRANSFER_OK, "CA: adequacy for some recipients, stated");
	ok(transfer_assess("SG", TRANSFER_BCR, &basis, &why) == TRANSFER_OK &&
	    strcmp(basis, "bcr") == 0, "SG under binding corporate rules");
	ok(transfer_code_valid("DE") && !transfer_code_valid("de") &&
	    !transfer_code_valid("DEU") && !transfer_code_valid("D"),
	    "codes are two capital letters");
	ok(strlen(transfer_table_date) == 10 && strstr(transfer_table_source,
	    "European Commission") != NULL, "the table says its source and "
	    "date");
}

int
main(void)
{
	snprintf(path, sizeof(path), "/tmp/eugate-test-posture-%d.ini",
	    (int)getpid());
	unsetenv("EUGATE_TEST_UNSET_VAR");
	test_transfer_table();
	test_base();
	test_documents();
	test_region();
	test_retention_training();
	test_zdr();
	test_logging_access_spend();
	test_self_deployment();
	test_policy_missing();
	unlink(path);
	return tap_done();
}
