/* flavor.c - flavor resolution (see flavor.h). Linear scans: clusters have
 * a handful of flavors, and the cache (or devctl's list) hands them over as
 * an array.
 *
 * Here rather than in src/operator because devctl resolves a flavor too:
 * `create` looks at the flavor a new DevServer will get for its default
 * time to live, and must agree with the operator on which one that is.
 */
#include "api/flavor.h"

#include <stdio.h>
#include <string.h>

const char *flavor_name(const struct json *f)
{
	return json_get_string(json_get(f, "metadata"), "name");
}

bool flavor_is_default(const struct json *f)
{
	return json_get_bool(json_get(f, "spec"), "default", false);
}

size_t flavor_count_defaults(const struct json *const *flavors, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += flavor_is_default(flavors[i]) ? 1 : 0;
	return count;
}

static const struct json *flavor_find(const struct json *const *flavors, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = flavor_name(flavors[i]);

		if (name && strcmp(name, want) == 0)
			return flavors[i];
	}
	return NULL;
}

/* The flavor ds names, or the single default: before redirects. */
static int flavor_resolve_named(const struct json *ds, const struct json *const *flavors, size_t n,
				const struct json **out, struct error *err)
{
	const char *want = json_get_string(json_get(ds, "spec"), "flavor");
	const struct json *found = NULL;
	size_t defaults = 0;

	*out = NULL;
	if (want && *want) {
		*out = flavor_find(flavors, n, want);
		if (*out)
			return 0;
		return error_set(err, ERR_NOT_FOUND, "DevServerFlavor \"%s\" not found", want);
	}
	for (size_t i = 0; i < n; i++) {
		if (flavor_is_default(flavors[i])) {
			defaults++;
			if (!found)
				found = flavors[i];
		}
	}
	if (defaults == 0)
		return error_set(err, ERR_NOT_FOUND,
				 "spec.flavor is empty and no DevServerFlavor is marked default");
	if (defaults > 1)
		return error_set(err, ERR_INVALID,
				 "spec.flavor is empty and %zu DevServerFlavors are marked default; "
				 "mark exactly one", defaults);
	*out = found;
	return 0;
}

int flavor_resolve_via(const struct json *ds, const struct json *const *flavors, size_t n,
		       const struct json **named, const struct json **out, struct error *err)
{
	const struct json *visited[FLAVOR_MAX_REDIRECTS];
	const struct json *f;
	char chain[(FLAVOR_MAX_REDIRECTS + 1) * 260];
	size_t len;

	*out = NULL;
	if (named)
		*named = NULL;
	if (flavor_resolve_named(ds, flavors, n, &f, err) < 0)
		return err->code;
	if (named)
		*named = f;
	len = (size_t)snprintf(chain, sizeof(chain), "%s", flavor_name(f) ?: "?");
	for (int hops = 0;; hops++) {
		const char *next = json_get_string(json_get(f, "spec"), "replacedBy");

		if (!next || !*next) {
			*out = f;
			return 0;
		}
		if (len < sizeof(chain))
			len += (size_t)snprintf(chain + len, sizeof(chain) - len, " -> %s", next);
		if (hops == FLAVOR_MAX_REDIRECTS)
			return error_set(err, ERR_INVALID, "DevServerFlavor replacedBy chain longer than %d: %s",
					 FLAVOR_MAX_REDIRECTS, chain);
		visited[hops] = f;
		f = flavor_find(flavors, n, next);
		if (!f)
			return error_set(err, ERR_NOT_FOUND, "DevServerFlavor \"%s\" not found (replacedBy: %s)",
					 next, chain);
		for (int i = 0; i <= hops; i++)
			if (visited[i] == f)
				return error_set(err, ERR_INVALID, "DevServerFlavor replacedBy loop: %s", chain);
	}
}

int flavor_resolve(const struct json *ds, const struct json *const *flavors, size_t n,
		   const struct json **out, struct error *err)
{
	return flavor_resolve_via(ds, flavors, n, NULL, out, err);
}

