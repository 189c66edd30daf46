/* cmd_describe.c - `devctl describe NAME`: spec, status, conditions and the
 * recent Events of the DevServer and its pod. Events are best effort: the
 * description is still printed when they cannot be read. */
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"

static int describe_run(struct cli_ctx *ctx, void *p)
{
	struct name_opts *o = p;
	struct json *ds = NULL, *events = NULL;
	struct error err, eerr;
	struct buf b;
	int rc;

	if (backend_get(&ctx->g, o->c.args[0], &ds, &err) < 0)
		return cli_fail_err(ctx, "describe", &err);
	if (backend_events(&ctx->g, o->c.args[0], &events, &eerr) < 0)
		events = NULL;
	buf_init(&b, OUTPUT_MAX_BYTES);
	rc = output_describe(ds, events, ctx->now, &b, &err);
	json_free(ds);
	json_free(events);
	rc = rc < 0 ? cli_fail_err(ctx, "describe", &err) : cli_write(ctx, &b);
	buf_cleanup(&b);
	return rc;
}

const struct command cmd_describe = {
	.name = "describe",
	.summary = "Show a DevServer in detail, with conditions and events",
	.usage =
	"Usage: devctl describe NAME\n"
	"\n"
	"Show the DevServer's spec and status, its conditions and the recent events of\n"
	"the DevServer and its pod.\n"
	"\n"
	"Flags:\n"
	"      --name NAME   the DevServer, instead of the NAME argument\n"
	"\n"
	"Examples:\n"
	"  devctl describe mybox\n",
	.flags = cmd_name_only_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.opts_size = sizeof(struct name_opts),
	.run = describe_run,
};
