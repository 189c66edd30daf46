/* cmd_ssh_config.c - `devctl ssh-config NAME`: an ssh_config "Host" block
 * for the DevServer, to paste into ~/.ssh/config (for editors' remote
 * plugins). Pins the published host key first, as `devctl ssh` does, so the
 * block works on its own (cli/ssh.c writes it). */
#include "backend.h"
#include "cmd_opts.h"
#include "known_hosts.h"
#include "output.h"
#include "ssh.h"

static int ssh_config_run(struct cli_ctx *ctx, void *p)
{
	struct name_opts *o = p;
	char known[KNOWN_HOSTS_PATH_MAX_BYTES];
	struct ssh_target t;
	struct json *ds = NULL;
	struct error err;
	struct buf b;
	int rc;

	buf_init(&b, OUTPUT_MAX_BYTES);
	rc = backend_get(&ctx->g, o->c.args[0], &ds, &err);
	if (rc == 0)
		rc = ssh_target_from_devserver(ds, &t, &err);
	json_free(ds);
	if (rc == 0)
		rc = known_hosts_path(ctx->home, known, &err);
	if (rc == 0)
		rc = ssh_pin_host_key(&t, known, &err);
	if (rc == 0)
		rc = ssh_config_block(&ctx->g, &t, known, &b, &err);
	rc = rc < 0 ? cli_fail_err(ctx, "ssh-config", &err) : cli_write(ctx, &b);
	buf_cleanup(&b);
	return rc;
}

const struct command cmd_ssh_config = {
	.name = "ssh-config",
	.summary = "Print an ssh_config entry for a DevServer",
	.usage =
	"Usage: devctl ssh-config NAME\n"
	"\n"
	"Print a Host block for ~/.ssh/config that reaches the DevServer as user dev\n"
	"through `kubectl exec` (a ProxyCommand, so no devctl process has to run), with\n"
	"the host key the operator published pinned: devctl writes it to\n"
	"~/.config/devctl/known_hosts now and the block makes ssh check it strictly.\n"
	"The Host name is NAME.NAMESPACE.devserver.\n"
	"\n"
	"Flags:\n"
	"      --name NAME   the DevServer, instead of the NAME argument\n"
	"\n"
	"Examples:\n"
	"  devctl ssh-config mybox >> ~/.ssh/config && ssh mybox.default.devserver\n",
	.flags = cmd_name_only_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.opts_size = sizeof(struct name_opts),
	.run = ssh_config_run,
};
