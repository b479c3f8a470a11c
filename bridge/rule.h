#ifndef POLLHOOK_RULE_H
#define POLLHOOK_RULE_H

/*
 * The rule engine: pure state machines over one metric of one source and one
 * instance. No sockets, no storage, no loop: (rule, state, point, time) in,
 * events out.
 *
 * Threshold rules (above / below) fire when the condition has held for
 * `for` seconds and resolve when the clear condition (at or below `clear`
 * for above, at or above `clear` for below) has held as long; between the
 * two (the hysteresis band) the state does not change. on_change fires when
 * the value differs from the previous one (the first value is a baseline).
 * on_new fires once per item key not seen before (the first poll seeds the
 * seen set); the seen set is bounded by max_seen, the key absent from the
 * polls for longest dropped first.
 *
 * Noise control: a rule with flap_changes emits "<rule>.flapping" instead of
 * the change that makes flap_changes within flap_window, nothing while it
 * flaps, and "<rule>.flapping.resolved" with the current state once a window
 * passed without a change. Events of an input with a suppress reason are
 * marked held back; the state remembers what its subscribers last heard, and
 * the first evaluation without a reason tells them the current state when it
 * differs (a transition they would hear twice is dropped).
 */

#include <stdbool.h>

#include "config.h"
#include "event.h"
#include "sample.h"

struct json_object;
struct rule_state;

/* The bound of an on_new seen set when the rule gives no max_seen. */
#define RULE_MAX_SEEN_DEFAULT	10000

/* What rule_eval needs to know besides the rule and its state. */
struct rule_input {
	const char *source;		/* source name */
	const struct labels *labels;	/* source labels */
	const struct point *point;	/* the value for this instance; never NULL */
	double now;			/* the poll's scheduled start, Unix seconds */
	const char *suppress;		/* why its events are held back (a parent down,
					   a silence), or NULL: they are delivered */
};

/* Returns a new state for rule r, as for an instance never seen. */
struct rule_state *rule_state_new(const struct rule_config *r);
/*
 * Returns st moved into an allocation that also holds key (st itself is gone):
 * a map of states can borrow its keys from them (see rule_state_key).
 */
struct rule_state *rule_state_keyed(struct rule_state *st, const char *key);
/* Returns the key given to rule_state_keyed (st must have been keyed). */
const char *rule_state_key(const struct rule_state *st);
/* Frees a state. */
void rule_state_free(struct rule_state *st);
/*
 * Feeds one point to the rule; appends the events of any transition to out
 * (unfinished: without id and body; see event_finish). A point without a
 * usable value (VALUE_NONE, a non-number for a threshold) changes nothing.
 */
void rule_eval(const struct rule_config *r, struct rule_state *st,
    const struct rule_input *in, struct event_list *out);
/* Returns whether st changed in a way worth saving since the last call, and clears that. */
bool rule_state_take_dirty(struct rule_state *st);
/* Returns whether a threshold rule's state is firing (resolving counts as firing). */
bool rule_state_firing(const struct rule_state *st);
/* Returns a new JSON object holding the state, for the state store. */
struct json_object *rule_state_to_json(const struct rule_state *st);
/*
 * Returns a state for rule r rebuilt from rule_state_to_json's output, or NULL
 * when j is not a valid state for this kind of rule.
 */
struct rule_state *rule_state_from_json(const struct rule_config *r, struct json_object *j);

#endif
