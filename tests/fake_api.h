/*
 * The fake upstream's answers for Mistral's other endpoints, in the exact
 * shapes of the OpenAPI spec (../shared/reference/mistral-openapi.yaml),
 * so that the official SDK's response validation means something:
 * moderations, classifications, OCR and batch jobs.
 */
#ifndef TESTS_FAKE_API_H
#define TESTS_FAKE_API_H

#include <jansson.h>

/* The answer to method path (body may be NULL): returns the JSON (new
 * reference) and sets *status, or NULL when the route is not one of these. */
json_t *fake_api_answer(const char *method, const char *path, json_t *body,
    int *status);

#endif
