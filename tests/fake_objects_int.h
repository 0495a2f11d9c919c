/*
 * Inside the fake upstream's object store: what tests/fake_objects.c (the
 * store, its helpers, the routes) shares with the kinds of objects,
 * tests/fake_jobs.c (files, batch jobs, fine-tuning jobs, models) and
 * tests/fake_beta.c (agents, conversations, libraries, voices).
 *
 * Every object is a JSON object in Mistral's shape; members whose name
 * starts with '_' are the store's own (file bytes, conversation entries,
 * job state) and never leave it (fo_public).
 */
#ifndef TESTS_FAKE_OBJECTS_INT_H
#define TESTS_FAKE_OBJECTS_INT_H

#include <stddef.h>

#include <jansson.h>

#include "tests/fake_objects.h"

enum fo_kind {
	FO_FILE,
	FO_BATCH,
	FO_FTJOB,
	FO_MODEL,
	FO_AGENT,
	FO_CONV,
	FO_LIBRARY,
	FO_DOCUMENT,
	FO_VOICE,
	FO_NKINDS
};

/* Caps: objects per kind and stored bytes (file and document contents). */
#define FO_MAX_OBJECTS	10000
#define FO_MAX_BYTES	((size_t)512 * 1024 * 1024)

struct fake_objects {
	json_t *kind[FO_NKINDS];	/* arrays, in creation order */
	size_t bytes;			/* stored contents */
	char org[37];			/* the organization that owns things */
};

/* One routed request. Strings are borrowed for the call. */
struct fo_call {
	const char *method;
	const char *id[2];	/* the path's {} segments, in order */
	const char *query;	/* after '?', or "" */
	const char *ctype;	/* Content-Type, or "" */
	json_t *body;		/* parsed JSON body, or NULL */
	const char *raw;	/* the body as received */
	size_t len;
};

typedef void fo_fn(struct fake_objects *, const struct fo_call *,
    struct fake_objects_reply *);

/* Answers: JSON (steals j), an empty body, errors in Mistral's envelope. */
void fo_json(struct fake_objects_reply *r, int status, json_t *j);
void fo_empty(struct fake_objects_reply *r, int status);
void fo_not_found(struct fake_objects_reply *r, const char *what,
    const char *id);
void fo_error(struct fake_objects_reply *r, int status, const char *code,
    const char *msg);
/* 422 with FastAPI's {"detail": [{type, loc: [where, field], msg}]}. */
void fo_invalid(struct fake_objects_reply *r, const char *where,
    const char *field, const char *msg);
/* 507: a cap of the store is reached. */
void fo_full(struct fake_objects_reply *r);

/* Ids and times. out holds 37 bytes (uuid), n + 1 (hex), 32 (iso). */
void fo_uuid(char *out);
void fo_hex(char *out, size_t n);
void fo_iso_now(char *out, size_t len);
json_int_t fo_now(void);

/* The store. fo_add steals o and returns it (borrowed), or NULL at a cap
 * (o is freed). fo_find returns a borrowed object or NULL. */
json_t *fo_add(struct fake_objects *s, enum fo_kind k, json_t *o);
json_t *fo_find(struct fake_objects *s, enum fo_kind k, const char *id);
void fo_remove(struct fake_objects *s, enum fo_kind k, const char *id);
/* A copy of o without the store's own members (new reference). */
json_t *fo_public(json_t *o);

/* Paging: reads the named query parameters (page 0-based, or with
 * offset set the offset) and answers 422 itself on a bad value: returns
 * 0 then. */
struct fo_page {
	long page, size, offset;
};
int fo_paging(const struct fo_call *c, struct fake_objects_reply *r,
    const char *size_name, long def, long max, int by_offset,
    struct fo_page *p);
/* The public copies of one page of kind k, newest first, of the objects
 * whose string member key equals val (all when key is NULL); *total
 * counts every match. */
json_t *fo_list(struct fake_objects *s, enum fo_kind k, const char *key,
    const char *val, const struct fo_page *p, long *total);

/* A query parameter, percent-decoded into out: 1 when present. */
int fo_query(const char *query, const char *name, char *out, size_t len);
/* An integer query parameter in [min, max], def when absent: 1, or 0
 * after a 422. */
int fo_query_long(const struct fo_call *c, struct fake_objects_reply *r,
    const char *name, long def, long min, long max, long *v);

/* One part of a multipart/form-data body by name: its bytes (pointing
 * into the body), its filename and Content-Type ("" when absent). */
struct fo_part {
	const char *data;
	size_t len;
	char filename[256];
	char ctype[128];
};
int fo_form_part(const struct fo_call *c, const char *name,
    struct fo_part *part);
/* A short form field's text (purpose, visibility): 1 when present. */
int fo_form_text(const struct fo_call *c, const char *name, char *out,
    size_t len);

/* A JSON string of a client's text (new reference): invalid UTF-8 becomes
 * "". */
json_t *fo_text(const char *s);

/* The text a fake model echoes: the last user text of messages, inputs
 * (a string or entries), prompt or input. */
void fo_echo_text(json_t *body, char *out, size_t len);

/* Route handlers of tests/fake_jobs.c. */
fo_fn fo_file_create, fo_file_list, fo_file_get, fo_file_delete,
    fo_file_content, fo_file_url;
fo_fn fo_batch_create, fo_batch_list, fo_batch_get, fo_batch_delete,
    fo_batch_cancel;
fo_fn fo_ft_create, fo_ft_list, fo_ft_get, fo_ft_cancel;
fo_fn fo_model_list, fo_model_get, fo_model_delete, fo_model_update,
    fo_model_archive;

/* Route handlers of tests/fake_beta.c. */
fo_fn fo_agent_create, fo_agent_list, fo_agent_get, fo_agent_update,
    fo_agent_delete;
fo_fn fo_conv_start, fo_conv_list, fo_conv_get, fo_conv_delete,
    fo_conv_append, fo_conv_history, fo_conv_messages, fo_conv_restart;
fo_fn fo_lib_create, fo_lib_list, fo_lib_get, fo_lib_update, fo_lib_delete;
fo_fn fo_doc_create, fo_doc_list, fo_doc_get, fo_doc_update, fo_doc_delete,
    fo_doc_text, fo_doc_status;
fo_fn fo_voice_create, fo_voice_list, fo_voice_get, fo_voice_update,
    fo_voice_delete;

#endif
