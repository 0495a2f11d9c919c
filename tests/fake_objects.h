/*
 * The fake upstream's object store: Mistral's stateful resources (files,
 * batch jobs, fine-tuning jobs and the models they produce, agents,
 * conversations, libraries and their documents, voices) kept in memory,
 * so that an object created by one request can be listed, read, changed
 * and deleted by later ones, in the shapes of the OpenAPI spec
 * (../shared/reference/mistral-openapi.yaml).
 *
 * Ids have Mistral's forms: UUIDs (files, batch jobs, fine-tuning jobs,
 * libraries, documents, voices), "ag_" + 32 hex (agents), "conv_" + 32 hex
 * (conversations), "ft:<base>:<8 hex>:<yyyymmdd>:<8 hex>" (models). Lists
 * are newest first; page is 0-based and page_size defaults as the spec
 * says (100; agents 20; voices take limit (10) and offset); a page or size
 * out of the spec's range is a 422 as FastAPI answers it. An id that names
 * no object is a 404 in Mistral's error envelope, code "not_found".
 *
 * Time passes on reads: the first GET of a queued batch job runs it (status
 * SUCCESS, an output and an error file, JSONL; a request whose body is not
 * a non-empty object goes to the error file), the first GET of a queued
 * fine-tuning job finishes it (a new model in /v1/models). Conversations
 * started with "store": false are answered and not kept.
 *
 * The state is per process; a request with the header x-fake-reset: 1
 * clears it first.
 */
#ifndef TESTS_FAKE_OBJECTS_H
#define TESTS_FAKE_OBJECTS_H

#include <stddef.h>

#include <jansson.h>

struct evhttp_request;
struct fake_objects;

/* One answer, for the caller to send with its own common headers. */
struct fake_objects_reply {
	int status;
	const char *ctype;	/* a static string */
	char *body;		/* malloc'ed, len bytes (NULL when empty) */
	size_t len;
	char disposition[200];	/* Content-Disposition, or "" */
};

/* A new empty store (NULL when out of memory); _free(NULL) is a no-op. */
struct fake_objects *fake_objects_new(void);
void fake_objects_free(struct fake_objects *s);

/* Answers req when its method and path are one of the store's routes:
 * fills *out (the caller owns and frees out->body) and returns 1; else
 * returns 0 and the caller answers. body is the parsed JSON body or NULL
 * (borrowed); the raw body is read from req. */
int fake_objects_answer(struct fake_objects *s, struct evhttp_request *req,
    json_t *body, struct fake_objects_reply *out);

#endif
