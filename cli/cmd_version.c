/* cmd_version.c - `devctl version`: the client version, then the server's.
 * --client prints only the client's and needs no cluster. */
#include "backend.h"
#include "cmd_opts.h"
#include "core/version.h"

static const struct flag_spec version_flags[] = {
	{ "client", 0, FLAG_BOOL, 0, offsetof(struct version_opts, client), NULL },
	{ NULL, 0, 0, 0, 0, NULL },
};

void version_print_client(FILE *out)
{
	fprintf(out, "Client Version: %s (%s)\n", DEVSERVER_VERSION, DEVSERVER_GIT_DESCRIBE);
}

static int version_run(struct cli_ctx *ctx, void *p)
{
	struct version_opts *o = p;
	char server[128];
	struct error err;

	version_print_client(ctx->out);
	if (o->client)
		return EXIT_OK;
	if (backend_server_version(&ctx->g, server, sizeof(server), &err) < 0)
		return cli_fail_err(ctx, "version", &err);
	fprintf(ctx->out, "Server Version: %s\n", server);
	return EXIT_OK;
}

const struct command cmd_version = {
	.name = "version",
	.summary = "Print the client and server versions",
	.usage =
	"Usage: devctl version [--client]\n"
	"\n"
	"Print devctl's version and the Kubernetes API server's.\n"
	"\n"
	"Flags:\n"
	"      --client   only the client version (no cluster needed)\n",
	.flags = version_flags,
	.max_args = 0,
	.opts_size = sizeof(struct version_opts),
	.run = version_run,
};
