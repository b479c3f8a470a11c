/*
 * The cluster: membership by heartbeat, assignment by rendezvous hashing,
 * takeover with the rule state, fencing by epoch (see cluster.h).
 *
 * One heartbeat is out at a time. It is one small statement: the live
 * members and their gens, which grow whenever they take or give up sources
 * (a take from us moves the taker's). When the gens or the members differ
 * from those of the last full heartbeat, the next one (at once) is full: it
 * lists the sources this instance owns, and that answer is the truth about
 * them: a source we think ours that the store no longer lists (or lists
 * under another epoch) was taken, and is dropped. Then each source of the
 * config is assigned over the live members; those that are ours and not
 * yet held are taken (one take out at a time), those held that are not
 * ours any more are stopped at once and released once the writes made
 * before are stored, so that their new owner loads the last state.
 *
 * A NOTIFY (a member joined, left or released sources) brings the next
 * heartbeat forward; so does the end of another member's lease, so that a
 * dead member's sources move as soon as it is dead.
 */

#include "cluster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "log.h"
#include "takeover.h"
#include "util.h"
#include "xmalloc.h"

#define VALID_SHARE	0.9	/* of lease_ttl after a heartbeat was sent: ownership trusted */
#define WAKE_DELAY	0.02	/* seconds from a NOTIFY to the next heartbeat */
#define RETRY_DELAY	0.5	/* seconds between heartbeats while they fail */
#define EXPIRY_SLACK	0.01	/* seconds after a member's lease ends that we look again */
#define EXAMPLES	3	/* source names a log line shows */
#define KEY_SOURCE_MAX	1024	/* longest source name a rule state key is matched by */
#define STATE_SEP	'\x1f'	/* as the engine's keys */
#define CURSOR_PREFIX	"cursor:"

struct state_pair {
	char *key, *json;
};

/* A source held: its epoch first (read as the maps' int64_t), the heartbeat that saw it. */
struct held {
	int64_t epoch;
	uint64_t seen;		/* gen of the last heartbeat listing it under this epoch */
};

/* A source taken: its epoch first (read as the maps' int64_t), when it was last polled. */
struct won {
	int64_t epoch;
	double since;		/* as the store knows, NAN: unknown */
};

/* Sources named in a log line: how many, and the first few. */
struct names {
	size_t n;
	char text[160];
};

struct cluster {
	struct ev_loop *loop;
	const struct config *cfg;
	struct store *st;
	struct engine *eng;
	char *node;
	double ttl;
	ev_timer tick;
	bool syncing, resync;		/* a heartbeat is out; another was asked for */
	bool taking;			/* a take is out */
	bool retake;			/* a take was due meanwhile */
	bool leaving;
	bool joined;			/* a heartbeat succeeded */
	bool failing;			/* heartbeats fail (logged when it starts and ends) */
	bool full;			/* the heartbeat out lists the sources owned */
	bool want_full;			/* the next heartbeat is to list them */
	uint64_t full_sig;		/* the members and gens of the last full heartbeat */
	double valid_until;		/* ev_now time our ownership is trusted until */
	double sent_at;			/* when the heartbeat out was sent */
	struct hmap index;		/* source name -> index + 1 in cfg */
	struct hmap owned;		/* source name -> struct held (allocated) */
	struct cluster_member *members;	/* of the last heartbeat, by name */
	size_t nmembers;
	size_t *owner_of;		/* per source of cfg: index in members, or SIZE_MAX */
	bool reassign;			/* owner_of is out of date */
	/* Collected by the heartbeat out. */
	struct cluster_member *next;
	size_t nnext, capnext;
	uint64_t gen;			/* heartbeats sent */
	size_t confirmed;		/* sources held that it listed ours under their epoch */
	struct hmap mine;		/* what else it listed ours: source -> int64_t epoch (allocated) */
	bool dirty;			/* sources may be held that are not ours, or the reverse */
	double soonest;			/* seconds until another live member's lease ends */
	/* Collected by the take out. */
	struct hmap won;		/* source -> struct won (allocated) */
	struct state_pair *states;
	size_t nstates, capstates;
	struct names fenced;		/* refused since the last heartbeat */
	struct cluster_stats stats;
};

/* The hashing */

/* FNV-1a over the member's name, a separator and the source's, then a 64-bit mix. */
static uint64_t
score(const char *member, const char *source)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)member; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = (h ^ 0x1f) * 0x100000001b3ULL;
	for (const unsigned char *p = (const unsigned char *)source; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	/* splitmix64's finalizer: FNV's low bits alone are poorly spread. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

size_t
cluster_rendezvous(const char *source, const char *const *members, size_t n)
{
	size_t best = 0;
	uint64_t top = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t h = score(members[i], source);

		/* Ties (never seen) go to the lesser name, whatever the order given. */
		if (i == 0 || h > top || (h == top && strcmp(members[i], members[best]) < 0)) {
			top = h;
			best = i;
		}
	}
	return best;
}

const char *
cluster_key_source(const char *key, char *buf, size_t len)
{
	const char *from, *to;

	if (strncmp(key, CURSOR_PREFIX, strlen(CURSOR_PREFIX)) == 0) {
		from = key + strlen(CURSOR_PREFIX);
		to = from + strlen(from);
	} else if ((from = strchr(key, STATE_SEP)) != NULL &&
	    (to = strchr(++from, STATE_SEP)) != NULL) {
		;
	} else
		return NULL;
	if ((size_t)(to - from) >= len)
		return NULL;
	memcpy(buf, from, (size_t)(to - from));
	buf[to - from] = '\0';
	return buf;
}

/* Small helpers */

static void
names_add(struct names *nm, const char *name)
{
	size_t len = strlen(nm->text);

	if (nm->n < EXAMPLES)
		snprintf(nm->text + len, sizeof(nm->text) - len, "%s%s", nm->n > 0 ? ", " : "",
		    name);
	else if (nm->n == EXAMPLES)
		snprintf(nm->text + len, sizeof(nm->text) - len, ", ...");
	nm->n++;
}

static int64_t *
epoch_new(int64_t v)
{
	int64_t *e = xmalloc(sizeof(*e));

	*e = v;
	return e;
}

static struct held *
held_new(int64_t epoch)
{
	struct held *h = xcalloc(1, sizeof(*h));

	h->epoch = epoch;
	return h;
}

static void
epochs_clear(struct hmap *m)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (hmap_next(m, &pos, &k, &v))
		free(v);
	hmap_free(m);
	hmap_init(m);
}

/* Returns the index + 1 of source name in the config, or 0. */
static size_t
source_index(const struct cluster *c, const char *name)
{
	return (size_t)(uintptr_t)hmap_get(&c->index, name);
}

static void
members_free(struct cluster_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].version);
	}
	free(m);
}

static void
schedule(struct cluster *c, double delay)
{
	if (c->leaving)
		return;
	ev_timer_stop(c->loop, &c->tick);
	ev_timer_set(&c->tick, delay > 0 ? delay : 0., 0.);
	ev_timer_start(c->loop, &c->tick);
}

/* Stops polling source name and forgets that we own it. */
static void
drop(struct cluster *c, const char *name)
{
	size_t i = source_index(c, name);

	/* Leaving, the engine may be gone already. */
	if (i > 0 && !c->leaving)
		engine_own(c->eng, i - 1, false);
	free(hmap_del(&c->owned, name));
	c->dirty = true;
}

bool
cluster_owns(const struct cluster *c, const char *source)
{
	return !c->leaving && ev_now(c->loop) < c->valid_until &&
	    hmap_get(&c->owned, source) != NULL;
}

bool
cluster_leads(const struct cluster *c, const char *key)
{
	const char **names;
	size_t i;

	if (c->leaving || ev_now(c->loop) >= c->valid_until || c->nmembers == 0)
		return false;
	names = xcalloc(c->nmembers, sizeof(*names));
	for (i = 0; i < c->nmembers; i++)
		names[i] = c->members[i].name;
	i = cluster_rendezvous(key, names, c->nmembers);
	free(names);
	return c->members[i].self;
}

static bool
owned_cb(void *arg, const char *source)
{
	return cluster_owns(arg, source);
}

/* Membership */

static const struct cluster_member *
find_member(const struct cluster_member *m, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].id == id)
			return &m[i];
	return NULL;
}

static void
live_names(const struct cluster_member *m, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i > 0 ? ", " : "", m[i].name);
}

/* Returns a digest of the members (id and gen) the heartbeat out listed. */
static uint64_t
members_sig(const struct cluster *c)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ c->nnext;

	for (size_t i = 0; i < c->nnext; i++) {
		h = (h ^ (uint64_t)c->next[i].id) * 0x100000001b3ULL;
		h = (h ^ (uint64_t)c->next[i].gen) * 0x100000001b3ULL;
	}
	return h;
}

/* Takes the heartbeat's members as the current ones, logging who joined and who left. */
static void
members_update(struct cluster *c)
{
	char live[512];
	double now = ev_time();
	bool changed = c->nnext != c->nmembers;

	live_names(c->next, c->nnext, live, sizeof(live));
	if (!c->joined)
		log_info("cluster: node %s joined: %zu live members (%s)", c->node, c->nnext, live);
	for (size_t i = 0; i < c->nnext; i++) {
		struct cluster_member *m = &c->next[i];
		const struct cluster_member *was = find_member(c->members, c->nmembers, m->id);

		/* Not counted by this heartbeat: as the last that counted. */
		if (m->owned < 0) {
			m->owned = was != NULL ? was->owned : 0;
			m->max_epoch = was != NULL ? was->max_epoch : 0;
		}
		if (was != NULL)
			continue;
		changed = true;
		if (!c->joined || m->self)
			continue;
		c->stats.membership_changes++;
		log_info("cluster: member %s (id %lld, %s) joined: %zu live members (%s)", m->name,
		    (long long)m->id, m->version != NULL ? m->version : "version unknown",
		    c->nnext, live);
	}
	for (size_t i = 0; i < c->nmembers; i++) {
		const struct cluster_member *m = &c->members[i];

		if (find_member(c->next, c->nnext, m->id) != NULL || m->self)
			continue;
		changed = true;
		c->stats.membership_changes++;
		log_info("cluster: member %s (id %lld) left or died, last seen %.1f s ago: "
		    "%zu live members (%s)", m->name, (long long)m->id, now - m->last_seen,
		    c->nnext, live);
	}
	for (size_t i = 1; changed && i < c->nnext; i++)
		if (strcmp(c->next[i].name, c->next[i - 1].name) == 0)
			log_warnx("cluster: two live members are named %s: give each instance "
			    "its own bridge.cluster.node", c->next[i].name);
	members_free(c->members, c->nmembers);
	c->members = c->next;
	c->nmembers = c->nnext;
	c->next = NULL;
	c->nnext = c->capnext = 0;
	if (changed)
		c->reassign = true;
}

/* Computes the owner of every source over the live members. */
static void
assign(struct cluster *c)
{
	const char **names = xcalloc(c->nmembers + 1, sizeof(*names));

	for (size_t i = 0; i < c->nmembers; i++)
		names[i] = c->members[i].name;
	free(c->owner_of);
	c->owner_of = xcalloc(c->cfg->nsources + 1, sizeof(*c->owner_of));
	c->dirty = true;
	for (size_t i = 0; i < c->cfg->nsources; i++)
		c->owner_of[i] = c->nmembers > 0 ?
		    cluster_rendezvous(c->cfg->sources[i].name, names, c->nmembers) : SIZE_MAX;
	free(names);
	c->reassign = false;
}

/* Returns whether source i of the config is this instance's by the assignment. */
static bool
assigned_here(const struct cluster *c, size_t i)
{
	return c->owner_of != NULL && c->owner_of[i] < c->nmembers &&
	    c->members[c->owner_of[i]].self;
}

/* Taking and releasing */

/*
 * Starts polling the sources just won: on their phase, or at once those that
 * have waited too long since their previous owner last polled them.
 */
static void
start_taken(struct cluster *c)
{
	struct takeover *v = xcalloc(c->won.n + 1, sizeof(*v));
	size_t *idx = xcalloc(c->won.n + 1, sizeof(*idx));
	double now = ev_now(c->loop);
	size_t pos = 0, n = 0, late = 0;
	const char *name;
	void *val;

	while (hmap_next(&c->won, &pos, &name, &val)) {
		size_t i = source_index(c, name);

		if (i == 0)
			continue;
		idx[n] = i - 1;
		v[n].since = ((struct won *)val)->since;
		v[n].next = engine_next_slot(c->eng, i - 1, now, &v[n].interval);
		n++;
	}
	takeover_plan(v, n, now, c->ttl);
	for (size_t j = 0; j < n; j++) {
		engine_own_at(c->eng, idx[j], v[j].at);
		late += !isnan(v[j].at);
	}
	c->stats.caught_up += late;
	if (late > 0)
		log_info("cluster: node %s polls %zu of the sources taken at once, off their phase: "
		    "their last poll is too long ago", c->node, late);
	free(v);
	free(idx);
}

static void
took_own(void *arg, const char *source, int64_t epoch, double since)
{
	struct cluster *c = arg;
	struct won *w = xmalloc(sizeof(*w));

	w->epoch = epoch;
	w->since = since;
	free(hmap_put(&c->won, source, w));
}

static void
took_state(void *arg, const char *key, const char *json)
{
	struct cluster *c = arg;

	if (c->nstates == c->capstates) {
		c->capstates = c->capstates > 0 ? c->capstates * 2 : 64;
		c->states = xreallocarray(c->states, c->capstates, sizeof(*c->states));
	}
	c->states[c->nstates].key = xstrdup(key);
	c->states[c->nstates++].json = xstrdup(json);
}

static void
taken(void *arg, long long result)
{
	struct cluster *c = arg;
	struct names nm = { 0 };
	size_t pos = 0, loaded = 0;
	const char *name;
	void *val;
	char buf[KEY_SOURCE_MAX];

	c->taking = false;
	if (result < 0)
		log_warnx("cluster: node %s: taking sources failed: %s", c->node,
		    store_error(c->st));
	else if (!c->leaving) {
		/* What we had in memory of them is older than what the store has. */
		engine_forget_sources(c->eng, &c->won);
		for (size_t i = 0; i < c->nstates; i++) {
			const char *src = cluster_key_source(c->states[i].key, buf, sizeof(buf));

			if (src != NULL && hmap_get(&c->won, src) != NULL) {
				engine_load_state(c->eng, c->states[i].key, c->states[i].json);
				loaded++;
			}
		}
		while (hmap_next(&c->won, &pos, &name, &val)) {
			free(hmap_put(&c->owned, name, held_new(*(int64_t *)val)));
			names_add(&nm, name);
		}
		start_taken(c);
		c->stats.taken += nm.n;
		if (nm.n > 0)
			log_info("cluster: node %s took %zu sources (%s) with %zu rule states",
			    c->node, nm.n, nm.text, loaded);
	}
	epochs_clear(&c->won);
	for (size_t i = 0; i < c->nstates; i++) {
		free(c->states[i].key);
		free(c->states[i].json);
	}
	c->nstates = 0;
	/* Some may not have been won, or not be ours any more: the next reconcile looks. */
	c->dirty = true;
	/* What the heartbeat meanwhile found ours waits for the next one: bring it forward. */
	if (c->retake && !c->leaving)
		schedule(c, WAKE_DELAY);
	c->retake = false;
}

/* Names to release once the writes before are stored. */
struct release {
	struct cluster *c;
	char **names;
	size_t n;
};

static void
released(void *arg, long long result)
{
	struct cluster *c = arg;

	if (result < 0)
		log_warnx("cluster: node %s: releasing sources failed: %s (they move when "
		    "its lease lapses)", c->node, store_error(c->st));
}

static void
release_now(void *arg, long long result)
{
	struct release *r = arg;

	(void)result;
	/* Stored or not, they are not ours: a write the store did not take is refused anyway. */
	store_cluster_release(r->c->st, (const char *const *)r->names, r->n, released, r->c);
	for (size_t i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	free(r);
}

/* Releases the sources named (taken), after the writes already made are stored. */
static void
release_later(struct cluster *c, char **names, size_t n)
{
	struct release *r = xcalloc(1, sizeof(*r));

	r->c = c;
	r->names = names;
	r->n = n;
	store_commit(c->st, release_now, r);
}

/* Brings ownership in line with the store's word and the assignment. */
static void
reconcile(struct cluster *c, bool back, bool listed)
{
	struct names lost = { 0 }, rel = { 0 };
	char **relv = NULL, **lostv = NULL;
	const char **take = NULL;
	size_t nrel = 0, ntake = 0, nlostv = 0, pos = 0;
	const char *name;
	void *val;

	bool dirty;

	/*
	 * Held here, but not so in the store: another member took it. Only when
	 * a full heartbeat did not list all of them: it costs one look-up per
	 * source held, and this loop and the two over all the sources below
	 * run when something changed.
	 */
	while (listed && c->confirmed < c->owned.n && hmap_next(&c->owned, &pos, &name, &val)) {
		if (((struct held *)val)->seen == c->gen)
			continue;
		names_add(&lost, name);
		lostv = xreallocarray(lostv, nlostv + 1, sizeof(*lostv));
		lostv[nlostv++] = xstrdup(name);
		/* Deletion leaves a tombstone: iteration may go on. */
		drop(c, name);
	}
	if (lost.n > 0) {
		c->stats.lost += lost.n;
		log_warnx("cluster: node %s lost %zu sources to other members (%s)%s", c->node,
		    lost.n, lost.text, back ? ": this instance was away longer than its lease" :
		    "");
	}
	if (c->reassign)
		assign(c);
	dirty = c->dirty;
	relv = xcalloc((dirty ? c->owned.n : 0) + c->mine.n + 1, sizeof(*relv));
	/* Held, but another member's now (it joined, or we were away). */
	for (pos = 0; dirty && hmap_next(&c->owned, &pos, &name, &val);) {
		size_t i = source_index(c, name);

		if (i > 0 && assigned_here(c, i - 1))
			continue;
		names_add(&rel, name);
		relv[nrel++] = xstrdup(name);
		drop(c, name);
	}
	/* Ours in the store without our knowing (a take whose answer was lost), not wanted. */
	for (pos = 0; hmap_next(&c->mine, &pos, &name, &val);) {
		size_t i = source_index(c, name);

		if (hmap_get(&c->owned, name) == NULL && (i == 0 || !assigned_here(c, i - 1)))
			relv[nrel++] = xstrdup(name);
	}
	if (rel.n > 0) {
		c->stats.released += rel.n;
		log_info("cluster: node %s gives up %zu sources to other members (%s)", c->node,
		    rel.n, rel.text);
	}
	/* Coming back after others took ours: they give our share back once they know. */
	if (nrel == 0 && nlostv > 0) {
		free(relv);
		relv = lostv;
		nrel = nlostv;
		lostv = NULL;
		nlostv = 0;
	}
	if (nrel > 0)
		release_later(c, relv, nrel);
	else
		free(relv);
	for (size_t i = 0; i < nlostv; i++)
		free(lostv[i]);
	free(lostv);
	if (c->taking) {
		c->retake = true;
		return;
	}
	c->dirty = false;
	if (!dirty)
		return;
	take = xcalloc(c->cfg->nsources + 1, sizeof(*take));
	for (size_t i = 0; i < c->cfg->nsources; i++)
		if (assigned_here(c, i) && hmap_get(&c->owned, c->cfg->sources[i].name) == NULL)
			take[ntake++] = c->cfg->sources[i].name;
	if (ntake > 0) {
		c->taking = true;
		store_cluster_take(c->st, take, ntake, took_own, took_state, taken, c);
	}
	free(take);
}

/* The heartbeat */

static void
beat_member(void *arg, const struct store_member *m)
{
	struct cluster *c = arg;
	struct cluster_member *cm;

	if (c->nnext == c->capnext) {
		c->capnext = c->capnext > 0 ? c->capnext * 2 : 8;
		c->next = xreallocarray(c->next, c->capnext, sizeof(*c->next));
	}
	cm = &c->next[c->nnext++];
	cm->id = m->id;
	cm->name = xstrdup(m->name);
	cm->version = m->version != NULL ? xstrdup(m->version) : NULL;
	cm->started = m->started;
	cm->last_seen = m->last_seen;
	cm->owned = m->owned;
	cm->max_epoch = m->max_epoch;
	cm->gen = m->gen;
	cm->self = m->self;
	if (!m->self && (c->soonest < 0 || m->lease_left < c->soonest))
		c->soonest = m->lease_left;
}

static void
beat_own(void *arg, const char *source, int64_t epoch, double since)
{
	struct cluster *c = arg;
	struct held *h = hmap_get(&c->owned, source);

	(void)since;
	if (h != NULL && h->epoch == epoch && h->seen != c->gen) {
		h->seen = c->gen;
		c->confirmed++;
	} else
		free(hmap_put(&c->mine, source, epoch_new(epoch)));
}

static void
synced(void *arg, long long result)
{
	struct cluster *c = arg;
	double next = c->ttl / 3;
	bool back, full = c->full;
	uint64_t sig;

	c->syncing = false;
	if (c->leaving) {
		members_free(c->next, c->nnext);
		c->next = NULL;
		c->nnext = c->capnext = 0;
		epochs_clear(&c->mine);
		return;
	}
	if (result < 0) {
		c->stats.sync_failures++;
		c->want_full = true;
		/* Before the store joined us as a member, failing is expected. */
		if (!c->joined) {
			members_free(c->next, c->nnext);
			c->next = NULL;
			c->nnext = c->capnext = 0;
			epochs_clear(&c->mine);
			schedule(c, WAKE_DELAY * 5);
			return;
		}
		if (!c->failing)
			log_warnx("cluster: node %s: heartbeat failed: %s (its sources stop "
			    "%.1f s after the last one that succeeded)", c->node, store_error(c->st),
			    c->ttl * VALID_SHARE);
		c->failing = true;
		members_free(c->next, c->nnext);
		c->next = NULL;
		c->nnext = c->capnext = 0;
		epochs_clear(&c->mine);
		schedule(c, RETRY_DELAY < next ? RETRY_DELAY : next);
		return;
	}
	if (c->failing)
		log_info("cluster: node %s: heartbeats succeed again", c->node);
	c->failing = false;
	c->stats.syncs++;
	/* Sent after our ownership lapsed: the others may have taken our sources. */
	back = c->joined && c->sent_at >= c->valid_until;
	c->valid_until = c->sent_at + c->ttl * VALID_SHARE;
	if (c->fenced.n > 0) {
		log_warnx("cluster: node %s: the store refused writes for %zu sources under a "
		    "stale epoch (%s): another member owns them, dropped here", c->node,
		    c->fenced.n, c->fenced.text);
		memset(&c->fenced, 0, sizeof(c->fenced));
	}
	if (!c->joined)
		/*
		 * The others learn of us now rather than at their next heartbeat
		 * (a new member owns nothing yet: this releases nothing, it wakes).
		 */
		store_cluster_release(c->st, NULL, 0, released, c);
	/* Sources changed hands since the last full heartbeat: the next one is, at once. */
	sig = members_sig(c);
	if (full)
		c->full_sig = sig;
	if (!full && sig != c->full_sig)
		c->want_full = true;
	members_update(c);
	/* A member that died or left: its sources are taken now, their list comes next. */
	reconcile(c, back, full);
	c->joined = true;
	epochs_clear(&c->mine);
	/* A member whose lease ends before our next heartbeat: look right after. */
	if (c->soonest >= 0 && c->soonest + EXPIRY_SLACK < next)
		next = c->soonest + EXPIRY_SLACK;
	if (c->resync || c->want_full)
		next = WAKE_DELAY;
	c->resync = false;
	schedule(c, next);
}

static void
beat(struct cluster *c)
{
	if (c->leaving)
		return;
	if (c->syncing) {
		c->resync = true;
		return;
	}
	c->syncing = true;
	c->soonest = -1;
	c->gen++;
	c->confirmed = 0;
	c->sent_at = ev_now(c->loop);
	/* Back after our ownership lapsed: what we own is to be read again. */
	c->full = c->want_full || !c->joined || c->sent_at >= c->valid_until;
	c->want_full = false;
	store_cluster_sync(c->st, c->ttl, PACKAGE_VERSION, c->full, beat_member, beat_own, synced,
	    c);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *c = container_of(w, struct cluster, tick);

	(void)loop;
	(void)revents;
	beat(c);
}

/* The store's hooks */

static int64_t
fence_cb(void *arg, const char *source, const char *key)
{
	struct cluster *c = arg;
	char buf[KEY_SOURCE_MAX];
	int64_t *e;

	if (source == NULL && (source = cluster_key_source(key, buf, sizeof(buf))) == NULL)
		return 0;
	/* Not a source of the config (an operational event): nobody owns it. */
	if (source_index(c, source) == 0)
		return 0;
	e = hmap_get(&c->owned, source);
	return e != NULL ? *e : -1;
}

static void
fenced_cb(void *arg, const char *source, int64_t epoch)
{
	struct cluster *c = arg;
	int64_t *e = hmap_get(&c->owned, source);

	c->stats.fenced++;
	if (e == NULL || *e != epoch)
		return;
	names_add(&c->fenced, source);
	drop(c, source);
	c->want_full = true;
	schedule(c, WAKE_DELAY);
}

static void
wake_cb(void *arg)
{
	struct cluster *c = arg;

	if (c->syncing)
		c->resync = true;
	else if (!ev_is_active(&c->tick) || ev_timer_remaining(c->loop, &c->tick) > WAKE_DELAY)
		schedule(c, WAKE_DELAY);
}

/* Life */

static void
index_build(struct cluster *c)
{
	hmap_free(&c->index);
	hmap_init(&c->index);
	for (size_t i = 0; i < c->cfg->nsources; i++)
		hmap_put(&c->index, c->cfg->sources[i].name, (void *)(uintptr_t)(i + 1));
}

struct cluster *
cluster_new(struct ev_loop *loop, const struct config *cfg, struct store *st,
    struct engine *eng)
{
	struct cluster *c = xcalloc(1, sizeof(*c));
	struct store_cluster_hooks hooks = { fence_cb, fenced_cb, wake_cb, c };

	c->loop = loop;
	c->cfg = cfg;
	c->st = st;
	c->eng = eng;
	c->node = xstrdup(cfg->bridge.store.node);
	c->ttl = cfg->bridge.store.lease_ttl;
	hmap_init(&c->index);
	hmap_init(&c->owned);
	hmap_init(&c->mine);
	hmap_init(&c->won);
	index_build(c);
	c->reassign = true;
	c->want_full = true;
	ev_timer_init(&c->tick, tick_cb, 0., 0.);
	store_set_cluster_hooks(st, &hooks);
	engine_set_owner(eng, owned_cb, c);
	schedule(c, 0);
	return c;
}

void
cluster_reload(struct cluster *c, const struct config *cfg)
{
	c->cfg = cfg;
	index_build(c);
	free(c->owner_of);
	c->owner_of = NULL;
	c->reassign = true;
	/* The engine scheduled the sources we own; the others are assigned at once. */
	schedule(c, 0);
}

static void
left(void *arg, long long result)
{
	struct cluster *c = arg;

	if (result < 0)
		log_warnx("cluster: node %s: releasing its sources failed: %s (they move when "
		    "its lease lapses)", c->node, store_error(c->st));
	else
		log_info("cluster: node %s released %lld sources", c->node, result);
}

static void
leave_now(void *arg, long long result)
{
	struct cluster *c = arg;

	(void)result;
	store_cluster_release(c->st, NULL, 0, left, c);
}

void
cluster_leave(struct cluster *c)
{
	size_t pos = 0;
	const char *name;
	void *val;

	if (c->leaving)
		return;
	log_info("cluster: node %s leaves: its %zu sources go to the others", c->node,
	    c->owned.n);
	while (hmap_next(&c->owned, &pos, &name, &val))
		drop(c, name);
	c->leaving = true;
	ev_timer_stop(c->loop, &c->tick);
	/* The last writes first: the new owners load what they left. */
	store_commit(c->st, leave_now, c);
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(c->loop, &c->tick);
	epochs_clear(&c->owned);
	epochs_clear(&c->mine);
	epochs_clear(&c->won);
	hmap_free(&c->owned);
	hmap_free(&c->mine);
	hmap_free(&c->won);
	hmap_free(&c->index);
	for (size_t i = 0; i < c->nstates; i++) {
		free(c->states[i].key);
		free(c->states[i].json);
	}
	free(c->states);
	members_free(c->members, c->nmembers);
	members_free(c->next, c->nnext);
	free(c->owner_of);
	free(c->node);
	free(c);
}

/* Reading */

const char *
cluster_source_owner(const struct cluster *c, size_t i)
{
	if (i < c->cfg->nsources && hmap_get(&c->owned, c->cfg->sources[i].name) != NULL)
		return c->node;
	if (c->owner_of == NULL || i >= c->cfg->nsources || c->owner_of[i] >= c->nmembers)
		return NULL;
	return c->members[c->owner_of[i]].name;
}

const char *
cluster_node(const struct cluster *c)
{
	return c->node;
}

const struct cluster_member *
cluster_members(const struct cluster *c, size_t *n)
{
	*n = c->nmembers;
	return c->members;
}

size_t
cluster_owned(const struct cluster *c, int64_t *epoch)
{
	size_t pos = 0;
	const char *name;
	void *val;

	*epoch = 0;
	while (hmap_next(&c->owned, &pos, &name, &val))
		if (*(int64_t *)val > *epoch)
			*epoch = *(int64_t *)val;
	return c->owned.n;
}

const struct cluster_stats *
cluster_stats(const struct cluster *c)
{
	return &c->stats;
}
