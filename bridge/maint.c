#include "maint.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "xmalloc.h"

const struct conf_key maint_keys[] = {
	{ "name", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "name of the window, in the reason of the events it holds back" },
	{ "sources", CONF_STRINGS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "globs of the sources it holds back; default all" },
	{ "rules", CONF_STRINGS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "globs of the rules it holds back; default all" },
	{ "schedule", CONF_STRINGS, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "when it is open: \"DAYS HH:MM-HH:MM\", one or a list" },
	{ "timezone", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "the TZ database zone of the schedule's times; default UTC" },
	CONF_KEY_END
};

static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static int
day_index(const char *s, size_t len)
{
	for (int d = 0; d < 7; d++)
		if (len == 3 && strncasecmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

/* Parses DAYS into a bit set; returns -1 when it is none. */
static int
parse_days(const char *s, size_t len, unsigned *days)
{
	*days = 0;
	if ((len == 5 && strncasecmp(s, "daily", 5) == 0) || (len == 1 && *s == '*')) {
		*days = 0x7f;
		return 0;
	}
	while (len > 0) {
		size_t item = strcspn(s, ","), dash;
		int a, b;

		if (item > len)
			item = len;
		dash = strcspn(s, "-");
		if (dash < item) {
			a = day_index(s, dash);
			b = day_index(s + dash + 1, item - dash - 1);
		} else
			a = b = day_index(s, item);
		if (a < 0 || b < 0)
			return -1;
		/* Fri-Mon wraps over the week's end. */
		for (int d = a;; d = (d + 1) % 7) {
			*days |= 1u << d;
			if (d == b)
				break;
		}
		if (item == len)
			break;
		s += item + 1;
		len -= item + 1;
		if (len == 0)
			return -1;
	}
	return *days != 0 ? 0 : -1;
}

static int
parse_hhmm(const char *s, int *min)
{
	int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');

	/* 24:00 ends a day. */
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	return 0;
}

int
maint_parse_span(const char *s, struct maint_span *sp, char *err, size_t errlen)
{
	const char *sp1 = strchr(s, ' ');

	if (sp1 == NULL || parse_days(s, (size_t)(sp1 - s), &sp->days) != 0) {
		snprintf(err, errlen, "schedule \"%s\": the days must be Mon .. Sun, a range "
		    "(Mon-Fri), a list (Sat,Sun) or daily, then HH:MM-HH:MM", s);
		return -1;
	}
	while (*sp1 == ' ')
		sp1++;
	if (strlen(sp1) != 11 || parse_hhmm(sp1, &sp->start) != 0 || sp1[5] != '-' ||
	    parse_hhmm(sp1 + 6, &sp->end) != 0 || sp->start == 24 * 60) {
		snprintf(err, errlen, "schedule \"%s\": the times must be HH:MM-HH:MM "
		    "(00:00 to 24:00)", s);
		return -1;
	}
	if (sp->start == sp->end) {
		snprintf(err, errlen, "schedule \"%s\": the window is empty (start = end)", s);
		return -1;
	}
	return 0;
}

bool
maint_tz_known(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	int fd, n;
	bool ok;

	if (strcmp(tz, "UTC") == 0)
		return true;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") !=
	    strlen(tz))
		return false;
	n = snprintf(path, sizeof(path), "%s/%s", dir != NULL && *dir != '\0' ? dir :
	    "/usr/share/zoneinfo", tz);
	if (n < 0 || (size_t)n >= sizeof(path) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

static char **
copy_globs(const struct conf_node *n, const char *key)
{
	size_t count;
	const char **v = conf_strings(n, key, &count);
	char **out;

	if (v == NULL)
		return NULL;
	out = xcalloc(count + 1, sizeof(*out));
	for (size_t i = 0; i < count; i++)
		out[i] = xstrdup(v[i]);
	free(v);
	return out;
}

void
maint_load(const struct conf_node *n, const char *file, struct maint_config *w)
{
	const struct conf_node *sn = conf_get(n, "schedule"), *tn = conf_get(n, "timezone");
	const char **sched;
	size_t count = 0;
	char err[256];

	w->file = file;
	w->line = conf_line(n);
	w->name = xstrdup(conf_string(n, "name", NULL));
	w->sources = copy_globs(n, "sources");
	w->rules = copy_globs(n, "rules");
	w->timezone = xstrdup(conf_string(n, "timezone", "UTC"));
	if (tn != NULL && conf_value_string(tn) != NULL && !maint_tz_known(w->timezone))
		conf_error(tn, "unknown timezone \"%s\" (a zone of the TZ database, e.g. "
		    "\"Europe/Berlin\")", w->timezone);
	sched = conf_strings(n, "schedule", &count);
	w->spans = xcalloc(count + 1, sizeof(*w->spans));
	for (size_t i = 0; sched != NULL && i < count; i++) {
		if (maint_parse_span(sched[i], &w->spans[w->nspans], err, sizeof(err)) != 0)
			conf_error(sn, "%s", err);
		else
			w->nspans++;
	}
	free(sched);
}

static void
free_globs(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
maint_clear(struct maint_config *w)
{
	free(w->name);
	free_globs(w->sources);
	free_globs(w->rules);
	free(w->spans);
	free(w->timezone);
}

/*
 * The local time of t in zone tz. The C library knows zones only through
 * TZ: it is set for the call and put back (the daemon is one thread; the
 * caller caches the answer a minute, so the zone file is read that rarely).
 */
static void
local_time(const char *tz, time_t t, struct tm *out)
{
	const char *cur = getenv("TZ");
	char *old = cur != NULL ? xstrdup(cur) : NULL, *want = xasprintf(":%s", tz);

	setenv("TZ", want, 1);
	tzset();
	localtime_r(&t, out);
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
	free(want);
}

bool
maint_open(const struct maint_config *w, double now)
{
	struct tm tm;
	int min, yday;

	local_time(w->timezone, (time_t)floor(now), &tm);
	min = tm.tm_hour * 60 + tm.tm_min;
	yday = (tm.tm_wday + 6) % 7;	/* yesterday's weekday */
	for (size_t i = 0; i < w->nspans; i++) {
		const struct maint_span *sp = &w->spans[i];

		if (sp->end > sp->start) {
			if ((sp->days & (1u << tm.tm_wday)) && min >= sp->start && min < sp->end)
				return true;
			continue;
		}
		/* Through midnight: the evening of its day, the morning after. */
		if ((sp->days & (1u << tm.tm_wday)) && min >= sp->start)
			return true;
		if ((sp->days & (1u << yday)) && min < sp->end)
			return true;
	}
	return false;
}

static bool
any_glob(char *const *globs, const char *name)
{
	if (globs == NULL)
		return true;
	for (size_t i = 0; globs[i] != NULL; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return true;
	return false;
}

bool
maint_applies(const struct maint_config *w, const char *source, const char *rule)
{
	return any_glob(w->sources, source) && any_glob(w->rules, rule);
}
