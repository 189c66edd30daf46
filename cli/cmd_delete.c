/* cmd_delete.c - `devctl delete NAME...`: delete DevServers, optionally
 * waiting until they are gone. Every name is tried even when one fails; the
 * exit status is 1 if any failed. */
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"

static const struct flag_spec delete_flags[] = {
	CMD_NAME_FLAG,
	{ "wait", 0, FLAG_BOOL, 0, offsetof(struct delete_opts, wait), NULL },
	{ "timeout", 0, FLAG_DURATION, 0, offsetof(struct delete_opts, timeout), "DURATION" },
	{ NULL, 0, 0, 0, 0, NULL },
};

static void delete_init(void *p)
{
	((struct delete_opts *)p)->timeout.seconds = CLI_DEFAULT_TIMEOUT_SECONDS;
}

static bool gone(const struct json *obj, void *arg)
{
	return obj == NULL;
}

static int delete_run(struct cli_ctx *ctx, void *p)
{
	struct delete_opts *o = p;
	int status = EXIT_OK;
	struct error err;

	for (int i = 0; i < o->c.nargs; i++) {
		if (backend_delete(&ctx->g, o->c.args[i], &err) < 0) {
			status = cli_fail_err(ctx, "delete", &err);
			continue;
		}
		fprintf(ctx->out, ctx->format == OUT_NAME ? OUTPUT_DEVSERVER_RESOURCE "/%s\n"
							  : OUTPUT_DEVSERVER_RESOURCE "/%s deleted\n",
			o->c.args[i]);
	}
	for (int i = 0; o->wait && status == EXIT_OK && i < o->c.nargs; i++)
		if (backend_watch(&ctx->g, o->c.args[i], o->timeout.seconds * 1000, gone, NULL, NULL,
				  &err) < 0)
			status = cli_fail_err(ctx, "delete", &err);
	return status;
}

const struct command cmd_delete = {
	.name = "delete",
	.summary = "Delete DevServers",
	.usage =
	"Usage: devctl delete NAME... [flags]\n"
	"\n"
	"Delete one or more DevServers. The home volume the operator made (spec.home)\n"
	"is deleted with its DevServer; a PVC of your own mounted at /home/dev is not.\n"
	"\n"
	"Flags:\n"
	"      --name NAME          the DevServer, instead of the NAME argument\n"
	"      --wait               wait until every DevServer is gone\n"
	"      --timeout DURATION   how long --wait waits (default 5m)\n"
	"  -o, --output name        print only resource/name\n"
	"\n"
	"Examples:\n"
	"  devctl delete mybox\n"
	"  devctl delete box1 box2 --wait --timeout 2m\n",
	.flags = delete_flags,
	.min_args = 1,
	.max_args = -1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct delete_opts),
	.init = delete_init,
	.run = delete_run,
};
