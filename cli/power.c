/* power.c - devctl stop/start/restart's patches (see power.h). */
#include "power.h"

#include <stdio.h>

#include "api/api.h"
#include "core/clock.h"
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"

struct json *power_build_patch(bool stopped)
{
	struct json *patch = json_new_object(), *spec = json_new_object();
	struct json *meta = json_new_object(), *ann = json_new_object();

	/* null deletes the key in a merge patch, and is a no-op without it */
	json_object_set_take(ann, API_ANNOTATION_STOPPED_BY, json_new_null());
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(patch, "metadata", meta);
	json_object_set_take(spec, "stopped", json_new_bool(stopped));
	json_object_set_take(patch, "spec", spec);
	return patch;
}

int power_apply(struct cli_ctx *ctx, const char *cmd, const char *name, bool stopped)
{
	struct json *patch = power_build_patch(stopped), *out = NULL;
	struct error err;
	int rc = backend_patch(&ctx->g, name, patch, &out, &err);

	json_free(patch);
	json_free(out);
	if (rc < 0)
		return cli_fail_err(ctx, cmd, &err);
	fprintf(ctx->out, ctx->format == OUT_NAME ? OUTPUT_DEVSERVER_RESOURCE "/%s\n"
						  : OUTPUT_DEVSERVER_RESOURCE "/%s %s\n",
		name, stopped ? "stopped" : "started");
	return EXIT_OK;
}

struct json *power_build_restart_patch(int64_t now)
{
	struct json *patch = json_new_object(), *meta = json_new_object(), *ann = json_new_object();
	char at[CLOCK_RFC3339_BYTES];

	clock_format_rfc3339(now, at);
	json_object_set_take(ann, API_ANNOTATION_RESTART, json_new_string(at));
	json_object_set_take(meta, "annotations", ann);
	json_object_set_take(patch, "metadata", meta);
	return patch;
}

int power_restart(struct cli_ctx *ctx, const char *name)
{
	struct json *ds = NULL, *patch, *out = NULL;
	struct error err;
	int rc;

	if (backend_get(&ctx->g, name, &ds, &err) < 0)
		return cli_fail_err(ctx, "restart", &err);
	if (json_get_bool(json_get(ds, "spec"), "stopped", false)) {
		json_free(ds);
		cli_fail(ctx, "restart", "devserver %s is stopped: devctl start %s starts it "
			 "with the current flavor and policy", name, name);
		return EXIT_FAILED;
	}
	json_free(ds);
	patch = power_build_restart_patch(ctx->now);
	rc = backend_patch(&ctx->g, name, patch, &out, &err);
	json_free(patch);
	json_free(out);
	if (rc < 0)
		return cli_fail_err(ctx, "restart", &err);
	fprintf(ctx->out, ctx->format == OUT_NAME ? OUTPUT_DEVSERVER_RESOURCE "/%s\n"
						  : OUTPUT_DEVSERVER_RESOURCE "/%s restarting\n",
		name);
	return EXIT_OK;
}
