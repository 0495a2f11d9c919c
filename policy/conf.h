/*
 * The data model of policy decisions: upstreams (where requests may go)
 * and policies (what a team may do). gateway/config.c fills these from the
 * configuration file; policy modules only read them.
 */
#ifndef POLICY_CONF_H
#define POLICY_CONF_H

#include <stddef.h>

enum upstream_kind { UPSTREAM_MISTRAL, UPSTREAM_OPENAI };

struct strlist {
	char **v;
	size_t n;
};

struct upstream_conf {
	char *name;
	char *url;		/* scheme://host[:port][/prefix], no trailing / */
	int kind;		/* enum upstream_kind */
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
	int line;
};

#endif
