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
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_opts.h"
#include "config.h"
#include "core/mem.h"
#include "json/yaml_doc.h"
#include "output.h"
#include "policy/context.h"
#include "policy/engine.h"
#include "policy/validate.h"

int render_load_bundle(const char *dir, struct policy_bundle *b, struct error *err)
{
	int rc;

	policy_bundle_init(b);
	rc = dir ? policy_bundle_load_dir(b, dir, err) : policy_bundle_load_embedded(b, err);
	if (rc < 0)
		return dir ? error_prefix(err, "policies %s", dir) : rc;
	return 0;
}

int render_objects(const struct policy_bundle *bundle, const struct json *ds,
		   const struct json *flavor, const struct json *ctx, struct json **out,
		   struct error *err)
{
	struct policy_engine *e = NULL;
	int rc;

	*out = NULL;
	rc = policy_engine_new(bundle, NULL, &e, err);
	if (rc == 0)
		rc = policy_engine_render(e, ds, flavor, ctx, out, err);
	/* As in check_case: out of time once may be a loaded machine or
	 * valgrind (the first render of a state also warms it up); a policy
	 * that is really too slow runs out twice. */
	if (rc == ERR_TIMEOUT && e)
		rc = policy_engine_render(e, ds, flavor, ctx, out, err);
	policy_engine_free(e);
	/* the operator's own checks on what it would apply (kinds, names, sizes,
	 * Pod Security restricted), on a copy: the output stays what the policy
	 * said, and a render the operator would refuse fails here too */
	if (rc == 0) {
		struct json *copy = json_clone(*out);

		rc = policy_validate_render(copy, ds, err);
		json_free(copy);
		if (rc < 0) {
			json_free(*out);
			*out = NULL;
			error_prefix(err, "the operator would refuse this render");
		}
	}
	return rc;
}

/* Reads and parses one YAML file; *v NULL when optional and absent. */
static int read_yaml(const char *path, bool optional, struct json **v, struct error *err)
{
	struct stat st;
	char *text;
	size_t len;
	int rc;

	*v = NULL;
	if (optional && stat(path, &st) != 0)
		return 0;
	rc = cli_read_file(path, RENDER_MAX_INPUT_BYTES, &text, &len, err);
	if (rc < 0)
		return rc;
	*v = yaml_doc_parse(text, len, err);
	free(text);
	if (!*v)
		return error_prefix(err, "%s", path);
	return 0;
}

/* The first path at which a and b differ, into path ("" when the roots
 * differ in type or value). Returns true if they differ. */
static bool first_diff(const struct json *a, const struct json *b, struct buf *path)
{
	size_t mark = path->len;

	if (json_equal(a, b))
		return false;
	if (a && b && a->type == JSON_ARRAY && b->type == JSON_ARRAY) {
		for (size_t i = 0; i < a->u.arr.len && i < b->u.arr.len; i++) {
			buf_appendf(path, "[%zu]", i);
			if (first_diff(a->u.arr.items[i], b->u.arr.items[i], path))
				return true;
			path->len = mark;
			path->data[mark] = '\0';
		}
		buf_appendf(path, " (length %zu, expected %zu)", a->u.arr.len, b->u.arr.len);
		return true;
	}
	if (a && b && a->type == JSON_OBJECT && b->type == JSON_OBJECT) {
		for (size_t pass = 0; pass < 2; pass++) {
			const struct json *x = pass ? b : a, *y = pass ? a : b;

			for (size_t i = 0; i < x->u.obj.len; i++) {
				const char *k = x->u.obj.items[i].key;

				buf_appendf(path, ".%s", k);
				if (!json_get(y, k)) {
					buf_append_str(path, pass ? " (missing)" : " (unexpected)");
					return true;
				}
				if (first_diff(pass ? json_get(y, k) : x->u.obj.items[i].value,
					       pass ? x->u.obj.items[i].value : json_get(y, k), path))
					return true;
				path->len = mark;
				path->data[mark] = '\0';
			}
		}
	}
	return true;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Overrides base's fields with those of over (both objects). */
static void merge_into(struct json *base, const struct json *over)
{
	if (!over || over->type != JSON_OBJECT)
		return;
	for (size_t i = 0; i < over->u.obj.len; i++)
		json_object_set_take(base, over->u.obj.items[i].key,
				     json_clone(over->u.obj.items[i].value));
}

/* One case; appends its line to report; returns true if it passed. */
static bool check_case(struct policy_engine *e, const char *dir, const char *name,
		       const struct json *base_ctx, struct buf *report)
{
	char path[CLI_PATH_MAX_BYTES];
	struct json *ds = NULL, *flavor = NULL, *case_ctx = NULL, *expected = NULL, *out = NULL;
	struct json *ctx = json_clone(base_ctx);
	char *want_err = NULL;
	struct error err;
	bool ok = false;
	size_t len;
	int rc;

	error_clear(&err);
#define CASE_FILE(f) (snprintf(path, sizeof(path), "%s/%s/%s", dir, name, f), path)
	if (read_yaml(CASE_FILE("devserver.yaml"), false, &ds, &err) < 0 ||
	    read_yaml(CASE_FILE("flavor.yaml"), true, &flavor, &err) < 0 ||
	    read_yaml(CASE_FILE("ctx.yaml"), true, &case_ctx, &err) < 0 ||
	    read_yaml(CASE_FILE("expected.yaml"), true, &expected, &err) < 0) {
		buf_appendf(report, "FAIL %s: %s\n", name, err.msg);
		goto out;
	}
	merge_into(ctx, case_ctx);
	if (!expected) {
		if (cli_read_file(CASE_FILE("error.txt"), RENDER_MAX_INPUT_BYTES, &want_err, &len,
				  &err) < 0) {
			buf_appendf(report, "FAIL %s: neither expected.yaml nor error.txt\n", name);
			goto out;
		}
		while (len > 0 && (want_err[len - 1] == '\n' || want_err[len - 1] == '\r'))
			want_err[--len] = '\0';
	}
#undef CASE_FILE
	rc = policy_engine_render(e, ds, flavor, ctx, &out, &err);
	/* Out of time once may be a busy machine (or valgrind); a policy that is
	 * really too slow runs out twice. */
	if (rc == ERR_TIMEOUT)
		rc = policy_engine_render(e, ds, flavor, ctx, &out, &err);
	if (want_err) {
		if (rc == 0)
			buf_appendf(report, "FAIL %s: rendered, but error.txt expects \"%s\"\n", name,
				    want_err);
		else if (!strstr(err.msg, want_err))
			buf_appendf(report, "FAIL %s: error \"%s\" does not contain \"%s\"\n", name,
				    err.msg, want_err);
		else
			ok = true;
	} else if (rc < 0) {
		buf_appendf(report, "FAIL %s: %s\n", name, err.msg);
	} else {
		struct buf diff;

		buf_init(&diff, 4096);
		if (first_diff(out, expected, &diff))
			buf_appendf(report, "FAIL %s: differs from expected.yaml at %s\n", name,
				    diff.len ? buf_str(&diff) : "the top level");
		else
			ok = true;
		buf_cleanup(&diff);
	}
out:
	if (ok)
		buf_appendf(report, "ok   %s\n", name);
	json_free(ds);
	json_free(flavor);
	json_free(case_ctx);
	json_free(expected);
	json_free(out);
	json_free(ctx);
	free(want_err);
	return ok;
}

int render_check_dir(const struct policy_bundle *bundle, const char *dir, struct buf *report,
		     int *passed, int *failed, struct error *err)
{
	char path[CLI_PATH_MAX_BYTES];
	struct policy_engine *e = NULL;
	struct json *base_ctx = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	struct stat st;
	DIR *dp;
	int rc;

	*passed = *failed = 0;
	dp = opendir(dir);
	if (!dp)
		return error_set(err, ERR_IO, "cannot open directory \"%s\"", dir);
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/devserver.yaml", dir, d->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			names = mem_realloc(names, cap * sizeof(*names));
		}
		names[n++] = mem_strdup(d->d_name);
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	snprintf(path, sizeof(path), "%s/ctx.yaml", dir);
	rc = read_yaml(path, true, &base_ctx, err);
	if (rc == 0 && n == 0)
		rc = error_set(err, ERR_INVALID, "no fixture directories (*/devserver.yaml) in \"%s\"",
			       dir);
	if (rc == 0)
		rc = policy_engine_new(bundle, NULL, &e, err);
	if (rc == 0 && !base_ctx)
		base_ctx = json_new_object();
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (check_case(e, dir, names[i], base_ctx, report))
			(*passed)++;
		else
			(*failed)++;
	}
	if (rc == 0)
		buf_appendf(report, "%d passed, %d failed\n", *passed, *failed);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_free(base_ctx);
	policy_engine_free(e);
	return rc;
}

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
	int passed, failed, rc;

	buf_init(&report, OUTPUT_MAX_BYTES);
	rc = render_check_dir(b, o->check, &report, &passed, &failed, &err);
	cli_write(ctx, &report);
	buf_cleanup(&report);
	if (rc < 0)
		return cli_fail_err(ctx, "render", &err);
	if (failed) {
		/* like policy test: a failing exit always says why on stderr */
		cli_fail(ctx, "render", "%d of %d fixtures failed", failed, passed + failed);
		return EXIT_FAILED;
	}
	return EXIT_OK;
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
	rc = read_yaml(o->file, false, &ds, &err);
	if (rc == 0 && o->flavor_file)
		rc = read_yaml(o->flavor_file, false, &flavor, &err);
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
