/* cmd_wait.c - `devctl wait NAME --for=ready|deleted|phase=X`: block until
 * the DevServer reaches a state. The condition is parsed and evaluated by
 * pure functions (wait.c, shared with create --wait); watching is the
 * backend's. */
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"
#include "wait.h"

static const struct flag_spec wait_flags[] = {
	CMD_NAME_FLAG,
	{ "for", 0, FLAG_STRING, 0, offsetof(struct wait_opts, for_text), "CONDITION" },
	{ "timeout", 0, FLAG_DURATION, 0, offsetof(struct wait_opts, timeout), "DURATION" },
	{ NULL, 0, 0, 0, 0, NULL },
};

static void wait_init(void *p)
{
	((struct wait_opts *)p)->timeout.seconds = CLI_DEFAULT_TIMEOUT_SECONDS;
}

static int wait_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct wait_opts *o = p;

	if (!o->for_text)
		return error_set(err, ERR_INVALID, "--for is required (ready, deleted or phase=PHASE)");
	return wait_parse_for(o->for_text, &o->cond, err);
}

static bool met(const struct json *obj, void *arg)
{
	return wait_is_met(arg, obj);
}

static int wait_run(struct cli_ctx *ctx, void *p)
{
	struct wait_opts *o = p;
	struct error err;

	if (backend_watch(&ctx->g, o->c.args[0], o->timeout.seconds * 1000, met, &o->cond, NULL,
			  &err) < 0)
		return cli_fail_err(ctx, "wait", &err);
	fprintf(ctx->out, ctx->format == OUT_NAME ? OUTPUT_DEVSERVER_RESOURCE "/%s\n"
						  : OUTPUT_DEVSERVER_RESOURCE "/%s condition met\n",
		o->c.args[0]);
	return EXIT_OK;
}

const struct command cmd_wait = {
	.name = "wait",
	.summary = "Wait until a DevServer is ready, deleted or in a phase",
	.usage =
	"Usage: devctl wait NAME --for=CONDITION [flags]\n"
	"\n"
	"Wait until the DevServer meets CONDITION; exit status 1 on timeout.\n"
	"\n"
	"Flags:\n"
	"      --name NAME          the DevServer, instead of the NAME argument\n"
	"      --for CONDITION      ready, deleted or phase=PHASE (Pending, Running,\n"
	"                           Stopped, Failed, Unknown); required\n"
	"      --timeout DURATION   give up after this long (default 5m)\n"
	"\n"
	"Examples:\n"
	"  devctl wait mybox --for=ready --timeout 10m\n"
	"  devctl wait mybox --for=phase=Stopped\n",
	.flags = wait_flags,
	.min_args = 1,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_NAME,
	.opts_size = sizeof(struct wait_opts),
	.init = wait_init,
	.check = wait_check,
	.run = wait_run,
};
