/* context.c - the render ctx (see context.h). */
#include "policy/context.h"

struct json *policy_context_new(const struct policy_context_config *cfg, const char *ns)
{
	struct json *ctx = json_new_object();

	json_object_set_take(ctx, "namespace", json_new_string(ns ? ns : ""));
	json_object_set_take(ctx, "default_image",
			     json_new_string(cfg && cfg->default_image ? cfg->default_image : ""));
	json_object_set_take(ctx, "tools_image",
			     json_new_string(cfg && cfg->tools_image ? cfg->tools_image : ""));
	return ctx;
}
