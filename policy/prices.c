/* The price table: parsed from conf/prices.ini (or its built-in copy). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "common/util.h"
#include "policy/prices.h"

struct parse {
	struct price_table *t;
	struct model_price *cur;	/* the section being read */
	int line;
	char err[200];
	int err_line;
};

/* Price keys: name prefix and where its two currency values go. */
struct price_key {
	const char *name;
	size_t in_off, has_off;
};

#define MP(f) offsetof(struct model_price, f)
static const struct price_key price_keys[] = {
	{ "input", MP(in), MP(has_tokens) },
	{ "output", MP(out), MP(has_tokens) },
	{ "cached_input", MP(cached), MP(has_cached) },
	{ "per_page", MP(page), MP(has_page) },
	{ "per_annotated_page", MP(page_annotated), MP(has_page_annotated) },
	{ "per_minute", MP(minute), MP(has_minute) },
	{ "per_million_chars", MP(chars), MP(has_chars) },
};

static void
model_free(struct model_price *m)
{
	free(m->name);
	for (size_t i = 0; i < m->n_aliases; i++)
		free(m->aliases[i]);
	free(m->aliases);
}

void
prices_free(struct price_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_models; i++)
		model_free(&t->models[i]);
	for (size_t i = 0; i < t->n_upstreams; i++)
		model_free(&t->upstreams[i]);
	free(t->models);
	free(t->upstreams);
	free(t->date);
	free(t);
}

static int
fail(struct parse *p, const char *msg, const char *name, const char *value)
{
	if (p->err_line == 0) {
		snprintf(p->err, sizeof(p->err), "%s '%s'%s%s", msg, name,
		    value ? ": " : "", value ? value : "");
		p->err_line = p->line;
	}
	return 0;
}

static struct model_price *
add_section(struct parse *p, struct model_price **v, size_t *n,
    const char *name)
{
	struct model_price *m;

	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (*v == NULL)
		abort();
	m = &(*v)[(*n)++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->line = p->line;
	return m;
}

static int
parse_aliases(struct model_price *m, const char *value)
{
	const char *s = value;

	while (*s != '\0') {
		const char *e;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		e = s;
		while (*e != '\0' && *e != ',' && *e != ' ')
			e++;
		m->aliases = realloc(m->aliases, (m->n_aliases + 1) *
		    sizeof(*m->aliases));
		if (m->aliases == NULL)
			abort();
		m->aliases[m->n_aliases] = strndup(s, (size_t)(e - s));
		if (m->aliases[m->n_aliases] == NULL)
			abort();
		m->n_aliases++;
		s = e;
	}
	return 0;
}

static int
parse_factor(struct parse *p, const char *name, const char *value,
    int64_t *out)
{
	if (money_parse(value, strlen(value), out) != 0)
		return fail(p, "bad factor", name, value);
	return 1;
}

static int
model_key(struct parse *p, struct model_price *m, const char *name,
    const char *value)
{
	uint64_t n;

	if (strcmp(name, "aliases") == 0)
		return parse_aliases(m, value), 1;
	if (strcmp(name, "context") == 0 || strcmp(name, "max_output") == 0) {
		if (util_parse_u64(value, strlen(value), &n) != 0 || n == 0 ||
		    n > 100000000)
			return fail(p, "bad token count", name, value);
		*(name[0] == 'c' ? &m->context : &m->max_output) = (int64_t)n;
		return 1;
	}
	for (size_t i = 0; i < sizeof(price_keys) / sizeof(price_keys[0]);
	    i++) {
		const struct price_key *k = &price_keys[i];
		size_t kl = strlen(k->name);
		int cur;
		int64_t *v;

		if (strncmp(name, k->name, kl) != 0 || name[kl] != '_')
			continue;
		cur = currency_parse(name + kl + 1, strlen(name + kl + 1));
		if (cur < 0)
			break;
		v = (int64_t *)((char *)m + k->in_off);
		if (money_parse(value, strlen(value), &v[cur]) != 0)
			return fail(p, "bad price", name, value);
		if (k->has_off == MP(has_tokens)) {
			/* Token prices count once both are there. */
			unsigned char *h = (unsigned char *)m + k->has_off;

			h[cur] |= (unsigned char)(k->in_off == MP(in) ? 1 : 2);
		} else {
			((unsigned char *)m + k->has_off)[cur] = 1;
		}
		return 1;
	}
	return fail(p, "unknown key", name, NULL);
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	struct price_table *t = p->t;

	if (p->err_line != 0 || name == NULL)
		return 1;
	if (strcmp(section, "prices") == 0) {
		if (strcmp(name, "date") == 0) {
			free(t->date);
			t->date = xstrdup(value);
			return 1;
		}
		if (strcmp(name, "regional_factor") == 0)
			return parse_factor(p, name, value,
			    &t->regional_factor);
		if (strcmp(name, "batch_factor") == 0)
			return parse_factor(p, name, value, &t->batch_factor);
		if (strcmp(name, "priority_factor") == 0)
			return parse_factor(p, name, value,
			    &t->priority_factor);
		if (strcmp(name, "cached_input_factor") == 0)
			return parse_factor(p, name, value,
			    &t->cached_input_factor);
		return fail(p, "unknown key", name, NULL);
	}
	if (p->cur == NULL)
		return fail(p, "unknown section", section,
		    "expected [prices], [model NAME] or [upstream NAME]");
	return model_key(p, p->cur, name, value);
}

/* A reader of our own: it counts lines for messages and opens a model or
 * upstream section when it passes its header. */
struct reader {
	struct parse *p;
	const char *s;
	int line;
};

static char *
read_line(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	struct parse *p = r->p;
	int i = 0;
	const char *q;

	if (*r->s == '\0')
		return NULL;
	p->line = ++r->line;
	while (i + 1 < size && *r->s != '\0' && *r->s != '\n')
		buf[i++] = *r->s++;
	buf[i] = '\0';
	if (*r->s != '\0' && *r->s != '\n') {
		p->line = r->line;
		fail(p, "line too long", "", NULL);
		while (*r->s != '\0' && *r->s != '\n')
			r->s++;
	}
	if (*r->s == '\n')
		r->s++;
	q = buf;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '[' && p->err_line == 0) {
		const char *end = strchr(q, ']'), *sp = strchr(q, ' ');
		char name[128];

		p->cur = NULL;
		if (end == NULL || (size_t)(end - q) >= sizeof(name))
			return buf;
		if (sp != NULL && sp < end) {
			size_t tl = (size_t)(sp - q - 1);

			while (*sp == ' ')
				sp++;
			snprintf(name, sizeof(name), "%.*s", (int)(end - sp),
			    sp);
			if (tl == 5 && strncmp(q + 1, "model", 5) == 0)
				p->cur = add_section(p, &p->t->models,
				    &p->t->n_models, name);
			else if (tl == 8 && strncmp(q + 1, "upstream", 8) == 0)
				p->cur = add_section(p, &p->t->upstreams,
				    &p->t->n_upstreams, name);
		}
	}
	return buf;
}

/* Checks each section once read: prices come in pairs, no duplicates. */
static int
check(struct parse *p)
{
	struct price_table *t = p->t;

	for (size_t i = 0; i < t->n_models + t->n_upstreams; i++) {
		struct model_price *m = i < t->n_models ? &t->models[i] :
		    &t->upstreams[i - t->n_models];

		p->line = m->line;
		for (int c = 0; c < CUR__COUNT; c++) {
			if (m->has_tokens[c] == 1 || m->has_tokens[c] == 2)
				return fail(p, "input and output prices go "
				    "together in", m->name, currency_name(c));
			m->has_tokens[c] = m->has_tokens[c] == 3;
		}
		if (i < t->n_models && prices_model(t, m->name) != m)
			return fail(p, "model priced twice:", m->name, NULL);
		for (size_t a = 0; i < t->n_models && a < m->n_aliases; a++)
			if (prices_model(t, m->aliases[a]) != m)
				return fail(p, "model priced twice:",
				    m->aliases[a], NULL);
	}
	return 1;
}

int
prices_parse(const char *text, struct price_table **out, char *err,
    size_t errlen)
{
	struct parse p;
	struct reader r = { &p, text, 0 };
	int rc;

	memset(&p, 0, sizeof(p));
	p.t = xcalloc(1, sizeof(*p.t));
	p.t->regional_factor = MONEY_UNIT;
	p.t->batch_factor = MONEY_UNIT;
	p.t->priority_factor = MONEY_UNIT;
	p.t->cached_input_factor = MONEY_UNIT;
	rc = ini_parse_stream(read_line, &r, on_key, &p);
	if (rc > 0 && p.err_line == 0) {
		p.err_line = rc;
		snprintf(p.err, sizeof(p.err), "syntax error");
	}
	if (p.err_line == 0)
		check(&p);
	if (p.err_line != 0) {
		snprintf(err, errlen, "%d: %s", p.err_line, p.err);
		prices_free(p.t);
		return -1;
	}
	*out = p.t;
	return 0;
}

const struct model_price *
prices_model(const struct price_table *t, const char *model)
{
	for (size_t i = 0; i < t->n_models; i++) {
		const struct model_price *m = &t->models[i];

		if (strcmp(m->name, model) == 0)
			return m;
		for (size_t a = 0; a < m->n_aliases; a++)
			if (strcmp(m->aliases[a], model) == 0)
				return m;
	}
	return NULL;
}

const struct model_price *
prices_upstream(const struct price_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_upstreams; i++)
		if (strcmp(t->upstreams[i].name, name) == 0)
			return &t->upstreams[i];
	return NULL;
}
