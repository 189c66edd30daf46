/* conditions.c - building condition lists (see conditions.h). */
#include "operator/conditions.h"

#include <string.h>

#include "core/clock.h"

static const struct json *condition_find(const struct json *list, const char *type)
{
	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++) {
		const char *t = json_get_string(list->u.arr.items[i], "type");

		if (t && strcmp(t, type) == 0)
			return list->u.arr.items[i];
	}
	return NULL;
}

void condition_append(struct json *list, const struct json *old_list, const char *type, bool ok,
		      const char *reason, const char *message, int64_t generation, int64_t now)
{
	const struct json *old = condition_find(old_list, type);
	const char *status = ok ? "True" : "False";
	const char *old_status = json_get_string(old, "status");
	const char *old_time = json_get_string(old, "lastTransitionTime");
	struct json *c = json_new_object();
	char ts[CLOCK_RFC3339_BYTES];

	json_object_set_take(c, "type", json_new_string(type));
	json_object_set_take(c, "status", json_new_string(status));
	json_object_set_take(c, "reason", json_new_string(reason));
	json_object_set_take(c, "message", json_new_string(message ? message : ""));
	json_object_set_take(c, "observedGeneration", json_new_int(generation));
	if (old_status && old_time && strcmp(old_status, status) == 0) {
		json_object_set_take(c, "lastTransitionTime", json_new_string(old_time));
	} else {
		clock_format_rfc3339(now, ts);
		json_object_set_take(c, "lastTransitionTime", json_new_string(ts));
	}
	json_array_push_take(list, c);
}
