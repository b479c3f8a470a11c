#ifndef POLLHOOK_CONF_IMPL_H
#define POLLHOOK_CONF_IMPL_H

/*
 * What conf_tree.c and conf_schema.c share and plugins never see: a struct
 * conf_node is a libconfig config_setting_t seen through an opaque type.
 */

#include <libconfig.h>
#include <stdbool.h>

#include "conf.h"
#include "xmalloc.h"

/* Returns the libconfig setting n stands for. */
static inline const config_setting_t *
setting(const struct conf_node *n)
{
	return (const config_setting_t *)n;
}

/* Returns the node that stands for the libconfig setting s. */
static inline const struct conf_node *
node(const config_setting_t *s)
{
	return (const struct conf_node *)s;
}

/* Returns whether s is an integer (32 or 64 bits). */
static inline bool
is_int(const config_setting_t *s)
{
	return s->type == CONFIG_TYPE_INT || s->type == CONFIG_TYPE_INT64;
}

/* Returns the value of the number s (an integer or a float) as a double. */
static inline double
number(const config_setting_t *s)
{
	return s->type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) :
	    (double)config_setting_get_int64(s);
}

/* Returns "KEY_file" for key, newly allocated: where a secret's file is named. */
static inline char *
file_key(const char *key)
{
	return xasprintf("%s_file", key);
}

#endif
