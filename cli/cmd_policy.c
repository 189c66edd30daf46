/* cmd_policy.c - `devctl policy test|push|status`.
 *
 * test DIR   loads the bundle in DIR, compiles it in the same sandbox as the
 *            operator, and runs the cases under DIR/fixtures when present (as render --check)
 * push DIR   the same checks, then replaces the policy ConfigMap (backend)
 * status     the operator's active revision and its last rejection (backend)
 *
 * push validates first so a bundle that would be rejected never reaches the
 * cluster; the operator validates again, since a ConfigMap can be edited by
 * other means.
 */
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "cmd_opts.h"
#include "output.h"
#include "policy/engine.h"
#include "render.h"

static int policy_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct policy_opts *o = p;
	const char *sub = o->c.args[0];

	if (strcmp(sub, "test") == 0)
		o->sub = POLICY_TEST;
	else if (strcmp(sub, "push") == 0)
		o->sub = POLICY_PUSH;
	else if (strcmp(sub, "status") == 0)
		o->sub = POLICY_STATUS;
	else
		return error_set(err, ERR_INVALID, "unknown subcommand \"%s\" (test, push or status)",
				 sub);
	if (o->sub == POLICY_STATUS) {
		if (o->c.nargs != 1)
			return error_set(err, ERR_INVALID, "status takes no argument");
		return 0;
	}
	if (o->c.nargs != 2)
		return error_set(err, ERR_INVALID, "%s needs the bundle directory (policy %s DIR)", sub,
				 sub);
	if (ctx->g.output)
		return error_set(err, ERR_INVALID, "-o applies to policy status only");
	o->dir = o->c.args[1];
	return 0;
}

/* Loads, compiles and runs the fixtures of o->dir; prints the report.
 * Returns EXIT_OK with bundle loaded, or the failure status. */
static int validate(struct cli_ctx *ctx, const char *cmd, const char *dir,
		    struct policy_bundle *bundle)
{
	struct policy_engine *e = NULL;
	char fixtures[CLI_PATH_MAX_BYTES];
	struct error err;
	struct stat st;
	struct buf b;
	int passed, failed, rc, wrc;

	if (render_load_bundle(dir, bundle, &err) < 0)
		return cli_fail_err(ctx, cmd, &err);
	if (policy_engine_new(bundle, NULL, &e, &err) < 0)
		return cli_fail_err(ctx, cmd, &err);
	policy_engine_free(e);
	fprintf(ctx->out, "bundle %s: %zu files, revision %s, compiles\n", dir, bundle->n,
		bundle->revision);
	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", dir);
	if (stat(fixtures, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(ctx->out, "no fixtures (%s/fixtures/CASE/devserver.yaml)\n", dir);
		return EXIT_OK;
	}
	buf_init(&b, OUTPUT_MAX_BYTES);
	rc = render_check_dir(bundle, fixtures, &b, &passed, &failed, &err);
	wrc = cli_write(ctx, &b);
	buf_cleanup(&b);
	if (rc < 0)
		return cli_fail_err(ctx, cmd, &err);
	if (failed) {
		cli_fail(ctx, cmd, "%d of %d fixtures failed", failed, passed + failed);
		return EXIT_FAILED;
	}
	return wrc; /* EXIT_FAILED when the report could not be written */
}

static int policy_run(struct cli_ctx *ctx, void *p)
{
	struct policy_opts *o = p;
	struct policy_bundle bundle;
	struct json *out = NULL;
	struct error err;
	struct buf b;
	int rc;

	if (o->sub == POLICY_STATUS) {
		if (backend_policy_status(&ctx->g, &out, &err) < 0)
			return cli_fail_err(ctx, "policy status", &err);
		buf_init(&b, OUTPUT_MAX_BYTES);
		rc = ctx->format == OUT_TABLE ? output_policy_status(out, &b, &err)
					      : output_object(out, NULL, ctx->format, &b, &err);
		json_free(out);
		rc = rc < 0 ? cli_fail_err(ctx, "policy status", &err) : cli_write(ctx, &b);
		buf_cleanup(&b);
		return rc;
	}
	policy_bundle_init(&bundle);
	rc = validate(ctx, o->sub == POLICY_TEST ? "policy test" : "policy push", o->dir, &bundle);
	if (rc == EXIT_OK && o->sub == POLICY_PUSH) {
		char fixtures[4096];
		struct stat st;

		snprintf(fixtures, sizeof(fixtures), "%s/fixtures", o->dir);
		if (backend_policy_push(&ctx->g, &bundle, stat(fixtures, &st) == 0 && S_ISDIR(st.st_mode)
					? fixtures : NULL, &out, &err) < 0)
			rc = cli_fail_err(ctx, "policy push", &err);
		else
			fprintf(ctx->out, "policy revision %s pushed\n", bundle.revision);
		json_free(out);
	}
	policy_bundle_cleanup(&bundle);
	return rc;
}

const struct command cmd_policy = {
	.name = "policy",
	.summary = "Test, push or inspect the rendering policy",
	.usage =
	"Usage: devctl policy test DIR\n"
	"       devctl policy push DIR\n"
	"       devctl policy status [-o json|yaml]\n"
	"\n"
	"test    load the policy bundle in DIR (policies/*.lua and lib/**.lua, or a flat\n"
	"        directory of .lua files), compile it in the operator's sandbox, and run\n"
	"        the fixtures in DIR/fixtures/*/ when there are any\n"
	"push    the same checks, then replace the operator's policy ConfigMap\n"
	"status  the active policy revision and the last rejected one, with the reason\n"
	"\n"
	"Examples:\n"
	"  devctl policy test ./policy\n"
	"  devctl policy push ./policy\n"
	"  devctl policy status\n",
	.min_args = 1,
	.max_args = 2,
	.formats = OUT_TABLE | OUT_JSON | OUT_YAML,
	.opts_size = sizeof(struct policy_opts),
	.check = policy_check,
	.run = policy_run,
};
