/* The fake upstream's agents, conversations, libraries and voices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fake_api.h"
#include "tests/fake_objects_int.h"

/* A prefix (5 bytes at most) and 32 random hex digits: ag_..., conv_...,
 * msg_...; out holds 40 bytes. */
static void
prefixed_id(char *out, size_t len, const char *prefix)
{
	char h[33];

	fo_hex(h, 32);
	snprintf(out, len, "%.5s%.32s", prefix, h);
}

/* Copies the members names[] that body has into o (null included). */
static void
copy_members(json_t *o, json_t *body, const char *const *names)
{
	for (; *names != NULL; names++) {
		json_t *v = json_object_get(body, *names);

		if (v != NULL)
			json_object_set_new(o, *names, json_deep_copy(v));
	}
}

static void
touch(json_t *o)
{
	char now[40];

	fo_iso_now(now, sizeof(now));
	json_object_set_new(o, "updated_at", json_string(now));
}

/* -- agents ------------------------------------------------------------ */

static const char *const agent_fields[] = { "instructions", "tools",
	"completion_args", "guardrails", "model", "name", "description",
	"handoffs", "metadata", "version_message", NULL };

void
fo_agent_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *b = c->body, *a;
	char id[40], now[40];

	if (!json_is_string(json_object_get(b, "model")) ||
	    !json_is_string(json_object_get(b, "name"))) {
		fo_invalid(r, "body", json_is_string(json_object_get(b,
		    "model")) ? "name" : "model", "Field required");
		return;
	}
	prefixed_id(id, sizeof(id), "ag_");
	fo_iso_now(now, sizeof(now));
	a = json_pack("{s:s, s:s, s:n, s:[], s:{}, s:n, s:n, s:n, s:i, s:[i], "
	    "s:s, s:s, s:b, s:s}", "id", id, "object", "agent", "instructions",
	    "tools", "completion_args", "description", "handoffs", "metadata",
	    "version", 0, "versions", 0, "created_at", now, "updated_at", now,
	    "deployment_chat", 0, "source", "api");
	copy_members(a, b, agent_fields);
	a = fo_add(s, FO_AGENT, a);
	if (a == NULL)
		fo_full(r);
	else
		fo_json(r, 200, fo_public(a));
}

void
fo_agent_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;

	if (fo_paging(c, r, "page_size", 20, 1000, 0, &p))
		fo_json(r, 200, fo_list(s, FO_AGENT, NULL, NULL, &p, &total));
}

void
fo_agent_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *a = fo_find(s, FO_AGENT, c->id[0]);

	if (a == NULL)
		fo_not_found(r, "agent", c->id[0]);
	else
		fo_json(r, 200, fo_public(a));
}

/* A new version with the members the body has. */
void
fo_agent_update(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *a = fo_find(s, FO_AGENT, c->id[0]);
	json_int_t v;

	if (a == NULL) {
		fo_not_found(r, "agent", c->id[0]);
		return;
	}
	if (!json_is_object(c->body)) {
		fo_invalid(r, "body", NULL,
		    "Input should be a valid dictionary");
		return;
	}
	copy_members(a, c->body, agent_fields);
	v = json_integer_value(json_object_get(a, "version")) + 1;
	json_object_set_new(a, "version", json_integer(v));
	json_array_append_new(json_object_get(a, "versions"), json_integer(v));
	touch(a);
	fo_json(r, 200, fo_public(a));
}

void
fo_agent_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	if (fo_find(s, FO_AGENT, c->id[0]) == NULL) {
		fo_not_found(r, "agent", c->id[0]);
		return;
	}
	fo_remove(s, FO_AGENT, c->id[0]);
	fo_empty(r, 204);
}

/* -- conversations ----------------------------------------------------- */

static json_t *
conv_usage(void)
{
	return json_pack("{s:i, s:i, s:i}", "prompt_tokens", 12,
	    "completion_tokens", 4, "total_tokens", 16);
}

/* Appends the entries of inputs (a string or entries) to entries. */
static void
add_inputs(json_t *entries, json_t *inputs, const char *now)
{
	json_t *in, *e;
	size_t i;
	char id[40];

	if (json_is_string(inputs)) {
		prefixed_id(id, sizeof(id), "msg_");
		json_array_append_new(entries, json_pack("{s:s, s:s, s:s, s:n, "
		    "s:s, s:s, s:O, s:b}", "object", "entry", "type",
		    "message.input", "created_at", now, "completed_at", "id",
		    id, "role", "user", "content", inputs, "prefix", 0));
		return;
	}
	json_array_foreach(inputs, i, in) {
		if (!json_is_object(in))
			continue;
		e = json_deep_copy(in);
		json_object_set_new(e, "object", json_string("entry"));
		if (!json_is_string(json_object_get(e, "type")))
			json_object_set_new(e, "type",
			    json_string("message.input"));
		if (!json_is_string(json_object_get(e, "created_at")))
			json_object_set_new(e, "created_at", json_string(now));
		if (!json_is_string(json_object_get(e, "id"))) {
			prefixed_id(id, sizeof(id), "msg_");
			json_object_set_new(e, "id", json_string(id));
		}
		json_array_append_new(entries, e);
	}
}

/* One turn: the inputs, the model's echo, the answer (JSON or, with
 * "stream": true, the named SSE events). conv is changed in place. */
static void
conv_turn(const struct fo_call *c, json_t *conv,
    struct fake_objects_reply *r)
{
	json_t *entries = json_object_get(conv, "_entries"), *out;
	const char *model = json_string_value(json_object_get(conv, "_model"));
	const char *cid = json_string_value(json_object_get(conv, "id"));
	char now[40], id[40], echo[250], content[260];
	char *sse = NULL;
	size_t len = 0;

	if (model == NULL)
		model = "mistral-medium-latest";
	fo_iso_now(now, sizeof(now));
	add_inputs(entries, json_object_get(c->body, "inputs"), now);
	fo_echo_text(c->body, echo, sizeof(echo));
	snprintf(content, sizeof(content), "echo: %s", echo);
	prefixed_id(id, sizeof(id), "msg_");
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "object",
	    "entry", "type", "message.output", "created_at", now,
	    "completed_at", now, "model", model, "id", id, "role", "assistant",
	    "content", fo_text(content));
	if (json_is_string(json_object_get(conv, "agent_id")))
		json_object_set(out, "agent_id", json_object_get(conv,
		    "agent_id"));
	json_array_append(entries, out);
	touch(conv);
	if (!json_is_true(json_object_get(c->body, "stream"))) {
		fo_json(r, 200, json_pack("{s:s, s:s, s:[o], s:o}", "object",
		    "conversation.response", "conversation_id", cid, "outputs",
		    out, "usage", conv_usage()));
		return;
	}
	/* The content in two deltas: "echo:" and the rest. */
	fake_api_event(&sse, &len, "conversation.response.started", json_pack(
	    "{s:s, s:s}", "created_at", now, "conversation_id", cid));
	fake_api_event(&sse, &len, "message.output.delta", json_pack("{s:s, "
	    "s:i, s:s, s:i, s:s, s:s, s:s}", "created_at", now, "output_index",
	    0, "id", id, "content_index", 0, "model", model, "role",
	    "assistant", "content", "echo:"));
	fake_api_event(&sse, &len, "message.output.delta", json_pack("{s:s, "
	    "s:i, s:s, s:i, s:s, s:s, s:o}", "created_at", now, "output_index",
	    0, "id", id, "content_index", 0, "model", model, "role",
	    "assistant", "content", fo_text(content + 5)));
	fake_api_event(&sse, &len, "conversation.response.done", json_pack(
	    "{s:s, s:o}", "created_at", now, "usage", conv_usage()));
	json_decref(out);
	r->status = 200;
	r->ctype = "text/event-stream";
	r->body = sse;
	r->len = len;
}

/* 1 when the body has inputs, a string or entries; else a 422. */
static int
has_inputs(const struct fo_call *c, struct fake_objects_reply *r)
{
	json_t *in = json_object_get(c->body, "inputs");

	if (json_is_string(in) || json_is_array(in))
		return 1;
	fo_invalid(r, "body", "inputs", "Field required");
	return 0;
}

/* Keeps conv (a new conversation) unless the body says "store": false;
 * answers the turn. Steals conv. */
static void
conv_keep_and_turn(struct fake_objects *s, const struct fo_call *c,
    json_t *conv, struct fake_objects_reply *r)
{
	if (json_is_false(json_object_get(c->body, "store"))) {
		conv_turn(c, conv, r);
		json_decref(conv);
		return;
	}
	conv = fo_add(s, FO_CONV, conv);
	if (conv == NULL)
		fo_full(r);
	else
		conv_turn(c, conv, r);
}

void
fo_conv_start(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	static const char *const fields[] = { "instructions", "tools",
		"completion_args", "name", "description", "metadata", NULL };
	json_t *b = c->body, *conv, *agent = NULL;
	const char *aid = json_string_value(json_object_get(b, "agent_id"));
	const char *model = json_string_value(json_object_get(b, "model"));
	char id[40], now[40];

	if (!has_inputs(c, r))
		return;
	if (aid != NULL && (agent = fo_find(s, FO_AGENT, aid)) == NULL) {
		fo_not_found(r, "agent", aid);
		return;
	}
	if (agent == NULL && model == NULL) {
		fo_invalid(r, "body", "model", "Field required");
		return;
	}
	prefixed_id(id, sizeof(id), "conv_");
	fo_iso_now(now, sizeof(now));
	conv = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "object", "conversation",
	    "id", id, "created_at", now, "updated_at", now, "_entries");
	if (agent != NULL) {
		json_object_set(conv, "agent_id", json_object_get(agent, "id"));
		json_object_set(conv, "agent_version", json_object_get(agent,
		    "version"));
		json_object_set(conv, "_model", json_object_get(agent,
		    "model"));
		copy_members(conv, b, fields + 3);
	} else {
		json_object_set_new(conv, "model", fo_text(model));
		json_object_set_new(conv, "_model", fo_text(model));
		json_object_set_new(conv, "tools", json_array());
		json_object_set_new(conv, "completion_args", json_object());
		copy_members(conv, b, fields);
	}
	conv_keep_and_turn(s, c, conv, r);
}

void
fo_conv_append(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *conv = fo_find(s, FO_CONV, c->id[0]);

	if (conv == NULL) {
		fo_not_found(r, "conversation", c->id[0]);
		return;
	}
	if (!has_inputs(c, r))
		return;
	if (json_is_false(json_object_get(c->body, "store"))) {
		conv = json_deep_copy(conv);	/* answered, not kept */
		conv_turn(c, conv, r);
		json_decref(conv);
		return;
	}
	conv_turn(c, conv, r);
}

/* A new conversation with the entries up to from_entry_id, then a turn. */
void
fo_conv_restart(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *conv = fo_find(s, FO_CONV, c->id[0]), *entries, *e;
	const char *from = json_string_value(json_object_get(c->body,
	    "from_entry_id"));
	char id[40], now[40];
	size_t i, keep;

	if (conv == NULL) {
		fo_not_found(r, "conversation", c->id[0]);
		return;
	}
	if (!has_inputs(c, r))
		return;
	entries = json_object_get(conv, "_entries");
	keep = json_array_size(entries);
	if (from != NULL) {
		json_array_foreach(entries, i, e) {
			const char *eid = json_string_value(json_object_get(e,
			    "id"));

			if (eid != NULL && strcmp(eid, from) == 0)
				break;
		}
		if (i == json_array_size(entries)) {
			fo_not_found(r, "entry", from);
			return;
		}
		keep = i + 1;
	}
	conv = json_deep_copy(conv);
	entries = json_object_get(conv, "_entries");
	while (json_array_size(entries) > keep)
		json_array_remove(entries, keep);
	prefixed_id(id, sizeof(id), "conv_");
	fo_iso_now(now, sizeof(now));
	json_object_set_new(conv, "id", json_string(id));
	json_object_set_new(conv, "created_at", json_string(now));
	conv_keep_and_turn(s, c, conv, r);
}

void
fo_conv_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;

	if (fo_paging(c, r, "page_size", 100, 100, 0, &p))
		fo_json(r, 200, fo_list(s, FO_CONV, NULL, NULL, &p, &total));
}

void
fo_conv_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *conv = fo_find(s, FO_CONV, c->id[0]);

	if (conv == NULL)
		fo_not_found(r, "conversation", c->id[0]);
	else
		fo_json(r, 200, fo_public(conv));
}

void
fo_conv_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	if (fo_find(s, FO_CONV, c->id[0]) == NULL) {
		fo_not_found(r, "conversation", c->id[0]);
		return;
	}
	fo_remove(s, FO_CONV, c->id[0]);
	fo_empty(r, 204);
}

/* The entries (history) or the message entries only (messages). */
static void
conv_entries(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r, int messages)
{
	json_t *conv = fo_find(s, FO_CONV, c->id[0]), *out, *e;
	size_t i;

	if (conv == NULL) {
		fo_not_found(r, "conversation", c->id[0]);
		return;
	}
	out = json_array();
	json_array_foreach(json_object_get(conv, "_entries"), i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));

		if (!messages || (t != NULL && strncmp(t, "message.", 8) == 0))
			json_array_append_new(out, json_deep_copy(e));
	}
	fo_json(r, 200, json_pack("{s:s, s:s, s:o}", "object", messages ?
	    "conversation.messages" : "conversation.history",
	    "conversation_id", c->id[0], messages ? "messages" : "entries",
	    out));
}

void
fo_conv_history(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	conv_entries(s, c, r, 0);
}

void
fo_conv_messages(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	conv_entries(s, c, r, 1);
}

/* -- libraries and documents ------------------------------------------- */

void
fo_lib_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	static const char *const fields[] = { "description", "chunk_size",
		"owner_type", NULL };
	json_t *b = c->body, *lib;
	char id[37], now[40];

	if (!json_is_string(json_object_get(b, "name"))) {
		fo_invalid(r, "body", "name", "Field required");
		return;
	}
	fo_uuid(id);
	fo_iso_now(now, sizeof(now));
	lib = json_pack("{s:s, s:O, s:s, s:s, s:s, s:s, s:i, s:i, s:n, s:n, "
	    "s:n, s:n, s:i, s:i, s:n, s:n}", "id", id, "name",
	    json_object_get(b, "name"), "created_at", now, "updated_at", now,
	    "owner_id", s->org, "owner_type", "Workspace", "total_size", 0,
	    "nb_documents", 0, "chunk_size", "emoji", "description",
	    "generated_description", "explicit_user_members_count", 0,
	    "explicit_workspace_members_count", 1, "org_sharing_role",
	    "generated_name");
	copy_members(lib, b, fields);
	lib = fo_add(s, FO_LIBRARY, lib);
	if (lib == NULL)
		fo_full(r);
	else
		fo_json(r, 201, fo_public(lib));
}

void
fo_lib_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;
	json_t *data;

	if (!fo_paging(c, r, "page_size", 100, 100, 0, &p))
		return;
	data = fo_list(s, FO_LIBRARY, NULL, NULL, &p, &total);
	fo_json(r, 200, json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:b}}", "data",
	    data, "pagination", "total_items", (json_int_t)total, "total_pages",
	    (json_int_t)((total + p.size - 1) / p.size), "current_page",
	    (json_int_t)p.page, "page_size", (json_int_t)p.size, "has_more",
	    p.offset + p.size < total));
}

void
fo_lib_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib = fo_find(s, FO_LIBRARY, c->id[0]);

	if (lib == NULL)
		fo_not_found(r, "library", c->id[0]);
	else
		fo_json(r, 200, fo_public(lib));
}

void
fo_lib_update(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	static const char *const fields[] = { "name", "description", NULL };
	json_t *lib = fo_find(s, FO_LIBRARY, c->id[0]);

	if (lib == NULL) {
		fo_not_found(r, "library", c->id[0]);
		return;
	}
	if (json_object_get(c->body, "name") != NULL &&
	    !json_is_string(json_object_get(c->body, "name"))) {
		fo_invalid(r, "body", "name", "Input should be a valid string");
		return;
	}
	copy_members(lib, c->body, fields);
	touch(lib);
	fo_json(r, 200, fo_public(lib));
}

/* Deletes the library and its documents; answers the library. */
void
fo_lib_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib = fo_find(s, FO_LIBRARY, c->id[0]), *docs = s->kind[
	    FO_DOCUMENT];

	if (lib == NULL) {
		fo_not_found(r, "library", c->id[0]);
		return;
	}
	fo_json(r, 200, fo_public(lib));
	for (size_t i = json_array_size(docs); i-- > 0;) {
		json_t *d = json_array_get(docs, i);
		const char *l = json_string_value(json_object_get(d,
		    "library_id"));

		if (l != NULL && strcmp(l, c->id[0]) == 0)
			fo_remove(s, FO_DOCUMENT, json_string_value(
			    json_object_get(d, "id")));
	}
	fo_remove(s, FO_LIBRARY, c->id[0]);
}

/* The library's counters follow its documents. */
static void
lib_count(json_t *lib, json_int_t docs, json_int_t bytes)
{
	json_object_set_new(lib, "nb_documents", json_integer(
	    json_integer_value(json_object_get(lib, "nb_documents")) + docs));
	json_object_set_new(lib, "total_size", json_integer(
	    json_integer_value(json_object_get(lib, "total_size")) + bytes));
	touch(lib);
}

/* The library of the path, and its document when the path names one;
 * NULL after a 404. */
static json_t *
lib_doc(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r, json_t **lib)
{
	json_t *d;
	const char *l;

	*lib = fo_find(s, FO_LIBRARY, c->id[0]);
	if (*lib == NULL) {
		fo_not_found(r, "library", c->id[0]);
		return NULL;
	}
	d = fo_find(s, FO_DOCUMENT, c->id[1]);
	l = json_string_value(json_object_get(d, "library_id"));
	if (d == NULL || l == NULL || strcmp(l, c->id[0]) != 0) {
		fo_not_found(r, "document", c->id[1]);
		return NULL;
	}
	return d;
}

/* FNV-1a, as the document's hash (an upload of the same bytes to the
 * same library answers the existing document, 200). */
static void
doc_hash(const char *p, size_t n, char *out, size_t len)
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	snprintf(out, len, "%016llx", h);
}

void
fo_doc_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib = fo_find(s, FO_LIBRARY, c->id[0]), *d, *txt;
	struct fo_part file;
	char id[37], now[40], hash[20];
	const char *ext;
	size_t i;

	if (lib == NULL) {
		fo_not_found(r, "library", c->id[0]);
		return;
	}
	if (!fo_form_part(c, "file", &file)) {
		fo_invalid(r, "body", "file", "Field required");
		return;
	}
	doc_hash(file.data, file.len, hash, sizeof(hash));
	json_array_foreach(s->kind[FO_DOCUMENT], i, d) {
		if (strcmp(json_string_value(json_object_get(d, "library_id")),
		    c->id[0]) == 0 && strcmp(json_string_value(
		    json_object_get(d, "hash")), hash) == 0) {
			fo_json(r, 200, fo_public(d));
			return;
		}
	}
	fo_uuid(id);
	fo_iso_now(now, sizeof(now));
	ext = strrchr(file.filename, '.');
	txt = json_stringn(file.data, file.len);
	d = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:n, s:s, s:s, "
	    "s:n, s:s, s:n, s:s, s:I, s:i, s:I, s:n, s:n, s:s, s:o}", "id", id,
	    "library_id", c->id[0], "hash", hash, "mime_type",
	    fo_text(file.ctype[0] != '\0' ? file.ctype :
	    "application/octet-stream"),
	    "extension", ext != NULL ? fo_text(ext + 1) : json_null(), "size",
	    (json_int_t)file.len, "name", fo_text(file.filename[0] != '\0' ?
	    file.filename : "document"), "summary", "created_at", now,
	    "last_processed_at", now, "number_of_pages", "process_status",
	    "done", "uploaded_by_id", "uploaded_by_type", "Workspace",
	    "tokens_processing_main_content", (json_int_t)file.len / 4,
	    "tokens_processing_summary", 0, "tokens_processing_total",
	    (json_int_t)file.len / 4, "url", "attributes", "processing_status",
	    "done", "_text", txt != NULL ? txt : json_string(""));
	d = fo_add(s, FO_DOCUMENT, d);
	if (d == NULL) {
		fo_full(r);
		return;
	}
	lib_count(lib, 1, (json_int_t)file.len);
	fo_json(r, 201, fo_public(d));
}

void
fo_doc_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;
	json_t *data;

	if (fo_find(s, FO_LIBRARY, c->id[0]) == NULL) {
		fo_not_found(r, "library", c->id[0]);
		return;
	}
	if (!fo_paging(c, r, "page_size", 100, 100, 0, &p))
		return;
	data = fo_list(s, FO_DOCUMENT, "library_id", c->id[0], &p, &total);
	fo_json(r, 200, json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:b}}", "data",
	    data, "pagination", "total_items", (json_int_t)total, "total_pages",
	    (json_int_t)((total + p.size - 1) / p.size), "current_page",
	    (json_int_t)p.page, "page_size", (json_int_t)p.size, "has_more",
	    p.offset + p.size < total));
}

void
fo_doc_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib, *d = lib_doc(s, c, r, &lib);

	if (d != NULL)
		fo_json(r, 200, fo_public(d));
}

void
fo_doc_update(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	static const char *const fields[] = { "name", "attributes", NULL };
	json_t *lib, *d = lib_doc(s, c, r, &lib);

	if (d == NULL)
		return;
	if (json_object_get(c->body, "name") != NULL &&
	    !json_is_string(json_object_get(c->body, "name"))) {
		fo_invalid(r, "body", "name", "Input should be a valid string");
		return;
	}
	copy_members(d, c->body, fields);
	fo_json(r, 200, fo_public(d));
}

void
fo_doc_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib, *d = lib_doc(s, c, r, &lib);

	if (d == NULL)
		return;
	lib_count(lib, -1, -json_integer_value(json_object_get(d, "size")));
	fo_remove(s, FO_DOCUMENT, c->id[1]);
	fo_empty(r, 204);
}

void
fo_doc_text(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib, *d = lib_doc(s, c, r, &lib);

	if (d != NULL)
		fo_json(r, 200, json_pack("{s:O}", "text", json_object_get(d,
		    "_text")));
}

void
fo_doc_status(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *lib, *d = lib_doc(s, c, r, &lib);

	if (d != NULL)
		fo_json(r, 200, json_pack("{s:s, s:s, s:s}", "document_id",
		    c->id[1], "process_status", "done", "processing_status",
		    "done"));
}

/* -- voices ------------------------------------------------------------ */

static const char *const voice_fields[] = { "name", "slug", "languages",
	"gender", "age", "tags", "color", "description", "retention_notice",
	NULL };

void
fo_voice_create(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *b = c->body, *v;
	char id[37], now[40];

	if (!json_is_string(json_object_get(b, "name")) ||
	    !json_is_string(json_object_get(b, "sample_audio"))) {
		fo_invalid(r, "body", json_is_string(json_object_get(b,
		    "name")) ? "sample_audio" : "name", "Field required");
		return;
	}
	fo_uuid(id);
	fo_iso_now(now, sizeof(now));
	v = json_pack("{s:s, s:n, s:[], s:n, s:n, s:n, s:n, s:n, s:i, s:s, "
	    "s:n, s:n}", "id", id, "slug", "languages", "gender", "age", "tags",
	    "color", "description", "retention_notice", 30, "created_at", now,
	    "user_id", "trimmed_seconds");
	copy_members(v, b, voice_fields);
	v = fo_add(s, FO_VOICE, v);
	if (v == NULL)
		fo_full(r);
	else
		fo_json(r, 200, fo_public(v));
}

/* limit and offset; page is 1-based (offset / limit + 1). */
void
fo_voice_list(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	struct fo_page p;
	long total;
	json_t *items;

	if (!fo_paging(c, r, "limit", 10, 100, 1, &p))
		return;
	items = fo_list(s, FO_VOICE, NULL, NULL, &p, &total);
	fo_json(r, 200, json_pack("{s:o, s:I, s:I, s:I, s:I}", "items", items,
	    "total", (json_int_t)total, "page", (json_int_t)p.page + 1,
	    "page_size", (json_int_t)p.size, "total_pages",
	    (json_int_t)((total + p.size - 1) / p.size)));
}

void
fo_voice_get(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *v = fo_find(s, FO_VOICE, c->id[0]);

	if (v == NULL)
		fo_not_found(r, "voice", c->id[0]);
	else
		fo_json(r, 200, fo_public(v));
}

void
fo_voice_update(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *v = fo_find(s, FO_VOICE, c->id[0]);

	if (v == NULL) {
		fo_not_found(r, "voice", c->id[0]);
		return;
	}
	if (json_object_get(c->body, "name") != NULL &&
	    !json_is_string(json_object_get(c->body, "name"))) {
		fo_invalid(r, "body", "name", "Input should be a valid string");
		return;
	}
	copy_members(v, c->body, voice_fields);
	fo_json(r, 200, fo_public(v));
}

/* Answers the deleted voice, as the spec says. */
void
fo_voice_delete(struct fake_objects *s, const struct fo_call *c,
    struct fake_objects_reply *r)
{
	json_t *v = fo_find(s, FO_VOICE, c->id[0]);

	if (v == NULL) {
		fo_not_found(r, "voice", c->id[0]);
		return;
	}
	fo_json(r, 200, fo_public(v));
	fo_remove(s, FO_VOICE, c->id[0]);
}
