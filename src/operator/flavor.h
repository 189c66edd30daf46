/* flavor.h - which DevServerFlavor a DevServer uses.
 *
 * spec.flavor names one; empty means the single flavor with spec.default:
 * true. Two or more defaults is a configuration error reported on the
 * flavors and on every DevServer relying on the default, never a guess.
 * A flavor with spec.replacedBy is deprecated: resolution goes on to the
 * flavor it names (at most FLAVOR_MAX_REDIRECTS hops; a loop or a missing
 * target is an error naming the chain).
 * Pure functions over objects the caller borrows from the cache.
 */
#ifndef DEVSERVER_OPERATOR_FLAVOR_H
#define DEVSERVER_OPERATOR_FLAVOR_H

#include <stddef.h>

#include "core/error.h"
#include "json/json.h"

#define FLAVOR_MAX_REDIRECTS 4

/* Sets *out to the flavor ds resolves to and returns 0; otherwise returns
 * ERR_NOT_FOUND (no such flavor, or no default, or a redirect to a missing
 * one) or ERR_INVALID (several defaults, a redirect loop or chain too long)
 * with a message fit for a condition. */
int flavor_resolve(const struct json *ds, const struct json *const *flavors, size_t n,
		   const struct json **out, struct error *err);

/* The same; *named is the flavor ds names (or the default) before any
 * redirect: *out differs from it when that one is deprecated. */
int flavor_resolve_via(const struct json *ds, const struct json *const *flavors, size_t n,
		       const struct json **named, const struct json **out, struct error *err);

/* Counts the flavors marked default; the operator flags every one of them
 * when the count is above 1. */
size_t flavor_count_defaults(const struct json *const *flavors, size_t n);

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
