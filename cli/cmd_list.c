/* cmd_list.c - `devctl list` and its kubectl-style alias `devctl get [NAME]`.
 *
 * Both print the same table (output.h); `get NAME` prints one DevServer,
 * and with -o json|yaml the object itself rather than a List.
 */
#include "backend.h"
#include "cmd_opts.h"
#include "output.h"

static int list_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct name_opts *o = p;

	if (o->c.nargs == 1 && ctx->g.all_namespaces)
		return error_set(err, ERR_INVALID, "a NAME cannot be combined with -A");
	return 0;
}

static int show(struct cli_ctx *ctx, struct name_opts *o, const char *cmd)
{
	struct json *items = NULL, *pods = NULL, *one = NULL;
	struct error err;
	struct buf b;
	int rc;

	if (o->c.nargs == 1) {
		rc = backend_get(&ctx->g, o->c.args[0], &one, &err);
		if (rc == 0 && (ctx->format == OUT_JSON || ctx->format == OUT_YAML ||
				ctx->format == OUT_NAME)) {
			buf_init(&b, OUTPUT_MAX_BYTES);
			rc = output_object(one, NULL, ctx->format, &b, &err);
			json_free(one);
			rc = rc < 0 ? cli_fail_err(ctx, cmd, &err) : cli_write(ctx, &b);
			buf_cleanup(&b);
			return rc;
		}
		if (rc == 0) {
			items = json_new_array();
			json_array_push_take(items, one);
		}
	} else {
		rc = backend_list(&ctx->g, &items,
				  ctx->format == OUT_WIDE ? &pods : NULL, &err);
	}
	if (rc < 0)
		return cli_fail_err(ctx, cmd, &err);
	buf_init(&b, OUTPUT_MAX_BYTES);
	if (items->u.arr.len == 0 && (ctx->format == OUT_TABLE || ctx->format == OUT_WIDE)) {
		if (ctx->g.all_namespaces || !ctx->g.namespace)
			fprintf(ctx->err, "No DevServers found.\n");
		else
			fprintf(ctx->err, "No DevServers found in namespace %s.\n", ctx->g.namespace);
		rc = 0;
	} else {
		rc = output_devservers(items, pods, ctx->format, ctx->g.all_namespaces, ctx->now,
				       &b, &err);
	}
	json_free(items);
	json_free(pods);
	rc = rc < 0 ? cli_fail_err(ctx, cmd, &err) : cli_write(ctx, &b);
	buf_cleanup(&b);
	return rc;
}

static int list_run(struct cli_ctx *ctx, void *p)
{
	return show(ctx, p, "list");
}

static int get_run(struct cli_ctx *ctx, void *p)
{
	return show(ctx, p, "get");
}

#define LIST_FLAGS_HELP \
	"Flags:\n" \
	"  -A, --all-namespaces   DevServers of every namespace (adds a NAMESPACE column)\n" \
	"  -o, --output FORMAT    table|wide|json|yaml|name (wide adds IMAGE NODE IP)\n"

const struct command cmd_list = {
	.name = "list",
	.summary = "List DevServers",
	.usage =
	"Usage: devctl list [flags]\n"
	"\n"
	"List DevServers: NAME FLAVOR PHASE READY EXPIRES AGE. EXPIRES is the time left\n"
	"until the time to live runs out.\n"
	"\n"
	LIST_FLAGS_HELP
	"\n"
	"Examples:\n"
	"  devctl list\n"
	"  devctl list -A -o wide\n"
	"  devctl list -o name\n",
	.max_args = 0,
	.formats = OUT_TABLE | OUT_WIDE | OUT_JSON | OUT_YAML | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.check = list_check,
	.run = list_run,
};

const struct command cmd_get = {
	.name = "get",
	.summary = "List DevServers, or show one (like list)",
	.usage =
	"Usage: devctl get [NAME] [flags]\n"
	"\n"
	"Without NAME, the same as devctl list. With NAME, that DevServer only; with\n"
	"-o json or -o yaml the object itself.\n"
	"\n"
	LIST_FLAGS_HELP
	"\n"
	"      --name NAME        the DevServer, instead of the NAME argument\n"
	"\n"
	"Examples:\n"
	"  devctl get mybox -o yaml\n",
	.flags = cmd_name_only_flags,
	.max_args = 1,
	.name_args = true,
	.formats = OUT_TABLE | OUT_WIDE | OUT_JSON | OUT_YAML | OUT_NAME,
	.opts_size = sizeof(struct name_opts),
	.check = list_check,
	.run = get_run,
};
