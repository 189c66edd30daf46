/* cmd_ssh.c - `devctl ssh NAME [-- command...]`: ssh into the DevServer.
 *
 * The connection (port-forward, known_hosts pinned to the operator's host key,
 * running ssh) is the backend's; this file only parses. Words after NAME are
 * the remote command; put them after "--" so their dashes are not taken as
 * devctl flags.
 */
#include "backend.h"
#include "cmd_opts.h"

static int ssh_run(struct cli_ctx *ctx, void *p)
{
	struct name_opts *o = p;
	struct error err;
	int status = 0;

	if (backend_ssh(&ctx->g, o->c.args[0], (char *const *)(o->c.args + 1), o->c.nargs - 1,
			&status, &err) < 0)
		return cli_fail_err(ctx, "ssh", &err);
	return status;
}

const struct command cmd_ssh = {
	.name = "ssh",
	.summary = "Open a shell (or run a command) on a DevServer over SSH",
	.usage =
	"Usage: devctl ssh NAME [-- COMMAND [ARGS...]]\n"
	"\n"
	"Connect to the DevServer with ssh through a port-forward. The host key is\n"
	"pinned to the one the operator publishes; host key checking is never turned\n"
	"off. The exit status is ssh's.\n"
	"\n"
	"Examples:\n"
	"  devctl ssh mybox\n"
	"  devctl ssh mybox -- nvidia-smi -L\n",
	.min_args = 1,
	.max_args = -1,
	.name_args = true,
	.opts_size = sizeof(struct name_opts),
	.run = ssh_run,
};
