/* cmd_flavors.c - `devctl flavors`: the DevServerFlavors, their resources
 * and which one is the default. */
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"

static int flavors_run(struct cli_ctx *ctx, void *p)
{
	struct json *items = NULL;
	struct error err;
	struct buf b;
	int rc;

	if (backend_list_flavors(&ctx->g, &items, &err) < 0)
		return cli_fail_err(ctx, "flavors", &err);
	buf_init(&b, OUTPUT_MAX_BYTES);
	rc = output_flavors(items, ctx->format, ctx->now, &b, &err);
	json_free(items);
	rc = rc < 0 ? cli_fail_err(ctx, "flavors", &err) : cli_write(ctx, &b);
	buf_cleanup(&b);
	return rc;
}

const struct command cmd_flavors = {
	.name = "flavors",
	.summary = "List the DevServer flavors",
	.usage =
	"Usage: devctl flavors [flags]\n"
	"\n"
	"List the DevServerFlavors: NAME DEFAULT CPU MEMORY GPU SCHEDULABLE MAX-TTL AGE.\n"
	"SCHEDULABLE is the operator's answer to whether any node can run the flavor\n"
	"now (Yes, No; describe the flavor with kubectl for why). A deprecated flavor's\n"
	"DESCRIPTION starts with \"deprecated: use NAME\": DevServers that name it get NAME.\n"
	"\n"
	"Flags:\n"
	"  -o, --output FORMAT   table|wide|json|yaml|name (wide adds IMAGE DESCRIPTION)\n"
	"\n"
	"Examples:\n"
	"  devctl flavors -o wide\n",
	.max_args = 0,
	.formats = OUT_TABLE | OUT_WIDE | OUT_JSON | OUT_YAML | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.run = flavors_run,
};
