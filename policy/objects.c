/* Object ownership: the cache, body references, answers, list filters. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/jsontext.h"
#include "common/util.h"
#include "policy/objects.h"

struct obj {
	struct obj *next;
	unsigned char kind;
	char team[OBJ_TEAM_MAX];
	size_t len;
	char id[];
};

struct objects {
	pthread_rwlock_t lock;
	struct obj **b;
	size_t n_b;		/* a power of two */
	size_t n;
};

static size_t
hash(int kind, const char *id, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
	return (size_t)h;
}

struct objects *
objects_new(void)
{
	struct objects *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->n_b = 1024;
	o->b = calloc(o->n_b, sizeof(*o->b));
	if (o->b == NULL || pthread_rwlock_init(&o->lock, NULL) != 0) {
		free(o->b);
		free(o);
		return NULL;
	}
	return o;
}

void
objects_free(struct objects *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n_b; i++) {
		struct obj *e = o->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(o->b);
	pthread_rwlock_destroy(&o->lock);
	free(o);
}

static struct obj **
find(struct objects *o, int kind, const char *id, size_t len)
{
	struct obj **pp = &o->b[hash(kind, id, len) & (o->n_b - 1)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->kind == kind && (*pp)->len == len &&
		    memcmp((*pp)->id, id, len) == 0)
			break;
	return pp;
}

/* Doubles the buckets when the chains grow long; under the write lock. */
static void
grow(struct objects *o)
{
	size_t nb = o->n_b * 2;
	struct obj **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < o->n_b; i++) {
		struct obj *e = o->b[i], *next;

		for (; e != NULL; e = next) {
			size_t h = hash(e->kind, e->id, e->len) & (nb - 1);

			next = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(o->b);
	o->b = b;
	o->n_b = nb;
}

int
objects_set(struct objects *o, int kind, const char *id, size_t len,
    const char *team)
{
	struct obj **pp, *e;
	int rc = 0;

	if (len == 0 || len >= OBJ_ID_MAX)
		return -1;
	pthread_rwlock_wrlock(&o->lock);
	pp = find(o, kind, id, len);
	if (team == NULL) {
		if (*pp != NULL) {
			e = *pp;
			*pp = e->next;
			free(e);
			o->n--;
		}
	} else if (*pp != NULL) {
		util_copy((*pp)->team, sizeof((*pp)->team), team);
	} else if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL) {
		rc = -1;
	} else {
		e->kind = (unsigned char)kind;
		e->len = len;
		memcpy(e->id, id, len);
		util_copy(e->team, sizeof(e->team), team);
		*pp = e;
		if (++o->n > o->n_b * 2)
			grow(o);
	}
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

int
objects_owner(struct objects *o, int kind, const char *id, size_t len,
    char *team)
{
	struct obj **pp;
	int found;

	pthread_rwlock_rdlock(&o->lock);
	pp = find(o, kind, id, len);
	found = *pp != NULL;
	if (found)
		memcpy(team, (*pp)->team, OBJ_TEAM_MAX);
	pthread_rwlock_unlock(&o->lock);
	return found;
}

void
objects_swap(struct objects *o, struct objects *fresh)
{
	struct obj **b;
	size_t n_b, n;

	pthread_rwlock_wrlock(&o->lock);
	b = o->b;
	n_b = o->n_b;
	n = o->n;
	o->b = fresh->b;
	o->n_b = fresh->n_b;
	o->n = fresh->n;
	pthread_rwlock_unlock(&o->lock);
	fresh->b = b;
	fresh->n_b = n_b;
	fresh->n = n;
	objects_free(fresh);
}

size_t
objects_count(struct objects *o)
{
	size_t n;

	pthread_rwlock_rdlock(&o->lock);
	n = o->n;
	pthread_rwlock_unlock(&o->lock);
	return n;
}

int
objects_tracked(int kind, const char *id, size_t len)
{
	if (kind <= EP_OBJ_NONE || kind >= EP_OBJ__COUNT || len == 0)
		return 0;
	return kind != EP_OBJ_MODEL || (len > 3 && memcmp(id, "ft:", 3) == 0);
}

int
objects_visible(struct objects *o, int kind, const char *id, size_t len,
    const char *team, int shared)
{
	char owner[OBJ_TEAM_MAX];

	if (!objects_tracked(kind, id, len))
		return 1;
	if (!objects_owner(o, kind, id, len, owner))
		return shared;
	return strcmp(owner, team) == 0;
}

/* Body keys whose values name objects (strings, or lists of them). */
static int
ref_kind(const char *key)
{
	static const struct {
		const char *key;
		int kind;
	} refs[] = {
		{ "file_id", EP_OBJ_FILE }, { "file_ids", EP_OBJ_FILE },
		{ "input_files", EP_OBJ_FILE },
		{ "training_files", EP_OBJ_FILE },
		{ "validation_files", EP_OBJ_FILE },
		{ "agent_id", EP_OBJ_AGENT },
		{ "conversation_id", EP_OBJ_CONVERSATION },
		{ "library_id", EP_OBJ_LIBRARY },
		{ "library_ids", EP_OBJ_LIBRARY },
		{ "document_id", EP_OBJ_DOCUMENT },
		{ "document_ids", EP_OBJ_DOCUMENT },
		{ "voice_id", EP_OBJ_VOICE },
		{ "prompt_id", EP_OBJ_PROMPT },
		{ "skill_id", EP_OBJ_SKILL },
		{ "model", EP_OBJ_MODEL },
		{ "fine_tuned_model", EP_OBJ_MODEL },
	};

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (strcmp(key, refs[i].key) == 0)
			return refs[i].kind;
	return EP_OBJ_NONE;
}

static int
check_ref(struct objects *o, int kind, json_t *v, const char *team,
    int shared)
{
	size_t i;
	json_t *x;

	if (json_is_string(v))
		return objects_visible(o, kind, json_string_value(v),
		    json_string_length(v), team, shared) ? EP_OBJ_NONE : kind;
	json_array_foreach(v, i, x) {
		if (json_is_string(x) && !objects_visible(o, kind,
		    json_string_value(x), json_string_length(x), team, shared))
			return kind;
	}
	return EP_OBJ_NONE;
}

int
objects_check_body(struct objects *o, json_t *body, const char *team,
    int shared)
{
	const char *k;
	json_t *v;
	size_t i;
	int bad;

	if (json_is_array(body)) {
		json_array_foreach(body, i, v)
			if ((bad = objects_check_body(o, v, team, shared)) !=
			    EP_OBJ_NONE)
				return bad;
		return EP_OBJ_NONE;
	}
	if (!json_is_object(body))
		return EP_OBJ_NONE;
	json_object_foreach(body, k, v) {
		int kind = ref_kind(k);

		if (kind != EP_OBJ_NONE && (bad = check_ref(o, kind, v, team,
		    shared)) != EP_OBJ_NONE)
			return bad;
		if ((json_is_object(v) || json_is_array(v)) &&
		    (bad = objects_check_body(o, v, team, shared)) !=
		    EP_OBJ_NONE)
			return bad;
	}
	return EP_OBJ_NONE;
}

void
obj_changes_free(struct obj_changes *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

static int
add_change(struct obj_changes *c, int kind, const char *id, size_t len,
    int removed)
{
	if (!objects_tracked(kind, id, len) || len >= OBJ_ID_MAX)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].kind == kind && strlen(c->v[i].id) == len &&
		    memcmp(c->v[i].id, id, len) == 0) {
			c->v[i].removed = removed;
			return 0;
		}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 4;
		struct obj_change *nv = realloc(c->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		c->v = nv;
		c->cap = nc;
	}
	c->v[c->n].kind = kind;
	c->v[c->n].removed = removed;
	memcpy(c->v[c->n].id, id, len);
	c->v[c->n].id[len] = '\0';
	c->v[c->n].parent[0] = '\0';
	c->n++;
	return 0;
}

static int
add_string(struct obj_changes *c, int kind, json_t *v)
{
	return json_is_string(v) ? add_change(c, kind, json_string_value(v),
	    json_string_length(v), 0) : 0;
}

/* Objects that an object of kind made: a batch job's output and error
 * files, a fine-tuning job's model. */
static int
derived(int kind, json_t *item, struct obj_changes *out)
{
	if (kind == EP_OBJ_BATCH)
		return add_string(out, EP_OBJ_FILE, json_object_get(item,
		    "output_file")) | add_string(out, EP_OBJ_FILE,
		    json_object_get(item, "error_file"));
	if (kind == EP_OBJ_FT_JOB)
		return add_string(out, EP_OBJ_MODEL, json_object_get(item,
		    "fine_tuned_model"));
	return 0;
}

static int
owned_by(struct objects *o, int kind, json_t *id, const char *team)
{
	char owner[OBJ_TEAM_MAX];

	return json_is_string(id) && objects_owner(o, kind,
	    json_string_value(id), json_string_length(id), owner) &&
	    strcmp(owner, team) == 0;
}

int
objects_from_answer(struct objects *o, const struct endpoint *ep,
    const struct ep_param *params, size_t n_params, json_t *root,
    const char *team, struct obj_changes *out)
{
	size_t plen = strlen(ep->path), i;
	json_t *items, *it;
	int rc = 0;

	if (ep->creates != EP_OBJ_NONE) {
		size_t before = out->n;

		rc |= add_string(out, ep->creates, json_object_get(root,
		    ep->creates == EP_OBJ_CONVERSATION ? "conversation_id" :
		    "id"));
		/* A document is reached through its library. */
		if (out->n > before && n_params > 0 &&
		    params[0].len < OBJ_ID_MAX) {
			memcpy(out->v[before].parent, params[0].id,
			    params[0].len);
			out->v[before].parent[params[0].len] = '\0';
		}
	}
	/* What a job of the team's made becomes the team's too. */
	if (ep->creates == EP_OBJ_BATCH || ep->creates == EP_OBJ_FT_JOB)
		rc |= derived(ep->creates, root, out);
	if (n_params > 0 && ep->method == HTTP_GET &&
	    ep->path[plen - 1] == '}' && owned_by(o,
	    params[n_params - 1].kind, json_object_get(root, "id"), team))
		rc |= derived(params[n_params - 1].kind, root, out);
	if (ep->lists != EP_OBJ_NONE && (items = objects_list_items(root)) !=
	    NULL) {
		json_array_foreach(items, i, it)
			if (owned_by(o, ep->lists, json_object_get(it, "id"),
			    team))
				rc |= derived(ep->lists, it, out);
	}
	/* A DELETE of the object its path ends with removes it. */
	if (ep->method == HTTP_DELETE && n_params > 0 &&
	    ep->path[plen - 1] == '}')
		rc |= add_change(out, params[n_params - 1].kind,
		    params[n_params - 1].id, params[n_params - 1].len, 1);
	return rc ? -1 : 0;
}

int
objects_from_event(const struct endpoint *ep, const char *data, size_t len,
    struct obj_changes *out)
{
	json_t *root;
	int rc;

	if (ep->creates != EP_OBJ_CONVERSATION ||
	    memmem(data, len, "\"conversation_id\"", 17) == NULL)
		return 0;
	root = jsontext_parse(data, len, 0, NULL);
	rc = add_string(out, EP_OBJ_CONVERSATION, json_object_get(root,
	    "conversation_id"));
	json_decref(root);
	return rc;
}

json_t *
objects_list_items(json_t *root)
{
	json_t *v;

	if (json_is_array(root))
		return root;
	v = json_object_get(root, "data");
	if (json_is_array(v))
		return v;
	v = json_object_get(root, "items");
	return json_is_array(v) ? v : NULL;
}

size_t
objects_filter(struct objects *o, int kind, json_t *items, const char *team,
    int shared)
{
	size_t i = 0;

	while (i < json_array_size(items)) {
		json_t *id = json_object_get(json_array_get(items, i), "id");

		if (json_is_string(id) && !objects_visible(o, kind,
		    json_string_value(id), json_string_length(id), team,
		    shared))
			json_array_remove(items, i);
		else
			i++;
	}
	return json_array_size(items);
}
