#ifndef POLLHOOK_JSON_SCAN_H
#define POLLHOOK_JSON_SCAN_H

/*
 * Reading JSON text in place, for the payload formats: an event's envelope
 * is checked once and its members are found as spans of the text itself,
 * so a format copies the payload as it stands instead of parsing it into a
 * tree and serialising it again.
 */

#include <stdbool.h>
#include <stddef.h>

#define JSON_SCAN_DEPTH	512	/* arrays and objects nested deeper are refused */

/* A JSON value as it stands in its text: p[0 .. len). */
struct json_span {
	const char *p;		/* NULL: no value */
	size_t len;
};

/* Walks the members of one object. */
struct json_scan {
	const char *p, *end;
	bool first;
};

/*
 * Returns the end of the JSON value that starts at p (after white space),
 * or NULL when the text up to end is not one. The whole value is checked.
 */
const char *json_scan_value(const char *p, const char *end);
/* Starts it on the members of the object span o; returns 0, or -1 when o is not an object. */
int json_scan_object(struct json_scan *it, struct json_span o);
/*
 * Gives the next member of it: its key (a string span, quotes included) and
 * value. Returns 1, 0 after the last, or -1 on text that is not JSON.
 */
int json_scan_next(struct json_scan *it, struct json_span *key, struct json_span *value);
/* Returns whether the string span s decodes to the C string name. */
bool json_scan_key_is(struct json_span s, const char *name);
/*
 * Decodes the string span s into out (room for s.len bytes at least), NUL
 * terminated; returns the decoded length. Stops at a NUL it decodes, as a C
 * string would.
 */
size_t json_scan_string(struct json_span s, char *out);
/*
 * Reads one character of a checked string at p (before end, its closing
 * quote): *c is a byte as it stands (*raw set) or the code point of an
 * escape (a lone surrogate is U+FFFD). Returns where the next one starts.
 */
const char *json_scan_char(const char *p, const char *end, unsigned long *c, bool *raw);
/* Writes code point c as UTF-8 at out (4 bytes at most); returns the bytes written. */
size_t json_scan_utf8(unsigned long c, char *out);
/* Returns whether span v is a JSON string, object, null. */
bool json_span_is_string(struct json_span v);
bool json_span_is_object(struct json_span v);
bool json_span_is_null(struct json_span v);

#endif
