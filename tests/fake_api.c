/* Mistral-shaped answers for moderation, classification, OCR and audio
 * transcriptions (stateless; stored objects are in fake_objects.c). */
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

json_t *
fake_api_answer(const char *method, const char *path, json_t *body,
    int *status)
{
	int post = strcmp(method, "POST") == 0;

	*status = 200;
	if (post && (strcmp(path, "/v1/moderations") == 0 ||
	    strcmp(path, "/v1/chat/moderations") == 0))
		return moderation(body);
	if (post && (strcmp(path, "/v1/classifications") == 0 ||
	    strcmp(path, "/v1/chat/classifications") == 0))
		return classification(body);
	if (post && strcmp(path, "/v1/ocr") == 0)
		return ocr(body);
	return NULL;
}

void
fake_api_event(char **out, size_t *len, const char *type, json_t *data)
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

char *
fake_api_stream(const char *method, const char *path, json_t *body,
    const char *raw, size_t raw_len, size_t *len)
{
	static const char streamed[] = "name=\"stream\"\r\n\r\ntrue";
	char *out = NULL;

	*len = 0;
	if (strcmp(method, "POST") != 0)
		return NULL;
	if (strcmp(path, "/v1/audio/transcriptions") == 0 && raw != NULL &&
	    memmem(raw, raw_len, streamed, sizeof(streamed) - 1) != NULL) {
		fake_api_event(&out, len, "transcription.language",
		    json_pack("{s:s}", "audio_language", "en"));
		fake_api_event(&out, len, "transcription.text.delta",
		    json_pack("{s:s}", "text", "Hello"));
		fake_api_event(&out, len, "transcription.text.delta",
		    json_pack("{s:s}", "text", " world."));
		fake_api_event(&out, len, "transcription.done",
		    json_pack("{s:s, s:s, s:s, s:[], s:{s:i, s:i, s:i, s:i}}",
		    "model", "voxtral-mini-latest", "text", "Hello world.",
		    "language", "en", "segments", "usage", "prompt_tokens", 4,
		    "completion_tokens", 3, "total_tokens", 7,
		    "prompt_audio_seconds", 2));
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
	if (strcmp(path, "/v1/audio/speech") == 0)
		return json_pack("{s:s}", "audio_data", "UklGRiQAAABXQVZF");
	if (strcmp(path, "/v1/audio/transcriptions") == 0 && raw != NULL)
		return json_pack("{s:s, s:s, s:s, s:[], "
		    "s:{s:i, s:i, s:i, s:i}}",
		    "model", "voxtral-mini-latest", "text", "Hello world.",
		    "language", "en", "segments", "usage", "prompt_tokens", 4,
		    "completion_tokens", 3, "total_tokens", 7,
		    "prompt_audio_seconds", 2);
	return NULL;
}
