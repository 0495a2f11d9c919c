/* Unit tests of object ownership: the cache, visibility, references in
 * bodies, what answers make and delete, list filters, delete paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "policy/endpoint.h"
#include "policy/objects.h"
#include "tests/tap.h"

static const struct endpoint *
op(int method, const char *path)
{
	const struct endpoint *ep = NULL;

	if (endpoint_find(method, path, strlen(path), &ep) != EP_FOUND)
		abort();
	return ep;
}

static json_t *
js(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	if (v == NULL)
		abort();
	return v;
}

static void
test_cache(void)
{
	struct objects *o = objects_new(), *fresh = objects_new();
	char team[OBJ_TEAM_MAX];
	char id[16];

	ok(o != NULL && fresh != NULL, "caches made");
	is_int(objects_set(o, EP_OBJ_FILE, "f-1", 3, "a"), 0, "set f-1 for a");
	ok(objects_owner(o, EP_OBJ_FILE, "f-1", 3, team) &&
	    strcmp(team, "a") == 0, "f-1 is a's");
	ok(!objects_owner(o, EP_OBJ_AGENT, "f-1", 3, team),
	    "the same id of another kind is another object");
	is_int(objects_set(o, EP_OBJ_FILE, "f-1", 3, "b"), 0, "set again");
	ok(objects_owner(o, EP_OBJ_FILE, "f-1", 3, team) &&
	    strcmp(team, "b") == 0, "the owner changes");
	is_int(objects_set(o, EP_OBJ_FILE, "f-1", 3, NULL), 0, "forget f-1");
	ok(!objects_owner(o, EP_OBJ_FILE, "f-1", 3, team), "f-1 is gone");
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(id, sizeof(id), "id-%d", i);

		objects_set(o, EP_OBJ_BATCH, id, (size_t)n, i % 2 ? "a" : "b");
	}
	is_int(objects_count(o), 5000, "5,000 objects (the table grows)");
	ok(objects_owner(o, EP_OBJ_BATCH, "id-4999", 7, team) &&
	    strcmp(team, "a") == 0, "the last one is found");
	ok(objects_set(o, EP_OBJ_FILE, "", 0, "a") != 0,
	    "an empty id is refused");
	{
		char longid[OBJ_ID_MAX + 1];

		memset(longid, 'x', sizeof(longid));
		ok(objects_set(o, EP_OBJ_FILE, longid, sizeof(longid), "a") !=
		    0, "a too long id is refused");
	}
	objects_set(fresh, EP_OBJ_FILE, "new", 3, "c");
	objects_swap(o, fresh);
	is_int(objects_count(o), 1, "a swap takes the fresh cache whole");
	ok(objects_owner(o, EP_OBJ_FILE, "new", 3, team) &&
	    strcmp(team, "c") == 0, "... with its owners");
	objects_free(o);
	objects_free(NULL);
}

static void
test_visible(void)
{
	struct objects *o = objects_new();

	objects_set(o, EP_OBJ_FILE, "fa", 2, "a");
	ok(objects_visible(o, EP_OBJ_FILE, "fa", 2, "a", 0), "a sees its own");
	ok(!objects_visible(o, EP_OBJ_FILE, "fa", 2, "b", 0),
	    "b does not see a's");
	ok(!objects_visible(o, EP_OBJ_FILE, "fa", 2, "b", 1),
	    "... not even with shared_objects");
	ok(!objects_visible(o, EP_OBJ_FILE, "zz", 2, "a", 0),
	    "nobody's object: hidden");
	ok(objects_visible(o, EP_OBJ_FILE, "zz", 2, "a", 1),
	    "nobody's object: visible with shared_objects");
	ok(objects_visible(o, EP_OBJ_MODEL, "mistral-small-latest", 20, "a",
	    0), "a base model belongs to no one: always visible");
	ok(!objects_visible(o, EP_OBJ_MODEL, "ft:x:1", 6, "a", 0),
	    "a fine-tuned model nobody owns: hidden");
	objects_free(o);
}

static void
test_body_refs(void)
{
	struct objects *o = objects_new();
	json_t *b;

	objects_set(o, EP_OBJ_FILE, "fa", 2, "a");
	objects_set(o, EP_OBJ_AGENT, "ag_a", 4, "a");
	objects_set(o, EP_OBJ_MODEL, "ft:m:a", 6, "a");
	b = js("{\"model\":\"mistral-small\",\"messages\":[{\"role\":\"user\","
	    "\"content\":[{\"type\":\"file\",\"file_id\":\"fa\"}]}]}");
	is_int(objects_check_body(o, b, "a", 0), EP_OBJ_NONE,
	    "a's file in a's chat: fine");
	is_int(objects_check_body(o, b, "b", 0), EP_OBJ_FILE,
	    "a's file in b's chat: not found");
	json_decref(b);
	b = js("{\"input_files\":[\"fa\",\"other\"],\"endpoint\":\"/v1/x\"}");
	is_int(objects_check_body(o, b, "a", 0), EP_OBJ_FILE,
	    "a batch naming a file nobody owns: not found");
	is_int(objects_check_body(o, b, "a", 1), EP_OBJ_NONE,
	    "... unless shared_objects");
	json_decref(b);
	b = js("{\"training_files\":[{\"file_id\":\"fa\",\"weight\":1}]}");
	is_int(objects_check_body(o, b, "b", 1), EP_OBJ_FILE,
	    "training files as objects: checked");
	json_decref(b);
	b = js("{\"agent_id\":\"ag_a\",\"messages\":[]}");
	is_int(objects_check_body(o, b, "b", 0), EP_OBJ_AGENT,
	    "another team's agent");
	json_decref(b);
	b = js("{\"model\":\"ft:m:a\",\"messages\":[]}");
	is_int(objects_check_body(o, b, "b", 1), EP_OBJ_MODEL,
	    "another team's fine-tuned model");
	is_int(objects_check_body(o, b, "a", 0), EP_OBJ_NONE,
	    "its own fine-tuned model");
	json_decref(b);
	b = js("[{\"library_ids\":[\"lib\"]}]");
	is_int(objects_check_body(o, b, "a", 0), EP_OBJ_LIBRARY,
	    "an array body is walked too");
	json_decref(b);
	objects_free(o);
}

static void
test_answers(void)
{
	struct objects *o = objects_new();
	struct obj_changes ch = { 0 };
	struct ep_param p[4];
	const struct endpoint *ep;
	const char *path;
	size_t n;
	json_t *a;

	ep = op(HTTP_POST, "/v1/files");
	a = js("{\"id\":\"f-new\",\"object\":\"file\"}");
	objects_from_answer(o, ep, NULL, 0, a, "a", &ch);
	ok(ch.n == 1 && ch.v[0].kind == EP_OBJ_FILE &&
	    strcmp(ch.v[0].id, "f-new") == 0 && !ch.v[0].removed,
	    "an upload makes a file");
	json_decref(a);
	ep = op(HTTP_POST, "/v1/conversations");
	a = js("{\"conversation_id\":\"conv_1\",\"outputs\":[]}");
	objects_from_answer(o, ep, NULL, 0, a, "a", &ch);
	ok(ch.n == 2 && ch.v[1].kind == EP_OBJ_CONVERSATION &&
	    strcmp(ch.v[1].id, "conv_1") == 0, "a conversation's id");
	json_decref(a);
	{
		static const char ev[] = "{\"type\":\"conversation.response."
		    "started\",\"conversation_id\":\"conv_2\"}";

		objects_from_event(ep, ev, sizeof(ev) - 1, &ch);
	}
	ok(ch.n == 3 && strcmp(ch.v[2].id, "conv_2") == 0,
	    "a streamed conversation's id");
	path = "/v1/libraries/lib-1/documents";
	ep = op(HTTP_POST, path);
	n = endpoint_params(ep, path, strlen(path), p, 4);
	a = js("{\"id\":\"doc-1\"}");
	objects_from_answer(o, ep, p, n, a, "a", &ch);
	ok(ch.n == 4 && ch.v[3].kind == EP_OBJ_DOCUMENT &&
	    strcmp(ch.v[3].parent, "lib-1") == 0,
	    "a document keeps its library");
	json_decref(a);
	obj_changes_free(&ch);

	/* A batch job of the team's makes its output files the team's. */
	objects_set(o, EP_OBJ_BATCH, "job-a", 5, "a");
	path = "/v1/batch/jobs/job-a";
	ep = op(HTTP_GET, path);
	n = endpoint_params(ep, path, strlen(path), p, 4);
	a = js("{\"id\":\"job-a\",\"output_file\":\"out-1\",\"error_file\":"
	    "\"err-1\"}");
	objects_from_answer(o, ep, p, n, a, "a", &ch);
	ok(ch.n == 2 && strcmp(ch.v[0].id, "out-1") == 0 &&
	    strcmp(ch.v[1].id, "err-1") == 0 && ch.v[0].kind == EP_OBJ_FILE,
	    "a job's output and error files");
	obj_changes_free(&ch);
	objects_from_answer(o, ep, p, n, a, "b", &ch);
	is_int(ch.n, 0, "... only when the job is the team's");
	json_decref(a);
	ep = op(HTTP_GET, "/v1/batch/jobs");
	a = js("{\"data\":[{\"id\":\"job-a\",\"output_file\":\"out-2\"},"
	    "{\"id\":\"job-x\",\"output_file\":\"out-3\"}],\"total\":2}");
	objects_from_answer(o, ep, NULL, 0, a, "a", &ch);
	ok(ch.n == 1 && strcmp(ch.v[0].id, "out-2") == 0,
	    "a list: the team's jobs' files only");
	obj_changes_free(&ch);
	json_decref(a);
	path = "/v1/files/out-1";
	ep = op(HTTP_DELETE, path);
	n = endpoint_params(ep, path, strlen(path), p, 4);
	objects_from_answer(o, ep, p, n, NULL, "a", &ch);
	ok(ch.n == 1 && ch.v[0].removed && strcmp(ch.v[0].id, "out-1") == 0,
	    "a DELETE removes, even without a JSON answer");
	obj_changes_free(&ch);
	path = "/v1/agents/ag_1/aliases";
	ep = op(HTTP_DELETE, path);
	n = endpoint_params(ep, path, strlen(path), p, 4);
	objects_from_answer(o, ep, p, n, NULL, "a", &ch);
	is_int(ch.n, 0, "deleting an agent's alias does not delete the agent");
	obj_changes_free(&ch);
	objects_free(o);
}

static void
test_filter(void)
{
	struct objects *o = objects_new();
	json_t *a, *items;

	objects_set(o, EP_OBJ_FILE, "fa", 2, "a");
	objects_set(o, EP_OBJ_FILE, "fb", 2, "b");
	a = js("{\"data\":[{\"id\":\"fa\"},{\"id\":\"fb\"},{\"id\":\"fz\"}],"
	    "\"total\":3}");
	items = objects_list_items(a);
	is_int(objects_filter(o, EP_OBJ_FILE, items, "a", 0), 1,
	    "a sees one of three");
	json_decref(a);
	a = js("[{\"id\":\"fa\"},{\"id\":\"fb\"},{\"id\":\"fz\"}]");
	is_int(objects_filter(o, EP_OBJ_FILE, objects_list_items(a), "a", 1),
	    2, "a bare array; with shared_objects a sees nobody's too");
	json_decref(a);
	a = js("{\"items\":[{\"id\":\"fb\"}]}");
	is_int(objects_filter(o, EP_OBJ_FILE, objects_list_items(a), "a", 0),
	    0, "an items list");
	json_decref(a);
	a = js("{\"object\":\"list\",\"data\":[{\"id\":\"mistral-small\"},"
	    "{\"id\":\"ft:x:1\"}]}");
	is_int(objects_filter(o, EP_OBJ_MODEL, objects_list_items(a), "a", 0),
	    1, "models: base ones stay, unowned fine-tuned ones go");
	json_decref(a);
	a = js("{\"x\":1}");
	ok(objects_list_items(a) == NULL, "no list, no items");
	json_decref(a);
	objects_free(o);
}

static void
test_paths(void)
{
	char buf[256];
	struct ep_param p[4];
	const char *path = "/v1/libraries/lib-1/documents/doc-2/text_content";
	const struct endpoint *ep = op(HTTP_GET, path);
	size_t n = endpoint_params(ep, path, strlen(path), p, 4);

	ok(n == 2 && p[0].kind == EP_OBJ_LIBRARY && p[0].len == 5 &&
	    memcmp(p[0].id, "lib-1", 5) == 0 && p[1].kind ==
	    EP_OBJ_DOCUMENT && memcmp(p[1].id, "doc-2", 5) == 0,
	    "a path's objects, in order");
	path = "/v1/agents/ag_1/versions/3";
	ep = op(HTTP_GET, path);
	n = endpoint_params(ep, path, strlen(path), p, 4);
	ok(n == 1 && p[0].kind == EP_OBJ_AGENT, "an untracked segment ({}) "
	    "is no object");
	ok(endpoint_delete_path(EP_OBJ_FILE, "f-1", NULL, buf, sizeof(buf)) ==
	    0 && strcmp(buf, "/v1/files/f-1") == 0, "a file's DELETE");
	ok(endpoint_delete_path(EP_OBJ_DOCUMENT, "d-1", "l-1", buf,
	    sizeof(buf)) == 0 && strcmp(buf, "/v1/libraries/l-1/documents/d-1")
	    == 0, "a document's DELETE names its library");
	ok(endpoint_delete_path(EP_OBJ_DOCUMENT, "d-1", NULL, buf,
	    sizeof(buf)) != 0, "... and needs it");
	ok(endpoint_delete_path(EP_OBJ_CONVERSATION, "c-1", NULL, buf,
	    sizeof(buf)) == 0 && strcmp(buf, "/v1/conversations/c-1") == 0,
	    "a conversation's DELETE");
	ok(endpoint_delete_path(EP_OBJ_FT_JOB, "j-1", NULL, buf,
	    sizeof(buf)) != 0, "a fine-tuning job has none");
	ok(endpoint_delete_path(EP_OBJ_FILE, "f-1", NULL, buf, 8) != 0,
	    "a path that does not fit is refused");
	for (size_t i = 0; i < n_endpoints; i++) {
		const char *q = endpoints[i].path;

		while ((q = strchr(q, '{')) != NULL) {
			const char *e = strchr(q, '}');

			if (e - q > 1 && endpoint_obj_parse(q + 1,
			    (size_t)(e - q - 1)) == EP_OBJ_NONE)
				ok(0, "row %s names a kind that does not exist",
				    endpoints[i].path);
			q = e;
		}
	}
	ok(1, "every named path segment of the table is a kind");
}

int
main(void)
{
	test_cache();
	test_visible();
	test_body_refs();
	test_answers();
	test_filter();
	test_paths();
	return tap_done();
}
