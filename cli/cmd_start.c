/* cmd_start.c - `devctl start NAME`: undo `devctl stop` (spec.stopped
 * false); see cmd_stop.c for the shared patch. */
#include "cmd_opts.h"

static int start_run(struct cli_ctx *ctx, void *p)
{
	return power_apply(ctx, "start", ((struct name_opts *)p)->c.args[0], false);
}

const struct command cmd_start = {
	.name = "start",
	.summary = "Start a stopped DevServer",
	.usage =
	"Usage: devctl start NAME\n"
	"\n"
	"Start a DevServer stopped with devctl stop.\n"
	"\n"
	"Examples:\n"
	"  devctl start mybox\n",
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.run = start_run,
};
