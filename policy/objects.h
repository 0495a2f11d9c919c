/*
 * Upstream objects and the teams they belong to. A company's teams share
 * one upstream account, so eugate records which team created each object
 * through it (files, batch jobs, agents, conversations, libraries and
 * their documents, fine-tuning jobs and the models they made, voices,
 * prompts, skills) and lets a team reach only its own: another team's
 * object is "not found", exactly like one that does not exist; an object
 * that eugate never saw created is visible only under shared_objects.
 *
 * The cache is read from worker threads and the loop, and changed on the
 * loop only (from what storage committed), under a read-write lock.
 * Everything else here is pure decision code on JSON values.
 */
#ifndef POLICY_OBJECTS_H
#define POLICY_OBJECTS_H

#include <stddef.h>

#include <jansson.h>

#include "policy/endpoint.h"

#define OBJ_ID_MAX 128		/* longest id eugate tracks */
#define OBJ_TEAM_MAX 65

struct objects;

struct objects *objects_new(void);
/* objects_free(NULL) is a no-op. */
void objects_free(struct objects *o);

/* Records that team owns (kind, id); team NULL forgets it. 0, or -1 when
 * out of memory or the id is too long. */
int objects_set(struct objects *o, int kind, const char *id, size_t len,
    const char *team);
/* Copies the owner's team into team (OBJ_TEAM_MAX bytes): 1 when the
 * object is known, 0 when not. */
int objects_owner(struct objects *o, int kind, const char *id, size_t len,
    char *team);
/* Takes what fresh knows instead of what o knew (one write lock: no
 * reader sees a half-filled cache), and frees fresh. */
void objects_swap(struct objects *o, struct objects *fresh);
/* How many objects are known (all teams). */
size_t objects_count(struct objects *o);

/* 1 when ownership applies to the id: every id of every kind, but for
 * models only fine-tuned ones ("ft:..."): base models belong to no one. */
int objects_tracked(int kind, const char *id, size_t len);

/* 1 when team may reach the object: it owns it, or nobody is known to
 * and shared is set (objects made before eugate or outside it). */
int objects_visible(struct objects *o, int kind, const char *id, size_t len,
    const char *team, int shared);

/*
 * Finds an object reference in a request body that team may not reach
 * (file_id, input_files, training_files, agent_id, library_ids, a
 * fine-tuned model, ...). Returns its kind, or EP_OBJ_NONE when every
 * reference is visible.
 */
int objects_check_body(struct objects *o, json_t *body, const char *team,
    int shared);

/* A change that an answer makes: an object made (its owner is the
 * requesting team) or deleted. */
struct obj_change {
	int kind;
	int removed;
	char id[OBJ_ID_MAX];
	char parent[OBJ_ID_MAX];	/* a document's library, or "" */
};

struct obj_changes {
	struct obj_change *v;
	size_t n, cap;
};

void obj_changes_free(struct obj_changes *c);

/*
 * What a successful answer of ep says about objects: the id of what it
 * made, objects made by an object the team owns (a batch job's output and
 * error files, a fine-tuning job's model), and, for a DELETE, the object
 * it removed (params: the path's objects). Appends to out; -1 on no
 * memory.
 */
int objects_from_answer(struct objects *o, const struct endpoint *ep,
    const struct ep_param *params, size_t n_params, json_t *root,
    const char *team, struct obj_changes *out);

/* The same for one event of a streamed answer (a conversation's id). */
int objects_from_event(const struct endpoint *ep, const char *data,
    size_t len, struct obj_changes *out);

/* The items of a list answer: the root array, or its "data" or "items"
 * member. NULL when it has none. */
json_t *objects_list_items(json_t *root);

/* Removes from items what team may not reach; returns how many stay. */
size_t objects_filter(struct objects *o, int kind, json_t *items,
    const char *team, int shared);

#endif
