/* rollout.c - holding flavor and policy changes for a restart (see rollout.h).
 *
 * Why the template hash and not the render hash: the render hash covers the
 * whole Deployment, and a change that does not touch the pod (a label, the
 * replica count of a stop) must go through at once.
 */
#include "operator/rollout.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "operator/children.h"

static const char *annotation(const struct json *obj, const char *key)
{
	return json_get_string(json_path(obj, "metadata", "annotations", NULL), key);
}

static const char *template_annotation(const struct json *obj, const char *key)
{
	return json_get_string(json_path(obj, "spec", "template", "metadata", "annotations", NULL), key);
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool rollout_should_hold(const struct json *desired, const struct json *observed, char *changes,
			 size_t size)
{
	const char *dt = annotation(desired, API_ANNOTATION_TEMPLATE_HASH);
	const char *ot = annotation(observed, API_ANNOTATION_TEMPLATE_HASH);

	if (!dt || (ot && strcmp(dt, ot) == 0))
		return false; /* the pod would not change */
	if (!ot && !annotation(observed, API_ANNOTATION_INPUTS))
		return false; /* made before these annotations: nothing to compare with */
	if (!same(annotation(desired, API_ANNOTATION_SPEC_HASH),
		  annotation(observed, API_ANNOTATION_SPEC_HASH)))
		return false; /* the user changed the DevServer */
	if (!same(template_annotation(desired, API_ANNOTATION_RESTART),
		  template_annotation(observed, API_ANNOTATION_RESTART)))
		return false; /* a restart was asked for */
	if (json_get_int(json_get(desired, "spec"), "replicas", 1) == 0 ||
	    json_get_int(json_get(observed, "spec"), "replicas", 1) == 0 ||
	    json_get_int(json_get(observed, "status"), "availableReplicas", 0) <= 0)
		return false; /* no running work to lose */
	rollout_describe_changes(annotation(observed, API_ANNOTATION_INPUTS),
				 annotation(desired, API_ANNOTATION_INPUTS), changes, size);
	return true;
}

void rollout_describe_changes(const char *was, const char *now, char *out, size_t size)
{
	char wp[96] = "", np[96] = "", wf[192] = "", nf[192] = "";
	size_t len = 0;

	if (!size)
		return;
	if (!was || !now || sscanf(was, "policy=%95s flavor=%191s", wp, wf) != 2 ||
	    sscanf(now, "policy=%95s flavor=%191s", np, nf) != 2) {
		snprintf(out, size, "the pod template changed");
		return;
	}
	out[0] = '\0';
	if (strcmp(wp, np) != 0)
		len += (size_t)snprintf(out, size, "policy revision %s -> %s", wp, np);
	if (strcmp(wf, nf) != 0 && len < size) {
		const char *ws = strrchr(wf, '/'), *ns = strrchr(nf, '/');
		const char *sep = len ? "; " : "";

		if (ws && ns && ws - wf == ns - nf && strncmp(wf, nf, (size_t)(ws - wf)) == 0)
			len += (size_t)snprintf(out + len, size - len, "%sflavor %.*s changed (generation %s -> %s)",
						sep, (int)(ws - wf), wf, ws + 1, ns + 1);
		else
			len += (size_t)snprintf(out + len, size - len, "%sflavor %s -> %s", sep, wf, nf);
	}
	if (!len)
		snprintf(out, size, "the pod template changed");
}

void rollout_keep_recorded_inputs(struct json *desired, const struct json *observed)
{
	struct json *ann = json_path(desired, "metadata", "annotations", NULL);
	const char *was = annotation(observed, API_ANNOTATION_INPUTS);

	if (!ann || ann->type != JSON_OBJECT)
		return;
	if (was)
		json_object_set_take(ann, API_ANNOTATION_INPUTS, json_new_string(was));
	else
		json_object_remove(ann, API_ANNOTATION_INPUTS);
}
