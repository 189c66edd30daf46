/* cmd_logs.c - `devctl logs NAME [-f] [--tail N]`: the DevServer pod's log,
 * streamed by the backend straight to stdout. */
#include "backend.h"
#include "cmd_opts.h"

static const struct flag_spec logs_flags[] = {
	CMD_NAME_FLAG,
	{ "follow", 'f', FLAG_BOOL, 0, offsetof(struct logs_opts, follow), NULL },
	{ "tail", 0, FLAG_INT, 0, offsetof(struct logs_opts, tail), "LINES" },
	{ NULL, 0, 0, 0, 0, NULL },
};

static void logs_init(void *p)
{
	((struct logs_opts *)p)->tail = -1;
}

static int logs_run(struct cli_ctx *ctx, void *p)
{
	struct logs_opts *o = p;
	struct error err;

	if (backend_logs(&ctx->g, o->c.args[0], o->follow, o->tail, ctx->out, &err) < 0)
		return cli_fail_err(ctx, "logs", &err);
	return EXIT_OK;
}

const struct command cmd_logs = {
	.name = "logs",
	.summary = "Print a DevServer's log",
	.usage =
	"Usage: devctl logs NAME [flags]\n"
	"\n"
	"Print the log of the DevServer's container.\n"
	"\n"
	"Flags:\n"
	"      --name NAME    the DevServer, instead of the NAME argument\n"
	"  -f, --follow       keep streaming new lines\n"
	"      --tail LINES   only the last LINES lines\n"
	"\n"
	"Examples:\n"
	"  devctl logs mybox --tail 100 -f\n",
	.flags = logs_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.opts_size = sizeof(struct logs_opts),
	.init = logs_init,
	.run = logs_run,
};
