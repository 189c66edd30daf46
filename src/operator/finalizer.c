/* finalizer.c - the JSON Patch that takes kopf's finalizer off a DevServer
 * (see finalizer.h for why).
 *
 * Why a JSON Patch with test operations and not a merge patch: a merge patch
 * replaces metadata.finalizers whole, so it would need the resourceVersion
 * as its guard and fail on every unrelated change (a status write, a label);
 * the tests guard exactly what the patch relies on - the uid and the values
 * at the indices it removes - and the API server applies them atomically.
 *
 * What it does not do: send the patch, or judge whether this replica may
 * write (reconcile.c does both).
 */
#include "operator/finalizer.h"

#include <stdio.h>
#include <string.h>

#include "kube/client.h"

static bool finalizer_is_kopf(const struct json *v)
{
	/* the length too: a string may hold a NUL */
	return v && v->type == JSON_STRING && strlen(v->u.str.ptr) == v->u.str.len &&
	       (strcmp(v->u.str.ptr, FINALIZER_KOPF) == 0 || strcmp(v->u.str.ptr, FINALIZER_KOPF_LEGACY) == 0);
}

static const struct json *finalizer_list(const struct json *ds)
{
	const struct json *list = json_path(ds, "metadata", "finalizers", NULL);

	return list && list->type == JSON_ARRAY ? list : NULL;
}

bool finalizer_has_predecessor(const struct json *ds)
{
	const struct json *list = finalizer_list(ds);

	for (size_t i = 0; list && i < list->u.arr.len; i++)
		if (finalizer_is_kopf(list->u.arr.items[i]))
			return true;
	return false;
}

struct json *finalizer_removal_patch(const struct json *ds)
{
	const struct json *list = finalizer_list(ds);
	const char *uid = json_get_string(json_get(ds, "metadata"), "uid");
	struct json *patch;

	if (!finalizer_has_predecessor(ds) || !uid || !*uid)
		return NULL;
	patch = json_new_array();
	json_array_push_take(patch, kube_json_patch_op("test", "/metadata/uid", uid));
	/* from the end: a removal shifts only the entries after it */
	for (size_t i = list->u.arr.len; i-- > 0;) {
		const struct json *v = list->u.arr.items[i];
		char path[48];

		if (!finalizer_is_kopf(v))
			continue;
		snprintf(path, sizeof(path), "/metadata/finalizers/%zu", i);
		json_array_push_take(patch, kube_json_patch_op("test", path, v->u.str.ptr));
		json_array_push_take(patch, kube_json_patch_op("remove", path, NULL));
	}
	return patch;
}

void finalizer_predecessor_names(const struct json *ds, char out[FINALIZER_NAMES_MAX_BYTES])
{
	const struct json *list = finalizer_list(ds);
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; list && i < list->u.arr.len; i++) {
		const struct json *v = list->u.arr.items[i];
		int n;

		if (!finalizer_is_kopf(v))
			continue;
		n = snprintf(out + used, FINALIZER_NAMES_MAX_BYTES - used, "%s%s", used ? ", " : "",
			     v->u.str.ptr);
		if (n < 0 || (size_t)n >= FINALIZER_NAMES_MAX_BYTES - used)
			return; /* truncated; out stays terminated */
		used += (size_t)n;
	}
}
