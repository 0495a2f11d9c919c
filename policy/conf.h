/*
 * The data model of policy decisions: upstreams (where requests may go)
 * and policies (what a team may do). gateway/config.c fills these from the
 * configuration file; policy modules only read them.
 */
#ifndef POLICY_CONF_H
#define POLICY_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "policy/pii.h"

enum upstream_kind { UPSTREAM_MISTRAL, UPSTREAM_OPENAI };
/* What an upstream serves: everything of its kind, or only stateless
 * inference (Mistral's regional endpoints: no files, batch, agents). */
enum upstream_endpoints { ENDPOINTS_ALL, ENDPOINTS_INFERENCE };
/* Which prices apply to an upstream's answers (conf/prices.ini). */
enum upstream_pricing { PRICING_LIST, PRICING_REGIONAL, PRICING_FREE,
	PRICING_OWN };
/* What an upstream's contract lets the provider do with the data, in
 * increasing order: a policy accepts upstreams up to its own level. */
enum training { TRAINING_NONE, TRAINING_OPT_OUT, TRAINING_ALLOWED };
/* Fields a policy may force into requests; CLIENT leaves them alone. */
enum force { FORCE_CLIENT, FORCE_ON, FORCE_OFF };
enum service_tier { TIER_CLIENT, TIER_AUTO, TIER_STANDARD_ONLY };
/* The legal basis of sending data outside the EEA (GDPR Chapter V): none
 * (EEA), an adequacy decision, standard contractual clauses or binding
 * corporate rules. UNSET: derived from the location (policy/transfer.h). */
enum transfer { TRANSFER_UNSET, TRANSFER_NONE, TRANSFER_ADEQUACY,
	TRANSFER_SCC, TRANSFER_BCR };

/* The region label of upstreams that the company runs itself: no
 * processor receives what they get (posture, Art. 30 record). */
#define REGION_ONPREM "onprem"

struct strlist {
	char **v;
	size_t n;
};

/* 1 when one of the globs in l matches s (models, model_deny, ...). */
static inline int
strlist_glob(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (util_glob_match(l->v[i], s))
			return 1;
	return 0;
}

struct upstream_conf {
	char *name;
	char *url;		/* scheme://host[:port][/prefix], no end / */
	int kind;		/* enum upstream_kind */
	int pricing;		/* enum upstream_pricing */
	char *region;		/* a free label: eu, us, onprem, ... */
	int zdr;		/* the contract has zero data retention */
	int endpoints;		/* enum upstream_endpoints */
	int training;		/* enum training */
	char *api_key_env;
	char *api_key;		/* resolved from api_key_env; wiped on free */
	char *unless_env;	/* disabled when this variable is set */
	int enabled;		/* 0 when api_key_env names an unset variable */
	struct strlist models;	/* globs */
	uint64_t priority;	/* lower is tried first */
	uint64_t weight;	/* share of the load among equal priorities */
	uint64_t fail_threshold; /* consecutive failures that open the
				  * circuit breaker */
	uint64_t cooldown_ms;	/* how long an open breaker skips it */
	char *health_path;	/* active check: GET url + path; NULL: none */
	uint64_t health_interval_ms;
	size_t health_slot;	/* index into the gateway's health table */
	/* What its contract says, for the posture and the Art. 30 record;
	 * NULL or empty: not stated. */
	char *provider;		/* the provider's legal name */
	struct strlist location; /* ISO 3166 alpha-2 codes where it
				  * processes ("EU": in the Union) */
	char *dpa;		/* the data processing agreement: URL or
				 * reference */
	char *subprocessors;	/* URL of the provider's list */
	char *provider_retention; /* how long the provider keeps inputs and
				   * outputs: "30d" */
	int64_t provider_retention_days; /* resolved; -1: not stated */
	int transfer;		/* enum transfer, as stated */
	int line;		/* where the section starts, for messages */
};

struct policy_conf {
	char *name;
	struct strlist models;	/* globs of models the policy allows */
	struct strlist models_deny; /* ... and those it refuses (labs-*) */
	struct strlist regions;	/* where its traffic may go ("*": any) */
	int zdr;		/* zero data retention mode */
	int training;		/* enum training: the most it accepts */
	struct strlist sensitive; /* PII types (or NATIONAL_ID, raw) that
				   * make a request sensitive ... */
	struct strlist sensitive_regions; /* ... and where those may go
					   * ("block": nowhere) */
	unsigned char sensitive_types[PII__COUNT]; /* resolved */
	int sensitive_raw;	/* any type forwarded unchanged (detect) */
	int sensitive_block;
	int service_tier;	/* enum service_tier */
	int safe_prompt;	/* enum force */
	int store;		/* enum force: conversations' "store" */
	int pii;		/* enum pii_action for every type ... */
	struct strlist pii_off, pii_detect, pii_redact, pii_pseudonymize,
	    pii_block;		/* ... but these, by type name */
	unsigned char pii_actions[PII__COUNT]; /* resolved from the above */
	struct strlist pii_allow; /* literal values never touched */
	struct strlist pii_phone_regions; /* national phone numbers of these
					   * regions count without a word */
	struct pii_regions phone_regions; /* resolved */
	int pii_unscannable;	/* 0: allow images, files...; 1: block */
	struct strlist endpoints; /* API groups its teams may use, or all */
	unsigned groups;	/* resolved: bit (1 << enum ep_group) */
	int shared_objects;	/* objects nobody is known to own (made
				 * before eugate or outside it) are visible */
	struct strlist upstream_key_env; /* "VAR" or "UPSTREAM:VAR" */
	char **up_keys;		/* resolved, by upstream index: the key its
				 * teams use there, or NULL (the upstream's
				 * own); wiped on free */
	/* Its processing, for the Art. 30 record; NULL or empty: not
	 * stated. */
	char *purpose;
	char *legal_basis;	/* "Art. 6(1)(b) GDPR" */
	struct strlist data_subjects;	/* categories: customers, ... */
	int line;
};

#endif
