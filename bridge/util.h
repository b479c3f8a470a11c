#ifndef POLLHOOK_UTIL_H
#define POLLHOOK_UTIL_H

#include <stddef.h>

/* Returns the struct of type that holds member at ptr (libev watchers). */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Returns the number of elements of an array. */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
