/*
 * The PII policy module: scans every string of a request but the
 * structural ones (policy/pii_walk.h), and every text field of a form,
 * applies the policy's action per entity type, and restores issued
 * pseudonyms in the answer, whole or streamed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"
#include "policy/pii_vault.h"
#include "policy/pii_walk.h"
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
	json_t *last_chunk;	/* id/model/created of the stream (flushes) */
};

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

/* Scans one text; *out holds the rewritten text when *changed. */
static int
apply(struct policy_req *r, struct pii_state *st, const char *s, size_t n,
    struct pii_buf *out, int *changed)
{
	return pii_apply(r->env->pii, &st->vault, r->env->hmac, r->key->team,
	    &st->rules, s, n, out, changed);
}

static void
mark_dirty(struct pii_walk *w, int doc)
{
	if (doc >= 0)
		w->docs[doc].dirty = 1;
}

/* A key whose text changed: the value moves to the rewritten key. */
static int
rename_key(json_t *obj, const char *key, const char *nk)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_object_get(obj, nk) != NULL)
		return -1;	/* two keys would become one: fail closed */
	if (json_object_set(obj, nk, v) != 0)
		return -1;
	return json_object_del(obj, key);
}

/*
 * Rewrites what a walk collected: the strings, the keys, then the JSON
 * texts whose content changed, innermost first (a text inside a text is
 * found after it). *changed is set when anything changed.
 */
static int
apply_walk(struct policy_req *r, struct pii_state *st, struct pii_walk *w,
    int *changed)
{
	struct pii_buf out = { NULL, 0, 0 };
	int rc = 0, ch;

	/* Token look-alikes the client typed can never be issued. */
	for (size_t i = 0; i < w->n_str && rc == 0; i++)
		rc = pii_vault_note_lookalikes(&st->vault,
		    json_string_value(w->str[i].s),
		    json_string_length(w->str[i].s));
	for (size_t i = 0; i < w->n_keys && rc == 0; i++)
		rc = pii_vault_note_lookalikes(&st->vault, w->keys[i].key,
		    strlen(w->keys[i].key));
	for (size_t i = 0; i < w->n_str && rc == 0; i++) {
		json_t *s = w->str[i].s;

		ch = 0;
		rc = apply(r, st, json_string_value(s), json_string_length(s),
		    &out, &ch);
		if (rc == 0 && ch) {
			rc = jsontext_string_setn(s, out.p, out.len);
			mark_dirty(w, w->str[i].doc);
			*changed = 1;
		}
	}
	for (size_t i = 0; i < w->n_keys && rc == 0; i++) {
		const char *k = w->keys[i].key;

		ch = 0;
		rc = apply(r, st, k, strlen(k), &out, &ch);
		if (rc == 0 && ch) {
			rc = rename_key(w->keys[i].obj, k, out.p);
			mark_dirty(w, w->keys[i].doc);
			*changed = 1;
		}
	}
	for (size_t i = w->n_docs; i-- > 0 && rc == 0;) {
		struct pii_walk_doc *d = &w->docs[i];
		char *js;

		if (!d->dirty)
			continue;
		js = jsontext_dump(d->root, 0, NULL);
		rc = js == NULL ? -1 : json_string_set(d->host, js);
		free(js);
		mark_dirty(w, d->parent);
	}
	pii_buf_free(&out);
	return rc == 0 ? 0 : -1;
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

/* One piece of a form: bytes that go as they are, or a text (s). */
struct piece {
	const char *p;
	size_t n;
	json_t *s;
};

struct form {
	struct piece *v;
	size_t n, cap;
};

static int
form_add(struct form *f, const char *p, size_t n)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct piece *nv = realloc(f->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		f->v = nv;
		f->cap = cap;
	}
	f->v[f->n].p = p;
	f->v[f->n].n = n;
	f->v[f->n].s = NULL;
	f->n++;
	return 0;
}

/*
 * A text piece of a form (headers, a field's value, the preamble and
 * epilogue) goes to the walk with the field's name; one that is not
 * UTF-8 cannot be read and counts as unscannable.
 */
static int
form_text(struct form *f, struct pii_walk *w, const char *p, size_t n,
    const char *name, size_t nl)
{
	char key[64];
	json_t *s;

	if (form_add(f, p, n) != 0)
		return -1;
	s = json_stringn(p, n);
	if (s == NULL) {
		w->unscannable++;
		return 0;
	}
	f->v[f->n - 1].s = s;
	if (nl >= 2 && memcmp(name + nl - 2, "[]", 2) == 0)
		nl -= 2;	/* context_bias[]: one of several values */
	if (name != NULL && nl < sizeof(key)) {
		memcpy(key, name, nl);
		key[nl] = '\0';
		pii_walk_value(w, s, key);
	} else {
		pii_walk_value(w, s, NULL);
	}
	return 0;
}

static void
form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++)
		json_decref(f->v[i].s);
	free(f->v);
}

/*
 * Splits a multipart form (audio transcriptions, uploads) into pieces:
 * every text (each field's value, each part's headers with its name and
 * filename, the preamble and the epilogue) is walked; file contents
 * cannot be scanned and count as unscannable. Returns -1 when the form
 * cannot be read.
 */
static int
form_split(struct policy_req *r, struct form *f, struct pii_walk *w)
{
	const char *body = r->raw, *end = r->raw + r->raw_len, *p;
	char delim[80];
	size_t dl;

	if (r->boundary == NULL || r->boundary_len + 4 > sizeof(delim))
		return -1;
	dl = (size_t)snprintf(delim, sizeof(delim), "--%.*s",
	    (int)r->boundary_len, r->boundary);
	p = memmem(body, r->raw_len, delim, dl);
	if (p == NULL || form_text(f, w, body, (size_t)(p - body), NULL,
	    0) != 0)
		return -1;
	while (p != NULL && p + dl <= end) {
		const char *h = p + dl, *hend, *v, *next, *name = NULL;
		size_t nl = 0;

		if (h + 2 <= end && memcmp(h, "--", 2) == 0) {
			/* The closing delimiter, then the epilogue. */
			return form_add(f, p, dl + 2) != 0 ||
			    form_text(f, w, h + 2, (size_t)(end - h - 2), NULL,
			    0) != 0 ? -1 : 0;
		}
		hend = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
		if (hend == NULL)
			return -1;
		v = hend + 4;
		next = memmem(v, (size_t)(end - v), delim, dl);
		if (next == NULL || next - v < 2)
			return -1;
		/* The value ends before the CRLF before the delimiter. */
		if (form_add(f, p, dl) != 0 || form_text(f, w, h,
		    (size_t)(hend - h), NULL, 0) != 0 ||
		    form_add(f, hend, 4) != 0)
			return -1;
		if (memmem(h, (size_t)(hend - h), "filename=", 9) != NULL) {
			w->unscannable++;
			if (form_add(f, v, (size_t)(next - v - 2)) != 0)
				return -1;
		} else {
			part_name(h, hend, &name, &nl);
			if (form_text(f, w, v, (size_t)(next - v - 2), name,
			    nl) != 0)
				return -1;
		}
		if (form_add(f, next - 2, 2) != 0)
			return -1;
		p = next;
	}
	return -1;
}

/* The form with its rewritten texts. */
static int
form_join(const struct form *f, struct pii_buf *out)
{
	int rc = 0;

	for (size_t i = 0; i < f->n && rc == 0; i++) {
		if (f->v[i].s != NULL)
			rc = pii_buf_add(out, json_string_value(f->v[i].s),
			    json_string_length(f->v[i].s));
		else
			rc = pii_buf_add(out, f->v[i].p, f->v[i].n);
	}
	return rc;
}

static int
block_unscannable(const struct policy_conf *pc, struct policy_block *b)
{
	b->code = "unscannable_content";
	snprintf(b->message, sizeof(b->message), "policy '%s' blocks content "
	    "that cannot be scanned for personal data (images, audio, "
	    "documents, files, data: URIs)", pc->name);
	return POLICY_BLOCK;
}

static int
pii_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct policy_conf *pc = r->policy;
	struct pii_state *st;
	struct pii_walk w;
	struct form f = { NULL, 0, 0 };
	int changed = 0, rc = 0;
	char types[200];
	size_t tl = 0;

	if (pc == NULL || !active(pc) || r->env == NULL || r->env->pii == NULL)
		return POLICY_PASS;
	if (r->body == NULL && !r->raw_body)
		return POLICY_PASS;
	pii_walk_init(&w);
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto fail;
	r->state[PII_SLOT] = st;
	pii_vault_init(&st->vault);
	memcpy(st->rules.action, pc->pii_actions, sizeof(st->rules.action));
	st->rules.allow = pc->pii_allow.v;
	st->rules.n_allow = pc->pii_allow.n;
	st->rules.phone_regions = &pc->phone_regions;
	if (r->raw_body) {
		if (form_split(r, &f, &w) != 0)
			goto fail;
	} else {
		pii_walk_value(&w, r->body, NULL);
	}
	if (w.failed)
		goto fail;
	if (w.unscannable > 0 && pc->pii_unscannable) {
		pii_walk_cleanup(&w);
		form_free(&f);
		return block_unscannable(pc, b);
	}
	r->unscannable = w.unscannable;
	if (apply_walk(r, st, &w, &changed) != 0)
		goto fail;
	if (r->raw_body && changed) {
		struct pii_buf out = { NULL, 0, 0 };

		rc = form_join(&f, &out);
		if (rc != 0) {
			pii_buf_free(&out);
			goto fail;
		}
		/* The new body belongs to the request from now on. */
		r->raw_out = out.p;
		r->raw_out_len = out.len;
	}
	pii_walk_cleanup(&w);
	form_free(&f);
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
		b->code = "pii_blocked";
		snprintf(b->message, sizeof(b->message), "policy '%s' blocks "
		    "personal data in this request: %s", pc->name, types);
		return POLICY_BLOCK;
	}
	return changed ? POLICY_MODIFIED : POLICY_PASS;
fail:
	pii_walk_cleanup(&w);
	form_free(&f);
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

	/* No '<', no token: nothing to copy. */
	if (!json_is_string(s) || memchr(json_string_value(s), '<',
	    json_string_length(s)) == NULL)
		return 0;
	n = pii_restore(&st->vault, json_string_value(s), 0,
	    json_string_length(s), json_text, 1, &out);
	if (n > 0)
		jsontext_string_setn(s, out.p ? out.p : "", out.len);
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

int
policy_pii_restores(const struct policy_req *r, const char *text,
    size_t len)
{
	const struct pii_state *st = r->state[PII_SLOT];

	if (st == NULL || st->vault.n == 0 || len == 0)
		return 0;
	return memchr(text, '<', len) != NULL ||
	    memmem(text, len, "\\u003c", 6) != NULL ||
	    memmem(text, len, "\\u003C", 6) != NULL;
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
		jsontext_string_setn(s, out.p ? out.p : "", out.len);
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
		json_array_foreach(json_object_get(delta, "tool_calls"), j,
		    tc) {
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
	.phase = POLICY_BODY,
	.on_request = pii_on_request,
	.on_response_json = pii_on_response_json,
	.on_event = pii_on_event,
	.on_stream_end = pii_on_stream_end,
	.cleanup = pii_cleanup,
};
