/*
 * Unit tests of the configuration parser: values, defaults, errors with
 * lines (unknown and repeated keys and sections, continuation lines), the
 * printed configuration loading back to the same settings, the key
 * table's reload column and its enum name tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "common/log.h"
#include "gateway/config_keys.h"
#include "policy/pii_vault.h"
#include "tests/tap.h"

static char path[256];

/* A valid upstream, for files about other sections (lines 1-3). */
#define UP "[upstream a]\nurl = http://x\nregion = eu\n"

static struct config *
load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	return config_load(path, err, errlen);
}

/* The message must be "PATH:LINE: ..." with the given line and words. */
static void
expect_error(const char *text, int line, const char *words, const char *what)
{
	char err[600], prefix[300];
	struct config *cfg = load(text, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	ok(cfg == NULL && strncmp(err, prefix, strlen(prefix)) == 0 &&
	    strstr(err, words) != NULL, "%s (%s)", what, err);
	config_unref(cfg);
}

/* The configuration printed by config_keys_print, without its first
 * line (it names the file). */
static char *
printed(const struct config *cfg)
{
	char *buf = NULL, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	config_keys_print(cfg, f, CONFIG_PRINT_ALL);
	fclose(f);
	nl = strchr(buf, '\n');
	memmove(buf, nl + 1, strlen(nl + 1) + 1);
	return buf;
}

/* A TAP comment naming a key of the table. */
static void
diag_key(const char *what, const struct cfg_key *k)
{
	printf("# %s: [%s] %s\n", what, config_keys_section_name(k->section),
	    k->name);
}

/* Every type but the listed ones takes the policy's pii action. */
static int
all_pii(const struct policy_conf *p, int action)
{
	for (int t = 0; t < PII__COUNT; t++)
		if (p->pii_actions[t] != action)
			return 0;
	return 1;
}

static void
test_defaults(void)
{
	char err[600];
	struct config *cfg;
	const struct policy_conf *p;

	cfg = load(UP "[policy p]\nregions = eu\n", err, sizeof(err));
	p = cfg ? config_policy(cfg, "p") : NULL;
	ok(p != NULL && p->pii == PII_ACT_PSEUDONYMIZE &&
	    all_pii(p, PII_ACT_PSEUDONYMIZE),
	    "a policy without a pii line pseudonymizes every type (%s)", err);
	p = cfg ? config_policy(cfg, "default") : NULL;
	ok(p != NULL && all_pii(p, PII_ACT_PSEUDONYMIZE),
	    "so does the implicit default policy");
	config_unref(cfg);

	cfg = load(UP "[policy empty]\n", err, sizeof(err));
	p = cfg ? config_policy(cfg, "empty") : NULL;
	ok(p != NULL && p->line == 4 && p->pii_unscannable == 1 &&
	    p->models_deny.n == 1, "an empty section exists, with defaults");
	config_unref(cfg);

	cfg = config_load(NULL, err, sizeof(err));
	p = cfg ? config_policy(cfg, "default") : NULL;
	ok(p != NULL && all_pii(p, PII_ACT_PSEUDONYMIZE),
	    "the built-in defaults pseudonymize");
	config_unref(cfg);
}

static void
test_duplicates(void)
{
	expect_error("[gateway]\nlisten = 127.0.0.1:1\n; note\n\n"
	    "listen = 127.0.0.1:2\n" UP, 5,
	    "duplicate key 'listen' (first at line 2)",
	    "duplicate key in [gateway]");
	expect_error(UP "priority = 1\nweight = 2\nregion = us\n", 6,
	    "duplicate key 'region' (first at line 3)",
	    "duplicate key in [upstream]");
	expect_error(UP "[policy p]\npii = off\nregions = eu\npii = block\n",
	    7, "duplicate key 'pii' (first at line 5)",
	    "duplicate key in [policy]");
	expect_error(UP "[policy p]\npii_allow = a@b.example\n"
	    "pii_allow = c@d.example\n", 6,
	    "duplicate key 'pii_allow' (first at line 5)",
	    "a repeated list key is an error, not a longer list");
	expect_error("[gateway]\nlisten = 127.0.0.1:1\n" UP
	    "[gateway]\nlog_level = debug\n", 6,
	    "duplicate section [gateway] (first at line 1)",
	    "duplicate [gateway]");
	expect_error(UP "[upstream b]\nurl = http://y\nregion = eu\n"
	    "[upstream a]\nregion = us\n", 7,
	    "duplicate section [upstream a] (first at line 1)",
	    "duplicate [upstream a]");
	expect_error(UP "[policy a]\npii = off\n[policy b]\n[policy a]\n", 7,
	    "duplicate section [policy a] (first at line 4)",
	    "duplicate [policy a]");
	expect_error(UP "[policy a]\n[policy  a]\n", 5,
	    "duplicate section [policy a] (first at line 4)",
	    "duplicate empty [policy a], spelt with two spaces");
	expect_error(UP "[policy p]\npii = off\n\n\n[gateway]\nbad line\n"
	    "[policy p]\n", 9, "syntax error",
	    "the first error by line is reported (libinih goes on)");
}

static void
test_continuation(void)
{
	char err[600];
	struct config *cfg;
	const struct policy_conf *p;

	cfg = load(UP "models = a-*,\n   b-*   ; inline comment\n\n\tc-*\n"
	    "[policy p]\n  pii = redact\npii_allow = x@y.example,\n"
	    "    +49 30 0000000, z=1\n", err, sizeof(err));
	p = cfg ? config_policy(cfg, "p") : NULL;
	ok(cfg != NULL && cfg->upstreams[0].models.n == 3 &&
	    strcmp(cfg->upstreams[0].models.v[1], "b-*") == 0 &&
	    strcmp(cfg->upstreams[0].models.v[2], "c-*") == 0,
	    "continuation lines add to a list (%s)", err);
	ok(p != NULL && p->pii == PII_ACT_REDACT && p->pii_allow.n == 3 &&
	    strcmp(p->pii_allow.v[2], "z=1") == 0,
	    "an indented first key is a key; a list goes on (%s)", err);
	config_unref(cfg);

	expect_error(UP "[policy p]\npii = off\n   block\n", 6,
	    "indented line after 'pii' (line 5)",
	    "a continuation of a one-value key is an error");
	expect_error(UP "[policy p]\nmodels = *\n  regions = eu\n", 6,
	    "do not indent keys", "an indented key is not a value");
	expect_error(UP "[policy p]\nmodels = *\n  [policy q]\n", 6,
	    "do not indent keys or sections",
	    "an indented section is not a value");
	expect_error(UP "[policy p]\nmodels = *\n  models = x\n", 6,
	    "indented line after 'models'",
	    "an indented repeat is refused, as a repeat would be");
	expect_error("listen = 127.0.0.1:1\n" UP, 1, "before any section",
	    "a key before any section");
}

static void
test_names(void)
{
	char err[600], text[600], a[80], b[80];
	struct config *cfg;

	/* libinih cuts section names at 49 bytes; eugate reads them whole. */
	memset(a, 'x', 60);
	a[60] = '\0';
	memcpy(b, a, 61);
	b[59] = 'y';
	snprintf(text, sizeof(text), UP "[policy %s]\npii = off\n"
	    "[policy %s]\npii = block\n", a, b);
	cfg = load(text, err, sizeof(err));
	ok(cfg != NULL && config_policy(cfg, a) != NULL &&
	    config_policy(cfg, a)->pii == PII_ACT_OFF &&
	    config_policy(cfg, b) != NULL &&
	    config_policy(cfg, b)->pii == PII_ACT_BLOCK,
	    "long policy names are whole: two of 60 bytes differ (%s)", err);
	config_unref(cfg);
	expect_error(UP "[policy p]\npii_block = IBAN\npii_off = PHONE, IBAN\n",
	    4, "IBAN is in both pii_off and pii_block",
	    "a PII type in two action lists is a contradiction");
}

static void
test_print(void)
{
	char err[600], *one, *two;
	struct config *cfg, *again;
	FILE *f;

	cfg = load("[gateway]\nlisten = 127.0.0.1:0\nclient_idle_timeout = "
	    "1500ms\nmax_body_bytes = 1536k\naudit_retention_days = 0.00004\n"
	    "budget = 100EUR/month\nlog_level = warn\n"
	    "[upstream a]\nurl = http://x/\nregion = eu\nkind = openai\n"
	    "models = one-*, two-*, three-*, four-*, five-*, six-*, seven-*,\n"
	    "  eight-*, nine-*, ten-*, eleven-*, twelve-*, thirteen-*\n"
	    "[policy p]\npii = redact\npii_block = IBAN, CREDIT_CARD\n"
	    "pii_off = IP_ADDRESS\npii_redact = EMAIL\nregions = eu\n"
	    "sensitive = raw\nsensitive_regions = block\n"
	    "[policy q]\npii = off\npii_pseudonymize = EMAIL, PHONE, IBAN, "
	    "CREDIT_CARD, EU_VAT, DE_TAX_ID, DE_SVNR, FR_NIR,\n"
	    "  ES_DNI, ES_NIE, IT_FISCAL_CODE, NL_BSN, BE_NATIONAL_NUMBER,\n"
	    "  PL_PESEL, SE_PERSONNUMMER, FI_HETU, DK_CPR, AT_SVNR, PT_NIF,\n"
	    "  IE_PPSN, UK_NINO, SECRET, PERSON\n", err, sizeof(err));
	ok(cfg != NULL, "a file for printing loads (%s)", err);
	if (cfg == NULL)
		return;
	one = printed(cfg);
	ok(strstr(one, "\n[policy p]\n") != NULL &&
	    strstr(one, "\npii = redact\n") != NULL &&
	    strstr(one, "\npii_block = IBAN, CREDIT_CARD\n") != NULL &&
	    strstr(one, "\npii_off = IP_ADDRESS\n") != NULL &&
	    strstr(one, "\n; pii_redact =\n") != NULL,
	    "pii actions printed resolved: only the types that differ");
	ok(strstr(one, "\nclient_idle_timeout = 1500ms\n") != NULL &&
	    strstr(one, "\nmax_body_bytes = 1536k\n") != NULL &&
	    strstr(one, "\nlog_level = warn\n") != NULL &&
	    strstr(one, "\n; tls_cert =\n") != NULL &&
	    strstr(one, "\n[upstream a]\nurl = http://x\nkind = openai\n") !=
	    NULL, "units, enums by name, unset keys as comments");
	f = fopen(path, "w");
	fputs(one, f);
	fclose(f);
	again = config_load(path, err, sizeof(err));
	ok(again != NULL, "the printed configuration loads (%s)", err);
	if (again != NULL) {
		two = printed(again);
		is_str(two, one, "... to the same settings, printed the same");
		ok(again->audit_retention_ms == cfg->audit_retention_ms &&
		    again->upstreams[0].models.n == 13 &&
		    config_policy(again, "q")->pii_actions[PII_PERSON] ==
		    PII_ACT_PSEUDONYMIZE &&
		    config_policy(again, "q")->pii_actions[PII_IP_ADDRESS] ==
		    PII_ACT_OFF,
		    "fractional days, wrapped lists, long pii lists");
		free(two);
	}
	config_unref(again);
	free(one);
	config_unref(cfg);
}

/*
 * Every key says when a change takes effect; the reload compares [gateway]
 * keys only, so the other sections' keys must all be reloadable.
 */
static void
test_apply_column(void)
{
	static const char *const restart[] = { "listen", "admin_listen",
		"tls_cert", "tls_key", "data_dir", "workers", "storage_sync" };
	size_t unset = 0, bad = 0, n_restart = 0;

	for (size_t i = 0; i < config_keys_count(); i++) {
		const struct cfg_key *k = config_keys_at(i);

		if (k->apply != CFG_RELOAD && k->apply != CFG_RESTART) {
			diag_key("no reload column", k);
			unset++;
		}
		if (k->apply == CFG_RESTART && k->section != CFG_SEC_GATEWAY) {
			diag_key("start-only outside [gateway]", k);
			bad++;
		}
		n_restart += k->apply == CFG_RESTART;
	}
	ok(config_keys_count() > 60 && unset == 0,
	    "every key of the table says whether SIGHUP applies it");
	ok(bad == 0 && n_restart > 0, "only [gateway] keys need a restart");
	for (size_t i = 0; i < sizeof(restart) / sizeof(restart[0]); i++) {
		const struct cfg_key *k = config_keys_find(CFG_SEC_GATEWAY,
		    restart[i]);

		ok(k != NULL && k->apply == CFG_RESTART, "%s needs a restart",
		    restart[i]);
	}
	ok(config_keys_find(CFG_SEC_GATEWAY, "log_level")->apply ==
	    CFG_RELOAD && config_keys_find(CFG_SEC_GATEWAY,
	    "max_headers")->apply == CFG_RELOAD &&
	    config_keys_find(CFG_SEC_POLICY, "pii")->apply == CFG_RELOAD,
	    "log_level, limits and policies are reloadable");
}

/* The enum keys and how many values their enum has. */
static const struct {
	int section;
	const char *name;
	int count;
} enums[] = {
	{ CFG_SEC_GATEWAY, "log_level", LOG_DEBUG + 1 },
	{ CFG_SEC_GATEWAY, "log_format", LOG_FMT_JSON + 1 },
	{ CFG_SEC_GATEWAY, "storage_sync", STORAGE_SYNC_FULL + 1 },
	{ CFG_SEC_GATEWAY, "over_budget", 2 },
	{ CFG_SEC_GATEWAY, "console", 2 },
	{ CFG_SEC_GATEWAY, "console_cookie_secure", 2 },
	{ CFG_SEC_UPSTREAM, "kind", UPSTREAM_OPENAI + 1 },
	{ CFG_SEC_UPSTREAM, "zdr", 2 },
	{ CFG_SEC_UPSTREAM, "endpoints", ENDPOINTS_INFERENCE + 1 },
	{ CFG_SEC_UPSTREAM, "training", TRAINING_ALLOWED + 1 },
	{ CFG_SEC_UPSTREAM, "pricing", PRICING_OWN + 1 },
	{ CFG_SEC_POLICY, "zdr", 2 },
	{ CFG_SEC_POLICY, "training", TRAINING_ALLOWED + 1 },
	{ CFG_SEC_POLICY, "service_tier", TIER_STANDARD_ONLY + 1 },
	{ CFG_SEC_POLICY, "safe_prompt", FORCE_OFF + 1 },
	{ CFG_SEC_POLICY, "pii", PII_ACT_BLOCK + 1 },
	{ CFG_SEC_POLICY, "pii_unscannable", 2 },
	{ CFG_SEC_POLICY, "shared_objects", 2 },
};

/* How many entries of k's name table have a value: -1 for a name whose
 * parse does not give its value back. */
static int
names_of(const struct cfg_key *k, int value)
{
	union {
		struct config g;
		struct upstream_conf u;
		struct policy_conf p;
	} base;
	char err[128];
	int n = 0;

	for (int i = 0; k->names[i].name != NULL; i++) {
		memset(&base, 0xff, sizeof(base));
		if (k->names[i].value != value)
			continue;
		if (config_keys_set(k, &base, k->names[i].name, 0, err,
		    sizeof(err)) != 0 ||
		    *(int *)((char *)&base + k->offset) != value)
			return -1;
		n++;
	}
	return n;
}

static void
test_enum_names(void)
{
	size_t n_enum = 0, listed = 0, odd = 0;

	for (size_t i = 0; i < config_keys_count(); i++) {
		const struct cfg_key *k = config_keys_at(i);

		if ((k->type == CFG_ENUM) != (k->names != NULL)) {
			diag_key("names and type disagree", k);
			odd++;
		}
		n_enum += k->type == CFG_ENUM;
	}
	ok(odd == 0, "enum keys, and only they, have a name table");
	for (size_t e = 0; e < sizeof(enums) / sizeof(enums[0]); e++) {
		const struct cfg_key *k = config_keys_find(enums[e].section,
		    enums[e].name);
		int good = k != NULL && k->type == CFG_ENUM, extra = 0;

		for (int v = 0; good && v < enums[e].count; v++)
			good = names_of(k, v) == 1;
		for (int i = 0; good && k->names[i].name != NULL; i++)
			extra += k->names[i].value < 0 ||
			    k->names[i].value >= enums[e].count;
		ok(good && extra == 0, "[%s] %s: each of its %d values has one "
		    "name, which parses back to it",
		    config_keys_section_name(enums[e].section), enums[e].name,
		    enums[e].count);
		listed += k != NULL && k->type == CFG_ENUM;
	}
	/* transfer: left out (derived from location) has no name. */
	{
		const struct cfg_key *k = config_keys_find(CFG_SEC_UPSTREAM,
		    "transfer");
		int good = k != NULL && names_of(k, TRANSFER_UNSET) == 0;

		for (int v = TRANSFER_NONE; good && v <= TRANSFER_BCR; v++)
			good = names_of(k, v) == 1;
		ok(good, "[upstream] transfer: none, adequacy, scc, bcr; left "
		    "out it has no name");
		listed += k != NULL;
	}
	/* store: the client's, or forced off (no "on"). */
	{
		const struct cfg_key *k = config_keys_find(CFG_SEC_POLICY,
		    "store");

		ok(k != NULL && names_of(k, FORCE_CLIENT) == 1 &&
		    names_of(k, FORCE_OFF) == 1 && names_of(k, FORCE_ON) == 0,
		    "[policy] store: client or off");
		listed += k != NULL;
	}
	is_int(listed, n_enum, "every enum key of the table is checked here");
	ok(config_keys_enum_name(config_keys_find(CFG_SEC_POLICY, "pii"),
	    PII_ACT_PSEUDONYMIZE) != NULL && strcmp(config_keys_enum_name(
	    config_keys_find(CFG_SEC_POLICY, "pii"), PII_ACT_PSEUDONYMIZE),
	    "pseudonymize") == 0 && config_keys_enum_name(config_keys_find(
	    CFG_SEC_UPSTREAM, "kind"), 7) == NULL,
	    "config_keys_enum_name: by value; none for an unknown value");
}

/* config_keys_same and config_keys_copy, which the reload uses to keep
 * the running value of a key that needs a restart. */
/*
 * The facts for the posture and the Art. 30 record: all optional, left
 * out they are unset (never an error); malformed ones are errors.
 */
static void
test_contract(void)
{
	char err[600], *text;
	struct config *cfg, *again;
	const struct upstream_conf *u;
	const struct policy_conf *p;

	cfg = load(UP "[policy p]\n", err, sizeof(err));
	u = cfg ? &cfg->upstreams[0] : NULL;
	p = cfg ? config_policy(cfg, "p") : NULL;
	ok(cfg != NULL && cfg->controller == NULL && cfg->dpo == NULL &&
	    u->provider == NULL && u->location.n == 0 && u->dpa == NULL &&
	    u->subprocessors == NULL && u->provider_retention_days == -1 &&
	    u->transfer == TRANSFER_UNSET && p->purpose == NULL &&
	    p->legal_basis == NULL && p->data_subjects.n == 0,
	    "left out, every compliance fact is unset (%s)", err);
	config_unref(cfg);

	cfg = load("[gateway]\ncontroller = Example GmbH, Berlin\n"
	    "dpo = dpo@example.com\n" UP "provider = Mistral AI SAS\n"
	    "location = EU, US\ndpa = https://x/dpa\nsubprocessors = "
	    "https://x/sub\nprovider_retention = 30d\ntransfer = scc\n"
	    "[policy p]\npurpose = support\nlegal_basis = Art. 6(1)(b) "
	    "GDPR\ndata_subjects = customers, employees\n", err, sizeof(err));
	u = cfg ? &cfg->upstreams[0] : NULL;
	p = cfg ? config_policy(cfg, "p") : NULL;
	ok(cfg != NULL && strcmp(cfg->controller, "Example GmbH, Berlin") ==
	    0 && strcmp(cfg->dpo, "dpo@example.com") == 0 &&
	    strcmp(u->provider, "Mistral AI SAS") == 0 && u->location.n == 2 &&
	    strcmp(u->location.v[1], "US") == 0 &&
	    u->provider_retention_days == 30 && u->transfer == TRANSFER_SCC &&
	    strcmp(p->legal_basis, "Art. 6(1)(b) GDPR") == 0 &&
	    p->data_subjects.n == 2, "every compliance fact is read (%s)",
	    err);
	text = cfg ? printed(cfg) : NULL;
	again = text ? load(text, err, sizeof(err)) : NULL;
	ok(again != NULL && again->upstreams[0].transfer == TRANSFER_SCC &&
	    again->upstreams[0].provider_retention_days == 30 &&
	    strstr(text, "location = EU, US\n") != NULL &&
	    strstr(text, "transfer = scc\n") != NULL,
	    "they print and load back (%s)", err);
	free(text);
	config_unref(again);
	config_unref(cfg);
	cfg = load(UP "provider_retention = 0d\n", err, sizeof(err));
	ok(cfg != NULL && cfg->upstreams[0].provider_retention_days == 0,
	    "provider_retention = 0d is zero days, not unset");
	text = cfg ? printed(cfg) : NULL;
	ok(text != NULL && strstr(text, "; transfer =\n") != NULL,
	    "transfer left out prints as a comment");
	free(text);
	config_unref(cfg);

	expect_error(UP "location = Germany\n", 1, "location: 'Germany' is "
	    "not an ISO 3166 country code", "location: a country name");
	expect_error(UP "location = de\n", 1, "'de' is not an ISO 3166",
	    "location: lower case");
	expect_error(UP "provider_retention = 30\n", 1, "provider_retention: "
	    "'30' is not a number of days", "provider_retention without d");
	expect_error(UP "provider_retention = 30 days\n", 1,
	    "provider_retention", "provider_retention in words");
	expect_error(UP "transfer = dpf\n", 4, "transfer: unknown value "
	    "'dpf'", "transfer: not a basis");
}

static void
test_same_copy(void)
{
	char err[600];
	struct config *a, *b;
	const struct cfg_key *listen = config_keys_find(CFG_SEC_GATEWAY,
	    "listen");
	const struct cfg_key *tls = config_keys_find(CFG_SEC_GATEWAY,
	    "tls_cert");
	const struct cfg_key *fwd = config_keys_find(CFG_SEC_GATEWAY,
	    "forward_headers");
	const struct cfg_key *workers = config_keys_find(CFG_SEC_GATEWAY,
	    "workers");
	const struct cfg_key *sync = config_keys_find(CFG_SEC_GATEWAY,
	    "storage_sync");

	a = load("[gateway]\nlisten = 127.0.0.1:1\nworkers = 3\n" UP, err,
	    sizeof(err));
	b = load("[gateway]\nlisten = 127.0.0.1:2\nworkers = 3\n"
	    "storage_sync = full\nforward_headers = accept, x-a\n"
	    "tls_cert = /c.pem\ntls_key = /k.pem\n" UP, err, sizeof(err));
	ok(a != NULL && b != NULL, "two configurations load (%s)", err);
	if (a == NULL || b == NULL)
		goto out;
	ok(!config_keys_same(listen, a, b) && !config_keys_same(tls, a, b) &&
	    !config_keys_same(fwd, a, b) && !config_keys_same(sync, a, b) &&
	    config_keys_same(workers, a, b) && config_keys_same(listen, a, a),
	    "config_keys_same: strings, unset strings, lists, enums, numbers");
	config_keys_copy(listen, b, a);
	config_keys_copy(tls, b, a);
	config_keys_copy(fwd, b, a);
	config_keys_copy(sync, b, a);
	ok(strcmp(b->listen, "127.0.0.1:1") == 0 && b->tls_cert == NULL &&
	    b->forward_headers.n == a->forward_headers.n &&
	    b->storage_sync == STORAGE_SYNC_NORMAL &&
	    config_keys_same(listen, a, b) && config_keys_same(fwd, a, b) &&
	    config_keys_same(tls, a, b) && config_keys_same(sync, a, b),
	    "config_keys_copy: the value is copied, the old one freed");
out:
	config_unref(a);
	config_unref(b);
}

int
main(void)
{
	char err[600];
	struct config *cfg;

	snprintf(path, sizeof(path), "/tmp/eugate-test-config-%d.ini",
	    (int)getpid());
	unsetenv("MISTRAL_API_KEY");
	setenv("EUGATE_TEST_KEY", "sk-test", 1);

	cfg = config_load(NULL, err, sizeof(err));
	ok(cfg != NULL, "built-in defaults load");
	is_str(cfg->listen, "127.0.0.1:8080", "default listen");
	is_str(cfg->data_dir, "./var", "default data_dir");
	is_int(cfg->n_upstreams, 2, "two built-in upstreams");
	is_int(cfg->upstreams[0].enabled, 0, "mistral off without its key");
	is_int(cfg->upstreams[1].enabled, 1, "demo upstream on");
	is_str(cfg->upstreams[1].url, "http://127.0.0.1:8090", "demo url");
	ok(config_policy(cfg, "default") != NULL, "default policy exists");
	is_int(cfg->max_body_bytes, 16 * 1024 * 1024, "default body cap");
	config_unref(cfg);

	setenv("MISTRAL_API_KEY", "sk-real", 1);
	cfg = config_load(NULL, err, sizeof(err));
	ok(cfg != NULL && cfg->upstreams[0].enabled &&
	    strcmp(cfg->upstreams[0].api_key, "sk-real") == 0,
	    "with MISTRAL_API_KEY the cloud upstream is on and first");
	ok(cfg != NULL && !cfg->upstreams[1].enabled,
	    "with MISTRAL_API_KEY the demo upstream is off (unless_env)");
	ok(cfg != NULL && strcmp(cfg->upstreams[0].region, "eu") == 0 &&
	    strcmp(cfg->upstreams[0].url, "https://api.eu.mistral.ai") == 0,
	    "the built-in cloud upstream is Mistral's EU endpoint");
	config_unref(cfg);
	unsetenv("MISTRAL_API_KEY");

	cfg = load("[gateway]\nlisten = 127.0.0.1:0   ; inline comment\n"
	    "max_body_bytes = 2m\nclient_idle_timeout = 1500ms\n"
	    "upstream_total_timeout = 2m\nlog_level = debug\n"
	    "[upstream a]\nurl = http://127.0.0.1:9/base/\nkind = openai\n"
	    "region = onprem\nmodels = open-*, mistral-7b\n"
	    "api_key_env = EUGATE_TEST_KEY\n"
	    "[policy strict]\nmodels = open-*\n", err, sizeof(err));
	ok(cfg != NULL, "a full file loads (%s)", err);
	if (cfg != NULL) {
		is_str(cfg->listen, "127.0.0.1:0", "inline comment stripped");
		is_int(cfg->max_body_bytes, 2 * 1024 * 1024, "size suffix");
		is_int(cfg->client_idle_timeout_ms, 1500, "ms duration");
		is_int(cfg->upstream_total_timeout_ms, 120000, "m duration");
		is_int(cfg->log_level, 3, "log level enum");
		is_str(cfg->upstreams[0].url, "http://127.0.0.1:9/base",
		    "trailing slash dropped");
		is_int(cfg->upstreams[0].kind, UPSTREAM_OPENAI, "kind");
		is_int(cfg->upstreams[0].models.n, 2, "model globs");
		is_str(cfg->upstreams[0].models.v[1], "mistral-7b",
		    "glob trimmed");
		is_str(cfg->upstreams[0].api_key, "sk-test", "key from env");
		ok(config_policy(cfg, "strict") != NULL &&
		    config_policy(cfg, "default") != NULL,
		    "named policy plus implicit default");
	}
	config_unref(cfg);

	cfg = load("[upstream a]\nurl = http://a\nregion = eu\nzdr = on\n"
	    "training = none\npriority = 2\nweight = 3\nfail_threshold = 0\n"
	    "cooldown = 5s\nhealth_path = /v1/models\n"
	    "[policy p]\nregions = eu, onprem\nzdr = on\ntraining = none\n"
	    "pii_detect = NL_BSN\nsensitive = NATIONAL_ID, raw\n"
	    "sensitive_regions = onprem\nservice_tier = standard_only\n"
	    "safe_prompt = on\nstore = off\n", err, sizeof(err));
	ok(cfg != NULL, "routing keys load (%s)", err);
	if (cfg != NULL) {
		const struct upstream_conf *u = &cfg->upstreams[0];
		const struct policy_conf *p = config_policy(cfg, "p");
		const struct policy_conf *d = config_policy(cfg, "default");

		ok(u->zdr && u->training == TRAINING_NONE && u->priority == 2 &&
		    u->weight == 3 && u->fail_threshold == 0 &&
		    u->cooldown_ms == 5000 &&
		    strcmp(u->health_path, "/v1/models") == 0,
		    "upstream flags, balancing and health keys");
		ok(p->regions.n == 2 && p->zdr &&
		    p->training == TRAINING_NONE &&
		    p->service_tier == TIER_STANDARD_ONLY &&
		    p->safe_prompt == FORCE_ON && p->store == FORCE_OFF,
		    "policy regions, zdr, training and forced fields");
		ok(p->sensitive_types[PII_NL_BSN] &&
		    p->sensitive_types[PII_FR_NIR] &&
		    !p->sensitive_types[PII_EMAIL] && p->sensitive_raw &&
		    !p->sensitive_block, "sensitive: NATIONAL_ID is the group");
		ok(d->models_deny.n == 1 &&
		    strcmp(d->models_deny.v[0], "labs-*") == 0 &&
		    d->regions.n == 1 && strcmp(d->regions.v[0], "*") == 0 &&
		    d->training == TRAINING_OPT_OUT && !d->zdr,
		    "policy defaults: labs-* denied, any region, opt-out");
	}
	config_unref(cfg);

	cfg = load("[gateway]\nlog_format = json\n"
	    "[upstream a]\nurl = http://a\nregion = eu\n", err, sizeof(err));
	ok(cfg != NULL && cfg->log_format == 1, "log_format = json (%s)", err);
	config_unref(cfg);
	expect_error("[gateway]\nlog_format = xml\n", 2, "log_format",
	    "log_format: text or json");
	expect_error("[upstream a]\nurl = http://x\n", 1, "region is required",
	    "an upstream needs a region");
	expect_error("[upstream a]\nurl = http://x\nregion = e u\n", 1,
	    "region 'e u'", "a region is a label");
	expect_error("[upstream a]\nurl = http://x\nregion = eu\n"
	    "health_path = v1\n", 1, "health_path must start",
	    "health_path is a path");
	expect_error("[upstream a]\nurl = http://x\nregion = eu\n"
	    "[policy p]\nregions = *, eu\n", 4, "not a region",
	    "* stands alone in regions");
	expect_error("[upstream a]\nurl = http://x\nregion = eu\n"
	    "[policy p]\nsensitive = NL_BSN\n", 4, "go together",
	    "sensitive needs sensitive_regions");
	expect_error("[upstream a]\nurl = http://x\nregion = eu\n"
	    "[policy p]\nsensitive = HEALTHY\nsensitive_regions = block\n",
	    4, "unknown PII type 'HEALTHY'", "sensitive: unknown type");
	expect_error("[upstream a]\nurl = http://x\nregion = eu\n"
	    "[policy p]\npii = off\nsensitive = IBAN\n"
	    "sensitive_regions = onprem\n", 4, "never found",
	    "sensitive: a type the policy does not scan");
	expect_error("[upstream a]\nurl = http://x\nregion = eu\n"
	    "zdr = maybe\n", 4, "zdr: unknown value", "zdr is on or off");

	expect_error("[gateway]\nlisten = 1.2.3.4:1\nbogus = 1\n", 3,
	    "unknown key 'bogus'", "unknown key is an error with its line");
	expect_error("[gateway]\n\n[gatewy]\nlisten = x:1\n", 3,
	    "unknown section", "unknown section, at its header");
	expect_error("[upstream a]\nurl = http://x\nkind = grpc\n", 3,
	    "kind: unknown value 'grpc'", "bad enum");
	expect_error("[gateway]\nmax_body_bytes = 12q\n"
	    "[upstream a]\nurl=http://x\n", 2, "max_body_bytes: invalid size",
	    "bad size");
	expect_error("[gateway]\nmax_body_bytes = 1\n", 2, "out of range",
	    "size out of range");
	expect_error("[gateway]\nclient_idle_timeout = 10\n", 2,
	    "invalid duration", "duration needs a unit");
	expect_error("[upstream a]\nkind = openai\n", 1, "url is required",
	    "upstream without url");
	expect_error("[upstream a]\nurl = ftp://x\n", 1, "url must start",
	    "upstream with a bad scheme");
	/* Credentials in a URL: refused, and never echoed. */
	{
		static const char *const bad[] = {
			"[upstream a]\nurl = https://u:s3cr3t@x\nregion = eu\n",
			"[upstream a]\nurl = http://s3cr3t@x:80/v1\n"
			    "region = eu\n",
			UP "[gateway]\notlp_endpoint = http://u:s3cr3t@c\n",
		};
		char err[600];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct config *cfg = load(bad[i], err, sizeof(err));

			ok(cfg == NULL && strstr(err, "must not hold "
			    "credentials") != NULL && strstr(err, "s3cr3t") ==
			    NULL, "credentials in a URL refused, not echoed "
			    "(%s)", err);
			config_unref(cfg);
		}
		struct config *cfg = load("[upstream a]\nurl = http://x/a@b\n"
		    "region = eu\n", err, sizeof(err));

		ok(cfg != NULL, "an @ in a URL's path is no credential (%s)",
		    cfg != NULL ? "" : err);
		config_unref(cfg);
	}
	expect_error("[gateway]\nlisten = 8080\n[upstream a]\nurl = http://x\n",
	    1, "listen: expected HOST:PORT", "listen without host");
	expect_error("[gateway]\nlisten = 127.0.0.1:0\n", 1,
	    "no [upstream NAME]", "no upstream at all");
	expect_error("[upstream a]\nurl = https://x\nregion = eu\n"
	    "api_key_env = EUGATE_NOPE\n", 1, "no usable upstream",
	    "only upstream lacks its key");
	expect_error("[upstream a b]\nurl = http://x\n", 1, "unknown section",
	    "section names are one word");
	expect_error(UP "[polcy p]\n", 4, "unknown section [polcy p]",
	    "an empty unknown section is an error too");
	expect_error("this is not ini\n", 1, "syntax error", "syntax error");
	expect_error("[gateway]\ntls_cert = /x.pem\n"
	    "[upstream a]\nurl=http://x\n", 1, "tls_cert and tls_key",
	    "tls needs both files");

	test_defaults();
	test_duplicates();
	test_continuation();
	test_names();
	test_print();
	test_apply_column();
	test_enum_names();
	test_contract();
	test_same_copy();

	cfg = config_load("/nonexistent/eugate.ini", err, sizeof(err));
	ok(cfg == NULL && strstr(err, "/nonexistent/eugate.ini:0: cannot open")
	    != NULL, "missing file named in the error");
	unlink(path);
	return tap_done();
}
