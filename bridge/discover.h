#ifndef POLLHOOK_DISCOVER_H
#define POLLHOOK_DISCOVER_H

/*
 * Discovery's plain parts: the parsed bridge.discover blocks, the devices
 * they found (as kept in the store and handed to the loader), and the pure
 * functions both the loader and the sweep use: address ranges, the longest
 * matching sysObjectID prefix, source names from sysName. No I/O here (the
 * sweep is discover_run.c, the config keys discover_conf.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/* One IPv4 range to sweep: count addresses from first (host order). */
struct discover_net {
	uint32_t first;
	uint32_t count;
};

/* One "profiles" element: devices whose sysObjectID starts with prefix take profile. */
struct discover_match {
	char *prefix;		/* numeric, without a leading "." */
	char *profile;
};

/* One bridge.discover element, parsed. */
struct discover_config {
	char *name;		/* sources' origin is "discover:NAME"; store keys start "NAME/" */
	struct discover_net *nets;
	size_t nnets;
	uint64_t naddrs;	/* addresses of every net, each swept once per port */
	unsigned port;		/* UDP port of the agents; default 161 */
	char *version;		/* "1" or "2c" */
	char *community;	/* read from community or community_file */
	double every;		/* seconds between sweeps */
	double rate;		/* packets a second at most */
	double timeout;		/* seconds one probe waits for its answer */
	unsigned retries;	/* probes sent again to a silent address */
	unsigned max_in_flight;	/* probes awaiting an answer at once */
	unsigned lost_after;	/* sweeps a found device may miss before it is lost */
	struct discover_match *matches;
	size_t nmatches;
	char *default_profile;	/* for devices no prefix matches; NULL: not added */
	struct labels labels;	/* added to every source it finds */
	const char *file;	/* its block */
	int line;
	size_t nsources;	/* known devices that became sources in this config */
};

/*
 * A device a discovery found, as the store keeps it ("DISCOVERY/ADDRESS" ->
 * JSON). The record "DISCOVERY/" has the same shape with an empty address:
 * the discovery's own, whose last_seen is the start of its last sweep.
 */
struct discover_device {
	char *discovery;
	char *address;		/* "IP:PORT" */
	char *name;		/* its source's name, chosen when it was found */
	char *object_id;	/* sysObjectID, numeric */
	char *sys_name;
	double first_seen, last_seen;	/* Unix seconds */
	unsigned misses;	/* sweeps in a row it did not answer */
};

/* Every device known to the discoveries (owns them). */
struct discover_known {
	struct discover_device *v;
	size_t n, cap;
};

/* The largest range a network may have unless allow_large is set (a /16). */
#define DISCOVER_NET_MAX	65536u
/* The largest at all (a /8). */
#define DISCOVER_NET_LIMIT	16777216u

/*
 * Parses "A.B.C.D/N" or "A.B.C.D" into *out: the network's hosts (without its
 * network and broadcast addresses for prefixes up to /30). Returns 0, or -1
 * with a message in err.
 */
int discover_net_parse(const char *s, struct discover_net *out, char *err, size_t errlen);
/* Writes address i (0 <= i < total of counts) of the n nets as dotted text into buf (16 bytes). */
void discover_net_addr(const struct discover_net *nets, size_t n, uint64_t i, char *buf,
    size_t len);
/*
 * Returns the profile of the longest prefix of the n matches that oid
 * (numeric, a leading "." is ignored) starts with, on a boundary between
 * sub-identifiers, or NULL when none does (borrowed from matches).
 */
const char *discover_match(const struct discover_match *m, size_t n, const char *oid);
/*
 * Writes into out (len bytes) a source name made of sysName: characters
 * outside [A-Za-z0-9._-] become "-", leading and trailing "-" and "." are
 * dropped, at most 63 characters. Returns whether anything is left.
 */
bool discover_name_from(const char *sys_name, char *out, size_t len);
/* Writes the source name of an address "IP:PORT" into out: "IP", or "IP-PORT" off port 161. */
void discover_name_of_address(const char *address, char *out, size_t len);

/* Renders d as the store's JSON record (newly allocated). */
char *discover_device_json(const struct discover_device *d);
/* Parses a store record into *d (owned strings); returns 0, or -1 when it is no record. */
int discover_device_parse(const char *json, struct discover_device *d);
/* Frees the strings of d. */
void discover_device_clear(struct discover_device *d);
/* Appends a copy of d to k; returns the copy. */
struct discover_device *discover_known_add(struct discover_known *k,
    const struct discover_device *d);
/* Returns a deep copy of k (NULL gives an empty set). */
struct discover_known *discover_known_copy(const struct discover_known *k);
/* Frees k and its devices (NULL is fine). */
void discover_known_free(struct discover_known *k);
/* Frees what dc holds. */
void discover_config_clear(struct discover_config *dc);

#endif
