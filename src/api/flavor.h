/* flavor.h - which DevServerFlavor a DevServer uses.
 *
 * spec.flavor names one; empty means the single flavor with spec.default:
 * true (none, or several, is an error, never a guess). A flavor with
 * spec.replacedBy is deprecated: resolution goes on to the flavor it names
 * (at most FLAVOR_MAX_REDIRECTS hops; a loop or a missing target is an
 * error naming the chain). Pure functions over borrowed objects, used by
 * the operator (src/operator/flavor.h adds the flavors' status) and devctl.
 */
#ifndef DEVSERVER_API_FLAVOR_H
#define DEVSERVER_API_FLAVOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

#define FLAVOR_MAX_REDIRECTS 4

/* Sets *out to the flavor ds resolves to and returns 0; otherwise returns
 * ERR_NOT_FOUND (no such flavor, or no default, or a redirect to a missing
 * one) or ERR_INVALID (several defaults, a redirect loop or chain too long)
 * with a message fit for a condition. */
int flavor_resolve(const struct json *ds, const struct json *const *flavors, size_t n,
		   const struct json **out, struct error *err) DS_MUST_USE;

/* The same; *named is the flavor ds names (or the default) before any
 * redirect: *out differs from it when that one is deprecated. */
int flavor_resolve_via(const struct json *ds, const struct json *const *flavors, size_t n,
		       const struct json **named, const struct json **out, struct error *err) DS_MUST_USE;

/* Counts the flavors marked default; the operator flags every one of them
 * when the count is above 1. */
size_t flavor_count_defaults(const struct json *const *flavors, size_t n);

/* metadata.name, or NULL. */
const char *flavor_name(const struct json *f);
/* spec.default is true. */
bool flavor_is_default(const struct json *f);

#endif
