#ifndef POLLHOOK_API_CLUSTER_H
#define POLLHOOK_API_CLUSTER_H

/*
 * What the management API shows of the cluster: GET /v1/cluster (the
 * members as this instance last saw them, and what it owns) and the
 * cluster's families of /metrics.
 */

#include <json-c/json.h>

#include "buf.h"
#include "cluster.h"

/* Returns the body of GET /v1/cluster (new reference). */
struct json_object *api_cluster_json(const struct cluster *c);
/* Appends the cluster's metric families to b. */
void api_cluster_metrics(struct buf *b, const struct cluster *c);

#endif
