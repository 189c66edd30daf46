/* users.c - what a DevServerUser should have (see users.h). */
#include "operator/users.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "operator/conditions.h"
#include "policy/validate.h"

#define USERS_PSS_LABEL "pod-security.kubernetes.io/enforce"
#define USERS_PSS_LEVEL "restricted"
#define RBAC_GROUP "rbac.authorization.k8s.io"

bool users_names(const char *username, char *ns, size_t ns_size, char *sa, size_t sa_size)
{
	size_t n = username ? strlen(username) : 0;

	if (!api_user_namespace(username, ns, ns_size) || n + sizeof(API_USER_SA_SUFFIX) > sa_size)
		return false;
	for (size_t i = 0; i < n; i++)
		sa[i] = (char)tolower((unsigned char)username[i]);
	memcpy(sa + n, API_USER_SA_SUFFIX, sizeof(API_USER_SA_SUFFIX));
	return true;
}

static const char *label_of(const struct json *obj, const char *key)
{
	return json_get_string(json_path(obj, "metadata", "labels", NULL), key);
}

static const char *annotation_of(const struct json *obj, const char *key)
{
	return json_get_string(json_path(obj, "metadata", "annotations", NULL), key);
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* metadata for the ServiceAccount and RoleBinding: ours, owned by the user */
static struct json *owned_metadata(const struct json *user, const struct user_plan *p, const char *name)
{
	const struct json *um = json_get(user, "metadata");
	struct json *meta = json_new_object(), *labels = json_new_object(), *ann = json_new_object();
	struct json *refs = json_new_array(), *ref = json_new_object();

	json_object_set_take(meta, "name", json_new_string(name));
	json_object_set_take(meta, "namespace", json_new_string(p->ns));
	json_object_set_take(labels, API_LABEL_MANAGED_BY, json_new_string(API_MANAGER_NAME));
	json_object_set_take(labels, API_LABEL_USER, json_new_string(p->username));
	json_object_set_take(meta, "labels", labels);
	json_object_set_take(ann, API_ANNOTATION_USER_OBJECT, json_new_string(json_get_string(um, "name")));
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(ref, "apiVersion", json_new_string(API_GROUP_VERSION));
	json_object_set_take(ref, "kind", json_new_string("DevServerUser"));
	json_object_set_take(ref, "name", json_new_string(json_get_string(um, "name")));
	json_object_set_take(ref, "uid", json_new_string(json_get_string(um, "uid") ?: ""));
	json_object_set_take(ref, "controller", json_new_bool(true));
	json_array_push_take(refs, ref);
	json_object_set_take(meta, "ownerReferences", refs);
	return meta;
}

static struct json *namespace_body(const struct json *user, const struct user_plan *p)
{
	struct json *ns = json_new_object(), *meta = json_new_object(), *labels = json_new_object();
	struct json *ann = json_new_object();

	json_object_set_take(ns, "apiVersion", json_new_string("v1"));
	json_object_set_take(ns, "kind", json_new_string("Namespace"));
	json_object_set_take(meta, "name", json_new_string(p->ns));
	json_object_set_take(labels, API_LABEL_MANAGED_BY, json_new_string(API_MANAGER_NAME));
	json_object_set_take(labels, API_LABEL_USER, json_new_string(p->username));
	json_object_set_take(labels, API_LABEL_USER_MANAGED, json_new_string("true"));
	json_object_set_take(labels, USERS_PSS_LABEL, json_new_string(USERS_PSS_LEVEL));
	json_object_set_take(meta, "labels", labels);
	json_object_set_take(ann, API_ANNOTATION_USER_OBJECT,
			     json_new_string(json_get_string(json_get(user, "metadata"), "name")));
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(ns, "metadata", meta);
	return ns;
}

static struct json *role_ref(void)
{
	struct json *r = json_new_object();

	json_object_set_take(r, "apiGroup", json_new_string(RBAC_GROUP));
	json_object_set_take(r, "kind", json_new_string("ClusterRole"));
	json_object_set_take(r, "name", json_new_string(API_USER_ROLE));
	return r;
}

static struct json *subjects(const struct user_plan *p)
{
	struct json *list = json_new_array(), *u = json_new_object(), *sa = json_new_object();

	json_object_set_take(u, "kind", json_new_string("User"));
	json_object_set_take(u, "apiGroup", json_new_string(RBAC_GROUP));
	json_object_set_take(u, "name", json_new_string(p->username));
	json_array_push_take(list, u);
	json_object_set_take(sa, "kind", json_new_string("ServiceAccount"));
	json_object_set_take(sa, "name", json_new_string(p->sa));
	json_object_set_take(sa, "namespace", json_new_string(p->ns));
	json_array_push_take(list, sa);
	return list;
}

static bool owned_by(const struct json *obj, const struct json *user)
{
	const char *uid = json_get_string(json_get(user, "metadata"), "uid");
	const struct json *refs = json_path(obj, "metadata", "ownerReferences", NULL);

	for (size_t i = 0; uid && refs && refs->type == JSON_ARRAY && i < refs->u.arr.len; i++)
		if (str_eq(json_get_string(refs->u.arr.items[i], "uid"), uid))
			return true;
	return false;
}

static bool namespace_current(const struct json *ns, const struct json *user, const struct user_plan *p)
{
	return str_eq(label_of(ns, API_LABEL_USER), p->username) &&
	       str_eq(label_of(ns, API_LABEL_USER_MANAGED), "true") &&
	       str_eq(label_of(ns, API_LABEL_MANAGED_BY), API_MANAGER_NAME) &&
	       str_eq(label_of(ns, USERS_PSS_LABEL), USERS_PSS_LEVEL) &&
	       str_eq(annotation_of(ns, API_ANNOTATION_USER_OBJECT),
		      json_get_string(json_get(user, "metadata"), "name"));
}

void users_plan(const struct json *user, const struct json *existing_ns, const struct json *existing_sa,
		const struct json *existing_rb, struct user_plan *p)
{
	const struct json *spec = json_get(user, "spec");
	const char *username = json_get_string(spec, "username");
	const char *name = json_get_string(json_get(user, "metadata"), "name");

	memset(p, 0, sizeof(*p));
	p->suspended = json_get_bool(spec, "suspended", false);
	if (!users_names(username, p->ns, sizeof(p->ns), p->sa, sizeof(p->sa))) {
		p->verdict = USER_INVALID;
		snprintf(p->message, sizeof(p->message),
			 "spec.username must be a DNS label (letters, digits, '-') of at most %d characters",
			 API_USERNAME_MAX);
		return;
	}
	snprintf(p->username, sizeof(p->username), "%s", username);
	if (existing_ns) {
		const char *owner = annotation_of(existing_ns, API_ANNOTATION_USER_OBJECT);
		/* the predecessor's namespace: its labels, no annotation of ours */
		bool adoptable = !owner && str_eq(label_of(existing_ns, API_LABEL_USER), username);

		if (!str_eq(owner, name) && !adoptable) {
			p->verdict = USER_NAMESPACE_TAKEN;
			snprintf(p->message, sizeof(p->message),
				 "namespace %s exists and is not this user's (%s); it is left alone",
				 p->ns, owner ? "it belongs to another DevServerUser" : "no devserver.io/user label");
			return;
		}
	}
	p->verdict = USER_READY;
	if (!existing_ns || !namespace_current(existing_ns, user, p))
		p->apply_ns = namespace_body(user, p);
	if (!existing_sa || !owned_by(existing_sa, user)) {
		p->apply_sa = json_new_object();
		json_object_set_take(p->apply_sa, "apiVersion", json_new_string("v1"));
		json_object_set_take(p->apply_sa, "kind", json_new_string("ServiceAccount"));
		json_object_set_take(p->apply_sa, "metadata", owned_metadata(user, p, p->sa));
	}
	if (p->suspended) {
		p->delete_rb = existing_rb != NULL;
	} else {
		struct json *ref = role_ref(), *subj = subjects(p);

		if (existing_rb && owned_by(existing_rb, user) && json_equal(json_get(existing_rb, "roleRef"), ref) &&
		    json_equal(json_get(existing_rb, "subjects"), subj)) {
			json_free(ref);
			json_free(subj);
		} else {
			p->apply_rb = json_new_object();
			json_object_set_take(p->apply_rb, "apiVersion", json_new_string(RBAC_GROUP "/v1"));
			json_object_set_take(p->apply_rb, "kind", json_new_string("RoleBinding"));
			json_object_set_take(p->apply_rb, "metadata", owned_metadata(user, p, API_USER_ROLE));
			json_object_set_take(p->apply_rb, "roleRef", ref);
			json_object_set_take(p->apply_rb, "subjects", subj);
		}
	}
}

void users_plan_free(struct user_plan *p)
{
	json_free(p->apply_ns);
	json_free(p->apply_sa);
	json_free(p->apply_rb);
	p->apply_ns = p->apply_sa = p->apply_rb = NULL;
}

struct json *users_status(const struct json *user, const struct user_plan *p, const char *apply_err,
			  int64_t now)
{
	const struct json *old = json_get(user, "status");
	int64_t gen = json_get_int(json_get(user, "metadata"), "generation", 0);
	struct json *st = json_new_object(), *conds = json_new_array();

	if (p->verdict != USER_INVALID) {
		json_object_set_take(st, "namespace", json_new_string(p->ns));
		json_object_set_take(st, "serviceAccount", json_new_string(p->sa));
	}
	json_object_set_take(st, "observedGeneration", json_new_int(gen));
	if (p->verdict == USER_INVALID)
		condition_append(conds, json_get(old, "conditions"), "Ready", false, "InvalidUsername",
				 p->message, gen, now);
	else if (p->verdict == USER_NAMESPACE_TAKEN)
		condition_append(conds, json_get(old, "conditions"), "Ready", false, "NamespaceTaken",
				 p->message, gen, now);
	else if (apply_err)
		condition_append(conds, json_get(old, "conditions"), "Ready", false, "ApplyFailed", apply_err,
				 gen, now);
	else if (p->suspended)
		condition_append(conds, json_get(old, "conditions"), "Ready", true, "Suspended",
				 "suspended: the RoleBinding is removed; namespace, DevServers and homes are kept",
				 gen, now);
	else {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s may manage DevServers in namespace %s", p->username, p->ns);
		condition_append(conds, json_get(old, "conditions"), "Ready", true, "Active", msg, gen, now);
	}
	json_object_set_take(st, "conditions", conds);
	return st;
}
