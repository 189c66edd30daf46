/* cmd_stop.c - `devctl stop NAME`: one merge patch on spec.stopped, which
 * scales the pod to zero and keeps the home and the Service (the TTL keeps
 * counting). The patch builder and the apply step are shared with start. */
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"

struct json *power_build_patch(bool stopped)
{
	struct json *patch = json_new_object(), *spec = json_new_object();

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

static int stop_run(struct cli_ctx *ctx, void *p)
{
	return power_apply(ctx, "stop", ((struct name_opts *)p)->c.args[0], true);
}

const struct command cmd_stop = {
	.name = "stop",
	.summary = "Stop a DevServer (keeps its home)",
	.usage =
	"Usage: devctl stop NAME\n"
	"\n"
	"Scale the DevServer to zero. The home volume and the SSH Service stay; the\n"
	"time to live keeps counting. devctl start brings it back.\n"
	"\n"
	"Examples:\n"
	"  devctl stop mybox\n",
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.run = stop_run,
};

