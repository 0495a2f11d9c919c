/*
 * Which parts of a request body the PII scan reads: every string value
 * anywhere, except an explicit table of structural keys whose value must
 * have a known shape (role, type, enums, object ids); a structural key
 * whose value does not have that shape is read like text. Object keys
 * that are not plain field names ([a-z_]{1,32}) are read too. A string
 * that holds JSON text (tool-call arguments, schemas sent as text) is
 * parsed and its strings and keys are read. data: URIs anywhere, and the
 * media of image, audio, document and file parts, cannot be read: they
 * are counted as unscannable (the policy's pii_unscannable decides).
 */
#ifndef POLICY_PII_WALK_H
#define POLICY_PII_WALK_H

#include <stddef.h>

#include <jansson.h>

/* A parsed JSON text: root, parsed from the string host. */
struct pii_walk_doc {
	json_t *host;		/* borrowed */
	json_t *root;		/* owned */
	int parent;		/* the doc that holds host, or -1 */
	int dirty;		/* a string or key in it changed */
};

struct pii_walk_str {
	json_t *s;		/* borrowed */
	int doc;		/* -1: the body itself */
};

struct pii_walk_key {
	json_t *obj;		/* borrowed */
	char *key;		/* owned copy */
	int doc;
};

struct pii_walk {
	struct pii_walk_str *str;
	size_t n_str, cap_str;
	struct pii_walk_key *keys;
	size_t n_keys, cap_keys;
	struct pii_walk_doc *docs;
	size_t n_docs, cap_docs;
	unsigned unscannable;	/* media parts and data: URIs */
	int failed;		/* memory or nesting: fail closed */
};

void pii_walk_init(struct pii_walk *w);
/* Frees the lists and the parsed docs (not the body). */
void pii_walk_cleanup(struct pii_walk *w);

/*
 * Collects what to read under v, found under the object key key (NULL
 * for none): the body itself, or one field of a form.
 */
void pii_walk_value(struct pii_walk *w, json_t *v, const char *key);

/* 1 when the string value s (n bytes) under key is structural: it has
 * the shape the key's table entry wants and is not read. */
int pii_walk_structural(const char *key, const char *s, size_t n);
/* 1 when an object key is a plain field name, not read. */
int pii_walk_plain_key(const char *key, size_t n);
/* 1 when s is a data: URI. */
int pii_walk_data_uri(const char *s, size_t n);

#endif
