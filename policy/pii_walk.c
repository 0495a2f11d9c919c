/* The PII walk: every string of a body but the structural ones. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jsontext.h"
#include "policy/pii_walk.h"

/* Nesting of JSON texts in strings that a walk follows (each is parsed
 * with jansson's own depth limit); deeper: fail closed. */
#define WALK_MAX_DOCS_DEPTH 16

enum shape {
	SH_ENUM,	/* one of values[] */
	SH_UUID,	/* 8-4-4-4-12 hex digits */
	SH_ID,		/* a UUID, or prefix_hex ("ag_0123...") */
	SH_PATH,	/* an API path: /v1/chat/completions */
	SH_LANG,	/* a language tag: en, pt-BR */
	SH_CALLID	/* nine letters and digits: a tool call's id */
};

static const char *const roles[] = { "system", "user", "assistant", "tool",
	"developer", NULL };
/* Content part, tool, response format, entry, event and JSON schema
 * types. */
static const char *const types[] = { "text", "image_url", "document_url",
	"input_audio", "audio_url", "video_url", "file", "tool_file",
	"reference", "tool_reference", "thinking", "function", "json_object",
	"json_schema", "message.input", "message.output", "function.call",
	"function.result", "agent.handoff", "tool.execution", "web_search",
	"web_search_premium", "code_interpreter", "image_generation",
	"document_library", "connector", "mcp", "image", "audio",
	"document", "input_text", "output_text", "input_image", "input_file",
	"base64", "url", "object", "array", "string", "number", "integer",
	"boolean", "null", "table", "equation", "json", "enabled", "disabled",
	"auto", "content", NULL };
static const char *const objects[] = { "chat.completion", "list", "entry",
	"conversation", "agent", "batch", "file", "model", "embedding",
	"error", "message", NULL };
static const char *const tool_choices[] = { "auto", "none", "any",
	"required", NULL };
static const char *const encodings[] = { "float", "base64", NULL };
static const char *const dtypes[] = { "float", "int8", "uint8", "binary",
	"ubinary", NULL };
static const char *const efforts[] = { "none", "minimal", "low", "medium",
	"high", "xhigh", NULL };
static const char *const tiers[] = { "auto", "standard_only", "default",
	"flex", "priority", NULL };
static const char *const prompt_modes[] = { "reasoning", NULL };
static const char *const handoffs[] = { "client", "server", NULL };
static const char *const details[] = { "auto", "low", "high", NULL };
static const char *const purposes[] = { "fine-tune", "batch", "ocr",
	"audio", NULL };
static const char *const table_formats[] = { "markdown", "html", NULL };
static const char *const granularities[] = { "word", "page", "segment",
	NULL };
static const char *const finish_reasons[] = { "stop", "length",
	"model_length", "error", "tool_calls", NULL };

/*
 * The structural keys: what their string value must look like to be
 * left unread. Everything else is text. model is not here: its value
 * set is open (fine-tuned and self-hosted names), and no name shape
 * keeps out an API key ("sk-...") or an address ("x1.2.3.4"), so a model
 * name is read (a real one holds nothing the detectors find). Nor are
 * name, custom_id, prompt_cache_key: clients choose them; id and
 * tool_call_id are read unless they have the shape Mistral's API demands
 * of a tool call's id (nine letters and digits, refused otherwise): such
 * an id is random, and a value found in it (nine characters can have a
 * passport number's format) would make the request fail.
 */
static const struct structural {
	const char *key;
	enum shape shape;
	const char *const *values;
} structural[] = {
	{ "role", SH_ENUM, roles },
	{ "type", SH_ENUM, types },
	{ "object", SH_ENUM, objects },
	{ "tool_choice", SH_ENUM, tool_choices },
	{ "encoding_format", SH_ENUM, encodings },
	{ "output_dtype", SH_ENUM, dtypes },
	{ "reasoning_effort", SH_ENUM, efforts },
	{ "service_tier", SH_ENUM, tiers },
	{ "prompt_mode", SH_ENUM, prompt_modes },
	{ "handoff_execution", SH_ENUM, handoffs },
	{ "detail", SH_ENUM, details },
	{ "purpose", SH_ENUM, purposes },
	{ "table_format", SH_ENUM, table_formats },
	{ "confidence_scores_granularity", SH_ENUM, granularities },
	{ "timestamp_granularities", SH_ENUM, granularities },
	{ "finish_reason", SH_ENUM, finish_reasons },
	{ "endpoint", SH_PATH, NULL },
	{ "language", SH_LANG, NULL },
	{ "file_id", SH_UUID, NULL },
	{ "file_ids", SH_UUID, NULL },
	{ "input_files", SH_UUID, NULL },
	{ "library_id", SH_UUID, NULL },
	{ "library_ids", SH_UUID, NULL },
	{ "document_id", SH_UUID, NULL },
	{ "job_id", SH_UUID, NULL },
	{ "batch_id", SH_UUID, NULL },
	{ "id", SH_CALLID, NULL },
	{ "tool_call_id", SH_CALLID, NULL },
	{ "agent_id", SH_ID, NULL },
	{ "conversation_id", SH_ID, NULL },
};

/* Content part types whose payload is media: counted, never read. */
static const char *const media_types[] = { "image_url", "document_url",
	"input_audio", "audio_url", "video_url", "file", "tool_file",
	"input_image", "input_file", "image", "audio", NULL };

static int
in_list(const char *const *l, const char *s, size_t n)
{
	for (int i = 0; l[i] != NULL; i++)
		if (strlen(l[i]) == n && memcmp(l[i], s, n) == 0)
			return 1;
	return 0;
}

static int
hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
lower_alpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!hex(s[i])) {
			return 0;
		}
	}
	return 1;
}

static int
shape_ok(enum shape sh, const char *const *values, const char *s, size_t n)
{
	size_t i = 0, k;

	switch (sh) {
	case SH_ENUM:
		return in_list(values, s, n);
	case SH_UUID:
		return is_uuid(s, n);
	case SH_ID:
		if (is_uuid(s, n))
			return 1;
		while (i < n && i < 8 && lower_alpha(s[i]))
			i++;
		if (i < 2 || i >= n || s[i] != '_')
			return 0;
		for (k = ++i; k < n && hex(s[k]); k++)
			;
		return k == n && n - i >= 16 && n - i <= 64;
	case SH_PATH:
		if (n < 4 || n > 64 || memcmp(s, "/v", 2) != 0)
			return 0;
		for (i = 1; i < n; i++)
			if (!lower_alpha(s[i]) && s[i] != '/' && s[i] != '_' &&
			    !(s[i] >= '0' && s[i] <= '9'))
				return 0;
		return 1;
	case SH_CALLID:
		for (i = 0; i < n; i++)
			if (!lower_alpha((char)(s[i] | 32)) &&
			    !(s[i] >= '0' && s[i] <= '9'))
				return 0;
		return n == 9;
	case SH_LANG:
		while (i < n && lower_alpha(s[i]))
			i++;
		if (i < 2 || i > 3)
			return 0;
		if (i == n)
			return 1;
		if (s[i] != '-' || n - i - 1 < 2 || n - i - 1 > 4)
			return 0;
		for (k = i + 1; k < n; k++)
			if (!((s[k] | 32) >= 'a' && (s[k] | 32) <= 'z'))
				return 0;
		return 1;
	}
	return 0;
}

int
pii_walk_structural(const char *key, const char *s, size_t n)
{
	if (key == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(structural) / sizeof(structural[0]);
	    i++)
		if (key[0] == structural[i].key[0] &&
		    strcmp(key, structural[i].key) == 0)
			return shape_ok(structural[i].shape,
			    structural[i].values, s, n);
	return 0;
}

/*
 * A key of at most 32 lower-case letters and underscores, as every field
 * of the API: no detector can find anything in it (each entity needs a
 * digit, a capital, '@', ':', '-', a space, or more characters).
 */
int
pii_walk_plain_key(const char *key, size_t n)
{
	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!lower_alpha(key[i]) && key[i] != '_')
			return 0;
	return 1;
}

/* "data:" [type/subtype] [;param]* "," ...: media inline, not text. */
int
pii_walk_data_uri(const char *s, size_t n)
{
	size_t i = 5;

	if (n < 6 || strncasecmp(s, "data:", 5) != 0)
		return 0;
	while (i < n && s[i] != ',' && i < 256) {
		char c = s[i];

		if (!((c | 32) >= 'a' && (c | 32) <= 'z') &&
		    !(c >= '0' && c <= '9') && strchr("/;=+.-_", c) == NULL)
			return 0;
		i++;
	}
	return i < n && s[i] == ',';
}

/* Bare base64 (input_audio): long, and nothing but its alphabet. */
static int
base64_blob(const char *s, size_t n)
{
	if (n < 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c | 32) >= 'a' && (c | 32) <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '+' && c != '/' &&
		    c != '=' && c != '\n' && c != '\r')
			return 0;
	}
	return 1;
}

void
pii_walk_init(struct pii_walk *w)
{
	memset(w, 0, sizeof(*w));
}

void
pii_walk_cleanup(struct pii_walk *w)
{
	for (size_t i = 0; i < w->n_keys; i++)
		free(w->keys[i].key);
	for (size_t i = 0; i < w->n_docs; i++)
		json_decref(w->docs[i].root);
	free(w->str);
	free(w->keys);
	free(w->docs);
	memset(w, 0, sizeof(*w));
}

/* Makes room for one more element of a list. */
static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	nv = realloc(*v, nc * size);
	if (nv == NULL)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

static void
add_str(struct pii_walk *w, json_t *s, int doc)
{
	if (grow((void **)&w->str, &w->cap_str, w->n_str,
	    sizeof(*w->str)) != 0) {
		w->failed = 1;
		return;
	}
	w->str[w->n_str].s = s;
	w->str[w->n_str].doc = doc;
	w->n_str++;
}

static void
add_key(struct pii_walk *w, json_t *obj, const char *key, int doc)
{
	char *k;

	if (grow((void **)&w->keys, &w->cap_keys, w->n_keys,
	    sizeof(*w->keys)) != 0 || (k = strdup(key)) == NULL) {
		w->failed = 1;
		return;
	}
	w->keys[w->n_keys].obj = obj;
	w->keys[w->n_keys].key = k;
	w->keys[w->n_keys].doc = doc;
	w->n_keys++;
}

static void walk(struct pii_walk *w, json_t *v, const char *key, int media,
    int doc, int depth);

/* A string whose text is a JSON object or array: its values are read. */
static int
walk_json_text(struct pii_walk *w, json_t *s, int doc, int depth)
{
	const char *p = json_string_value(s);
	size_t n = json_string_length(s), i = 0;
	json_t *root;

	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' ||
	    p[i] == '\r'))
		i++;
	if (i == n || (p[i] != '{' && p[i] != '['))
		return 0;
	root = jsontext_parse(p, n, 0, NULL);
	if (root == NULL)
		return 0;
	if (depth >= WALK_MAX_DOCS_DEPTH || grow((void **)&w->docs,
	    &w->cap_docs, w->n_docs, sizeof(*w->docs)) != 0) {
		json_decref(root);
		w->failed = 1;
		return 1;
	}
	w->docs[w->n_docs].host = s;
	w->docs[w->n_docs].root = root;
	w->docs[w->n_docs].parent = doc;
	w->docs[w->n_docs].dirty = 0;
	w->n_docs++;
	walk(w, root, NULL, 0, (int)w->n_docs - 1, depth + 1);
	return 1;
}

static void
walk(struct pii_walk *w, json_t *v, const char *key, int media, int doc,
    int depth)
{
	const char *k, *type;
	json_t *x;
	size_t i;

	if (w->failed)
		return;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);

		if (pii_walk_structural(key, s, n))
			return;
		if (pii_walk_data_uri(s, n) || (media && base64_blob(s, n))) {
			if (!media)	/* a media part is counted once */
				w->unscannable++;
			return;
		}
		if (!walk_json_text(w, v, doc, depth))
			add_str(w, v, doc);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			walk(w, x, key, media, doc, depth);
	} else if (json_is_object(v)) {
		x = json_object_get(v, "type");
		type = json_string_value(x);
		if (type != NULL && in_list(media_types, type,
		    json_string_length(x))) {
			w->unscannable++;
			media = 1;
		}
		json_object_foreach(v, k, x) {
			if (!pii_walk_plain_key(k, strlen(k)))
				add_key(w, v, k, doc);
			walk(w, x, k, media, doc, depth);
		}
	}
	/* Numbers, booleans and null are never text. */
}

void
pii_walk_value(struct pii_walk *w, json_t *v, const char *key)
{
	walk(w, v, key, 0, -1, 0);
}
