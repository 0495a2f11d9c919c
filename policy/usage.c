/* Token usage from JSON bodies and SSE events; SSE event framing. */
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"
#include "policy/usage.h"

void
usage_init(struct usage *u)
{
	u->prompt_tokens = -1;
	u->completion_tokens = -1;
	u->total_tokens = -1;
	u->pages = -1;
	u->audio_seconds = -1;
	u->invalid = 0;
	u->priority = 0;
	u->model[0] = '\0';
}

/* A count: -1 when absent (or null), -2 when not a sane one. */
static int64_t
get_count(const json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL || json_is_null(v))
		return -1;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= USAGE_MAX_COUNT)
		return json_integer_value(v);
	return -2;
}

static int
usage_invalid(struct usage *u)
{
	usage_init(u);
	u->invalid = 1;
	return 1;
}

static int
usage_read(const json_t *root, struct usage *u)
{
	json_t *us = json_object_get(root, "usage");
	json_t *info = json_object_get(root, "usage_info");
	int64_t pages, audio, prompt, completion, total;

	if (json_is_object(info) && json_object_get(info, "pages_processed")) {
		pages = get_count(info, "pages_processed");
		if (pages < 0)
			return usage_invalid(u);
		usage_init(u);
		u->pages = pages;
		return 1;
	}
	if (us == NULL || json_is_null(us))
		return 0;
	if (!json_is_object(us))
		return usage_invalid(u);
	audio = get_count(us, "prompt_audio_seconds");
	prompt = get_count(us, "prompt_tokens");
	completion = get_count(us, "completion_tokens");
	total = get_count(us, "total_tokens");
	/* Without its counts a usage is no usage: the worst case is paid. */
	if (audio == -2 || prompt == -2 || completion == -2 || total == -2 ||
	    (prompt < 0 && audio < 0))
		return usage_invalid(u);
	usage_init(u);
	u->audio_seconds = audio;
	u->prompt_tokens = prompt;
	u->completion_tokens = completion;
	u->total_tokens = total;
	u->priority = json_is_string(json_object_get(us, "service_tier")) &&
	    strcmp(json_string_value(json_object_get(us, "service_tier")),
	    "priority") == 0;
	if (u->completion_tokens < 0 && u->prompt_tokens >= 0)
		u->completion_tokens = 0;	/* embeddings */
	return 1;
}

int
usage_from_json(const json_t *root, struct usage *u)
{
	int found = usage_read(root, u);
	const char *model = json_string_value(json_object_get(root, "model"));

	if (found && model != NULL && strlen(model) < sizeof(u->model))
		memcpy(u->model, model, strlen(model) + 1);
	return found;
}

long
sse_event_data(const char *ev, size_t len, char **out)
{
	const char *p = ev, *end = ev + len;
	char *buf = NULL;
	size_t n = 0;
	int found = 0;

	while (p < end) {
		const char *eol = p;
		size_t ll;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		ll = (size_t)(eol - p);
		if (ll >= 5 && memcmp(p, "data:", 5) == 0) {
			const char *v = p + 5;
			size_t vl = ll - 5;
			char *nb;

			if (vl > 0 && *v == ' ')
				v++, vl--;
			nb = realloc(buf, n + vl + 2);
			if (nb == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
			if (found)
				buf[n++] = '\n';
			memcpy(buf + n, v, vl);
			n += vl;
			buf[n] = '\0';
			found = 1;
		}
		p = eol;
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	}
	if (!found)
		return -1;
	*out = buf;
	return (long)n;
}

int
usage_from_event(const char *ev, size_t len, struct usage *u)
{
	char *data = NULL;
	long n;
	json_t *root;
	int found = 0;

	/* Only events that mention usage are parsed. */
	if (memmem(ev, len, "\"usage\"", 7) == NULL)
		return 0;
	n = sse_event_data(ev, len, &data);
	if (n <= 0) {
		free(data);
		return 0;
	}
	root = jsontext_parse(data, (size_t)n, 0, NULL);
	if (root != NULL)
		found = usage_from_json(root, u);
	json_decref(root);
	free(data);
	return found;
}

void
sse_init(struct sse *s, size_t max_event)
{
	memset(s, 0, sizeof(*s));
	s->max = max_event;
}

void
sse_cleanup(struct sse *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int
sse_feed(struct sse *s, const char *data, size_t len)
{
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *nb;

		while (cap < s->len + len)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (nb == NULL)
			return -1;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

size_t
sse_next(struct sse *s)
{
	/* An event ends at a blank line: \n\n, \r\n\r\n, \r\r (any mix). */
	for (size_t i = s->scan; i < s->len; i++) {
		char c = s->buf[i];
		size_t j;

		if (c != '\n' && c != '\r')
			continue;
		j = i + 1;
		if (c == '\r' && j < s->len && s->buf[j] == '\n')
			j++;
		if (c == '\r' && j == s->len)
			break;	/* a CRLF may be split: wait */
		if (j < s->len && (s->buf[j] == '\n' || s->buf[j] == '\r')) {
			size_t k = j + 1;

			if (s->buf[j] == '\r') {
				if (k == s->len)
					break;
				if (s->buf[k] == '\n')
					k++;
			}
			s->scan = 0;
			return k;
		}
		if (j == s->len)
			break;
		i = j - 1;
	}
	/* Resume where a split terminator could still start. */
	s->scan = s->len > 3 ? s->len - 3 : 0;
	return 0;
}

int
sse_overflow(const struct sse *s)
{
	return s->len > s->max;
}

void
sse_consume(struct sse *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	s->scan = 0;
}
