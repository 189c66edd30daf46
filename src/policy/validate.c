/* validate.c - host-side checks and stamping of rendered objects (see
 * validate.h).
 *
 * Why in the host: a policy is editable by whoever can edit a ConfigMap, but
 * the objects it renders are applied with the operator's service account.
 * The allow-list of kinds, the namespace pin and host-owned ownerReferences
 * keep a policy from creating arbitrary objects, reaching other namespaces,
 * or detaching children from garbage collection. The checks mirror the API
 * server's own where a violation would otherwise fail every apply (names,
 * label values), so the error shows up at render time with the policy
 * revision instead of as a 422 in a reconcile loop.
 *
 * A Deployment's pod must also pass Pod Security "restricted"
 * (podsecurity.c), whatever the namespace enforces.
 *
 * Not done here: schema validation of spec fields (the API server does it).
 */
#include "policy/validate.h"

#include "api/names.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "policy/podsecurity.h"

const struct policy_kind policy_allowed_kinds[] = {
	{ "apps/v1", "Deployment", POLICY_NAME_DNS1123_SUBDOMAIN },
	{ "v1", "Service", POLICY_NAME_DNS1035_LABEL },
	{ "v1", "PersistentVolumeClaim", POLICY_NAME_DNS1123_SUBDOMAIN },
	{ "v1", "ConfigMap", POLICY_NAME_DNS1123_SUBDOMAIN },
	{ "v1", "Secret", POLICY_NAME_DNS1123_SUBDOMAIN },
	{ NULL, NULL, POLICY_NAME_DNS1123_SUBDOMAIN },
};

const struct policy_kind *policy_kind_find(const char *api_version, const char *kind)
{
	const struct policy_kind *k;

	if (!api_version || !kind)
		return NULL;
	for (k = policy_allowed_kinds; k->kind; k++)
		if (strcmp(k->api_version, api_version) == 0 && strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}

/* The name rules are the API's (api/names.h); a policy's names are also at
 * most POLICY_NAME_MAX_CHARS, since each is a DevServer name plus a suffix. */
bool policy_name_valid(const char *name, enum policy_name_rule rule)
{
	size_t len = strlen(name);

	if (len > POLICY_NAME_MAX_CHARS)
		return false;
	return rule == POLICY_NAME_DNS1035_LABEL ? api_is_dns1035_label(name, len)
						 : api_is_dns1123_subdomain(name, len);
}

bool policy_label_value_valid(const char *value)
{
	return api_is_label_value(value, strlen(value));
}

static bool label_key_valid(const char *key)
{
	return api_is_label_key(key, strlen(key));
}

static int check_string_map(const struct json *obj, const char *field, bool labels,
			    const char *what, struct error *err)
{
	const struct json *m = json_get(obj, field);
	size_t i;

	if (!m)
		return 0;
	if (m->type != JSON_OBJECT)
		return error_set(err, ERR_POLICY, "%s: metadata.%s must be a map of strings",
				 what, field);
	for (i = 0; i < m->u.obj.len; i++) {
		const struct json_member *kv = &m->u.obj.items[i];

		if (kv->value->type != JSON_STRING)
			return error_set(err, ERR_POLICY, "%s: metadata.%s.%s must be a string",
					 what, field, kv->key);
		if (labels && !label_key_valid(kv->key))
			return error_set(err, ERR_POLICY, "%s: invalid label key '%s'", what, kv->key);
		if (labels && (strlen(kv->value->u.str.ptr) != kv->value->u.str.len ||
			       !policy_label_value_valid(kv->value->u.str.ptr)))
			return error_set(err, ERR_POLICY, "%s: invalid value for label '%s'",
					 what, kv->key);
	}
	return 0;
}

/* "ConfigMap/sshd" style description for messages. */
static void describe(const struct json *obj, char *out, size_t size)
{
	const char *kind = json_get_string(obj, "kind");
	const struct json *name = json_path(obj, "metadata", "name", NULL);

	snprintf(out, size, "%s/%s", kind ? kind : "?",
		 name && name->type == JSON_STRING ? name->u.str.ptr : "?");
}

/* The compact JSON size of obj, counted without encoding it; ERR_LIMIT past max. */
static int encoded_size(const struct json *obj, size_t max, size_t *size)
{
	*size = json_encoded_size(obj);
	return *size > max ? ERR_LIMIT : 0;
}

int policy_validate_object(struct json *obj, const char *ns, struct error *err)
{
	const char *api_version, *kind;
	const struct policy_kind *k;
	struct json *meta, *name, *onsv;
	char what[160];
	size_t size;
	int rc;

	if (!obj || obj->type != JSON_OBJECT)
		return error_set(err, ERR_POLICY, "rendered item is not an object");
	describe(obj, what, sizeof(what));
	api_version = json_get_string(obj, "apiVersion");
	kind = json_get_string(obj, "kind");
	if (!api_version || !kind)
		return error_set(err, ERR_POLICY, "%s: apiVersion and kind must be strings", what);
	k = policy_kind_find(api_version, kind);
	if (!k)
		return error_set(err, ERR_POLICY, "%s: %s %s is not a kind policies may create",
				 what, api_version, kind);
	meta = json_get(obj, "metadata");
	if (!meta || meta->type != JSON_OBJECT)
		return error_set(err, ERR_POLICY, "%s: metadata must be an object", what);
	name = json_get(meta, "name");
	if (!name || name->type != JSON_STRING)
		return error_set(err, ERR_POLICY, "%s: metadata.name must be a string", what);
	if (strlen(name->u.str.ptr) != name->u.str.len ||
	    !policy_name_valid(name->u.str.ptr, k->name_rule))
		return error_set(err, ERR_POLICY, "%s: metadata.name '%.80s' is not a valid %s of at "
				 "most %d characters", what, name->u.str.ptr,
				 k->name_rule == POLICY_NAME_DNS1035_LABEL ? "DNS-1035 label"
									   : "DNS-1123 subdomain",
				 POLICY_NAME_MAX_CHARS);
	onsv = json_get(meta, "namespace");
	if (onsv && (onsv->type != JSON_STRING || strcmp(onsv->u.str.ptr, ns) != 0))
		return error_set(err, ERR_POLICY, "%s: metadata.namespace must be the DevServer's "
				 "(%s) or absent", what, ns);
	if (json_get(meta, "ownerReferences"))
		return error_set(err, ERR_POLICY, "%s: metadata.ownerReferences are set by the "
				 "operator, not by policies", what);
	if ((rc = check_string_map(meta, "labels", true, what, err)) < 0 ||
	    (rc = check_string_map(meta, "annotations", false, what, err)) < 0)
		return rc;
	if (encoded_size(obj, POLICY_OBJECT_MAX_BYTES, &size) < 0)
		return error_set(err, ERR_POLICY, "%s: larger than %u bytes encoded", what,
				 POLICY_OBJECT_MAX_BYTES);
	/* the one kind that runs code: its pod must be Pod Security restricted */
	if (strcmp(kind, "Deployment") == 0 &&
	    (rc = policy_check_pod_security(json_path(obj, "spec", "template", "spec", NULL), what, err)) < 0)
		return rc;
	if (!onsv)
		json_object_set_take(meta, "namespace", json_new_string(ns));
	return 0;
}

static const char *ds_namespace(const struct json *ds)
{
	const struct json *v = json_path(ds, "metadata", "namespace", NULL);

	return v && v->type == JSON_STRING && v->u.str.len ? v->u.str.ptr : "default";
}

int policy_validate_render(struct json *list, const struct json *ds, struct error *err)
{
	const char *ns = ds_namespace(ds);
	size_t i, j, total = 0;
	int rc;

	if (!list || list->type != JSON_ARRAY)
		return error_set(err, ERR_POLICY, "render result is not a list");
	if (list->u.arr.len > POLICY_RENDER_MAX_OBJECTS)
		return error_set(err, ERR_POLICY, "render produced %zu objects (at most %d)",
				 list->u.arr.len, POLICY_RENDER_MAX_OBJECTS);
	for (i = 0; i < list->u.arr.len; i++) {
		struct json *obj = list->u.arr.items[i];
		size_t size;

		if ((rc = policy_validate_object(obj, ns, err)) < 0)
			return error_prefix(err, "object %zu", i + 1);
		encoded_size(obj, POLICY_OBJECT_MAX_BYTES, &size);
		total += size;
		if (total > POLICY_RENDER_MAX_BYTES)
			return error_set(err, ERR_POLICY, "render output exceeds %u bytes encoded",
					 POLICY_RENDER_MAX_BYTES);
		for (j = 0; j < i; j++) {
			const struct json *other = list->u.arr.items[j];

			if (strcmp(json_get_string(obj, "kind"), json_get_string(other, "kind")) == 0 &&
			    strcmp(json_path(obj, "metadata", "name", NULL)->u.str.ptr,
				   json_path(other, "metadata", "name", NULL)->u.str.ptr) == 0) {
				char what[160];

				describe(obj, what, sizeof(what));
				return error_set(err, ERR_POLICY, "objects %zu and %zu are both %s",
						 j + 1, i + 1, what);
			}
		}
	}
	return 0;
}

static struct json *object_field(struct json *obj, const char *key)
{
	struct json *v = json_get(obj, key);

	if (!v || v->type != JSON_OBJECT) {
		v = json_new_object();
		json_object_set_take(obj, key, v);
	}
	return v;
}

int policy_stamp(struct json *obj, const struct json *ds, struct error *err)
{
	const struct json *meta = json_get(ds, "metadata");
	const char *name = json_get_string(meta, "name"), *uid = json_get_string(meta, "uid");
	struct json *m, *labels, *refs, *ref;

	if (!obj || obj->type != JSON_OBJECT)
		return error_set(err, ERR_INVALID, "stamp: not an object");
	if (!name || !*name || !uid || !*uid)
		return error_set(err, ERR_INVALID, "stamp: the DevServer needs metadata.name and "
				 "metadata.uid");
	m = object_field(obj, "metadata");
	json_object_set_take(m, "namespace", json_new_string(ds_namespace(ds)));

	ref = json_new_object();
	json_object_set_take(ref, "apiVersion", json_new_string(API_GROUP_VERSION));
	json_object_set_take(ref, "kind", json_new_string(API_KIND_DEVSERVER));
	json_object_set_take(ref, "name", json_new_string(name));
	json_object_set_take(ref, "uid", json_new_string(uid));
	json_object_set_take(ref, "controller", json_new_bool(true));
	json_object_set_take(ref, "blockOwnerDeletion", json_new_bool(true));
	refs = json_new_array();
	json_array_push_take(refs, ref);
	json_object_set_take(m, "ownerReferences", refs);

	labels = object_field(m, "labels");
	json_object_set_take(labels, API_LABEL_MANAGED_BY, json_new_string(API_MANAGER_NAME));
	json_object_set_take(labels, API_LABEL_INSTANCE, json_new_string(name));
	json_object_set_take(labels, API_LABEL_NAME, json_new_string(name));
	return 0;
}

int policy_finish_render(struct json *list, const struct json *ds, struct error *err)
{
	size_t i;
	int rc;

	if ((rc = policy_validate_render(list, ds, err)) < 0)
		return rc;
	for (i = 0; i < list->u.arr.len; i++)
		if ((rc = policy_stamp(list->u.arr.items[i], ds, err)) < 0)
			return rc;
	return 0;
}
