/* cmd_render.c - `devctl render`: the operator's policy engine, offline.
 *
 *   render -f devserver.yaml [--flavor-file F] [--policies DIR] [-o yaml|json]
 *   render --check DIR [--policies DIR]
 *
 * The first prints what the operator would apply for that DevServer; the
 * second runs fixture directories (tests/fixtures/render/README.md) and
 * reports the cases whose output differs. Both use src/policy unchanged, with
 * the embedded default policy unless --policies names a bundle directory.
 * Offline there is no operator configuration, so ctx holds the operator's
 * built-in image defaults (policy/context.h) and the DevServer's namespace
 * (or -n, or "default"); --check uses each fixture directory's ctx.yaml.
 * The rendering and the fixture runner are render.c's (devctl policy test
 * runs them too); this file is the command.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_opts.h"
#include "config.h"
#include "core/mem.h"
#include "json/yaml_doc.h"
#include "output.h"
#include "policy/context.h"
#include "render.h"

static const struct flag_spec render_flags[] = {
	{ "filename", 'f', FLAG_STRING, 0, offsetof(struct render_opts, file), "FILE" },
	{ "flavor-file", 0, FLAG_STRING, 0, offsetof(struct render_opts, flavor_file), "FILE" },
	{ "policies", 0, FLAG_STRING, 0, offsetof(struct render_opts, policies), "DIR" },
	{ "check", 0, FLAG_STRING, 0, offsetof(struct render_opts, check), "DIR" },
	{ "default-image", 0, FLAG_STRING, 0, offsetof(struct render_opts, default_image), "IMG" },
	{ "tools-image", 0, FLAG_STRING, 0, offsetof(struct render_opts, tools_image), "IMG" },
	{ NULL, 0, 0, 0, 0, NULL },
};

static int render_check(struct cli_ctx *ctx, void *p, struct error *err)
{
	struct render_opts *o = p;

	if (!o->file == !o->check)
		return error_set(err, ERR_INVALID, "give either -f FILE or --check DIR");
	if (o->check && o->flavor_file)
		return error_set(err, ERR_INVALID, "--flavor-file does not apply to --check");
	if (o->check && ctx->g.output)
		return error_set(err, ERR_INVALID, "-o does not apply to --check");
	if (o->check && (o->default_image || o->tools_image))
		return error_set(err, ERR_INVALID, "--default-image and --tools-image do not apply to "
				 "--check (each fixture has its ctx.yaml)");
	return 0;
}

static int render_check_run(struct cli_ctx *ctx, struct render_opts *o,
			    const struct policy_bundle *b)
{
	struct error err;
	struct buf report;
	int passed, failed, rc, wrc;

	buf_init(&report, OUTPUT_MAX_BYTES);
	rc = render_check_dir(b, o->check, &report, &passed, &failed, &err);
	wrc = cli_write(ctx, &report);
	buf_cleanup(&report);
	if (rc < 0)
		return cli_fail_err(ctx, "render", &err);
	if (failed) {
		/* like policy test: a failing exit always says why on stderr */
		cli_fail(ctx, "render", "%d of %d fixtures failed", failed, passed + failed);
		return EXIT_FAILED;
	}
	return wrc; /* EXIT_FAILED when the report could not be written */
}

static int render_run(struct cli_ctx *ctx, void *p)
{
	struct render_opts *o = p;
	struct json *ds = NULL, *flavor = NULL, *rctx = NULL, *out = NULL;
	struct policy_bundle bundle;
	const char *ns;
	struct error err;
	struct buf b;
	int rc;

	if (render_load_bundle(o->policies, &bundle, &err) < 0) {
		policy_bundle_cleanup(&bundle);
		return cli_fail_err(ctx, "render", &err);
	}
	if (o->check) {
		rc = render_check_run(ctx, o, &bundle);
		policy_bundle_cleanup(&bundle);
		return rc;
	}
	buf_init(&b, OUTPUT_MAX_BYTES);
	rc = render_read_yaml(o->file, false, &ds, &err);
	if (rc == 0 && o->flavor_file)
		rc = render_read_yaml(o->flavor_file, false, &flavor, &err);
	if (rc == 0) {
		ns = json_get_string(json_get(ds, "metadata"), "namespace");
		struct policy_context_config cc = {
			o->default_image ? o->default_image : POLICY_DEFAULT_IMAGE,
			o->tools_image ? o->tools_image : POLICY_DEFAULT_TOOLS_IMAGE,
		};

		rctx = policy_context_new(&cc, ns ? ns : ctx->g.namespace ? ctx->g.namespace : "default");
		rc = render_objects(&bundle, ds, flavor, rctx, &out, &err);
	}
	if (rc == 0 && ctx->format == OUT_JSON) {
		rc = output_list_doc(out, OUT_JSON, &b, &err);
	} else if (rc == 0) {
		for (size_t i = 0; rc == 0 && i < out->u.arr.len; i++) {
			buf_append_str(&b, "---\n");
			rc = yaml_doc_encode(out->u.arr.items[i], &b, &err);
		}
	}
	json_free(ds);
	json_free(flavor);
	json_free(rctx);
	json_free(out);
	policy_bundle_cleanup(&bundle);
	rc = rc < 0 ? cli_fail_err(ctx, "render", &err) : cli_write(ctx, &b);
	buf_cleanup(&b);
	return rc;
}

const struct command cmd_render = {
	.name = "render",
	.summary = "Render a DevServer's children offline, or check fixtures",
	.usage =
	"Usage: devctl render -f FILE [--flavor-file FILE] [--policies DIR] [-o yaml|json]\n"
	"                     [--default-image IMG] [--tools-image IMG]\n"
	"       devctl render --check DIR [--policies DIR]\n"
	"\n"
	"Run the operator's policy engine without a cluster. With -f, print the objects\n"
	"the operator would create for the DevServer in FILE. With --check, run every\n"
	"fixture directory under DIR (devserver.yaml, flavor.yaml, ctx.yaml and\n"
	"expected.yaml or error.txt) and report the cases that differ; exit status 1\n"
	"if any does.\n"
	"\n"
	"Flags:\n"
	"  -f, --filename FILE     the DevServer (YAML or JSON)\n"
	"      --flavor-file FILE  the DevServerFlavor to render with (default: none)\n"
	"      --policies DIR      policy bundle directory (default: the built-in policy)\n"
	"      --check DIR         run the fixture directories under DIR\n"
	"      --default-image IMG ctx.default_image, as the operator's flag of that name\n"
	"                          (default " POLICY_DEFAULT_IMAGE ")\n"
	"      --tools-image IMG   ctx.tools_image, as the operator's flag of that name\n"
	"                          (default " POLICY_DEFAULT_TOOLS_IMAGE ")\n"
	"  -o, --output FORMAT     yaml (documents separated by ---, the default) or json\n"
	"                          (a v1 List)\n"
	"\n"
	"Examples:\n"
	"  devctl render -f mybox.yaml --flavor-file gpu-small.yaml\n"
	"  devctl render -f mybox.yaml --policies ./policies -o json\n"
	"  devctl render --check tests/fixtures/render\n",
	.flags = render_flags,
	.max_args = 0,
	.formats = OUT_TABLE | OUT_YAML | OUT_JSON,
	.opts_size = sizeof(struct render_opts),
	.check = render_check,
	.run = render_run,
};
