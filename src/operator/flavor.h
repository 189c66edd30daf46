/* flavor.h - which DevServerFlavor a DevServer uses (api/flavor.h, shared
 * with devctl) and the status each flavor gets. Two or more defaults is a
 * configuration error reported on the flavors and on every DevServer
 * relying on the default, never a guess.
 * Pure functions over objects the caller borrows from the cache.
 */
#ifndef DEVSERVER_OPERATOR_FLAVOR_H
#define DEVSERVER_OPERATOR_FLAVOR_H

#include <stddef.h>

#include "api/flavor.h"
#include "core/error.h"
#include "json/json.h"

/* The status a flavor should have among all flavors: observedGeneration and
 * the condition DefaultConflict (True on every default flavor while more
 * than one is marked default, naming them). now: unix seconds. Caller frees. */
struct json *flavor_status_compute(const struct json *flavor, const struct json *const *flavors,
				   size_t n, int64_t now);

/* The same, with the nodes (projections, nodefit.h): status.schedulable
 * ("Yes"/"No") and the condition Schedulable naming how many nodes fit or
 * why none does. nodes NULL: not known, keep what was there. */
struct json *flavor_status_compute_nodes(const struct json *flavor, const struct json *const *flavors,
					 size_t n, const struct json *const *nodes, size_t nnodes,
					 int64_t now);

#endif
