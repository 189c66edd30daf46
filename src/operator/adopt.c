/* adopt.c - the pure parts of taking over the predecessor's DevServers (see
 * adopt.h): which objects were its, whose they are, whether a Deployment
 * must be replaced, and the patch that ends the migration of one DevServer.
 *
 * The unmark patch is a JSON Patch for the same reason as finalizer.c's: it
 * tests the uid and removes exactly the keys it saw; a key removed meanwhile
 * makes the API server refuse the whole patch (422) and the next round
 * patches from the newer object.
 */
#include "operator/adopt.h"

#include <string.h>

#include "core/buf.h"
#include "kube/client.h"

#define ADOPT_POINTER_MAX_BYTES 1024   /* a JSON pointer to one annotation (keys are at most 317) */

const struct adopt_leftover adopt_leftovers[ADOPT_LEFTOVER_COUNT] = {
	{ ADOPT_CONFIGMAP, "-sshd-config" },
	{ ADOPT_CONFIGMAP, "-startup-script" },
	{ ADOPT_CONFIGMAP, "-login-script" },
	{ ADOPT_SERVICE, "-headless" },
	{ ADOPT_SECRET, ADOPT_HOSTKEY_SUFFIX },
};

static bool adopt_is_kopf_key(const char *key)
{
	return strncmp(key, ADOPT_KOPF_ANNOTATION_PREFIX, strlen(ADOPT_KOPF_ANNOTATION_PREFIX)) == 0;
}

bool adopt_is_marked(const struct json *ds)
{
	const struct json *ann = json_path(ds, "metadata", "annotations", NULL);

	for (size_t i = 0; ann && ann->type == JSON_OBJECT && i < ann->u.obj.len; i++)
		if (adopt_is_kopf_key(ann->u.obj.items[i].key))
			return true;
	return false;
}

bool adopt_owned_by(const struct json *obj, const char *uid)
{
	const struct json *refs = json_path(obj, "metadata", "ownerReferences", NULL);

	if (!uid || !*uid)
		return false;
	for (size_t i = 0; refs && refs->type == JSON_ARRAY && i < refs->u.arr.len; i++) {
		const char *u = json_get_string(refs->u.arr.items[i], "uid");

		if (u && strcmp(u, uid) == 0)
			return true;
	}
	return false;
}

static bool adopt_is_deployment(const struct json *obj)
{
	const char *kind = json_get_string(obj, "kind");

	return kind && strcmp(kind, "Deployment") == 0;
}

bool adopt_selector_differs(const struct json *desired, const struct json *observed)
{
	if (!adopt_is_deployment(desired) || !observed)
		return false;
	/* a GET answer carries the kind; a cached object may not */
	if (json_get_string(observed, "kind") && !adopt_is_deployment(observed))
		return false;
	return !json_equal(json_path(desired, "spec", "selector", NULL),
			   json_path(observed, "spec", "selector", NULL));
}

/* "/metadata/annotations/" + key with RFC 6901 escapes ("~" -> "~0", "/" -> "~1"). */
static struct json *adopt_annotation_pointer_op(const char *key)
{
	struct buf p;
	struct json *op;

	buf_init(&p, ADOPT_POINTER_MAX_BYTES);
	buf_append_str(&p, "/metadata/annotations/");
	for (const char *s = key; *s; s++) {
		if (*s == '~')
			buf_append_str(&p, "~0");
		else if (*s == '/')
			buf_append_str(&p, "~1");
		else
			buf_append(&p, s, 1);
	}
	op = buf_error(&p) ? NULL : kube_json_patch_op("remove", buf_str(&p), NULL);
	buf_cleanup(&p);
	return op;
}

struct json *adopt_unmark_patch(const struct json *ds)
{
	const struct json *ann = json_path(ds, "metadata", "annotations", NULL);
	const char *uid = json_get_string(json_get(ds, "metadata"), "uid");
	struct json *patch;
	size_t removed = 0;

	if (!adopt_is_marked(ds) || !uid || !*uid)
		return NULL;
	patch = json_new_array();
	json_array_push_take(patch, kube_json_patch_op("test", "/metadata/uid", uid));
	for (size_t i = 0; i < ann->u.obj.len; i++) {
		struct json *op;

		if (!adopt_is_kopf_key(ann->u.obj.items[i].key))
			continue;
		op = adopt_annotation_pointer_op(ann->u.obj.items[i].key);
		if (op) {
			json_array_push_take(patch, op);
			removed++;
		}
	}
	if (!removed) {
		json_free(patch);
		return NULL;
	}
	return patch;
}
