/*
 * GET /v1/cluster and the cluster's metric families (see api_cluster.h).
 */

#include "api_cluster.h"

#include "api_impl.h"
#include "api_metrics.h"

struct json_object *
api_cluster_json(const struct cluster *c)
{
	struct json_object *j = json_object_new_object(), *arr = json_object_new_array();
	size_t n;
	const struct cluster_member *m = cluster_members(c, &n);
	int64_t epoch;
	size_t owned = cluster_owned(c, &epoch);

	json_object_object_add(j, "node", json_object_new_string(cluster_node(c)));
	json_object_object_add(j, "sources_owned", json_object_new_int64((int64_t)owned));
	json_object_object_add(j, "epoch", json_object_new_int64(epoch));
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(m[i].name));
		json_object_object_add(o, "id", json_object_new_int64(m[i].id));
		json_object_object_add(o, "version", m[i].version != NULL ?
		    json_object_new_string(m[i].version) : NULL);
		json_object_object_add(o, "started", api_json_time(m[i].started));
		json_object_object_add(o, "last_seen", api_json_time(m[i].last_seen));
		json_object_object_add(o, "sources_owned", json_object_new_int64(m[i].owned));
		json_object_object_add(o, "epoch", json_object_new_int64(m[i].max_epoch));
		json_object_object_add(o, "self", json_object_new_boolean(m[i].self));
		json_object_array_add(arr, o);
	}
	json_object_object_add(j, "members", arr);
	return j;
}

void
api_cluster_metrics(struct buf *b, const struct cluster *c)
{
	const struct cluster_stats *s = cluster_stats(c);
	size_t n;
	int64_t epoch;
	size_t owned = cluster_owned(c, &epoch);

	(void)cluster_members(c, &n);
	api_metrics_family(b, "pollhook_cluster_members", "gauge",
	    "Live members of the cluster at this instance's last heartbeat.");
	buf_printf(b, "pollhook_cluster_members %zu\n", n);
	api_metrics_family(b, "pollhook_cluster_sources_owned", "gauge", "Sources this instance owns and polls.");
	buf_printf(b, "pollhook_cluster_sources_owned %zu\n", owned);
	api_metrics_family(b, "pollhook_cluster_heartbeats_total", "counter",
	    "Heartbeats by outcome: ok, or failed (the database unreachable).");
	buf_printf(b, "pollhook_cluster_heartbeats_total{outcome=\"ok\"} %llu\n"
	    "pollhook_cluster_heartbeats_total{outcome=\"failed\"} %llu\n",
	    (unsigned long long)s->syncs, (unsigned long long)s->sync_failures);
	api_metrics_family(b, "pollhook_cluster_sources_moved_total", "counter",
	    "Sources that moved: taken (by this instance), released (to a member they are "
	    "assigned to now), lost (found taken by another member).");
	buf_printf(b, "pollhook_cluster_sources_moved_total{how=\"taken\"} %llu\n"
	    "pollhook_cluster_sources_moved_total{how=\"released\"} %llu\n"
	    "pollhook_cluster_sources_moved_total{how=\"lost\"} %llu\n",
	    (unsigned long long)s->taken, (unsigned long long)s->released,
	    (unsigned long long)s->lost);
	api_metrics_family(b, "pollhook_cluster_caught_up_total", "counter",
	    "Sources taken over and polled at once, off their phase: their previous owner's "
	    "last poll was too long ago.");
	buf_printf(b, "pollhook_cluster_caught_up_total %llu\n",
	    (unsigned long long)s->caught_up);
	api_metrics_family(b, "pollhook_cluster_fenced_writes_total", "counter",
	    "Writes the store refused because their source's epoch was stale.");
	buf_printf(b, "pollhook_cluster_fenced_writes_total %llu\n",
	    (unsigned long long)s->fenced);
	api_metrics_family(b, "pollhook_cluster_membership_changes_total", "counter",
	    "Members that joined or left the cluster, as this instance saw it.");
	buf_printf(b, "pollhook_cluster_membership_changes_total %llu\n",
	    (unsigned long long)s->membership_changes);
}
