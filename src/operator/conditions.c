/* conditions.c - building condition lists (see conditions.h).
 *
 * Messages are copied through core/utf8: they often come from fixed-size
 * error buffers cut at a byte count, and a partial character would come back
 * from the API server as U+FFFD, making every recomputed condition differ
 * from the stored one.
 */
#include "operator/conditions.h"

#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"

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
	char ts[CLOCK_RFC3339_BYTES], text[CONDITION_MESSAGE_MAX_BYTES];

	json_object_set_take(c, "type", json_new_string(type));
	json_object_set_take(c, "status", json_new_string(status));
	json_object_set_take(c, "reason", json_new_string(reason));
	utf8_copy(text, sizeof(text), message ? message : "");
	json_object_set_take(c, "message", json_new_string(text));
	json_object_set_take(c, "observedGeneration", json_new_int(generation));
	if (old_status && old_time && strcmp(old_status, status) == 0) {
		json_object_set_take(c, "lastTransitionTime", json_new_string(old_time));
	} else {
		clock_format_rfc3339(now, ts);
		json_object_set_take(c, "lastTransitionTime", json_new_string(ts));
	}
	json_array_push_take(list, c);
}
