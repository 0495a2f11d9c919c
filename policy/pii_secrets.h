/*
 * Secrets: API keys and tokens of cloud, code hosting, chat, payment and
 * AI providers by their published shapes (the catalogue gitleaks and
 * detect-secrets keep: AWS, Google, Azure, GitHub, GitLab, Slack, Stripe,
 * OpenAI, Anthropic, Hugging Face, ...), private key blocks, JWTs,
 * credentials in URLs and connection strings, Authorization headers,
 * command-line credentials, and values assigned to names such as
 * password, secret, token or api_key in code, JSON, YAML, .env and shell
 * (high-entropy values under any name). Pure code: the catalogue's index
 * is built once, then only read.
 */
#ifndef POLICY_PII_SECRETS_H
#define POLICY_PII_SECRETS_H

#include <stddef.h>

#include "policy/pii.h"

struct pii_secrets;

/* Indexes the catalogue once; NULL when out of memory. */
struct pii_secrets *pii_secrets_new(void);
void pii_secrets_free(struct pii_secrets *s);

/* Appends the secrets of text (len bytes) to out (unsorted, may
 * overlap). Returns 0, or -1 when out of memory. Linear in len. */
int pii_secrets_scan(const struct pii_secrets *s, const char *text,
    size_t len, struct pii_matches *out);

#endif
