/*
 * The data model of policy decisions: upstreams (where requests may go)
 * and policies (what a team may do). gateway/config.c fills these from the
 * configuration file; policy modules only read them.
 */
#ifndef POLICY_CONF_H
#define POLICY_CONF_H

#include <stddef.h>

#include "policy/pii.h"

enum upstream_kind { UPSTREAM_MISTRAL, UPSTREAM_OPENAI };
/* Which prices apply to an upstream's answers (conf/prices.ini). */
enum upstream_pricing { PRICING_LIST, PRICING_REGIONAL, PRICING_FREE,
	PRICING_OWN };

struct strlist {
	char **v;
	size_t n;
};

struct upstream_conf {
	char *name;
	char *url;		/* scheme://host[:port][/prefix], no trailing / */
	int kind;		/* enum upstream_kind */
	int pricing;		/* enum upstream_pricing */
	char *region;
	char *api_key_env;
	char *api_key;		/* resolved from api_key_env; wiped on free */
	int enabled;		/* 0 when api_key_env names an unset variable */
	struct strlist models;	/* globs */
	int line;		/* where the section starts, for messages */
};

struct policy_conf {
	char *name;
	struct strlist models;	/* globs of models the policy allows */
	int pii;		/* enum pii_action for every type ... */
	struct strlist pii_off, pii_detect, pii_redact, pii_pseudonymize,
	    pii_block;		/* ... but these, by type name */
	unsigned char pii_actions[PII__COUNT]; /* resolved from the above */
	struct strlist pii_allow; /* literal values never touched */
	int pii_unscannable;	/* 0: allow images, files...; 1: block */
	int line;
};

#endif
