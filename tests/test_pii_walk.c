/*
 * Unit tests of the PII walk (policy/pii_walk.c): the structural table
 * (a value of another shape is read), plain keys, data: URIs, and what a
 * walk collects from bodies with every field shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/pii.h"
#include "policy/pii_walk.h"
#include "tests/tap.h"

static int
structural(const char *key, const char *v)
{
	return pii_walk_structural(key, v, strlen(v));
}

static void
test_table(void)
{
	static const struct {
		const char *key, *value;
		int want;
	} cases[] = {
		{ "role", "user", 1 }, { "role", "assistant", 1 },
		{ "role", "bob@example.com", 0 }, { "role", "User", 0 },
		{ "type", "text", 1 }, { "type", "image_url", 1 },
		{ "type", "json_schema", 1 },
		{ "type", "call +49 30 1234567", 0 },
		{ "tool_choice", "auto", 1 }, { "tool_choice", "jane", 0 },
		{ "reasoning_effort", "high", 1 },
		{ "encoding_format", "base64", 1 },
		{ "file_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6", 1 },
		{ "file_id", "jane.doe@example.com", 0 },
		{ "file_id", "3fa85f64-5717-4562-b3fc-2c963f66afa", 0 },
		{ "agent_id", "ag_0123456789abcdef0123456789abcdef", 1 },
		{ "agent_id", "ag_+4930123456789", 0 },
		{ "endpoint", "/v1/chat/completions", 1 },
		{ "endpoint", "/v1/x jane@example.com", 0 },
		{ "language", "en", 1 }, { "language", "pt-BR", 1 },
		{ "language", "DE89370400440532013000", 0 },
		/* A tool call's id in the shape Mistral demands. */
		{ "id", "D681PevKs", 1 }, { "tool_call_id", "D681PevKs", 1 },
		{ "tool_call_id", "AB1234567", 1 },
		/* Not structural: read whatever they hold. */
		{ "model", "mistral-large-latest", 0 },
		{ "name", "get_weather", 0 }, { "id", "D681PevK", 0 },
		{ "tool_call_id", "call_12345", 0 }, { "custom_id", "1", 0 },
		{ "id", "D681PevKs0", 0 }, { "tool_call_id", "D681-evKs", 0 },
		{ "content", "user", 0 }, { NULL, "user", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(structural(cases[i].key, cases[i].value) == cases[i].want,
		    "structural %s = \"%s\": %s", cases[i].key ? cases[i].key :
		    "(none)", cases[i].value, cases[i].want ? "left" : "read");
	ok(pii_walk_plain_key("max_tokens", 10) &&
	    pii_walk_plain_key("tool_call_id", 12), "API field names are "
	    "plain keys");
	ok(!pii_walk_plain_key("jane.doe@example.com", 20) &&
	    !pii_walk_plain_key("Jane", 4) && !pii_walk_plain_key("a1", 2) &&
	    !pii_walk_plain_key("github_pat_abcdefghijklmnopqrstuv", 33) &&
	    !pii_walk_plain_key("", 0), "other keys are read");
	ok(pii_walk_data_uri("data:image/png;base64,iVBORw0KGgo=", 34) &&
	    pii_walk_data_uri("data:,Hello", 11) &&
	    !pii_walk_data_uri("data: see the table", 19) &&
	    !pii_walk_data_uri("database", 8), "data: URIs, and not prose");
}

/* The strings a walk collects from text, joined with '|', keys too. */
static const char *
collect(const char *body, unsigned *unscannable)
{
	static char out[2048];
	struct pii_walk w;
	json_t *j = json_loads(body, 0, NULL);
	size_t k = 0;

	out[0] = '\0';
	if (j == NULL)
		return "BAD JSON";
	pii_walk_init(&w);
	pii_walk_value(&w, j, NULL);
	for (size_t i = 0; i < w.n_str; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s",
		    k ? "|" : "", json_string_value(w.str[i].s));
	for (size_t i = 0; i < w.n_keys; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "|key:%s",
		    w.keys[i].key);
	*unscannable = w.unscannable;
	if (w.failed)
		snprintf(out, sizeof(out), "FAILED");
	pii_walk_cleanup(&w);
	json_decref(j);
	return out;
}

static void
test_walk(void)
{
	static const struct {
		const char *name, *body, *want;
		unsigned unscannable;
	} cases[] = {
		{ "messages[].name and content",
		  "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"name\":"
		  "\"N\",\"content\":\"C\"}]}", "m|N|C", 0 },
		{ "tools: description, schema, enum, examples",
		  "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
		  "\"f\",\"description\":\"D\",\"parameters\":{\"type\":"
		  "\"object\",\"properties\":{\"Mail\":{\"type\":\"string\","
		  "\"enum\":[\"E\"],\"examples\":[\"X\"]}}}}}]}",
		  "f|D|E|X|key:Mail", 0 },
		{ "response_format, stop, prediction",
		  "{\"response_format\":{\"type\":\"json_schema\","
		  "\"json_schema\":{\"name\":\"n\",\"schema\":{\"description\":"
		  "\"S\"}}},\"stop\":[\"P\",\"Q\"],\"prediction\":{\"type\":"
		  "\"content\",\"content\":\"R\"}}", "n|S|P|Q|R", 0 },
		{ "unknown fields and part types, nested content",
		  "{\"x_new\":\"U\",\"messages\":[{\"role\":\"user\","
		  "\"content\":[{\"type\":\"note_v9\",\"body\":\"B\","
		  "\"deep\":{\"a\":[{\"b\":\"Z\"}]}}]}]}", "U|note_v9|B|Z", 0 },
		{ "tool calls: ids, names, arguments as JSON text",
		  "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{"
		  "\"id\":\"I\",\"function\":{\"name\":\"F\",\"arguments\":"
		  "\"{\\\"To\\\":\\\"A\\\"}\"}}]},{\"role\":\"tool\","
		  "\"tool_call_id\":\"I\",\"content\":\"T\"}]}",
		  "I|F|A|I|T|key:To", 0 },
		{ "metadata keys, numbers and booleans",
		  "{\"metadata\":{\"jane@x.example\":\"v\",\"n\":12,"
		  "\"b\":true}}", "v|key:jane@x.example", 0 },
		{ "structural values of another shape",
		  "{\"messages\":[{\"role\":\"R@x\",\"content\":[{\"type\":"
		  "\"text\",\"text\":\"t\"}]}],\"tool_choice\":\"any\"}",
		  "R@x|t", 0 },
		{ "batch requests and conversation inputs",
		  "{\"endpoint\":\"/v1/chat/completions\",\"requests\":[{"
		  "\"custom_id\":\"c\",\"body\":{\"messages\":[{\"role\":"
		  "\"user\",\"content\":\"M\"}]}}],\"inputs\":[{\"type\":"
		  "\"function.result\",\"result\":\"O\"}]}", "c|M|O", 0 },
		{ "media parts: counted, URL and name read, base64 not",
		  "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		  "\"image_url\",\"image_url\":{\"url\":\"https://x/a.png\","
		  "\"detail\":\"high\"}},{\"type\":\"input_audio\","
		  "\"input_audio\":"
		  "\"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w"
		  "cXJzdHV2d3h5ejAxMjM0NTY3ODk=\"},{\"type\":\"document_url\","
		  "\"document_url\":\"data:application/pdf;base64,JVBE\","
		  "\"document_name\":\"cv\"}]}]}", "https://x/a.png|cv", 3 },
		{ "a data: URI anywhere",
		  "{\"metadata\":{\"blob\":\"data:text/plain,jane\"}}", "", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned un = 0;

		is_str(collect(cases[i].body, &un), cases[i].want,
		    cases[i].name);
		is_int(un, cases[i].unscannable, cases[i].name);
	}
}

int
main(void)
{
	test_table();
	test_walk();
	return tap_done();
}
