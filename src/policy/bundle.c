/* bundle.c - policy bundles: load from the embedded table, a directory or
 * ConfigMap data; name them by content (see bundle.h for the layout).
 *
 * Why content addressing: the operator records the revision that rendered
 * each DevServer and compares revisions to decide whether a ConfigMap edit
 * changed anything, so the same files must give the same revision whatever
 * their source or order. Files are kept sorted, so the hash is a single pass.
 *
 * Not done here: compiling or running anything (engine.c), fixtures.
 */
#include "policy/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "policy/embedded.h"

#define POLICY_DIR_MAX_DEPTH 4

void policy_bundle_init(struct policy_bundle *b)
{
	memset(b, 0, sizeof(*b));
}

void policy_bundle_cleanup(struct policy_bundle *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->files[i].path);
		free(b->files[i].text);
	}
	free(b->files);
	memset(b, 0, sizeof(*b));
}

void policy_bundle_copy(struct policy_bundle *dst, const struct policy_bundle *src)
{
	size_t i;

	policy_bundle_cleanup(dst);
	if (src->n == 0)
		return;
	dst->files = mem_calloc(src->n, sizeof(*dst->files));
	for (i = 0; i < src->n; i++) {
		dst->files[i].path = mem_strdup(src->files[i].path);
		dst->files[i].text = mem_alloc(src->files[i].len + 1);
		memcpy(dst->files[i].text, src->files[i].text, src->files[i].len + 1);
		dst->files[i].len = src->files[i].len;
	}
	dst->n = src->n;
	dst->total_bytes = src->total_bytes;
	memcpy(dst->revision, src->revision, sizeof(dst->revision));
}

static int is_component_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* Layout check: see policy_bundle_add. Rejects "..", empty components,
 * hidden files and anything that could escape a directory. */
static int check_path(const char *path, struct error *err)
{
	size_t len = strlen(path), i;
	int at_start = 1;

	if (len == 0 || len >= POLICY_PATH_MAX_BYTES)
		return error_set(err, ERR_INVALID, "bundle path '%.64s' is empty or too long", path);
	if (strncmp(path, "policies/", 9) != 0 && strncmp(path, "lib/", 4) != 0)
		return error_set(err, ERR_INVALID, "bundle path '%s' is not under policies/ or lib/", path);
	if (len < 5 || strcmp(path + len - 4, ".lua") != 0)
		return error_set(err, ERR_INVALID, "bundle path '%s' does not end in .lua", path);
	if (strncmp(path, "policies/", 9) == 0 && strchr(path + 9, '/'))
		return error_set(err, ERR_INVALID, "bundle path '%s': policies/ has no subdirectories", path);
	for (i = 0; i < len; i++) {
		char c = path[i];

		if (c == '/') {
			if (at_start)
				return error_set(err, ERR_INVALID, "bundle path '%s' has an empty component", path);
			at_start = 1;
			continue;
		}
		if (!is_component_char(c) || (at_start && c == '.'))
			return error_set(err, ERR_INVALID, "bundle path '%s' has an invalid component", path);
		at_start = 0;
	}
	if (at_start)
		return error_set(err, ERR_INVALID, "bundle path '%s' ends with '/'", path);
	return 0;
}

static void update_revision(struct policy_bundle *b)
{
	struct sha256 s;
	unsigned char d[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_BYTES];
	size_t i;
	int k;

	if (b->n == 0) {
		b->revision[0] = '\0';
		return;
	}
	sha256_init(&s);
	for (i = 0; i < b->n; i++) {
		unsigned char len_be[8];
		uint64_t len = b->files[i].len;

		for (k = 0; k < 8; k++)
			len_be[k] = (unsigned char)(len >> (56 - 8 * k));
		sha256_update(&s, b->files[i].path, strlen(b->files[i].path) + 1);
		sha256_update(&s, len_be, sizeof(len_be));
		sha256_update(&s, b->files[i].text, b->files[i].len);
	}
	sha256_final(&s, d);
	sha256_to_hex(d, hex);
	memcpy(b->revision, hex, POLICY_REVISION_HEX_CHARS);
	b->revision[POLICY_REVISION_HEX_CHARS] = '\0';
}

/* Binary search; returns the index of path or where it would go. */
static size_t find_slot(const struct policy_bundle *b, const char *path, int *found)
{
	size_t lo = 0, hi = b->n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->files[mid].path, path);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds without recomputing the revision (the loaders hash once at the end). */
static int bundle_put(struct policy_bundle *b, const char *path, const char *text, size_t len,
		      struct error *err)
{
	struct policy_bundle_file *f;
	size_t slot, old_len = 0;
	int found, rc;

	if ((rc = check_path(path, err)) < 0)
		return rc;
	if (len > POLICY_FILE_MAX_BYTES)
		return error_set(err, ERR_LIMIT, "%s: %zu bytes exceeds the %u-byte file limit",
				 path, len, POLICY_FILE_MAX_BYTES);
	slot = find_slot(b, path, &found);
	if (found)
		old_len = b->files[slot].len;
	if (b->total_bytes - old_len + len > POLICY_BUNDLE_MAX_BYTES)
		return error_set(err, ERR_LIMIT, "%s: bundle exceeds the %u-byte limit",
				 path, POLICY_BUNDLE_MAX_BYTES);
	if (!found && b->n >= POLICY_BUNDLE_MAX_FILES)
		return error_set(err, ERR_LIMIT, "%s: bundle exceeds %d files", path,
				 POLICY_BUNDLE_MAX_FILES);
	if (found) {
		f = &b->files[slot];
		free(f->text);
	} else {
		b->files = mem_realloc(b->files, (b->n + 1) * sizeof(*b->files));
		memmove(&b->files[slot + 1], &b->files[slot], (b->n - slot) * sizeof(*b->files));
		b->n++;
		f = &b->files[slot];
		f->path = mem_strdup(path);
	}
	f->text = mem_alloc(len + 1);
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	b->total_bytes = b->total_bytes - old_len + len;
	return 0;
}

int policy_bundle_add(struct policy_bundle *b, const char *path, const char *text, size_t len,
		      struct error *err)
{
	int rc = bundle_put(b, path, text, len, err);

	if (rc == 0)
		update_revision(b);
	return rc;
}

const char *policy_bundle_get(const struct policy_bundle *b, const char *path, size_t *len)
{
	int found;
	size_t slot = find_slot(b, path, &found);

	if (!found)
		return NULL;
	if (len)
		*len = b->files[slot].len;
	return b->files[slot].text;
}

static int finish(struct policy_bundle *b, const char *what, struct error *err)
{
	if (b->n == 0)
		return error_set(err, ERR_INVALID, "%s holds no .lua policy files", what);
	update_revision(b);
	return 0;
}

int policy_bundle_load_embedded(struct policy_bundle *b, struct error *err)
{
	const struct policy_embedded_file *f;
	int rc;

	for (f = policy_embedded_files; f->path; f++)
		if ((rc = bundle_put(b, f->path, f->text, f->len, err)) < 0)
			return error_prefix(err, "embedded policies");
	return finish(b, "the embedded bundle", err);
}

int policy_bundle_configmap_path(const char *key, char *path, size_t path_size,
				 struct error *err)
{
	size_t klen = strlen(key), i;
	int n;

	if (klen < 5 || strcmp(key + klen - 4, ".lua") != 0)
		return 1;
	if (strncmp(key, "lib.", 4) == 0) {
		/* "lib.k8s.util.lua": dots of the module name become slashes */
		n = snprintf(path, path_size, "lib/%.*s.lua", (int)(klen - 8), key + 4);
		if (n < 0 || (size_t)n >= path_size)
			return error_set(err, ERR_INVALID, "ConfigMap key '%.64s' is too long", key);
		for (i = 4; i < (size_t)n - 4; i++)
			if (path[i] == '.')
				path[i] = '/';
	} else {
		n = snprintf(path, path_size, "policies/%s", key);
		if (n < 0 || (size_t)n >= path_size)
			return error_set(err, ERR_INVALID, "ConfigMap key '%.64s' is too long", key);
	}
	if (check_path(path, err) < 0)
		return error_prefix(err, "ConfigMap key '%s'", key);
	return 0;
}

int policy_bundle_load_configmap(struct policy_bundle *b, const struct json *data,
				 struct error *err)
{
	char path[POLICY_PATH_MAX_BYTES];
	size_t i;
	int rc;

	if (!data || data->type != JSON_OBJECT)
		return error_set(err, ERR_INVALID, "ConfigMap data is not an object");
	for (i = 0; i < data->u.obj.len; i++) {
		const struct json_member *m = &data->u.obj.items[i];

		rc = policy_bundle_configmap_path(m->key, path, sizeof(path), err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			continue;
		if (m->value->type != JSON_STRING)
			return error_set(err, ERR_INVALID, "ConfigMap key '%s' is not a string", m->key);
		if ((rc = bundle_put(b, path, m->value->u.str.ptr, m->value->u.str.len, err)) < 0)
			return error_prefix(err, "ConfigMap key '%s'", m->key);
	}
	return finish(b, "the ConfigMap", err);
}

static int add_fs_file(struct policy_bundle *b, const char *fs_path, const char *path,
		       struct error *err)
{
	struct buf text;
	int rc;

	rc = file_read_bounded(fs_path, POLICY_FILE_MAX_BYTES, FILE_READ_REGULAR, &text, err);
	if (rc == ERR_NOT_FOUND) {
		/* a file that went between readdir and open: a local I/O failure, as before */
		rc = ERR_IO;
		if (err)
			err->code = ERR_IO;
	}
	if (rc < 0)
		return rc;
	rc = bundle_put(b, path, buf_str(&text), text.len, err);
	buf_cleanup(&text);
	return rc;
}

static int is_lua_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".lua") == 0;
}

/* Adds every .lua under fs_dir as prefix/<relative path>; recurses into
 * subdirectories when recurse (lib/), skipping hidden entries such as the
 * "..data" links of a mounted ConfigMap. flat_keys: names are ConfigMap keys
 * ("lib.merge.lua") mapped with policy_bundle_configmap_path. */
static int add_dir(struct policy_bundle *b, const char *fs_dir, const char *prefix, int depth,
		   int recurse, int flat_keys, struct error *err)
{
	DIR *d;
	struct dirent *ent;
	int rc = 0;

	if (depth > POLICY_DIR_MAX_DEPTH)
		return error_set(err, ERR_LIMIT, "%s: directories nested too deeply", fs_dir);
	d = opendir(fs_dir);
	if (!d)
		return error_set(err, ERR_IO, "%s: %s", fs_dir, error_errno_text(errno));
	while (rc == 0 && (ent = readdir(d)) != NULL) {
		char fs_path[4096], path[POLICY_PATH_MAX_BYTES];
		struct stat st;
		int n;

		if (ent->d_name[0] == '.')
			continue;
		n = snprintf(fs_path, sizeof(fs_path), "%s/%s", fs_dir, ent->d_name);
		if (n < 0 || (size_t)n >= sizeof(fs_path) || stat(fs_path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!recurse)
				continue;
			n = snprintf(path, sizeof(path), "%s%s/", prefix, ent->d_name);
			if (n < 0 || (size_t)n >= sizeof(path))
				rc = error_set(err, ERR_INVALID, "%s: path too long", fs_path);
			else
				rc = add_dir(b, fs_path, path, depth + 1, recurse, 0, err);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !is_lua_name(ent->d_name))
			continue;
		if (flat_keys) {
			rc = policy_bundle_configmap_path(ent->d_name, path, sizeof(path), err);
			if (rc == 1) {
				rc = 0;
				continue;
			}
		} else {
			n = snprintf(path, sizeof(path), "%s%s", prefix, ent->d_name);
			rc = (n < 0 || (size_t)n >= sizeof(path))
				? error_set(err, ERR_INVALID, "%s: path too long", fs_path) : 0;
		}
		if (rc == 0)
			rc = add_fs_file(b, fs_path, path, err);
	}
	closedir(d);
	return rc;
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int policy_bundle_load_dir(struct policy_bundle *b, const char *dir, struct error *err)
{
	char sub[4096];
	int rc, n;

	if (!is_dir(dir))
		return error_set(err, ERR_IO, "%s: not a directory", dir);
	n = snprintf(sub, sizeof(sub), "%s/policies", dir);
	if (n < 0 || (size_t)n >= sizeof(sub))
		return error_set(err, ERR_INVALID, "%s: path too long", dir);
	if (is_dir(sub))
		rc = add_dir(b, sub, "policies/", 0, 0, 0, err);
	else
		rc = add_dir(b, dir, "", 0, 0, 1, err);   /* flat: ConfigMap key names */
	if (rc < 0)
		return rc;
	snprintf(sub, sizeof(sub), "%s/lib", dir);
	if (is_dir(sub) && (rc = add_dir(b, sub, "lib/", 0, 1, 0, err)) < 0)
		return rc;
	return finish(b, dir, err);
}
