#ifndef POLLHOOK_CONFIG_API_H
#define POLLHOOK_CONFIG_API_H

/*
 * The bridge.api group: its keys (with bridge.api.subscriptions) and their
 * parsing into struct api_config, with the FILE:LINE checks a table cannot
 * make (the listen address, limits that depend on each other, the TLS
 * certificate and key read and matched at load).
 */

#include <stdbool.h>

#include "conf.h"
#include "config.h"

extern const struct conf_key config_api_keys[];

/*
 * Fills *ac from the bridge.api group g (NULL: the API is off, defaults
 * filled in); secrets are read only when secrets_ok (the check found no
 * unreadable secret file, already reported). Errors go to conf_error.
 */
void config_api_load(const struct conf_node *g, bool secrets_ok, struct api_config *ac);
/* Frees what config_api_load allocated in *ac. */
void config_api_free(struct api_config *ac);

#endif
