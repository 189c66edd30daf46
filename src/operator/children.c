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

#include "api/api.h"
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

	json_object_set_take(labels, API_LABEL_MANAGED_BY, json_new_string(API_MANAGER_NAME));
	json_object_set_take(labels, API_LABEL_INSTANCE, json_new_string(name));
	json_object_set_take(labels, API_LABEL_NAME, json_new_string(name));
}

void children_spec_hash(const struct json *ds, char out[24])
{
	struct json *spec = json_clone(json_get(ds, "spec"));

	if (spec && spec->type == JSON_OBJECT)
		json_object_remove(spec, "lifecycle");
	snprintf(out, 24, "%016" PRIx64, spec ? json_hash(spec) : (uint64_t)0);
	json_free(spec);
}

/* The Deployment's own bookkeeping: the user's restart request on the pod
 * template (a new value makes a new pod), then the hashes a later reconcile
 * compares (rollout.h). */
static void children_stamp_deployment(struct json *obj, const struct json *ds)
{
	struct json *ann = children_object_field(children_object_field(obj, "metadata"), "annotations");
	const char *restart = json_get_string(json_path(ds, "metadata", "annotations", NULL),
					      API_ANNOTATION_RESTART);
	char hash[24];

	if (restart) {
		struct json *tmpl = children_object_field(children_object_field(obj, "spec"), "template");
		struct json *tann = children_object_field(children_object_field(tmpl, "metadata"), "annotations");

		json_object_set_take(tann, API_ANNOTATION_RESTART, json_new_string(restart));
		json_object_set_take(ann, API_ANNOTATION_RESTART, json_new_string(restart));
	}
	snprintf(hash, sizeof(hash), "%016" PRIx64,
		 json_hash(json_path(obj, "spec", "template", NULL)));
	json_object_set_take(ann, API_ANNOTATION_TEMPLATE_HASH, json_new_string(hash));
	children_spec_hash(ds, hash);
	json_object_set_take(ann, API_ANNOTATION_SPEC_HASH, json_new_string(hash));
}

int children_prepare(const struct json *ds, struct json *rendered, const char *inputs,
		     struct json **out, struct error *err)
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
		if (strcmp(json_get_string(obj, "kind"), "Deployment") == 0) {
			children_template_labels(obj, name);
			children_stamp_deployment(obj, ds);
		}
		snprintf(hash, sizeof(hash), "%016" PRIx64, json_hash(obj));
		json_object_set_take(children_object_field(children_object_field(obj, "metadata"), "annotations"),
				     API_ANNOTATION_RENDER_HASH, json_new_string(hash));
		/* outside the hash: a new policy revision or flavor generation that
		 * renders the same Deployment is not a reason to write it
		 * (rollout_keep_recorded_inputs) */
		if (inputs && strcmp(json_get_string(obj, "kind"), "Deployment") == 0)
			json_object_set_take(json_path(obj, "metadata", "annotations", NULL),
					     API_ANNOTATION_INPUTS, json_new_string(inputs));
	}
	*out = rendered;
	return 0;
}

const char *children_render_hash(const struct json *obj)
{
	return json_get_string(json_path(obj, "metadata", "annotations", NULL), API_ANNOTATION_RENDER_HASH);
}
