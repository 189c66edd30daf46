/* fixture.c - load and check policy fixtures (see fixture.h).
 *
 * Reading is bounded (POLICY_FIXTURE_FILE_MAX_BYTES per file,
 * POLICY_FIXTURE_MAX_CASES per suite). The differ walks both trees in step
 * and reports only the first difference with its path: enough to fix a case,
 * and a fixed-size message.
 */
#include "policy/fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/file.h"
#include "core/mem.h"
#include "json/yaml_doc.h"

#define FIXTURE_DIFF_PATH_MAX_BYTES 1024   /* where a render first differs: .a.b[3].c; cut past it */

void policy_fixture_cleanup(struct policy_fixture *f)
{
	if (!f)
		return;
	free(f->name);
	json_free(f->ds);
	json_free(f->flavor);
	json_free(f->ctx);
	json_free(f->expected);
	free(f->error_substring);
	memset(f, 0, sizeof(*f));
}

void policy_fixture_free_all(struct policy_fixture *cases, size_t n)
{
	for (size_t i = 0; cases && i < n; i++)
		policy_fixture_cleanup(&cases[i]);
	free(cases);
}

/* Where a case's files come from: a directory, or ConfigMap data with keys
 * "fixture.<case>.<file>". */
struct fixture_source {
	const char *dir;          /* directory source */
	const struct json *data;  /* or ConfigMap data */
	const char *name;         /* the case, for ConfigMap keys */
};

/* Reads one of the case's files into out; ERR_NOT_FOUND when it is absent. */
static int fixture_read(const struct fixture_source *src, const char *name, struct buf *out,
			struct error *err)
{
	char path[4096];
	struct error read_err;
	int rc;

	buf_init(out, POLICY_FIXTURE_FILE_MAX_BYTES);
	if (src->data) {
		const struct json *v;

		snprintf(path, sizeof(path), "fixture.%s.%s", src->name, name);
		v = json_get(src->data, path);
		if (!v || v->type != JSON_STRING)
			return ERR_NOT_FOUND;
		if (buf_append(out, v->u.str.ptr, v->u.str.len) < 0)
			return error_set(err, ERR_LIMIT, "%s: larger than %u bytes", path,
					 POLICY_FIXTURE_FILE_MAX_BYTES);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", src->dir, name);
	rc = file_read_bounded(path, POLICY_FIXTURE_FILE_MAX_BYTES, 0, out, &read_err);
	if (rc < 0 && rc != ERR_NOT_FOUND && err)
		*err = read_err;   /* an absent file is no error here: err stays as it was */
	return rc;
}

/* Parses one file as one YAML document; *out stays NULL when it is absent. */
static int fixture_yaml(const struct fixture_source *src, const char *name, struct json **out,
			struct error *err)
{
	struct buf b;
	int rc;

	*out = NULL;
	rc = fixture_read(src, name, &b, err);
	if (rc == ERR_NOT_FOUND)
		return 0;
	if (rc < 0)
		return rc;
	*out = yaml_doc_parse(buf_str(&b), b.len, err);
	buf_cleanup(&b);
	if (!*out)
		return error_prefix(err, "%s/%s", src->data ? src->name : src->dir, name);
	return 0;
}

/* Loads one case from src; where names it in messages. */
static int fixture_load_from(const struct fixture_source *src, const char *case_name,
			     const char *where, const struct json *base_ctx, struct policy_fixture *out,
			     struct error *err)
{
	struct json *case_ctx = NULL;
	struct buf text;
	int rc;

	memset(out, 0, sizeof(*out));
	out->name = mem_strdup(case_name);
	if ((rc = fixture_yaml(src, "devserver.yaml", &out->ds, err)) < 0)
		goto fail;
	if (!out->ds) {
		rc = error_set(err, ERR_INVALID, "%s: no devserver.yaml", where);
		goto fail;
	}
	if ((rc = fixture_yaml(src, "flavor.yaml", &out->flavor, err)) < 0)
		goto fail;
	if (!out->flavor)
		out->flavor = json_new_object();
	if ((rc = fixture_yaml(src, "ctx.yaml", &case_ctx, err)) < 0)
		goto fail;
	out->ctx = base_ctx && base_ctx->type == JSON_OBJECT ? json_clone(base_ctx) : json_new_object();
	if (case_ctx && case_ctx->type == JSON_OBJECT) {
		for (size_t i = 0; i < case_ctx->u.obj.len; i++)
			json_object_set_take(out->ctx, case_ctx->u.obj.items[i].key,
					     json_clone(case_ctx->u.obj.items[i].value));
	}
	json_free(case_ctx);
	case_ctx = NULL;
	if ((rc = fixture_yaml(src, "expected.yaml", &out->expected, err)) < 0)
		goto fail;
	rc = fixture_read(src, "error.txt", &text, err);
	if (rc == 0) {
		while (text.len && (text.data[text.len - 1] == '\n' || text.data[text.len - 1] == '\r'))
			text.data[--text.len] = '\0';
		out->error_substring = buf_take(&text);
	} else if (rc != ERR_NOT_FOUND) {
		goto fail;
	} else {
		buf_cleanup(&text);
	}
	if (!out->expected == !out->error_substring) {
		rc = error_set(err, ERR_INVALID, "%s: needs exactly one of expected.yaml and error.txt", where);
		goto fail;
	}
	if (out->expected && out->expected->type != JSON_ARRAY) {
		rc = error_set(err, ERR_INVALID, "%s: expected.yaml must be a list of manifests", where);
		goto fail;
	}
	return 0;
fail:
	json_free(case_ctx);
	policy_fixture_cleanup(out);
	return rc;
}

int policy_fixture_load(const char *dir, const struct json *base_ctx, struct policy_fixture *out,
			struct error *err)
{
	const char *base = strrchr(dir, '/');
	struct fixture_source src = { .dir = dir };

	return fixture_load_from(&src, base && base[1] ? base + 1 : dir, dir, base_ctx, out, err);
}

static int fixture_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int policy_fixture_load_all(const char *root, struct policy_fixture **out, size_t *n,
			    struct error *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct json *base_ctx = NULL;
	struct policy_fixture *cases;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return error_set(err, ERR_IO, "%s: %s", root, error_errno_text(errno));
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/devserver.yaml", root, de->d_name);
		if (stat(path, &st) < 0)
			continue;
		if (count == POLICY_FIXTURE_MAX_CASES) {
			rc = error_set(err, ERR_LIMIT, "%s: more than %d cases", root, POLICY_FIXTURE_MAX_CASES);
			break;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			names = mem_realloc(names, cap * sizeof(*names));
		}
		names[count++] = mem_strdup(de->d_name);
	}
	closedir(d);
	if (rc == 0 && count == 0)
		rc = error_set(err, ERR_INVALID, "%s: no fixture cases (directories with devserver.yaml)", root);
	if (rc == 0) {
		struct fixture_source root_src = { .dir = root };

		rc = fixture_yaml(&root_src, "ctx.yaml", &base_ctx, err);
	}
	if (rc < 0) {
		for (size_t i = 0; i < count; i++)
			free(names[i]);
		free(names);
		return rc;
	}
	qsort(names, count, sizeof(*names), fixture_name_cmp);
	cases = mem_calloc(count, sizeof(*cases));
	for (size_t i = 0; i < count; i++) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
		if (rc == 0 && (rc = policy_fixture_load(dir, base_ctx, &cases[i], err)) == 0)
			(*n)++;
		free(names[i]);
	}
	free(names);
	json_free(base_ctx);
	if (rc < 0) {
		policy_fixture_free_all(cases, *n);
		*n = 0;
		return rc;
	}
	*out = cases;
	return 0;
}

int policy_fixture_load_configmap(const struct json *data, const struct json *base_ctx,
				  struct policy_fixture **out, size_t *n, struct error *err)
{
	const struct json *root_ctx_text = json_get(data, "fixtures.ctx.yaml");
	struct json *root_ctx = NULL;
	struct policy_fixture *cases = NULL;
	size_t count = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!data || data->type != JSON_OBJECT)
		return 0;
	if (root_ctx_text && root_ctx_text->type == JSON_STRING) {
		root_ctx = yaml_doc_parse(root_ctx_text->u.str.ptr, root_ctx_text->u.str.len, err);
		if (!root_ctx)
			return error_prefix(err, "fixtures.ctx.yaml");
	}
	for (size_t i = 0; i < data->u.obj.len && rc == 0; i++) {
		const char *key = data->u.obj.items[i].key;
		const char *suffix = ".devserver.yaml";
		size_t klen = strlen(key), slen = strlen(suffix);
		char name[256], where[320];
		struct fixture_source src = { .data = data, .name = name };

		if (strncmp(key, "fixture.", 8) != 0 || klen <= 8 + slen || strcmp(key + klen - slen, suffix) != 0)
			continue;
		if (klen - 8 - slen >= sizeof(name)) {
			rc = error_set(err, ERR_INVALID, "%s: case name too long", key);
			break;
		}
		memcpy(name, key + 8, klen - 8 - slen);
		name[klen - 8 - slen] = '\0';
		if (count == POLICY_FIXTURE_MAX_CASES) {
			rc = error_set(err, ERR_LIMIT, "more than %d fixture cases", POLICY_FIXTURE_MAX_CASES);
			break;
		}
		cases = mem_realloc(cases, (count + 1) * sizeof(*cases));
		snprintf(where, sizeof(where), "fixture %s", name);
		rc = fixture_load_from(&src, name, where, root_ctx ? root_ctx : base_ctx, &cases[count], err);
		if (rc == 0)
			count++;
	}
	json_free(root_ctx);
	if (rc < 0) {
		policy_fixture_free_all(cases, count);
		return rc;
	}
	*out = cases;
	*n = count;
	return 0;
}

/* --- structural diff --- */

static void fixture_describe(const struct json *v, char *out, size_t size)
{
	char *text = v ? json_encode_str(v, 4096, 0) : NULL;

	if (!v)
		snprintf(out, size, "nothing");
	else if (!text)
		snprintf(out, size, "(a large value)");
	else if (strlen(text) > 80)
		snprintf(out, size, "%.77s...", text);
	else
		snprintf(out, size, "%s", text);
	free(text);
}

static int fixture_diff_at(const struct json *a, const struct json *b, struct buf *path,
			   struct error *err)
{
	size_t mark = path->len;
	char ea[128], eb[128];

	if (a && b && a->type == b->type && a->type == JSON_OBJECT) {
		for (size_t pass = 0; pass < 2; pass++) {
			const struct json *x = pass ? b : a, *y = pass ? a : b;

			for (size_t i = 0; i < x->u.obj.len; i++) {
				const char *k = x->u.obj.items[i].key;
				int rc;

				if (pass && json_get(y, k))
					continue; /* compared in the first pass */
				buf_appendf(path, "%s%s", path->len ? "." : "", k);
				rc = pass ? fixture_diff_at(NULL, x->u.obj.items[i].value, path, err)
					  : fixture_diff_at(x->u.obj.items[i].value, json_get(y, k), path, err);
				if (rc < 0)
					return rc;
				path->len = mark;
				if (path->data)
					path->data[mark] = '\0';
			}
		}
		return 0;
	}
	if (a && b && a->type == b->type && a->type == JSON_ARRAY) {
		size_t n = a->u.arr.len > b->u.arr.len ? a->u.arr.len : b->u.arr.len;

		for (size_t i = 0; i < n; i++) {
			int rc;

			buf_appendf(path, "[%zu]", i);
			rc = fixture_diff_at(i < a->u.arr.len ? a->u.arr.items[i] : NULL,
					     i < b->u.arr.len ? b->u.arr.items[i] : NULL, path, err);
			if (rc < 0)
				return rc;
			path->len = mark;
			if (path->data)
				path->data[mark] = '\0';
		}
		return 0;
	}
	if (a && b && json_equal(a, b))
		return 0;
	fixture_describe(a, ea, sizeof(ea));
	fixture_describe(b, eb, sizeof(eb));
	return error_set(err, ERR_INVALID, "%s: expected %s, got %s",
			 path->len ? buf_str(path) : "(top)", ea, eb);
}

int policy_fixture_diff(const struct json *expected, const struct json *got, struct error *err)
{
	struct buf path;
	int rc;

	buf_init(&path, FIXTURE_DIFF_PATH_MAX_BYTES);
	rc = fixture_diff_at(expected, got, &path, err);
	buf_cleanup(&path);
	return rc;
}

int policy_fixture_check(struct policy_engine *e, const struct policy_fixture *f, struct error *err)
{
	struct json *out = NULL;
	struct error render_err;
	int rc;

	error_clear(&render_err);
	rc = policy_engine_render(e, f->ds, f->flavor, f->ctx, &out, &render_err);
	if (f->error_substring) {
		json_free(out);
		if (rc == 0)
			return error_set(err, ERR_INVALID, "%s: expected an error containing \"%s\", but render succeeded",
					 f->name, f->error_substring);
		if (!strstr(render_err.msg, f->error_substring))
			return error_set(err, ERR_INVALID, "%s: expected an error containing \"%s\", got \"%s\"",
					 f->name, f->error_substring, render_err.msg);
		return 0;
	}
	if (rc < 0)
		return error_set(err, ERR_INVALID, "%s: render failed: %s", f->name, render_err.msg);
	rc = policy_fixture_diff(f->expected, out, err);
	json_free(out);
	if (rc < 0)
		return error_prefix(err, "%s", f->name);
	return 0;
}
