/*
 * The PII policy module: walks every text-bearing field of a request
 * (decoded JSON strings), applies the policy's action per entity type,
 * and restores issued pseudonyms in the answer, whole or streamed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"
#include "policy/pii_vault.h"
#include "policy/policy.h"
#include "policy/usage.h"

#define PII_SLOT POLICY_SLOT_PII

struct field {
	char path[96];	/* which streamed text: "c0/content", "c0/t1/args" */
	int choice;
	int tool;	/* -1 for content */
	struct pii_stream_field f;
};

struct pii_state {
	struct pii_vault vault;
	struct pii_rules rules;
	struct field *fields;
	size_t n_fields;
	json_t *last_chunk;	/* id/model/created of the stream, for flushes */
};

/* The strings to scan, collected by the walk. */
struct walk {
	json_t **str;		/* plain text strings */
	size_t n, cap;
	json_t **args;		/* strings that hold JSON (tool arguments) */
	size_t n_args, cap_args;
	unsigned unscannable;	/* images, audio, documents, files */
	int oom;
};

static void
add_str(struct walk *w, json_t *s, int is_args)
{
	json_t ***v = is_args ? &w->args : &w->str;
	size_t *n = is_args ? &w->n_args : &w->n;
	size_t *cap = is_args ? &w->cap_args : &w->cap;

	if (!json_is_string(s))
		return;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		json_t **nv = realloc(*v, nc * sizeof(**v));

		if (nv == NULL) {
			w->oom = 1;
			return;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
}

/* Keys whose string values are identifiers or enums, never free text. */
static int
not_text(const char *key)
{
	static const char *const keys[] = {
		"model", "id", "object", "type", "role", "agent_id", "file_id",
		"tool_call_id", "conversation_id", "library_id", "document_id",
		"job_id", "endpoint", "purpose", "visibility", "status",
		"tool_choice", "response_format", "prompt_mode",
		"reasoning_effort", "service_tier", "encoding_format",
		"output_dtype", "handoff_execution", "timeout_hours",
		"custom_id", "prompt_cache_key", "version", "format", NULL
	};

	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* Every text string under node (unknown shapes: scan, fail closed). */
static void
walk_all(struct walk *w, json_t *node)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(node)) {
		add_str(w, node, 0);
	} else if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			walk_all(w, v);
	} else if (json_is_object(node)) {
		json_object_foreach(node, k, v) {
			if (!not_text(k))
				walk_all(w, v);
		}
	}
}

/* Message content: a string, or chunks (text, thinking, media). */
static void
walk_content(struct walk *w, json_t *c)
{
	json_t *chunk;
	size_t i;

	if (json_is_string(c)) {
		add_str(w, c, 0);
		return;
	}
	json_array_foreach(c, i, chunk) {
		const char *type = json_string_value(json_object_get(chunk,
		    "type"));

		if (json_is_string(chunk))
			add_str(w, chunk, 0);
		else if (type == NULL || strcmp(type, "text") == 0)
			add_str(w, json_object_get(chunk, "text"), 0);
		else if (strcmp(type, "thinking") == 0)
			walk_content(w, json_object_get(chunk, "thinking"));
		else if (strcmp(type, "image_url") == 0 ||
		    strcmp(type, "document_url") == 0 ||
		    strcmp(type, "input_audio") == 0 ||
		    strcmp(type, "file") == 0 || strcmp(type, "tool_file") == 0)
			w->unscannable++;
		/* reference, tool_reference: ids only */
	}
}

static void
walk_arguments(struct walk *w, json_t *a)
{
	if (json_is_string(a))
		add_str(w, a, 1);
	else
		walk_all(w, a);
}

static void
walk_messages(struct walk *w, json_t *msgs)
{
	json_t *m, *tc;
	size_t i, j;

	json_array_foreach(msgs, i, m) {
		if (json_is_array(m)) {		/* chat moderation batches */
			walk_messages(w, m);
			continue;
		}
		walk_content(w, json_object_get(m, "content"));
		json_array_foreach(json_object_get(m, "tool_calls"), j, tc)
			walk_arguments(w, json_object_get(json_object_get(tc,
			    "function"), "arguments"));
	}
}

/* Conversation inputs: a string, or entries (messages, tool results). */
static void
walk_inputs(struct walk *w, json_t *in)
{
	json_t *e;
	size_t i;

	if (json_is_string(in)) {
		add_str(w, in, 0);
		return;
	}
	json_array_foreach(in, i, e) {
		walk_content(w, json_object_get(e, "content"));
		walk_arguments(w, json_object_get(e, "arguments"));
		add_str(w, json_object_get(e, "result"), 0);
	}
}

static int
path_is(const char *path, const char *p)
{
	return strcmp(path, p) == 0;
}

/* The text-bearing fields of each endpoint's request body. */
static void
walk_request(struct walk *w, const char *path, json_t *body)
{
	if (path_is(path, "/v1/chat/completions") ||
	    path_is(path, "/v1/agents/completions")) {
		walk_messages(w, json_object_get(body, "messages"));
		walk_content(w, json_object_get(json_object_get(body,
		    "prediction"), "content"));
	} else if (path_is(path, "/v1/fim/completions")) {
		add_str(w, json_object_get(body, "prompt"), 0);
		add_str(w, json_object_get(body, "suffix"), 0);
	} else if (path_is(path, "/v1/embeddings") ||
	    path_is(path, "/v1/moderations") ||
	    path_is(path, "/v1/classifications")) {
		walk_all(w, json_object_get(body, "input"));
	} else if (path_is(path, "/v1/chat/moderations") ||
	    path_is(path, "/v1/chat/classifications")) {
		json_t *in = json_object_get(body, "input");

		if (json_is_object(in))
			walk_messages(w, json_object_get(in, "messages"));
		else if (json_is_array(in) && json_is_object(json_array_get(in,
		    0)) && json_object_get(json_array_get(in, 0), "messages"))
		{
			json_t *x;
			size_t i;

			json_array_foreach(in, i, x)
				walk_messages(w, json_object_get(x, "messages"));
		} else {
			walk_messages(w, in);
		}
	} else if (path_is(path, "/v1/ocr")) {
		add_str(w, json_object_get(body, "document_annotation_prompt"),
		    0);
		if (json_object_get(body, "document") != NULL)
			w->unscannable++;
	} else if (strncmp(path, "/v1/conversations", 17) == 0) {
		walk_inputs(w, json_object_get(body, "inputs"));
		add_str(w, json_object_get(body, "instructions"), 0);
	} else if (path_is(path, "/v1/batch/jobs")) {
		const char *ep = json_string_value(json_object_get(body,
		    "endpoint"));
		json_t *req;
		size_t i;

		json_array_foreach(json_object_get(body, "requests"), i, req)
			walk_request(w, ep ? ep : "", json_object_get(req,
			    "body"));
	} else {
		/* Any other endpoint: every free-text string. */
		walk_all(w, body);
		return;
	}
	walk_all(w, json_object_get(body, "metadata"));
}

static struct pii_state *
state(struct policy_req *r)
{
	return r->state[PII_SLOT];
}

static int
active(const struct policy_conf *p)
{
	for (int t = 0; t < PII__COUNT; t++)
		if (p->pii_actions[t] != PII_ACT_OFF)
			return 1;
	return 0;
}

static int
rewrite(struct policy_req *r, struct pii_state *st, json_t *s, int is_args,
    int *changed)
{
	struct pii_buf out = { NULL, 0, 0 };
	int ch = 0, rc;
	json_t *inner = NULL;

	if (is_args) {
		/* Arguments are JSON text: scan its strings, not its bytes. */
		inner = jsontext_parse(json_string_value(s),
		    json_string_length(s), 0, NULL);
		if (inner != NULL) {
			struct walk w = { 0 };
			char *js;

			walk_all(&w, inner);
			rc = w.oom ? -1 : 0;
			for (size_t i = 0; i < w.n && rc == 0; i++)
				rc = rewrite(r, st, w.str[i], 0, &ch);
			free(w.str);
			free(w.args);
			if (rc == 0 && ch) {
				js = jsontext_dump(inner, 0, NULL);
				if (js == NULL)
					rc = -1;
				else
					json_string_set(s, js);
				free(js);
				*changed = 1;
			}
			json_decref(inner);
			return rc;
		}
	}
	rc = pii_apply(r->env->pii, &st->vault, r->env->hmac, r->key->team,
	    &st->rules, json_string_value(s), json_string_length(s), &out, &ch);
	if (rc == 0 && ch) {
		json_string_setn(s, out.p, out.len);
		*changed = 1;
	}
	pii_buf_free(&out);
	return rc;
}

/* The value of name="..." in a part's headers [h, e). */
static int
part_name(const char *h, const char *e, const char **name, size_t *len)
{
	const char *p = memmem(h, (size_t)(e - h), "name=\"", 6);
	const char *q;

	while (p != NULL && p > h && p[-1] != ' ' && p[-1] != ';')
		p = memmem(p + 1, (size_t)(e - p - 1), "name=\"", 6);
	if (p == NULL)
		return 0;
	p += 6;
	q = memchr(p, '"', (size_t)(e - p));
	if (q == NULL)
		return 0;
	*name = p;
	*len = (size_t)(q - p);
	return 1;
}

/*
 * A multipart form (audio transcriptions, uploads): text fields that can
 * hold names (context_bias) are scanned and rewritten; file parts cannot
 * be scanned and follow the policy's rule. Returns -1 on a failure,
 * else the number of unscannable parts; *out holds a rewritten body.
 */
static int
walk_multipart(struct policy_req *r, struct pii_state *st,
    struct pii_buf *out, int *changed)
{
	const char *body = r->raw, *end = r->raw + r->raw_len, *p;
	char delim[80];
	size_t dl;
	int unscannable = 0;

	*changed = 0;
	if (r->boundary == NULL || r->boundary_len + 4 > sizeof(delim))
		return -1;
	dl = (size_t)snprintf(delim, sizeof(delim), "--%.*s",
	    (int)r->boundary_len, r->boundary);
	p = memmem(body, r->raw_len, delim, dl);
	if (p == NULL)
		return -1;
	if (pii_buf_add(out, body, (size_t)(p - body)) != 0)
		return -1;
	while (p != NULL && p + dl <= end) {
		const char *h = p + dl, *hend, *v, *next;
		const char *name;
		size_t nl;

		if (h + 2 <= end && memcmp(h, "--", 2) == 0) {
			/* The closing delimiter: the rest goes as it is. */
			return pii_buf_add(out, p, (size_t)(end - p)) == 0 ?
			    unscannable : -1;
		}
		hend = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
		if (hend == NULL)
			return -1;
		v = hend + 4;
		next = memmem(v, (size_t)(end - v), delim, dl);
		if (next == NULL || next - v < 2)
			return -1;
		/* The value ends before the CRLF that precedes the delimiter. */
		if (pii_buf_add(out, p, (size_t)(v - p)) != 0)
			return -1;
		if (memmem(h, (size_t)(hend - h), "filename=", 9) != NULL) {
			unscannable++;
			if (pii_buf_add(out, v, (size_t)(next - v)) != 0)
				return -1;
		} else if (part_name(h, hend, &name, &nl) &&
		    ((nl >= 12 && memcmp(name, "context_bias", 12) == 0) ||
		    (nl == 6 && memcmp(name, "prompt", 6) == 0))) {
			json_t *s = json_stringn(v, (size_t)(next - v - 2));
			int ch = 0;

			/* Form text must be UTF-8 to be scanned: else fail. */
			if (s == NULL || rewrite(r, st, s, 0, &ch) != 0) {
				json_decref(s);
				return -1;
			}
			*changed |= ch;
			if (pii_buf_add(out, json_string_value(s),
			    json_string_length(s)) != 0 ||
			    pii_buf_add(out, "\r\n", 2) != 0) {
				json_decref(s);
				return -1;
			}
			json_decref(s);
		} else if (pii_buf_add(out, v, (size_t)(next - v)) != 0) {
			return -1;
		}
		p = next;
	}
	return -1;
}

static int
pii_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct policy_conf *pc = r->policy;
	struct pii_state *st;
	struct walk w = { 0 };
	int changed = 0, rc = 0;
	char types[200];
	size_t tl = 0;

	if (pc == NULL || !active(pc) || r->env == NULL || r->env->pii == NULL)
		return POLICY_PASS;
	if (r->body == NULL && !r->raw_body)
		return POLICY_PASS;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto fail;
	r->state[PII_SLOT] = st;
	pii_vault_init(&st->vault);
	memcpy(st->rules.action, pc->pii_actions, sizeof(st->rules.action));
	st->rules.allow = pc->pii_allow.v;
	st->rules.n_allow = pc->pii_allow.n;
	if (r->raw_body) {
		struct pii_buf out = { NULL, 0, 0 };
		int ch = 0, un = walk_multipart(r, st, &out, &ch);

		if (un > 0 && pc->pii_unscannable) {
			pii_buf_free(&out);
			b->status = 403;
			b->type = "invalid_request_error";
			b->code = "unscannable_content";
			snprintf(b->message, sizeof(b->message), "policy '%s' "
			    "blocks content that cannot be scanned for personal "
			    "data (uploaded files)", pc->name);
			return POLICY_BLOCK;
		}
		if (un < 0) {
			pii_buf_free(&out);
			goto fail;
		}
		memcpy(r->pii_counts, st->vault.counts, sizeof(r->pii_counts));
		r->unscannable = (unsigned)un;
		if (ch) {
			/* The new body belongs to the request from now on. */
			r->raw_out = out.p;
			r->raw_out_len = out.len;
			return POLICY_MODIFIED;
		}
		pii_buf_free(&out);
		return POLICY_PASS;
	}

	walk_request(&w, r->path, r->body);
	if (w.oom)
		goto fail;
	if (w.unscannable > 0 && pc->pii_unscannable) {
		free(w.str);
		free(w.args);
		b->status = 403;
		b->type = "invalid_request_error";
		b->code = "unscannable_content";
		snprintf(b->message, sizeof(b->message), "policy '%s' blocks "
		    "content that cannot be scanned for personal data (images, "
		    "audio, documents, files)", pc->name);
		return POLICY_BLOCK;
	}
	r->unscannable = w.unscannable;
	/* Token look-alikes the client typed can never be issued. */
	for (size_t i = 0; i < w.n && rc == 0; i++)
		rc = pii_vault_note_lookalikes(&st->vault,
		    json_string_value(w.str[i]), json_string_length(w.str[i]));
	for (size_t i = 0; i < w.n_args && rc == 0; i++)
		rc = pii_vault_note_lookalikes(&st->vault,
		    json_string_value(w.args[i]), json_string_length(w.args[i]));
	for (size_t i = 0; i < w.n && rc == 0; i++)
		rc = rewrite(r, st, w.str[i], 0, &changed);
	for (size_t i = 0; i < w.n_args && rc == 0; i++)
		rc = rewrite(r, st, w.args[i], 1, &changed);
	free(w.str);
	free(w.args);
	if (rc != 0)
		goto fail;
	memcpy(r->pii_counts, st->vault.counts, sizeof(r->pii_counts));
	for (int t = 0; t < PII__COUNT; t++) {
		if (st->vault.blocked[t] == 0)
			continue;
		tl += (size_t)snprintf(types + tl, sizeof(types) - tl, "%s%s",
		    tl ? ", " : "", pii_type_name(t));
		if (tl >= sizeof(types))
			break;
	}
	if (tl > 0) {
		b->status = 403;
		b->type = "invalid_request_error";
		b->code = "pii_blocked";
		snprintf(b->message, sizeof(b->message), "policy '%s' blocks "
		    "personal data in this request: %s", pc->name, types);
		return POLICY_BLOCK;
	}
	return changed ? POLICY_MODIFIED : POLICY_PASS;
fail:
	free(w.str);
	free(w.args);
	b->status = 500;
	b->type = "server_error";
	b->code = "pii_scan_failed";
	snprintf(b->message, sizeof(b->message), "personal data scan failed; "
	    "the request was not forwarded");
	return POLICY_BLOCK;
}

/* ---- the answer: restore issued tokens ---- */

static int
restore_string(struct pii_state *st, json_t *s, int json_text)
{
	struct pii_buf out = { NULL, 0, 0 };
	size_t n;

	if (!json_is_string(s))
		return 0;
	n = pii_restore(&st->vault, json_string_value(s), 0,
	    json_string_length(s), json_text, 1, &out);
	if (n > 0)
		json_string_setn(s, out.p ? out.p : "", out.len);
	pii_buf_free(&out);
	return n > 0;
}

static int
restore_all(struct pii_state *st, json_t *node, const char *key)
{
	const char *k;
	json_t *v;
	size_t i;
	int changed = 0;

	if (json_is_string(node))
		return restore_string(st, node, key != NULL &&
		    strcmp(key, "arguments") == 0);
	if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			changed |= restore_all(st, v, key);
	} else if (json_is_object(node)) {
		json_object_foreach(node, k, v)
			changed |= restore_all(st, v, k);
	}
	return changed;
}

static int
pii_on_response_json(struct policy_req *r, json_t *root)
{
	struct pii_state *st = state(r);

	if (st == NULL || st->vault.n == 0)
		return 0;
	return restore_all(st, root, NULL);
}

static struct field *
field_get(struct pii_state *st, int choice, int tool, const char *name)
{
	char path[96];
	struct field *nf;

	snprintf(path, sizeof(path), "c%d/t%d/%s", choice, tool, name);
	for (size_t i = 0; i < st->n_fields; i++)
		if (strcmp(st->fields[i].path, path) == 0)
			return &st->fields[i];
	nf = realloc(st->fields, (st->n_fields + 1) * sizeof(*nf));
	if (nf == NULL)
		return NULL;
	st->fields = nf;
	nf = &st->fields[st->n_fields++];
	memset(nf, 0, sizeof(*nf));
	snprintf(nf->path, sizeof(nf->path), "%s", path);
	nf->choice = choice;
	nf->tool = tool;
	return nf;
}

/*
 * Restores one streamed text in place, holding back what could still
 * become a token; final flushes its field. Returns 1 if s changed.
 */
static int
stream_string(struct pii_state *st, json_t *s, int choice, int tool,
    const char *name, int final)
{
	struct field *f = field_get(st, choice, tool, name);
	struct pii_buf out = { NULL, 0, 0 };
	int json_text = strcmp(name, "arguments") == 0, changed = 0;

	if (f == NULL || !json_is_string(s))
		return 0;
	pii_restore_stream(&st->vault, &f->f, json_string_value(s),
	    json_string_length(s), final, json_text, &out);
	if (out.len != json_string_length(s) || (out.len > 0 &&
	    memcmp(out.p, json_string_value(s), out.len) != 0)) {
		json_string_setn(s, out.p ? out.p : "", out.len);
		changed = 1;
	}
	pii_buf_free(&out);
	return changed;
}

/* Builds an event that carries what a field still holds. */
static char *
flush_event(struct pii_state *st, struct field *f, size_t *len)
{
	struct pii_buf out = { NULL, 0, 0 };
	json_t *ev, *delta, *choice;
	char *js, *res = NULL;

	pii_restore_stream(&st->vault, &f->f, "", 0, 1, f->tool >= 0, &out);
	if (out.len == 0) {
		pii_buf_free(&out);
		return NULL;
	}
	delta = json_object();
	if (f->tool < 0) {
		json_object_set_new(delta, "content", json_stringn(out.p,
		    out.len));
	} else {
		json_object_set_new(delta, "tool_calls", json_pack("[{s:i, "
		    "s:{s:s%}}]", "index", f->tool, "function", "arguments",
		    out.p, out.len));
	}
	choice = json_pack("{s:i, s:o, s:n}", "index", f->choice, "delta",
	    delta, "finish_reason");
	ev = json_object();
	if (st->last_chunk != NULL)
		json_object_update(ev, st->last_chunk);
	json_object_set_new(ev, "choices", json_pack("[o]", choice));
	js = jsontext_dump(ev, 0, NULL);
	json_decref(ev);
	pii_buf_free(&out);
	if (js != NULL) {
		*len = strlen(js) + 8;
		res = malloc(*len + 1);
		if (res != NULL)
			snprintf(res, *len + 1, "data: %s\n\n", js);
	}
	free(js);
	return res;
}

/* Emits the held text of every field (of one choice, or all: -1). */
static void
flush_fields(struct pii_state *st, int choice,
    void (*emit)(void *, const char *, size_t), void *arg)
{
	for (size_t i = 0; i < st->n_fields; i++) {
		size_t len;
		char *ev;

		if (choice >= 0 && st->fields[i].choice != choice)
			continue;
		if (st->fields[i].f.carry.len == 0)
			continue;
		ev = flush_event(st, &st->fields[i], &len);
		if (ev != NULL)
			emit(arg, ev, len);
		free(ev);
	}
}

static void
pii_on_event(struct policy_req *r, const char *ev, size_t len,
    void (*emit)(void *, const char *, size_t), void *arg)
{
	struct pii_state *st = state(r);
	char *data = NULL, *js;
	long dl;
	json_t *root, *choices, *c;
	size_t i;
	int changed = 0;

	if (st == NULL || st->vault.n == 0) {
		emit(arg, ev, len);
		return;
	}
	dl = sse_event_data(ev, len, &data);
	if (dl == 6 && memcmp(data, "[DONE]", 6) == 0) {
		flush_fields(st, -1, emit, arg);
		free(data);
		emit(arg, ev, len);
		return;
	}
	root = dl > 0 ? jsontext_parse(data, (size_t)dl, 0, NULL) : NULL;
	free(data);
	if (!json_is_object(root)) {
		json_decref(root);
		emit(arg, ev, len);
		return;
	}
	if (st->last_chunk == NULL && json_object_get(root, "id") != NULL) {
		st->last_chunk = json_pack("{s:O?, s:O?, s:O?, s:O?}", "id",
		    json_object_get(root, "id"), "object",
		    json_object_get(root, "object"), "created",
		    json_object_get(root, "created"), "model",
		    json_object_get(root, "model"));
	}
	choices = json_object_get(root, "choices");
	json_array_foreach(choices, i, c) {
		json_t *delta = json_object_get(c, "delta"), *tc, *content;
		json_t *fin = json_object_get(c, "finish_reason");
		int idx = (int)json_integer_value(json_object_get(c, "index"));
		int final = fin != NULL && !json_is_null(fin);
		size_t j;

		content = json_object_get(delta, "content");
		if (json_is_string(content)) {
			changed |= stream_string(st, content, idx, -1,
			    "content", final);
		} else if (json_is_array(content)) {
			json_t *part;

			json_array_foreach(content, j, part) {
				changed |= stream_string(st, json_object_get(
				    part, "text"), idx, -1, "content", final);
			}
		}
		json_array_foreach(json_object_get(delta, "tool_calls"), j, tc) {
			int t = (int)json_integer_value(json_object_get(tc,
			    "index"));

			changed |= stream_string(st, json_object_get(
			    json_object_get(tc, "function"), "arguments"), idx,
			    t, "arguments", final);
		}
		if (final)
			flush_fields(st, idx, emit, arg);
	}
	/* Named-event streams (conversations): a "content" delta. */
	if (choices == NULL && json_is_string(json_object_get(root, "content")))
		changed |= stream_string(st, json_object_get(root, "content"),
		    0, -1, "content", 0);
	js = changed ? jsontext_dump(root, 0, NULL) : NULL;
	json_decref(root);
	if (js == NULL) {
		emit(arg, ev, len);	/* unchanged: the bytes as they came */
		return;
	}
	{
		size_t n = strlen(js);
		char *out = malloc(n + 9);

		if (out != NULL) {
			memcpy(out, "data: ", 6);
			memcpy(out + 6, js, n);
			memcpy(out + 6 + n, "\n\n", 3);
			emit(arg, out, n + 8);
			free(out);
		}
		free(js);
	}
}

static void
pii_on_stream_end(struct policy_req *r,
    void (*emit)(void *, const char *, size_t), void *arg)
{
	struct pii_state *st = state(r);

	if (st != NULL)
		flush_fields(st, -1, emit, arg);
}

static void
pii_cleanup(struct policy_req *r)
{
	struct pii_state *st = state(r);

	if (st == NULL)
		return;
	pii_vault_cleanup(&st->vault);
	for (size_t i = 0; i < st->n_fields; i++)
		pii_stream_field_cleanup(&st->fields[i].f);
	free(st->fields);
	json_decref(st->last_chunk);
	free(st);
	r->state[PII_SLOT] = NULL;
}

const struct policy_module policy_pii = {
	.name = "pii",
	.on_request = pii_on_request,
	.on_response_json = pii_on_response_json,
	.on_event = pii_on_event,
	.on_stream_end = pii_on_stream_end,
	.cleanup = pii_cleanup,
};
