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
	/* someone else's object (under our label or not): reconcile only
	 * needs to see that the name is taken, by whom, and the labels it
	 * judges claims by */
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
	/* status computation and rollout read availableReplicas, nothing else
	 * of what the Deployment controller writes there */
	if (json_get_string(obj, "kind") && strcmp(json_get_string(obj, "kind"), "Deployment") == 0) {
		static const char *const deployment_status[] = { "availableReplicas", NULL };

		keep_only(json_get(obj, "status"), deployment_status);
	}
}

void projection_secret(struct json *obj)
{
	projection_child(obj);
	hostkey_secret_projection(obj);
}

/* Keeps the items of the array arr for which keep() is true. */
static void keep_items(struct json *arr, bool (*keep)(const struct json *item))
{
	size_t w = 0;

	if (!arr || arr->type != JSON_ARRAY)
		return;
	for (size_t i = 0; i < arr->u.arr.len; i++) {
		if (keep(arr->u.arr.items[i]))
			arr->u.arr.items[w++] = arr->u.arr.items[i];
		else
			json_free(arr->u.arr.items[i]);
	}
	arr->u.arr.len = w;
}

static bool condition_read(const struct json *c)
{
	const char *type = json_get_string(c, "type");

	return type && (strcmp(type, "PodScheduled") == 0 || strcmp(type, "Ready") == 0);
}

/* The pod cache keeps only what the operator reads: status computation
 * (phase; PodScheduled's status, reason, message and transition time; a
 * waiting container's reason and message), idle shutdown (Ready) and the
 * pod lookup (metadata). A pod's spec and the rest of its status are large
 * and never looked at, and every field kept that the kubelet rewrites
 * (start times, restart counts, probe times) would make each of its status
 * updates a reconcile (projection_same_but_version) and a few more unique
 * bytes per DevServer. */
void projection_pod(struct json *pod)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "status", NULL };
	static const char *const meta[] = { "name", "namespace", "uid", "labels", "creationTimestamp",
					    "deletionTimestamp", "resourceVersion", NULL };
	static const char *const status[] = { "phase", "conditions", "initContainerStatuses",
					      "containerStatuses", NULL };
	static const char *const scheduled[] = { "type", "status", "reason", "message", "lastTransitionTime",
						 NULL };
	static const char *const ready[] = { "type", "status", NULL };
	static const char *const container[] = { "name", "state", NULL };
	static const char *const state[] = { "waiting", NULL };
	static const char *const lists[] = { "containerStatuses", "initContainerStatuses" };
	struct json *list;

	keep_only(pod, top);
	keep_only(json_get(pod, "metadata"), meta);
	keep_only(json_get(pod, "status"), status);
	list = json_path(pod, "status", "conditions", NULL);
	keep_items(list, condition_read);
	for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++) {
		const char *type = json_get_string(list->u.arr.items[i], "type");

		keep_only(list->u.arr.items[i], strcmp(type, "Ready") == 0 ? ready : scheduled);
	}
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		list = json_path(pod, "status", lists[l], NULL);
		for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.arr.len; i++) {
			keep_only(list->u.arr.items[i], container);
			keep_only(json_get(list->u.arr.items[i], "state"), state);
		}
	}
}

bool projection_same_but_version(const struct json *a, const struct json *b)
{
	const struct json *ma, *mb;

	if (a == b)
		return true;
	if (!a || !b || a->type != JSON_OBJECT || b->type != JSON_OBJECT || a->u.obj.len != b->u.obj.len)
		return false;
	for (size_t i = 0; i < a->u.obj.len; i++) {
		const char *key = a->u.obj.items[i].key;
		const struct json *bv = json_get(b, key);

		if (!bv)
			return false;
		if (strcmp(key, "metadata") != 0) {
			if (!json_equal(a->u.obj.items[i].value, bv))
				return false;
			continue;
		}
		ma = a->u.obj.items[i].value;
		mb = bv;
		if (ma->type != JSON_OBJECT || mb->type != JSON_OBJECT)
			return json_equal(ma, mb);
		/* every member of each but resourceVersion, in the other */
		for (int side = 0; side < 2; side++) {
			const struct json *x = side ? mb : ma, *y = side ? ma : mb;

			for (size_t k = 0; k < x->u.obj.len; k++) {
				const char *mk = x->u.obj.items[k].key;
				const struct json *yv = json_get(y, mk);

				if (strcmp(mk, "resourceVersion") == 0)
					continue;
				if (!yv || !json_equal(x->u.obj.items[k].value, yv))
					return false;
			}
		}
	}
	return true;
}

void projection_policy_configmap(struct json *obj)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "data", NULL };

	keep_only(obj, top);
	keep_only(json_get(obj, "metadata"), meta_resource);
	drop_last_applied(obj);
}
