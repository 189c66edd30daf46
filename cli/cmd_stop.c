/* cmd_stop.c - `devctl stop NAME`: scales the pod to zero and keeps the home
 * and the Service (the TTL keeps counting); the patch is cli/power.c's. */
#include "cmd_opts.h"
#include "power.h"

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
	"Flags:\n"
	"      --name NAME   the DevServer, instead of the NAME argument\n"
	"\n"
	"Examples:\n"
	"  devctl stop mybox\n",
	.flags = cmd_name_only_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.run = stop_run,
};

