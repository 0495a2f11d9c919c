/* Worker threads: a queue in, a queue out, one loop event for the out. */
#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"
#include "gateway/work.h"

struct worker {
	struct work *pool;
	const struct policy_env *env;
	pthread_t thread;
	int started;
};

struct work {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work_item *in_head, *in_tail;	/* queued */
	struct work_item *out_head, *out_tail;	/* run, done pending */
	size_t pending;		/* queued, running or done pending */
	int stop;
	struct event *ev;	/* activated when out has items */
	struct worker *workers;
	size_t n;
};

static void
push(struct work_item **head, struct work_item **tail, struct work_item *it)
{
	it->next = NULL;
	if (*tail != NULL)
		(*tail)->next = it;
	else
		*head = it;
	*tail = it;
}

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct work *w = wk->pool;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct work_item *it;

		while (w->in_head == NULL && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		it = w->in_head;
		w->in_head = it->next;
		if (w->in_head == NULL)
			w->in_tail = NULL;
		pthread_mutex_unlock(&w->mu);
		it->run(it, wk->env);
		pthread_mutex_lock(&w->mu);
		push(&w->out_head, &w->out_tail, it);
		/* Safe from any thread: the base uses evthread locks. */
		event_active(w->ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* On the loop: every finished item's done. */
static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct work *w = arg;
	struct work_item *list;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->mu);
	list = w->out_head;
	w->out_head = w->out_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (list != NULL) {
		struct work_item *it = list;

		list = it->next;
		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		it->done(it);
	}
}

struct work *
work_new(struct event_base *base, size_t n, const struct policy_env *env)
{
	struct work *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->ev = event_new(base, -1, 0, done_cb, w);
	w->workers = calloc(n, sizeof(*w->workers));
	w->n = n;
	if (w->ev == NULL || w->workers == NULL) {
		work_free(w);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		w->workers[i].pool = w;
		w->workers[i].env = &env[i];
		if (pthread_create(&w->workers[i].thread, NULL, worker_main,
		    &w->workers[i]) != 0) {
			log_error("cannot start worker thread %zu", i);
			work_free(w);
			return NULL;
		}
		w->workers[i].started = 1;
	}
	return w;
}

void
work_submit(struct work *w, struct work_item *it)
{
	pthread_mutex_lock(&w->mu);
	push(&w->in_head, &w->in_tail, it);
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

size_t
work_pending(const struct work *w)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&w->mu);
	n = w->pending;
	pthread_mutex_unlock((pthread_mutex_t *)&w->mu);
	return n;
}

void
work_free(struct work *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < w->n; i++)
		if (w->workers[i].started)
			pthread_join(w->workers[i].thread, NULL);
	if (w->ev != NULL)
		event_free(w->ev);
	free(w->workers);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
