#ifndef POLLHOOK_XMALLOC_H
#define POLLHOOK_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Allocators that never return NULL: running out of memory is fatal. */

/* Returns n bytes of uninitialised memory. */
void *xmalloc(size_t n);
/* Returns nmemb * size zeroed bytes; the product is checked for overflow. */
void *xcalloc(size_t nmemb, size_t size);
/* Resizes p to nmemb * size bytes; the product is checked for overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* Returns a copy of s, or NULL when s is NULL. */
char *xstrdup(const char *s);
/* Returns a copy of the first n bytes of s, NUL-terminated. */
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same as xasprintf with a va_list. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
