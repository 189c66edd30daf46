/* flavor.c - flavor resolution (see flavor.h). Linear scans: clusters have
 * a handful of flavors, and the cache hands them over as an array. */
#include "operator/flavor.h"

#include <string.h>

static const char *flavor_name(const struct json *f)
{
	return json_get_string(json_get(f, "metadata"), "name");
}

static int flavor_is_default(const struct json *f)
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

int flavor_resolve(const struct json *ds, const struct json *const *flavors, size_t n,
		   const struct json **out, struct error *err)
{
	const char *want = json_get_string(json_get(ds, "spec"), "flavor");
	const struct json *found = NULL;
	size_t defaults = 0;

	*out = NULL;
	if (want && *want) {
		for (size_t i = 0; i < n; i++) {
			const char *name = flavor_name(flavors[i]);

			if (name && strcmp(name, want) == 0) {
				*out = flavors[i];
				return 0;
			}
		}
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
