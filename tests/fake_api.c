/* Mistral-shaped answers for moderation, classification, OCR, batch,
 * conversations and audio transcriptions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fake_api.h"

static const char *
model_of(json_t *body, const char *def)
{
	const char *m = json_string_value(json_object_get(body, "model"));

	return m ? m : def;
}

/* How many inputs a moderation or classification request has. */
static size_t
n_inputs(json_t *body)
{
	json_t *in = json_object_get(body, "input");

	if (json_is_array(in))
		return json_array_size(in) ? json_array_size(in) : 1;
	return 1;
}

static json_t *
moderation(json_t *body)
{
	static const char *const cats[] = { "sexual", "hate_and_discrimination",
		"violence_and_threats", "dangerous_and_criminal_content",
		"selfharm", "health", "financial", "law", "pii" };
	json_t *results = json_array();

	for (size_t i = 0; i < n_inputs(body); i++) {
		json_t *c = json_object(), *s = json_object();

		for (size_t k = 0; k < sizeof(cats) / sizeof(cats[0]); k++) {
			json_object_set_new(c, cats[k], json_false());
			json_object_set_new(s, cats[k], json_real(0.01));
		}
		json_array_append_new(results, json_pack("{s:o, s:o}",
		    "categories", c, "category_scores", s));
	}
	return json_pack("{s:s, s:s, s:o}", "id", "mod-fake", "model",
	    model_of(body, "mistral-moderation-latest"), "results", results);
}

static json_t *
classification(json_t *body)
{
	json_t *results = json_array();

	for (size_t i = 0; i < n_inputs(body); i++)
		json_array_append_new(results, json_pack("{s:{s:{s:f, s:f}}}",
		    "intent", "scores", "question", 0.9, "other", 0.1));
	return json_pack("{s:s, s:s, s:o}", "id", "cls-fake", "model",
	    model_of(body, "ft:classifier:fake"), "results", results);
}

static json_t *
ocr(json_t *body)
{
	return json_pack("{s:[{s:i, s:s, s:[], s:{s:i, s:i, s:i}}], s:s, "
	    "s:{s:i, s:i}}", "pages", "index", 0, "markdown", "# Invoice\n\n"
	    "Total: 42 EUR", "images", "dimensions", "dpi", 200, "height", 2200,
	    "width", 1700, "model", model_of(body, "mistral-ocr-latest"),
	    "usage_info", "pages_processed", 1, "doc_size_bytes", 4096);
}

static json_t *
batch_job(const char *id, const char *status, json_t *body)
{
	json_t *files = json_object_get(body, "input_files");

	return json_pack("{s:s, s:s, s:O, s:s, s:s, s:[], s:s, s:i, s:i, s:i, "
	    "s:i, s:i}", "id", id, "object", "batch", "input_files",
	    json_is_array(files) ? files : json_pack("[]"), "endpoint",
	    json_string_value(json_object_get(body, "endpoint")) ?
	    json_string_value(json_object_get(body, "endpoint")) :
	    "/v1/chat/completions", "model", model_of(body,
	    "mistral-small-latest"), "errors", "status", status, "created_at",
	    1700000000, "total_requests", 1, "completed_requests", 0,
	    "succeeded_requests", 0, "failed_requests", 0);
}

json_t *
fake_api_answer(const char *method, const char *path, json_t *body,
    int *status)
{
	int post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
	const char *id;

	*status = 200;
	if (post && (strcmp(path, "/v1/moderations") == 0 ||
	    strcmp(path, "/v1/chat/moderations") == 0))
		return moderation(body);
	if (post && (strcmp(path, "/v1/classifications") == 0 ||
	    strcmp(path, "/v1/chat/classifications") == 0))
		return classification(body);
	if (post && strcmp(path, "/v1/ocr") == 0)
		return ocr(body);
	if (post && strcmp(path, "/v1/batch/jobs") == 0)
		return batch_job("batch-fake-1", "QUEUED", body);
	if (get && strcmp(path, "/v1/batch/jobs") == 0)
		return json_pack("{s:[o], s:s, s:i}", "data", batch_job(
		    "batch-fake-1", "RUNNING", NULL), "object", "list", "total", 1);
	if (strncmp(path, "/v1/batch/jobs/", 15) != 0)
		return NULL;
	id = path + 15;
	if (post && strstr(id, "/cancel") != NULL) {
		char jid[128];

		snprintf(jid, sizeof(jid), "%.*s", (int)(strstr(id, "/cancel") -
		    id), id);
		return batch_job(jid, "CANCELLATION_REQUESTED", NULL);
	}
	if (get && strchr(id, '/') == NULL)
		return batch_job(id, "RUNNING", NULL);
	return NULL;
}

/* Appends one named SSE event (its data repeats the type) to out. */
static void
event(char **out, size_t *len, const char *type, json_t *data)
{
	char *js;
	size_t n;

	json_object_set_new(data, "type", json_string(type));
	js = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	n = strlen(type) + strlen(js) + 20;
	*out = realloc(*out, *len + n + 1);
	*len += (size_t)snprintf(*out + *len, n + 1, "event: %s\ndata: %s\n\n",
	    type, js);
	free(js);
}

static json_t *
conv_usage(void)
{
	return json_pack("{s:i, s:i, s:i}", "prompt_tokens", 12,
	    "completion_tokens", 4, "total_tokens", 16);
}

static int
is_conversation(const char *path)
{
	return strcmp(path, "/v1/conversations") == 0 ||
	    (strncmp(path, "/v1/conversations/", 18) == 0 &&
	    strchr(path + 18, '/') == NULL) ||
	    (strncmp(path, "/v1/conversations/", 18) == 0 &&
	    strstr(path + 18, "/restart") != NULL);
}

char *
fake_api_stream(const char *method, const char *path, json_t *body,
    const char *raw, size_t raw_len, size_t *len)
{
	static const char streamed[] = "name=\"stream\"\r\n\r\ntrue";
	char *out = NULL;

	*len = 0;
	if (strcmp(method, "POST") != 0)
		return NULL;
	if (is_conversation(path) && json_is_true(json_object_get(body,
	    "stream"))) {
		event(&out, len, "conversation.response.started", json_pack(
		    "{s:s, s:s}", "created_at", "2026-01-01T00:00:00Z",
		    "conversation_id", "conv_fake1"));
		event(&out, len, "message.output.delta", json_pack("{s:s, s:i, "
		    "s:s, s:i, s:s, s:s, s:s}", "created_at",
		    "2026-01-01T00:00:00Z", "output_index", 0, "id", "msg_fake1",
		    "content_index", 0, "model", "mistral-medium-latest", "role",
		    "assistant", "content", "echo:"));
		event(&out, len, "message.output.delta", json_pack("{s:s, s:i, "
		    "s:s, s:i, s:s, s:s, s:s}", "created_at",
		    "2026-01-01T00:00:00Z", "output_index", 0, "id", "msg_fake1",
		    "content_index", 0, "model", "mistral-medium-latest", "role",
		    "assistant", "content", " hello"));
		event(&out, len, "conversation.response.done", json_pack("{s:s, "
		    "s:o}", "created_at", "2026-01-01T00:00:00Z", "usage",
		    conv_usage()));
		return out;
	}
	if (strcmp(path, "/v1/audio/transcriptions") == 0 && raw != NULL &&
	    memmem(raw, raw_len, streamed, sizeof(streamed) - 1) != NULL) {
		event(&out, len, "transcription.language", json_pack("{s:s}",
		    "audio_language", "en"));
		event(&out, len, "transcription.text.delta", json_pack("{s:s}",
		    "text", "Hello"));
		event(&out, len, "transcription.text.delta", json_pack("{s:s}",
		    "text", " world."));
		event(&out, len, "transcription.done", json_pack("{s:s, s:s, "
		    "s:s, s:[], s:{s:i, s:i, s:i, s:i}}", "model",
		    "voxtral-mini-latest", "text", "Hello world.", "language", "en",
		    "segments", "usage", "prompt_tokens", 4, "completion_tokens",
		    3, "total_tokens", 7, "prompt_audio_seconds", 2));
		return out;
	}
	return NULL;
}

json_t *
fake_api_resource(const char *method, const char *path, json_t *body,
    const char *raw, size_t raw_len)
{
	if (strcmp(method, "POST") != 0)
		return NULL;
	if (is_conversation(path))
		return json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:s, "
		    "s:s, s:s}], s:o}", "object", "conversation.response",
		    "conversation_id", "conv_fake1", "outputs", "object", "entry",
		    "type", "message.output", "created_at", "2026-01-01T00:00:00Z",
		    "completed_at", "2026-01-01T00:00:01Z", "model",
		    "mistral-medium-latest", "id", "msg_fake1", "role", "assistant",
		    "content", "echo: hello", "usage", conv_usage());
	if (strcmp(path, "/v1/audio/speech") == 0)
		return json_pack("{s:s}", "audio_data", "UklGRiQAAABXQVZF");
	if (strcmp(path, "/v1/audio/transcriptions") == 0 && raw != NULL)
		return json_pack("{s:s, s:s, s:s, s:[], s:{s:i, s:i, s:i, s:i}}",
		    "model", "voxtral-mini-latest", "text", "Hello world.",
		    "language", "en", "segments", "usage", "prompt_tokens", 4,
		    "completion_tokens", 3, "total_tokens", 7,
		    "prompt_audio_seconds", 2);
	return NULL;
}
