/*
 * Unit tests of the secrets detector (policy/pii_secrets.c): provider
 * key shapes, JWTs, key blocks, credentials in URLs, headers and command
 * lines, and values assigned to secret names in code, JSON, YAML, .env
 * and shell; words, placeholders, code references, hashes and UUIDs under
 * other names stay.
 */
#include <stdio.h>
#include <string.h>

#include "policy/pii.h"
#include "tests/tap.h"

static struct pii_engine *eng;

static const char *
scan(const char *text)
{
	static char out[2048];
	unsigned char en[PII__COUNT];
	struct pii_matches m = { NULL, 0, 0 };
	size_t k = 0;

	memset(en, 0, sizeof(en));
	en[PII_SECRET] = 1;
	out[0] = '\0';
	if (pii_scan(eng, text, strlen(text), en, &m) != 0)
		return "ERROR";
	for (size_t i = 0; i < m.n && k < sizeof(out); i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s[%.*s]",
		    k ? " " : "", (int)(m.v[i].end - m.v[i].start),
		    text + m.v[i].start);
	pii_matches_free(&m);
	return out;
}

static void
test_shapes(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "key AKIAIOSFODNN7EXAMPLE", "[AKIAIOSFODNN7EXAMPLE]" },
		{ "AIzaSyD-1234567890abcdefghijklmnopqrstu",
		  "[AIzaSyD-1234567890abcdefghijklmnopqrstu]" },
		{ "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",
		  "[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]" },
		{ "glpat-abcdefghij0123456789",
		  "[glpat-abcdefghij0123456789]" },
		{ "xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1",
		  "[xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1]" },
		{ "sk_live_ReTllpYQYfIZu2Jnf2lAPFjD",
		  "[sk_live_ReTllpYQYfIZu2Jnf2lAPFjD]" },
		{ "sk-proj-Xi8tcNiHV9awbCcvilTeT3BlbkFJ3UDn",
		  "[sk-proj-Xi8tcNiHV9awbCcvilTeT3BlbkFJ3UDn]" },
		{ "sk-ant-api03-abc123xyz-456def789ghij-klmnop",
		  "[sk-ant-api03-abc123xyz-456def789ghij-klmnop]" },
		{ "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",
		  "[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]" },
		{ "7213808860:AAH1bjqpKKW3maRSPAxzIU-0v6xNuq2-NjM",
		  "[7213808860:AAH1bjqpKKW3maRSPAxzIU-0v6xNuq2-NjM]" },
		{ "MZ1yGvKTjE0rY0cV8i47CjAa.uRHQPq.Xb1Mk2nEhe-4iUcrGOuegj57zMC",
		  "[MZ1yGvKTjE0rY0cV8i47CjAa.uRHQPq."
		  "Xb1Mk2nEhe-4iUcrGOuegj57zMC]" },
		{ "client_secret .IQ8Q~79R7TOWOspFnWcEG-dYt4KXqFqxK16cxr",
		  "[.IQ8Q~79R7TOWOspFnWcEG-dYt4KXqFqxK16cxr]" },
		{ "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmn",
		  "[eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmn]" },
		{ "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.",
		  "[eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.]" },
		{ "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n"
		  "-----END RSA PRIVATE KEY----- done",
		  "[-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n"
		  "-----END RSA PRIVATE KEY-----]" },
		{ "https://hooks.slack.com/services/T024TTTTT/BBB72BBL/"
		  "AZAAA9u0p",
		  "[https://hooks.slack.com/services/T024TTTTT/BBB72BBL/"
		  "AZAAA9u0p]" },
		/* Not secrets. */
		{ "skip sk-learn and AKIA plus ghp_short", "" },
		{ "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(scan(cases[i].text), cases[i].want, cases[i].text);
}

static void
test_assignments(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "postgres://admin:S3cr3t!@db.example.com/app",
		  "[postgres://admin:S3cr3t!@]" },
		{ "Server=db;User Id=sa;Password=Xy7#kq9Lm;",
		  "[Xy7#kq9Lm]" },
		{ "export API_KEY=a8F3kd92LmQ0zT", "[a8F3kd92LmQ0zT]" },
		{ "DB_PASS='hunter2x'", "[hunter2x]" },
		{ "\"password\": \"P@ssw0rd$1\"", "[P@ssw0rd$1]" },
		{ "client_secret: 6dca6432e45d933e13650d1882bd5e69",
		  "[6dca6432e45d933e13650d1882bd5e69]" },
		{ "const HEROKU_KEY = \"12345678-ABCD-ABCD-ABCD-1234567890AB\"",
		  "[12345678-ABCD-ABCD-ABCD-1234567890AB]" },
		{ "SNYK_API_KEY ?= \"12345678-ABCD-ABCD-ABCD-1234567890AB\"",
		  "[12345678-ABCD-ABCD-ABCD-1234567890AB]" },
		{ "Authorization: Bearer cfcabd11c7ed9a41b1a3e063c32d5114",
		  "[cfcabd11c7ed9a41b1a3e063c32d5114]" },
		{ "curl -u elastic:P@ssw0rd$1 https://localhost:9200",
		  "[elastic:P@ssw0rd$1]" },
		{ "huggingface-cli login --token abcDEF123456789xyz",
		  "[abcDEF123456789xyz]" },
		{ "env(\"api_token\", "
		  "\"dafa7817-e246-48f3-91a7-e87653d587b8\")",
		  "[dafa7817-e246-48f3-91a7-e87653d587b8]" },
		{ "sourcegraph: 6d2FabeB6ADd229Bc199FabA28fD3efb57dF0bD3",
		  "[6d2FabeB6ADd229Bc199FabA28fD3efb57dF0bD3]" },
		/* Placeholders, words, references, other names. */
		{ "openai: https://api.openai.com/v1", "" },
		{ "mistral: the model of the year 2024", "" },
		{ "ft:open-mistral-7b:587a6b29:20240514:7e773925", "" },
		{ "f(\"token\", \"a\")", "" },
		{ "API_KEY=your_api_key_here", "" },
		{ "password: required", "" },
		{ "token = os.environ[\"TOKEN\"]", "" },
		{ "secret = ${SECRET}", "" },
		{ "api_key = get_key(config)", "" },
		{ "id: 123e4567-e89b-12d3-a456-426614174000", "" },
		{ "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c",
		  "" },
		{ "Tokenization: the text is split", "" },
		{ "see https://example.com/docs:8080", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(scan(cases[i].text), cases[i].want, cases[i].text);
}

int
main(void)
{
	char err[256];

	eng = pii_engine_new(err, sizeof(err));
	if (eng == NULL) {
		printf("not ok 1 - engine: %s\n1..1\n", err);
		return 1;
	}
	test_shapes();
	test_assignments();
	pii_engine_free(eng);
	return tap_done();
}
