/* children.c - from a policy's render to the objects the operator applies.
 *
 * policy_finish_render (src/policy/validate.c) checks what the host allows and
 * stamps namespace, controller ownerReference and managed labels; this file
 * adds what only the operator needs: the managed labels on a Deployment's pod
 * template too (so pods are watched with the same selector as every other
 * child) and the render hash annotation. The hash covers the object as it
 * will be applied, before the annotation itself is added, so it changes
 * exactly when what we would apply changes.
 */
#include "operator/children.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "operator/controller_internal.h"
#include "policy/validate.h"

static struct json *children_object_field(struct json *obj, const char *key)
{
	struct json *v = json_get(obj, key);

	if (!v || v->type != JSON_OBJECT) {
		v = json_new_object();
		json_object_set_take(obj, key, v);
	}
	return v;
}

static void children_template_labels(struct json *obj, const char *name)
{
	struct json *tmpl = children_object_field(children_object_field(obj, "spec"), "template");
	struct json *labels = children_object_field(children_object_field(tmpl, "metadata"), "labels");

	json_object_set_take(labels, POLICY_LABEL_MANAGED_BY, json_new_string(POLICY_MANAGER_NAME));
	json_object_set_take(labels, POLICY_LABEL_INSTANCE, json_new_string(name));
	json_object_set_take(labels, POLICY_LABEL_NAME, json_new_string(name));
}

int children_prepare(const struct json *ds, struct json *rendered, struct json **out,
		     struct error *err)
{
	const char *name = json_get_string(json_get(ds, "metadata"), "name");

	*out = NULL;
	if (policy_finish_render(rendered, ds, err) < 0) {
		json_free(rendered);
		err->code = ERR_POLICY;
		return err->code;
	}
	for (size_t i = 0; i < rendered->u.arr.len; i++) {
		struct json *obj = rendered->u.arr.items[i];
		char hash[24];

		json_object_remove(obj, "status");
		if (strcmp(json_get_string(obj, "kind"), "Deployment") == 0)
			children_template_labels(obj, name);
		snprintf(hash, sizeof(hash), "%016" PRIx64, json_hash(obj));
		json_object_set_take(children_object_field(children_object_field(obj, "metadata"), "annotations"),
				     RENDER_HASH_ANNOTATION, json_new_string(hash));
	}
	*out = rendered;
	return 0;
}

const char *children_render_hash(const struct json *obj)
{
	return json_get_string(json_path(obj, "metadata", "annotations", NULL), RENDER_HASH_ANNOTATION);
}
