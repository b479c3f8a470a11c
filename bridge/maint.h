#ifndef POLLHOOK_MAINT_H
#define POLLHOOK_MAINT_H

/*
 * Maintenance windows of the config:
 *   maintenance = ( { name = "upgrade"; sources = [ "core-*" ]; rules = [ "*" ];
 *                     schedule = "Sun 02:00-04:00"; timezone = "Europe/Berlin"; } );
 * While a window is open, the events of the rules it names on the sources
 * it names are held back ("maintenance:NAME"). A schedule is DAYS HH:MM-HH:MM,
 * DAYS a day (Mon .. Sun), a range (Mon-Fri), a list (Sat,Sun) or "daily";
 * an end at or before the start runs into the next day. Times are local
 * to timezone (the TZ database), UTC by default. Pure: the time is given.
 */

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* One DAYS HH:MM-HH:MM. */
struct maint_span {
	unsigned days;		/* bit d: the window opens on weekday d (0 = Sunday) */
	int start, end;		/* minutes after local midnight; end <= start: the next day */
};

struct maint_config {
	char *name;
	char **sources;		/* globs; NULL-terminated; NULL: all */
	char **rules;		/* globs; NULL-terminated; NULL: all */
	struct maint_span *spans;
	size_t nspans;
	char *timezone;		/* a TZ database name; "UTC" by default */
	const char *file;
	int line;
};

/* The keys of one maintenance element, for the checker and --list-keys. */
extern const struct conf_key maint_keys[];

/* Parses one schedule into sp; returns -1 with the reason in err. */
int maint_parse_span(const char *s, struct maint_span *sp, char *err, size_t errlen);
/* Returns whether tz names a zone of the TZ database (a TZif file under TZDIR). */
bool maint_tz_known(const char *tz);
/*
 * Fills w from the checked group n (file is the config's copy of its file
 * name); reports a bad schedule or an unknown timezone at its FILE:LINE.
 */
void maint_load(const struct conf_node *n, const char *file, struct maint_config *w);
/* Frees what w holds (not w). */
void maint_clear(struct maint_config *w);
/* Returns whether window w is open at Unix time now. */
bool maint_open(const struct maint_config *w, double now);
/* Returns whether w applies to rule rule on source source. */
bool maint_applies(const struct maint_config *w, const char *source, const char *rule);

#endif
