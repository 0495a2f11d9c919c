/*
 * The one table of what eugate knows about the Mistral API: every
 * operation (method and path pattern) with its group, the kind of body it
 * takes, what its cost is estimated from, and how it behaves (streams,
 * stateless, served by OpenAI-compatible servers, ...). Routing, access,
 * translation, spend and the request parser all read it; an operation
 * that is not in it is never forwarded.
 *
 * endpoint_target() checks a request target byte by byte: what it accepts
 * is forwarded exactly as it is, so it refuses everything that a server
 * could read differently (dot-segments, encoded or doubled slashes,
 * backslashes, control bytes) instead of normalizing it.
 */
#ifndef POLICY_ENDPOINT_H
#define POLICY_ENDPOINT_H

#include <stddef.h>

/* Mistral's API sections; a policy allows its teams a set of them. */
enum ep_group {
	EP_G_INFERENCE, EP_G_MODELS, EP_G_FILES, EP_G_BATCH, EP_G_FINE_TUNING,
	EP_G_AGENTS, EP_G_CONVERSATIONS, EP_G_LIBRARIES, EP_G_VOICES,
	EP_G_PROMPTS, EP_G_SKILLS, EP_G_CONNECTORS, EP_G_WORKFLOWS, EP_G_RAG,
	EP_G_OBSERVABILITY, EP_G_USERS, EP_G_ADMIN,
	EP_G__COUNT
};

/* What an operation's request body is. */
enum ep_body {
	EP_BODY_NONE,		/* nothing, or a JSON object (scanned) */
	EP_BODY_JSON,		/* a JSON object */
	EP_BODY_ARRAY,		/* a JSON object or array */
	EP_BODY_FORM		/* multipart/form-data, or a JSON object */
};

/* How an operation behaves. */
enum ep_flag {
	EP_STREAM = 1 << 0,	/* may answer with server-sent events */
	EP_STATELESS = 1 << 1,	/* stateless inference: what zero data
				 * retention covers and regional endpoints
				 * serve */
	EP_OPENAI = 1 << 2,	/* OpenAI-compatible servers have it */
	EP_COMPLETION = 1 << 3,	/* a completion: OpenAI-only fields are
				 * translated, max_tokens is top-level,
				 * service_tier may be forced */
	EP_SAFE_PROMPT = 1 << 4, /* safe_prompt may be forced */
	EP_STORE = 1 << 5,	/* conversations' "store" may be forced */
	EP_MODEL = 1 << 6,	/* routed by the model its body names, with
				 * failover between upstreams */
	EP_TIER = 1 << 7	/* service_tier may be forced */
};

/*
 * Objects that live upstream and belong to the team that created them
 * through eugate. A path segment "{file}" names one of kind file; "{}" an
 * id eugate does not track (a version, a field name, ...).
 */
enum ep_obj {
	EP_OBJ_NONE, EP_OBJ_FILE, EP_OBJ_BATCH, EP_OBJ_FT_JOB, EP_OBJ_MODEL,
	EP_OBJ_AGENT, EP_OBJ_CONVERSATION, EP_OBJ_LIBRARY, EP_OBJ_DOCUMENT,
	EP_OBJ_VOICE, EP_OBJ_PROMPT, EP_OBJ_SKILL,
	EP_OBJ__COUNT
};

/* How a list operation pages. */
enum ep_pager {
	EP_PAGER_NONE,		/* one answer holds every item */
	EP_PAGER_PAGE,		/* page (from 0) and page_size */
	EP_PAGER_OFFSET,	/* offset and limit */
	EP_PAGER_CURSOR		/* a token from the previous answer */
};

struct endpoint {
	const char *path;	/* "/v1/files/{file}/content": "{...}" is one
				 * path segment (an id) */
	unsigned char method;	/* enum http_method */
	unsigned char group;	/* enum ep_group */
	unsigned char body;	/* enum ep_body */
	unsigned char cost;	/* enum spend_kind (policy/spend.h) */
	unsigned short flags;	/* enum ep_flag */
	unsigned char creates;	/* enum ep_obj: its answer names a new one */
	unsigned char lists;	/* enum ep_obj: its answer lists them */
	unsigned char pager;	/* enum ep_pager, for lists */
};

const char *endpoint_obj_name(int kind);
/* The kind of a path parameter's name ("file"), or EP_OBJ_NONE. */
int endpoint_obj_parse(const char *name, size_t len);

/* An object a path names. */
struct ep_param {
	int kind;		/* enum ep_obj */
	const char *id;		/* into the path; not NUL-terminated */
	size_t len;
};

/*
 * The path that deletes an object of kind (a DELETE row ending in its
 * id; a document's path names its library, parent, first) into out (cap
 * bytes). -1 when the API has none, or it does not fit.
 */
int endpoint_delete_path(int kind, const char *id, const char *parent,
    char *out, size_t cap);

/* The tracked objects the path names (it matched ep), in path order;
 * returns how many (at most max). */
size_t endpoint_params(const struct endpoint *ep, const char *path,
    size_t path_len, struct ep_param *out, size_t max);

/* The whole table, for tests and listings. */
extern const struct endpoint endpoints[];
extern const size_t n_endpoints;

const char *endpoint_group_name(int group);
/* The group of a name ("files"), or -1. */
int endpoint_group_parse(const char *name, size_t len);

/* What endpoint_target() says of a request target. */
enum ep_target_status {
	EP_TARGET_OK,
	EP_TARGET_TOO_LONG,	/* 414 uri_too_long */
	EP_TARGET_INVALID	/* 400 invalid_path */
};

/* A checked request target: the path and the query, both in the caller's
 * buffer (not NUL-terminated). */
struct ep_target {
	const char *path;
	size_t path_len;
	const char *query;	/* after '?'; NULL when there is none */
	size_t query_len;
};

/*
 * Checks the target (len bytes; max: the most the gateway accepts) and
 * splits it. Accepted: an origin-form path of segments of letters, digits
 * and "-._~:@!$&'()*+,;=", no empty, "." or ".." segment, no '%'; and an
 * optional query of visible ASCII with well-formed %XX escapes.
 */
int endpoint_target(const char *target, size_t len, size_t max,
    struct ep_target *out);

/* What endpoint_find() says of a path. */
enum ep_find_status {
	EP_FOUND,
	EP_NO_PATH,		/* no operation has this path: 404 */
	EP_NO_METHOD		/* the path exists with other methods: 405 */
};

/*
 * The operation for method and path (path_len bytes, as checked by
 * endpoint_target). Sets *ep when found.
 */
int endpoint_find(int method, const char *path, size_t path_len,
    const struct endpoint **ep);

#endif
