/* render.c - one render step (see render.h): ctx, the engine, then the
 * host's checks and stamps.
 *
 * Kept apart from children.c so that file stays a pure transformation of a
 * rendered list (tested without any Lua), and apart from reconcile.c and
 * policy_source.c so both render the same way. Builds the ctx afresh each
 * call: it is small, and carries the DevServer's namespace.
 */
#include "operator/render.h"

#include "operator/children.h"
#include "policy/context.h"

int render_children(struct policy_engine *e, const struct json *ds, const struct json *flavor,
		    const char *ns, const struct render_options *opt, struct json **out,
		    struct error *err)
{
	struct policy_context_config cc = { opt->default_image, opt->tools_image };
	struct json *ctx = policy_context_new(&cc, ns), *rendered = NULL;
	int rc;

	*out = NULL;
	rc = policy_engine_render(e, ds, flavor, ctx, &rendered, err);
	json_free(ctx);
	if (rc == 0)
		rc = children_prepare(ds, rendered, opt->inputs, out, err); /* takes rendered */
	if (rc < 0) {
		err->code = ERR_POLICY;
		return err->code;
	}
	return 0;
}
