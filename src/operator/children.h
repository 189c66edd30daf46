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

#include "core/error.h"
#include "json/json.h"

/* rendered: the policy's list (ownership passes). On success *out is a new
 * array of stamped objects. ERR_POLICY with a message naming the offending
 * object otherwise. */
int children_prepare(const struct json *ds, struct json *rendered, struct json **out,
		     struct error *err);

/* The render hash annotation of an object, or NULL. */
const char *children_render_hash(const struct json *obj);

#endif
