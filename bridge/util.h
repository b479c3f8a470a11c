#ifndef POLLHOOK_UTIL_H
#define POLLHOOK_UTIL_H

#include <stddef.h>

/* Returns the struct of type that holds member at ptr (libev watchers). */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Returns the number of elements of an array. */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Returns the value of hex digit c (either case), or -1 when c is none. */
static inline int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
