/* cmd_restart.c - `devctl restart NAME`: replaces the pod (the home stays)
 * and so applies a flavor or policy change that waits for a restart; the
 * patch is cli/power.c's. */
#include "cmd_opts.h"
#include "power.h"

static int restart_run(struct cli_ctx *ctx, void *p)
{
	return power_restart(ctx, ((struct name_opts *)p)->c.args[0]);
}

const struct command cmd_restart = {
	.name = "restart",
	.summary = "Restart a DevServer, applying changes that wait for it",
	.usage =
	"Usage: devctl restart NAME\n"
	"\n"
	"Replace the DevServer's pod: running processes and SSH sessions end, the\n"
	"home volume stays. A change of its flavor or of the policy that would\n"
	"restart the pod is held back while it runs (devctl describe shows it as\n"
	"\"Pending restart\"); restart applies it. A stopped DevServer is not\n"
	"restarted: devctl start brings it up with the current flavor and policy.\n"
	"\n"
	"Flags:\n"
	"      --name NAME   the DevServer, instead of the NAME argument\n"
	"\n"
	"Examples:\n"
	"  devctl restart mybox\n",
	.flags = cmd_name_only_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.run = restart_run,
};
