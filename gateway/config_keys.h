/*
 * The one table of configuration keys: section, type, default, range,
 * enum names and whether SIGHUP applies a change of every key. It drives
 * the parser (gateway/config.c), `eugate -k` (the documentation check),
 * `eugate --print-config` and the reload's restart warnings, so that a
 * key's default is written in one place.
 */
#ifndef GATEWAY_CONFIG_KEYS_H
#define GATEWAY_CONFIG_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/conf.h"

struct config;

enum cfg_section { CFG_SEC_GATEWAY, CFG_SEC_UPSTREAM, CFG_SEC_POLICY };
enum cfg_type { CFG_STR, CFG_SIZE, CFG_DURATION, CFG_UINT, CFG_ENUM, CFG_LIST,
	CFG_DAYS, CFG_RATIO };

/*
 * When a changed value takes effect: at the next SIGHUP (the reload swaps
 * the snapshot, and what was set up from it is set again), or only at a
 * restart (listeners, files in data_dir, threads, the store: what
 * gateway_init sets up once). 0 is no value, so that a row that leaves
 * the column out is caught by the unit test.
 */
enum cfg_apply { CFG_APPLY_UNSET, CFG_RELOAD, CFG_RESTART };

/* One value of an enum key and its name in the file. */
struct cfg_name {
	int value;
	const char *name;
};

struct cfg_key {
	int section;		/* enum cfg_section */
	const char *name;
	int type;		/* enum cfg_type */
	size_t offset;		/* in config, upstream_conf, policy_conf */
	const char *def;	/* default, parsed like a value; NULL = none */
	uint64_t min, max;	/* for sizes, durations, integers (a ratio:
				 * parts per million) */
	const struct cfg_name *names; /* for enums; ends with a NULL name */
	int apply;		/* enum cfg_apply */
};

/* Which parts config_keys_print writes. */
enum config_print_part {
	CONFIG_PRINT_GATEWAY = 1,
	CONFIG_PRINT_UPSTREAMS = 2,
	CONFIG_PRINT_POLICIES = 4,
	CONFIG_PRINT_ALL = 7
};

/* "gateway", "upstream", "policy". */
const char *config_keys_section_name(int section);
/* The number of keys, and key i (0 <= i < the number). */
size_t config_keys_count(void);
const struct cfg_key *config_keys_at(size_t i);
/* The key called name in a section of that kind, or NULL. */
const struct cfg_key *config_keys_find(int section, const char *name);

/*
 * Sets k's field in base (a struct config, upstream_conf or policy_conf,
 * by k->section) from value. append: for a list, add the items instead of
 * replacing the list (a continuation line). Returns 0, or -1 with a message
 * in err.
 */
int config_keys_set(const struct cfg_key *k, void *base, const char *value,
    int append, char *err, size_t errlen);
/* The name of an enum key's value, or NULL when it has none. */
const char *config_keys_enum_name(const struct cfg_key *k, int value);

/*
 * 1 when k's field holds the same value in a and b (two objects of k's
 * section kind: struct config, upstream_conf or policy_conf).
 */
int config_keys_same(const struct cfg_key *k, const void *a, const void *b);
/* Sets k's field in dst to a copy of its value in src; dst's old value is
 * freed. */
void config_keys_copy(const struct cfg_key *k, void *dst, const void *src);

/* Applies every default of one section kind to a fresh object. */
void config_keys_defaults(int section, void *base);
/* Frees a list's items and empties it. */
void config_keys_strlist_free(struct strlist *l);

/*
 * 1 when an indented line with this text may continue a list: libinih would
 * join it to the key above, which is wrong for what looks like a key
 * ("name = ...") or a section ("[...]") that was indented by mistake.
 */
int config_keys_continuable(const char *text);

/* Prints "section key" for every key, for the documentation check. */
void config_keys_list(FILE *out);

/*
 * Prints the effective configuration in INI syntax that loads again to the
 * same settings: a comment naming the [gateway] keys that need a restart
 * (when parts has the gateway), every key of every section in parts, lists
 * comma-separated
 * (long ones on continuation lines), enums by name, durations and sizes
 * with units, a policy's per-type PII actions resolved into pii_ lists
 * that hold only the types whose action differs from pii. A key that is
 * not set is printed as a comment, "; key =".
 */
void config_keys_print(const struct config *cfg, FILE *out, int parts);

#endif
