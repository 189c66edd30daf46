/* render.c - devctl's offline rendering (see render.h): load a policy
 * bundle, render one DevServer through src/policy unchanged and check the
 * result as the operator would, and run fixture directories
 * (tests/fixtures/render/README.md) reporting the cases whose output
 * differs. Shared by devctl render and devctl policy test.
 *
 * What it does not do: parse flags or print (the commands do), or reach a
 * cluster.
 */
#include "render.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_opts.h"
#include "config.h"
#include "core/mem.h"
#include "json/yaml_doc.h"
#include "policy/context.h"
#include "policy/engine.h"
#include "policy/validate.h"

#define RENDER_DIFF_PATH_MAX_BYTES 4096   /* where a render first differs from expected.yaml */

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

int render_read_yaml(const char *path, bool optional, struct json **v, struct error *err)
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
	if (render_read_yaml(CASE_FILE("devserver.yaml"), false, &ds, &err) < 0 ||
	    render_read_yaml(CASE_FILE("flavor.yaml"), true, &flavor, &err) < 0 ||
	    render_read_yaml(CASE_FILE("ctx.yaml"), true, &case_ctx, &err) < 0 ||
	    render_read_yaml(CASE_FILE("expected.yaml"), true, &expected, &err) < 0) {
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

		buf_init(&diff, RENDER_DIFF_PATH_MAX_BYTES);
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
	rc = render_read_yaml(path, true, &base_ctx, err);
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
