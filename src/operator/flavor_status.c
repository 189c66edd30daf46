/* flavor_status.c - writes each DevServerFlavor's status (computed by
 * flavor.c) when the flavors or the nodes changed.
 *
 * The controller marks c->flavors_dirty from the flavor and node informers;
 * the loop calls flavor_status_sync once per turn while that is set and it
 * may reconcile. Each flavor gets a merge patch of its status subresource,
 * and only where the computed status differs from the cached one, so a
 * resync costs no writes. A failed write is logged and retried the next
 * time something marks the flavors dirty.
 *
 * What it does not do: decide the status (flavor.c, pure) or resolve which
 * flavor a DevServer uses (api/flavor.c).
 */
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "operator/controller_internal.h"
#include "operator/flavor.h"

static void flavor_status_done(void *ud, int rc, struct json *obj, const struct error *err)
{
	struct controller *c = ud;

	json_free(obj);
	metrics_count_request(&c->m, "PATCH", rc);
	if (rc < 0 && rc != ERR_NOT_FOUND)
		log_msg(LOG_WARN, "flavor status update failed", "error", err->msg, NULL);
}

void flavor_status_sync(struct controller *c)
{
	const struct json **flavors = NULL, **nodes = NULL;
	size_t n = cache_list(&c->flavors.cache, NULL, NULL, &flavors);
	size_t nn = cache_list(&c->nodes.cache, NULL, NULL, &nodes);
	int64_t now = clock_wall_ms() / 1000;

	c->flavors_dirty = false;
	for (size_t i = 0; i < n; i++) {
		struct json *st = flavor_status_compute_nodes(flavors[i], flavors, n, nodes, nn, now);
		struct json *patch;
		struct error err;

		if (json_equal(st, json_get(flavors[i], "status"))) {
			json_free(st);
			continue;
		}
		patch = kube_status_patch_take(st, NULL);
		{
			struct kube_call_spec spec = {
				.method = "PATCH",
				.res = c->flavors.res,
				.name = json_get_string(json_get(flavors[i], "metadata"), "name"),
				.subresource = "status",
				.body = patch,
				.content_type = "application/merge-patch+json",
			};

			c->m.writes++;
			if (kube_call_submit(&c->client, &spec, flavor_status_done, c, &err) == 0)
				log_msg(LOG_WARN, "flavor status update failed", "error", err.msg, NULL);
		}
		json_free(patch);
	}
	free(flavors);
	free(nodes);
}
