/* projection.c - what each cache keeps of an object (see projection.h).
 *
 * Why this way: before issue 17 only pods were projected, so every other
 * cache held whole objects - a kubectl-applied DevServer twice over (its
 * last-applied annotation), and any ConfigMap that someone labelled
 * managed-by=devserver-operator in any namespace, whatever its size. The
 * projections are allow-lists (keep_only): a field the operator does not
 * name is not kept, so a new field in an object cannot grow the caches.
 *
 * What it does not do: bound an object's size (the reflector's per-object
 * limits, kube/object.h, do that before anything here runs).
 */
#include "operator/projection.h"

#include <string.h>

#include "operator/finalizer.h"
#include "operator/hostkey.h"
#include "policy/validate.h"

/* Removes every key of obj not in keep (NULL-terminated). */
static void keep_only(struct json *obj, const char *const *keep)
{
	size_t i = 0;

	if (!obj || obj->type != JSON_OBJECT)
		return;
	while (i < obj->u.obj.len) {
		const char *key = obj->u.obj.items[i].key;
		bool wanted = false;

		for (const char *const *k = keep; *k; k++)
			wanted = wanted || strcmp(*k, key) == 0;
		if (wanted)
			i++;
		else
			json_object_remove(obj, key);
	}
}

/* metadata.annotations without kubectl's copy of the whole object. */
static void drop_last_applied(struct json *obj)
{
	struct json *meta = json_get(obj, "metadata");
	struct json *ann = json_get(meta, "annotations");

	json_object_remove(ann, PROJECTION_LAST_APPLIED);
	if (ann && ann->type == JSON_OBJECT && ann->u.obj.len == 0)
		json_object_remove(meta, "annotations");
}

static const char *const top_resource[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };
static const char *const meta_resource[] = {
	"name", "namespace", "uid", "generation", "resourceVersion", "creationTimestamp",
	"deletionTimestamp", "labels", "annotations", NULL,
};

/* A DevServer's finalizers are kept, whole, only while kopf's is among
 * them: reconcile takes that one off by its index (operator/finalizer.h),
 * and no other finalizer is the operator's business. */
void projection_devserver(struct json *obj)
{
	static const char *const meta_kopf[] = {
		"name", "namespace", "uid", "generation", "resourceVersion", "creationTimestamp",
		"deletionTimestamp", "labels", "annotations", "finalizers", NULL,
	};

	keep_only(obj, top_resource);
	keep_only(json_get(obj, "metadata"), finalizer_has_predecessor(obj) ? meta_kopf : meta_resource);
	drop_last_applied(obj);
}

void projection_flavor(struct json *obj)
{
	/* the same reads as a DevServer's (name, generation, spec, status),
	 * without finalizers: the operator takes none off a flavor */
	keep_only(obj, top_resource);
	keep_only(json_get(obj, "metadata"), meta_resource);
	drop_last_applied(obj);
}

void projection_user(struct json *obj)
{
	projection_devserver(obj);
}

void projection_namespace(struct json *obj)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", NULL };
	static const char *const meta[] = { "name", "uid", "resourceVersion", "deletionTimestamp",
					    "labels", "annotations", NULL };

	keep_only(obj, top);
	keep_only(json_get(obj, "metadata"), meta);
	drop_last_applied(obj);
}

void projection_user_rbac(struct json *obj)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "roleRef", "subjects", NULL };
	static const char *const meta[] = { "name", "namespace", "uid", "resourceVersion",
					    "deletionTimestamp", "labels", "annotations",
					    "ownerReferences", NULL };

	keep_only(obj, top);
	keep_only(json_get(obj, "metadata"), meta);
	drop_last_applied(obj);
}

bool projection_owned_by_devserver(const struct json *obj)
{
	const struct json *refs = json_path(obj, "metadata", "ownerReferences", NULL);

	for (size_t i = 0; refs && refs->type == JSON_ARRAY && i < refs->u.arr.len; i++) {
		const char *av = json_get_string(refs->u.arr.items[i], "apiVersion");
		const char *kind = json_get_string(refs->u.arr.items[i], "kind");

		if (av && kind && strcmp(av, API_GROUP_VERSION) == 0 && strcmp(kind, API_KIND_DEVSERVER) == 0)
			return true;
	}
	return false;
}

void projection_child(struct json *obj)
{
	static const char *const meta_owned[] = {
		"name", "namespace", "uid", "generation", "resourceVersion", "creationTimestamp",
		"deletionTimestamp", "labels", "annotations", "ownerReferences", NULL,
	};
	/* someone else's object under our label: reconcile only needs to see
	 * that the name is taken, by whom, and the labels it judges claims by */
	static const char *const top_stub[] = { "apiVersion", "kind", "metadata", NULL };
	static const char *const meta_stub[] = {
		"name", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
		"labels", "ownerReferences", NULL,
	};

	if (!projection_owned_by_devserver(obj)) {
		keep_only(obj, top_stub);
		keep_only(json_get(obj, "metadata"), meta_stub);
		return;
	}
	keep_only(json_get(obj, "metadata"), meta_owned);
	drop_last_applied(obj);
}

void projection_secret(struct json *obj)
{
	projection_child(obj);
	hostkey_secret_projection(obj);
}

/* The pod cache keeps only what status computation reads: a pod's spec and
 * most of its status are large and never looked at, and at a thousand
 * DevServers they were most of the operator's memory. */
void projection_pod(struct json *pod)
{
	static const char *const meta[] = { "name", "namespace", "uid", "labels", "creationTimestamp",
					    "deletionTimestamp", "resourceVersion", NULL };
	static const char *const spec[] = { "nodeName", NULL };
	static const char *const status[] = { "phase", "conditions", "initContainerStatuses",
					      "containerStatuses", "podIP", NULL };
	static const char *const container[] = { "name", "ready", "state", "restartCount", NULL };
	struct json *cs;

	keep_only(pod, top_resource);
	keep_only(json_get(pod, "metadata"), meta);
	keep_only(json_get(pod, "spec"), spec);
	keep_only(json_get(pod, "status"), status);
	cs = json_path(pod, "status", "containerStatuses", NULL);
	for (size_t i = 0; cs && cs->type == JSON_ARRAY && i < cs->u.arr.len; i++)
		keep_only(cs->u.arr.items[i], container);
	cs = json_path(pod, "status", "initContainerStatuses", NULL);
	for (size_t i = 0; cs && cs->type == JSON_ARRAY && i < cs->u.arr.len; i++)
		keep_only(cs->u.arr.items[i], container);
}

void projection_policy_configmap(struct json *obj)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "data", NULL };

	keep_only(obj, top);
	keep_only(json_get(obj, "metadata"), meta_resource);
	drop_last_applied(obj);
}
