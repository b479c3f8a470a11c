/*
 * URL templates: "%{since:%Y-%m-%d}" and "%{now:...}" in an http source's
 * URL, for APIs that take a time window in the query (Zoom's from/to).
 */

#include "http_url.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xmalloc.h"

#define HTTP_URL_MAX_PARTS	32
#define HTTP_URL_MAX_TIME	128	/* bytes of one formatted time */

enum part_kind { PART_TEXT, PART_SINCE, PART_NOW };

struct part {
	enum part_kind kind;
	char *text;		/* PART_TEXT: literal; otherwise the strftime format */
	double offset;		/* seconds added to the time ("%{since-3600:...}") */
};

struct http_url {
	struct part parts[HTTP_URL_MAX_PARTS];
	size_t nparts;
	bool since;
};

/*
 * The strftime conversions allowed: those of C99 and POSIX that print
 * digits, names or a fixed zone, plus %s (GNU: seconds since the epoch).
 * Others (%E, %O modifiers, %c, %x: locale-dependent) are refused.
 */
static const char allowed[] = "aAbBdeFGgHIjmMpsSTuVwyYzZ%";

void
http_url_free(struct http_url *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->nparts; i++)
		free(u->parts[i].text);
	free(u);
}

static int
check_format(const char *fmt, char *err, size_t errlen)
{
	if (*fmt == '\0') {
		snprintf(err, errlen, "empty time format");
		return -1;
	}
	for (const char *c = fmt; *c != '\0'; c++) {
		if (*c != '%')
			continue;
		if (c[1] == '\0' || strchr(allowed, c[1]) == NULL) {
			snprintf(err, errlen, "time format \"%s\": %s%.1s is not one of "
			    "%%a %%A %%b %%B %%d %%e %%F %%G %%g %%H %%I %%j %%m %%M %%p %%s "
			    "%%S %%T %%u %%V %%w %%y %%Y %%z %%Z %%%%", fmt,
			    c[1] == '\0' ? "a % at the end" : "%", c + 1);
			return -1;
		}
		c++;
	}
	return 0;
}

/* The largest offset: ten years, past which a time would rather be a typo. */
#define MAX_OFFSET 315360000L

static int
add_part(struct http_url *u, enum part_kind kind, const char *s, size_t len, char *err,
    size_t errlen)
{
	if (u->nparts == HTTP_URL_MAX_PARTS) {
		snprintf(err, errlen, "more than %d placeholders", HTTP_URL_MAX_PARTS / 2);
		return -1;
	}
	u->parts[u->nparts].kind = kind;
	u->parts[u->nparts].text = xstrndup(s, len);
	u->nparts++;
	return 0;
}

/* Parses the offset in [s, end): empty, or a sign and digits; -1 when it is not. */
static int
parse_offset(const char *s, const char *end, double *offset)
{
	long v = 0;

	*offset = 0;
	if (s == end)
		return 0;
	if ((*s != '-' && *s != '+') || end - s < 2 || end - s > 10)
		return -1;
	for (const char *c = s + 1; c < end; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
	}
	if (v > MAX_OFFSET)
		return -1;
	*offset = *s == '-' ? -(double)v : (double)v;
	return 0;
}

/* Parses the placeholder at p ("%{name:format}"); *end receives the byte after it. */
static int
parse_placeholder(struct http_url *u, const char *p, const char **end, char *err,
    size_t errlen)
{
	const char *close = strchr(p + 2, '}'), *colon;
	enum part_kind kind;
	double offset = 0;
	size_t nlen;

	if (close == NULL) {
		snprintf(err, errlen, "unterminated placeholder \"%.20s\": use "
		    "%%{since:FORMAT} or %%{now:FORMAT}", p);
		return -1;
	}
	colon = memchr(p + 2, ':', (size_t)(close - p - 2));
	nlen = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz");
	if (nlen == 5 && strncmp(p + 2, "since", 5) == 0)
		kind = PART_SINCE;
	else if (nlen == 3 && strncmp(p + 2, "now", 3) == 0)
		kind = PART_NOW;
	else
		kind = PART_TEXT;	/* none of them */
	if (kind == PART_TEXT) {
		snprintf(err, errlen, "unknown placeholder \"%.*s\": use %%{since:FORMAT} "
		    "or %%{now:FORMAT}", (int)(close - p + 1), p);
		return -1;
	}
	if (parse_offset(p + 2 + nlen, colon != NULL ? colon : close, &offset) == -1) {
		snprintf(err, errlen, "placeholder \"%.*s\": the offset must be -SECONDS or "
		    "+SECONDS, at most %ld", (int)(close - p + 1), p, MAX_OFFSET);
		return -1;
	}
	if (colon == NULL) {
		snprintf(err, errlen, "placeholder \"%.*s\" needs a time format, e.g. "
		    "%%{%.*s:%%Y-%%m-%%d}", (int)(close - p + 1), p, (int)nlen, p + 2);
		return -1;
	}
	if (add_part(u, kind, colon + 1, (size_t)(close - colon - 1), err, errlen) == -1 ||
	    check_format(u->parts[u->nparts - 1].text, err, errlen) == -1)
		return -1;
	u->parts[u->nparts - 1].offset = offset;
	if (kind == PART_SINCE)
		u->since = true;
	*end = close + 1;
	return 0;
}

int
http_url_parse(const char *text, struct http_url **out, char *err, size_t errlen)
{
	struct http_url *u;
	const char *p = text, *lit = text;

	*out = NULL;
	if (strstr(text, "%{") == NULL)
		return 0;
	u = xcalloc(1, sizeof(*u));
	while ((p = strstr(p, "%{")) != NULL) {
		if (p > lit && add_part(u, PART_TEXT, lit, (size_t)(p - lit), err, errlen) == -1)
			goto fail;
		if (parse_placeholder(u, p, &p, err, errlen) == -1)
			goto fail;
		lit = p;
	}
	if (*lit != '\0' && add_part(u, PART_TEXT, lit, strlen(lit), err, errlen) == -1)
		goto fail;
	*out = u;
	return 0;
fail:
	http_url_free(u);
	return -1;
}

bool
http_url_has_since(const struct http_url *u)
{
	return u != NULL && u->since;
}

/* Appends t formatted by fmt in UTC, percent-encoded, to buf; -1 when it cannot be. */
static int
append_time(char **buf, size_t *len, const char *fmt, double t)
{
	char tmp[HTTP_URL_MAX_TIME];
	struct tm tm;
	time_t secs;
	size_t n;

	/* Years 1 to 9999 only: gmtime's range differs between platforms. */
	if (!isfinite(t) || t < -62135596800.0 || t > 253402300799.0)
		return -1;
	secs = (time_t)floor(t);
	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	/* The format is the user's, checked against the allowed conversions when parsed. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(tmp, sizeof(tmp), fmt, &tm);
#pragma GCC diagnostic pop
	if (n == 0)
		return -1;
	*buf = xreallocarray(*buf, *len + 3 * n + 1, 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tmp[i];

		/* RFC 3986's unreserved characters stay; the rest is encoded. */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			(*buf)[(*len)++] = (char)c;
		else
			*len += (size_t)snprintf(*buf + *len, 4, "%%%02X", c);
	}
	(*buf)[*len] = '\0';
	return 0;
}

char *
http_url_expand(const struct http_url *u, double since, double now)
{
	char *buf = xstrdup("");
	size_t len = 0;

	for (size_t i = 0; i < u->nparts; i++) {
		const struct part *p = &u->parts[i];

		if (p->kind == PART_TEXT) {
			size_t n = strlen(p->text);

			buf = xreallocarray(buf, len + n + 1, 1);
			memcpy(buf + len, p->text, n + 1);
			len += n;
		} else if (append_time(&buf, &len, p->text, (p->kind == PART_SINCE ? since :
		    now) + p->offset) == -1) {
			free(buf);
			return NULL;
		}
	}
	return buf;
}
