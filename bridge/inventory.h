#ifndef POLLHOOK_INVENTORY_H
#define POLLHOOK_INVENTORY_H

/*
 * Inventories: files of devices, one source a row. A CSV file starts with a
 * header row naming its columns; "name" and "address" are required, an
 * optional "profile" column picks the row's profile, an optional "parent"
 * column names the row's parents (separated by blanks), and every other
 * column becomes a label of the row's source. A JSON-lines file (format "jsonl",
 * or a name ending in .jsonl / .ndjson) holds one object a line with the
 * same keys, "labels" as an object and "parent" a name or an array of names. Blank lines and lines starting with
 * "#" are skipped. The address goes into the row's poller group
 * (snmp = { address = ...; }), the poller being its profile's.
 */

#include <stddef.h>

#include "conf.h"

extern const struct conf_key inventory_keys[];

/* Called with each row built as a source group: valid during the call only. */
typedef void (*inventory_row_fn)(void *arg, const struct conf_node *row);
/* Returns the poller of the profile named name, or NULL when there is none. */
typedef const char *(*inventory_poller_fn)(void *arg, const char *name);

/*
 * Reads the file of the inventory element inv (checked against
 * inventory_keys) named path (resolved with inventory_path; it must live as
 * long as t, for the rows point to it) and hands every row to fn as a source
 * group whose settings have path and the row's line. Reports unreadable files
 * and bad rows as "PATH:LINE: message" in t. Returns the rows handed to fn.
 */
size_t inventory_load(struct conf_tree *t, const struct conf_node *inv, const char *path,
    inventory_poller_fn poller_of, inventory_row_fn fn, void *arg);
/* Returns the file of inv, relative to the directory of the file naming it (newly allocated). */
char *inventory_path(const struct conf_node *inv);

#endif
