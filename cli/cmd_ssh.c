/* cmd_ssh.c - `devctl ssh NAME [-i KEY] [-- command...]`: ssh into the DevServer.
 *
 * Reads the DevServer and its pod, pins the host key its status publishes in
 * devctl's known_hosts, and runs ssh through a port-forward to that pod
 * (cli/ssh.c). Words after
 * NAME are the remote command; put them after "--" so their dashes are not
 * taken as devctl flags.
 */
#include <stdlib.h>

#include "backend.h"
#include "cmd_opts.h"
#include "config.h"
#include "known_hosts.h"
#include "ssh.h"

static const struct flag_spec ssh_flags[] = {
	CMD_NAME_FLAG,
	{ "identity-file", 'i', FLAG_STRING, 0, offsetof(struct ssh_opts, identity), "FILE" },
	{ "tty", 't', FLAG_BOOL, 0, offsetof(struct ssh_opts, tty), NULL },
	{ NULL, 0, 0, 0, 0, NULL },
};

/* -i, else the config's sshIdentityFile, else ssh's own choice. */
static int ssh_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct ssh_opts *o = p;

	if (!o->identity)
		o->identity = ctx->config->ssh_identity_file;
	return 0;
}

static int ssh_run(struct cli_ctx *ctx, void *p)
{
	struct ssh_opts *o = p;
	char known[KNOWN_HOSTS_PATH_MAX_BYTES];
	struct ssh_target t;
	struct json *ds = NULL;
	struct error err;
	int status = 0, rc;

	rc = backend_get(&ctx->g, o->c.args[0], &ds, &err);
	if (rc == 0)
		rc = ssh_target_from_devserver(ds, &t, &err);
	json_free(ds);
	ds = NULL;
	if (rc == 0)
		rc = backend_devserver_pod(&ctx->g, o->c.args[0], &ds, &err);
	if (rc == 0)
		rc = ssh_target_set_pod(&t, ds, &err);
	json_free(ds);
	if (rc == 0)
		rc = known_hosts_path(ctx->home, known, &err);
	if (rc == 0)
		rc = ssh_pin_host_key(&t, known, &err);
	if (rc == 0)
		rc = ssh_connect(&ctx->g, &t, known, o->identity, o->tty, (char *const *)(o->c.args + 1),
				 o->c.nargs - 1, &status, &err);
	if (rc < 0)
		return cli_fail_err(ctx, "ssh", &err);
	return status;
}

const struct command cmd_ssh = {
	.name = "ssh",
	.summary = "Open a shell (or run a command) on a DevServer over SSH",
	.usage =
	"Usage: devctl ssh NAME [-i FILE] [-t] [-- COMMAND [ARGS...]]\n"
	"\n"
	"Connect to the DevServer as user dev with ssh, through a kubectl port-forward\n"
	"to its pod.\n"
	"The host key is the one the operator generated for this DevServer and\n"
	"publishes in its status (status.ssh.hostKey): devctl pins it in\n"
	"~/.config/devctl/known_hosts before connecting and ssh checks it strictly\n"
	"(StrictHostKeyChecking=yes), so a server presenting any other key is refused,\n"
	"and so is a published key that differs from the one pinned earlier for the\n"
	"same DevServer. The exit status is ssh's.\n"
	"\n"
	"Flags:\n"
	"      --name NAME           the DevServer, instead of the NAME argument; every word given\n"
	"                            is then the remote COMMAND\n"
	"  -i, --identity-file FILE  the private key to log in with (default: sshIdentityFile\n"
	"                            in the config file, else ssh's own choice, e.g.\n"
	"                            ~/.ssh/id_ed25519 or the agent)\n"
	"  -t, --tty                 a terminal even for a COMMAND (ssh -tt), e.g. for htop\n"
	"\n"
	"Examples:\n"
	"  devctl ssh mybox\n"
	"  devctl ssh mybox -- nvidia-smi -L\n"
	"  devctl ssh mybox -i ~/.ssh/work_ed25519 -- make -C src test\n"
	"  devctl ssh mybox -t -- htop\n",
	.flags = ssh_flags,
	.min_args = 1,
	.max_args = -1,
	.name_args = true,
	.opts_size = sizeof(struct ssh_opts),
	.check = ssh_check,
	.run = ssh_run,
};
