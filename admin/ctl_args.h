/*
 * eugatectl's command table machinery: each command's spec is both its
 * usage line and the check of its arguments; dispatch and the usage text
 * follow the table.
 */
#ifndef ADMIN_CTL_ARGS_H
#define ADMIN_CTL_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "admin/ctl_http.h"

#define CTL_MAX_POS 4
#define CTL_MAX_OPTS 16

/* A command's arguments, checked against its spec. Pointers are into
 * argv. */
struct ctl_args {
	const char *pos[CTL_MAX_POS];	/* NAME, ID, ... in order */
	int n_pos;
	const char *name[CTL_MAX_OPTS];	/* "--team" ... */
	const char *value[CTL_MAX_OPTS];
	int n_opts;
};

/*
 * One command. spec is read unit by unit: "NAME" is a positional
 * argument, "--team TEAM" an option that must be given, "[--team TEAM]"
 * one that may be, "[--team TEAM]..." one that may be given more than
 * once, "LIMITS" the limit options (--budget, --rpm, --tpm, --models,
 * --models-deny; at least one), "[LIMITS]" the same, all optional. run
 * returns the exit status.
 */
struct ctl_cmd {
	const char *words;	/* "team create" */
	const char *spec;	/* "NAME [--policy POLICY] [LIMITS]" */
	const char *help;	/* one line */
	int (*run)(const struct ctl *c, const struct ctl_args *a);
};

/* The command of the n in cmds whose words begin argv; *used: how many
 * arguments its words took. NULL when there is none. */
const struct ctl_cmd *ctl_cmd_find(const struct ctl_cmd *cmds, size_t n,
    int argc, char **argv, int *used);
/*
 * Checks argv (what follows the command's words) against cmd's spec and
 * fills a. Arguments that do not fit end the program (status 2) with a
 * line naming the problem and the command's usage.
 */
void ctl_args_parse(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_args *a);
/* The value of option name ("--team"), or NULL. */
const char *ctl_opt(const struct ctl_args *a, const char *name);
/* The values of a repeated option one by one: *pos starts at 0; NULL
 * after the last. */
const char *ctl_opt_next(const struct ctl_args *a, const char *name,
    int *pos);
/* Prints "  WORDS SPEC" (wrapped at 78 columns) and the help line of each
 * of the n commands. */
void ctl_usage_commands(FILE *out, const struct ctl_cmd *cmds, size_t n);

#endif
