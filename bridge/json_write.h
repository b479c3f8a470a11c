#ifndef POLLHOOK_JSON_WRITE_H
#define POLLHOOK_JSON_WRITE_H

/*
 * Writing JSON text straight into a buffer, for the payload formats: a
 * format is a handful of fixed members around the event's own strings, and
 * a json-c tree built and serialised per delivery cost more than the
 * delivery itself. Strings are escaped as json-c escapes them with
 * JSON_C_TO_STRING_NOSLASHESCAPE, so the bodies read as they did.
 */

#include <stddef.h>

#include "buf.h"
#include "json_scan.h"

/* Appends the n bytes at s escaped as the inside of a JSON string (no quotes). */
void json_write_chars(struct buf *b, const char *s, size_t n);
/* Appends the C string s as a quoted JSON string, or null when s is NULL. */
void json_write_str(struct buf *b, const char *s);
/* Appends ,"key": (or "key": when first is set); key is plain ASCII, not escaped. */
void json_write_key(struct buf *b, const char *key, int first);

/*
 * Appends the checked JSON value v as json-c prints it parsed with
 * JSON_C_TO_STRING_PLAIN (the readable texts show other JSON that way): no
 * white space, strings escaped as json-c escapes them, '/' as "\/".
 */
void json_write_plain(struct buf *b, struct json_span v);

#endif
