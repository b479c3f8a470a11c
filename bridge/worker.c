/*
 * The worker thread (see worker.h): a queue of jobs under a mutex, taken
 * by the thread one at a time; the done ones go to a second list and an
 * ev_async wakes the loop, which hands them back in order.
 */

#include "worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct job {
	void *job;
	int status;
	struct job *next;
};

struct worker {
	struct ev_loop *loop;
	ev_async woke;			/* jobs are in done */
	worker_run_fn run;
	worker_done_fn done_fn;
	void *arg;
	size_t pending;			/* the loop's count: queued, not handed back */
	pthread_t th;
	pthread_mutex_t mu;		/* guards what follows */
	pthread_cond_t cv;
	struct job *todo, **todo_tail;
	struct job *done, **done_tail;
	bool quit;
};

static void *
thread_main(void *p)
{
	struct worker *w = p;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *j;

		while (!w->quit && w->todo == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->todo == NULL)
			break;
		j = w->todo;
		w->todo = j->next;
		if (w->todo == NULL)
			w->todo_tail = &w->todo;
		j->next = NULL;
		pthread_mutex_unlock(&w->mu);
		j->status = w->run(w->arg, j->job);
		pthread_mutex_lock(&w->mu);
		*w->done_tail = j;
		w->done_tail = &j->next;
		ev_async_send(w->loop, &w->woke);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hands the done jobs back, in order, on the loop. */
static void
hand_back(struct worker *w)
{
	struct job *list;

	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	while (list != NULL) {
		struct job *j = list;

		list = j->next;
		w->pending--;
		w->done_fn(w->arg, j->job, j->status);
		free(j);
	}
}

static void
on_woke(struct ev_loop *loop, ev_async *a, int revents)
{
	(void)loop;
	(void)revents;
	hand_back(a->data);
}

struct worker *
worker_start(struct ev_loop *loop, const char *name, worker_run_fn run, worker_done_fn done,
    void *arg, char *err, size_t errlen)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	sigset_t all, old;
	int rc;

	w->loop = loop;
	w->run = run;
	w->done_fn = done;
	w->arg = arg;
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	ev_async_init(&w->woke, on_woke);
	w->woke.data = w;
	ev_async_start(loop, &w->woke);
	ev_unref(loop);		/* the worker alone does not keep the loop running */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->th, NULL, thread_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start a thread for %s: %s", name, strerror(rc));
		ev_ref(loop);
		ev_async_stop(loop, &w->woke);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void
worker_queue(struct worker *w, void *job)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->job = job;
	w->pending++;
	pthread_mutex_lock(&w->mu);
	*w->todo_tail = j;
	w->todo_tail = &j->next;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

size_t
worker_pending(const struct worker *w)
{
	return w->pending;
}

void
worker_stop(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	hand_back(w);
	ev_ref(w->loop);
	ev_async_stop(w->loop, &w->woke);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
