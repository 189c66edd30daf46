/* render.h - the operator's one render step: a DevServer, its flavor and a
 * policy in; the stamped, validated children out, or the error.
 *
 * reconcile (what it applies) and the policy trial (whether a candidate
 * renders what the active policy renders) both come through here, so a
 * trial checks exactly what a reconcile would apply: the same ctx
 * (policy/context.h), the same host checks and stamps (children.h). It
 * resolves no flavor, logs nothing, records no Event and observes no
 * metric: the caller decides what a failure means (the time the engine
 * took is policy_engine_last_render_ns, failed renders included).
 */
#ifndef DEVSERVER_OPERATOR_RENDER_H
#define DEVSERVER_OPERATOR_RENDER_H

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"
#include "policy/engine.h"

/* What the host hands every render besides the DevServer and its flavor.
 * All borrowed for the call. */
struct render_options {
	const char *default_image;   /* ctx.default_image (--default-image) */
	const char *tools_image;     /* ctx.tools_image (--tools-image) */
	const char *inputs;          /* "policy=REV flavor=NAME/GEN" recorded on the
				      * Deployment (children.h), or NULL */
};

/* Renders ds (required) with flavor (may be NULL) through e, ctx.namespace
 * ns, then validates and stamps the result (children_prepare). On success
 * *out is a new array of the desired children (caller frees). Otherwise
 * *out is NULL and err holds ERR_POLICY - whatever the engine's own code
 * (timeout, memory): to the DevServer's owner all of them are "the policy
 * failed" - with the engine's or the host's message. */
int render_children(struct policy_engine *e, const struct json *ds, const struct json *flavor,
		    const char *ns, const struct render_options *opt, struct json **out,
		    struct error *err) DS_MUST_USE;

#endif
