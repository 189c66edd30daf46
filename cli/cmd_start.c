/* cmd_start.c - `devctl start NAME`: undo `devctl stop` or an idle stop
 * (spec.stopped false); the patch is cli/power.c's. */
#include "cmd_opts.h"
#include "power.h"

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
	"Start a DevServer stopped with devctl stop, or by the operator after its idle\n"
	"timeout. Its home is as it was left.\n"
	"\n"
	"Flags:\n"
	"      --name NAME   the DevServer, instead of the NAME argument\n"
	"\n"
	"Examples:\n"
	"  devctl start mybox\n",
	.flags = cmd_name_only_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.run = start_run,
};
