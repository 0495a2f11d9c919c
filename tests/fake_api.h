/*
 * The fake upstream's answers for Mistral's other endpoints, in the exact
 * shapes of the OpenAPI spec (../shared/reference/mistral-openapi.yaml),
 * so that the official SDK's response validation means something:
 * moderations, classifications, OCR and audio transcriptions. Objects
 * that live on (files, batch jobs, conversations, ...) are in
 * tests/fake_objects.h.
 */
#ifndef TESTS_FAKE_API_H
#define TESTS_FAKE_API_H

#include <jansson.h>

/* The answer to method path (body may be NULL): returns the JSON (new
 * reference) and sets *status, or NULL when the route is not one of these. */
json_t *fake_api_answer(const char *method, const char *path, json_t *body,
    int *status);

/* Appends one named SSE event to the malloc'ed *out (*len bytes): its
 * data is data (stolen) with "type" set to type. */
void fake_api_event(char **out, size_t *len, const char *type, json_t *data);

/* Named-event SSE answers (transcriptions with stream):
 * the whole stream (malloc'ed), or NULL. raw is the body as received
 * (multipart forms). */
char *fake_api_stream(const char *method, const char *path, json_t *body,
    const char *raw, size_t raw_len, size_t *len);
/* The non-streamed answers of those endpoints, or NULL. */
json_t *fake_api_resource(const char *method, const char *path,
    json_t *body, const char *raw, size_t raw_len);

#endif
