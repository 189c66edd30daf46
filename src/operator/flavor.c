/* flavor.c - a flavor's status among all flavors (see flavor.h); resolution
 * itself is shared with devctl (src/api/flavor.c). Linear scans: clusters
 * have a handful of flavors, and the cache hands them over as an array. */
#include "operator/flavor.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "operator/conditions.h"
#include "operator/nodefit.h"

#define FLAVOR_DEFAULTS_LIST_MAX_BYTES 400   /* the error's list of default flavors; cut past it */

struct json *flavor_status_compute(const struct json *flavor, const struct json *const *flavors,
				   size_t n, int64_t now)
{
	return flavor_status_compute_nodes(flavor, flavors, n, NULL, 0, now);
}

struct json *flavor_status_compute_nodes(const struct json *flavor, const struct json *const *flavors,
					 size_t n, const struct json *const *nodes, size_t nnodes,
					 int64_t now)
{
	size_t defaults = flavor_count_defaults(flavors, n);
	int64_t generation = json_get_int(json_get(flavor, "metadata"), "generation", 0);
	const struct json *old = json_path(flavor, "status", "conditions", NULL);
	struct json *st = json_new_object(), *conds = json_new_array();
	const char *schedulable = json_get_string(json_get(flavor, "status"), "schedulable");

	if (flavor_is_default(flavor) && defaults > 1) {
		struct buf names;

		buf_init(&names, FLAVOR_DEFAULTS_LIST_MAX_BYTES);
		for (size_t i = 0; i < n; i++)
			if (flavor_is_default(flavors[i]))
				buf_appendf(&names, "%s%s", names.len ? ", " : "", flavor_name(flavors[i]));
		{
			char msg[512];

			snprintf(msg, sizeof(msg), "%zu flavors are marked default (%s): DevServers without "
				 "spec.flavor cannot be placed until exactly one is", defaults, buf_str(&names));
			condition_append(conds, old, "DefaultConflict", true, "MultipleDefaults", msg, generation, now);
		}
		buf_cleanup(&names);
	} else {
		condition_append(conds, old, "DefaultConflict", false, "NoConflict",
				 flavor_is_default(flavor) ? "the only default flavor" : "not a default flavor",
				 generation, now);
	}
	if (nodes) {
		char msg[NODEFIT_REASON_MAX_BYTES * 4];
		const char *verdict = nodefit_summary(flavor, nodes, nnodes, msg, sizeof(msg));

		condition_append(conds, old, "Schedulable", strcmp(verdict, "Yes") == 0,
				 strcmp(verdict, "Yes") == 0 ? "NodesFit" : "NoNodeFits", msg, generation, now);
		schedulable = verdict;
	}
	json_object_set_take(st, "observedGeneration", json_new_int(generation));
	json_object_set_take(st, "conditions", conds);
	/* without the nodes (not watched yet), keep what was there */
	if (schedulable)
		json_object_set_take(st, "schedulable", json_new_string(schedulable));
	return st;
}
