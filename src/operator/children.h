/* children.h - turning a policy's render into the objects the operator applies.
 *
 * The policy renders only the fields it has an opinion on; the host owns
 * the rest. children_prepare validates and stamps each rendered object
 * (policy_finish_render: allowed kinds, names, namespace, sizes, controller
 * ownerReference, managed labels), puts the managed labels on a
 * Deployment's pod template as well, and adds the render hash annotation used
 * to skip unchanged writes.
 */
#ifndef DEVSERVER_OPERATOR_CHILDREN_H
#define DEVSERVER_OPERATOR_CHILDREN_H

#include <stddef.h>

#include "api/api.h"
#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

/* The annotations on the Deployment that let a later reconcile tell a change
 * the user made (apply at once) from one that came from the flavor or the
 * policy (held back while the box runs: see reconcile.c) are the API's
 * (API_ANNOTATION_RENDER_HASH and friends in api/api.h). */

/* rendered: the policy's list (ownership passes). inputs ("policy=REV
 * flavor=NAME/GEN", may be NULL) is recorded on the Deployment. On success
 * *out is a new array of stamped objects. ERR_POLICY with a message naming
 * the offending object otherwise. */
int children_prepare(const struct json *ds, struct json *rendered, const char *inputs,
		     struct json **out, struct error *err) DS_MUST_USE;

/* The hash of a DevServer's spec without spec.lifecycle (a TTL or idle
 * change never touches the pod): what API_ANNOTATION_SPEC_HASH holds. */
void children_spec_hash(const struct json *ds, char out[24]);

/* The render hash annotation of an object, or NULL. */
const char *children_render_hash(const struct json *obj);

#endif
