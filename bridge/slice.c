#include "slice.h"

#include "util.h"

/* A new loop iteration starts with the whole budget. */
static void
slice_refresh(struct slice *s)
{
	unsigned it = s->loop != NULL ? ev_iteration(s->loop) : 0;

	if (it != s->iter) {
		s->iter = it;
		s->used = 0;
		s->spent = false;
	}
}

static void
slice_check(struct ev_loop *loop, ev_check *w, int revents)
{
	struct slice *s = container_of(w, struct slice, check);

	(void)loop;
	(void)revents;
	slice_refresh(s);
	s->run(s);
}

/* Only there to keep the loop from blocking while work waits. */
static void
slice_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

void
slice_init(struct slice *s, struct ev_loop *loop, unsigned budget, double seconds,
    void (*run)(struct slice *s))
{
	s->loop = loop;
	s->budget = budget;
	s->time_budget = seconds;
	s->used = 0;
	s->unclocked = 0;
	s->started = 0;
	s->spent = false;
	s->iter = loop != NULL ? ev_iteration(loop) : 0;
	s->run = run;
	s->deferred = 0;
	ev_check_init(&s->check, slice_check);
	ev_idle_init(&s->idle, slice_idle_cb);
}

bool
slice_take(struct slice *s, unsigned cost)
{
	slice_refresh(s);
	if (s->used == 0) {
		s->started = ev_time();
		s->unclocked = 0;
	} else if (s->spent || s->used + cost > s->budget)
		return false;
	else if ((s->unclocked += cost) >= SLICE_CLOCK_EVERY) {
		s->unclocked = 0;
		if (ev_time() - s->started > s->time_budget) {
			s->spent = true;
			return false;
		}
	}
	s->used += cost;
	return true;
}

void
slice_charge(struct slice *s, unsigned cost)
{
	slice_refresh(s);
	if (s->used == 0)
		s->started = ev_time();
	s->used += cost;
	s->unclocked += cost;
}

void
slice_reset(struct slice *s)
{
	s->used = 0;
	s->spent = false;
}

void
slice_wait(struct slice *s)
{
	if (ev_is_active(&s->check))
		return;
	s->deferred++;
	ev_check_start(s->loop, &s->check);
	ev_idle_start(s->loop, &s->idle);
}

void
slice_clear(struct slice *s)
{
	ev_check_stop(s->loop, &s->check);
	ev_idle_stop(s->loop, &s->idle);
}

bool
slice_waiting(const struct slice *s)
{
	return ev_is_active(&s->check);
}

void
slice_stop(struct slice *s)
{
	slice_clear(s);
}
