/* bundle.h - a policy bundle: the set of Lua files one policy version is
 * made of, and its content revision.
 *
 * Files are keyed by a path relative to the bundle root, always in the
 * embedded layout: "policies/<name>.lua" for entry points and
 * "lib/<module path>.lua" for helpers (require("lib.k8s.util") resolves
 * "lib/k8s/util.lua"). The loaders map their sources onto that layout:
 *
 *   embedded    policy_embedded_files, already in the layout
 *   directory   DIR/policies/ *.lua + DIR/lib/ **.lua, or, when DIR has no
 *               policies/ subdirectory, a flat DIR/ *.lua (-> policies/) plus
 *               DIR/lib/ **.lua
 *   ConfigMap   data keys (no '/' allowed in a ConfigMap key):
 *                 "lib.<a>.<b>.lua" -> "lib/<a>/<b>.lua"
 *                 "<name>.lua"      -> "policies/<name>.lua"
 *               keys not ending in ".lua" (fixtures, README) are ignored here
 *
 * The revision is the first POLICY_REVISION_HEX_CHARS hex characters of a
 * SHA-256 over the files sorted by path (path, NUL, 8-byte big-endian length,
 * content, for each file), so it does not depend on load order or source.
 *
 * Caller-allocated: policy_bundle_init / policy_bundle_cleanup. The bundle
 * owns copies of every path and text.
 */
#ifndef DEVSERVER_POLICY_BUNDLE_H
#define DEVSERVER_POLICY_BUNDLE_H

#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"

#define POLICY_BUNDLE_MAX_FILES 64
#define POLICY_FILE_MAX_BYTES (256u * 1024)
#define POLICY_BUNDLE_MAX_BYTES (1024u * 1024)    /* also the ConfigMap limit */
#define POLICY_PATH_MAX_BYTES 128
#define POLICY_REVISION_HEX_CHARS 12
#define POLICY_MAIN_PATH "policies/devserver.lua"

struct policy_bundle_file {
	char *path;     /* "policies/devserver.lua", "lib/merge.lua" */
	char *text;     /* NUL-terminated copy; len excludes the NUL */
	size_t len;
};

struct policy_bundle {
	struct policy_bundle_file *files; /* sorted by path (bytewise) */
	size_t n;
	size_t total_bytes;
	char revision[POLICY_REVISION_HEX_CHARS + 1]; /* "" while empty */
};

void policy_bundle_init(struct policy_bundle *b);
void policy_bundle_cleanup(struct policy_bundle *b);

/* Adds (or replaces) one file, copying path and text, and updates the
 * revision. path must be in the bundle layout: relative, components of
 * [A-Za-z0-9._-] not starting with '.', under "policies/" or "lib/", ending in
 * ".lua". 0, ERR_INVALID (bad path) or ERR_LIMIT (a POLICY_* limit). */
int policy_bundle_add(struct policy_bundle *b, const char *path, const char *text, size_t len,
		      struct error *err) DS_MUST_USE;

/* Loaders add to b (normally freshly initialised). Each fails with
 * ERR_INVALID when no .lua file was found. On failure b may hold the files
 * added so far; clean it up. */
int policy_bundle_load_embedded(struct policy_bundle *b, struct error *err) DS_MUST_USE;
int policy_bundle_load_dir(struct policy_bundle *b, const char *dir, struct error *err) DS_MUST_USE;
/* data: the ConfigMap's "data" object (string values). */
int policy_bundle_load_configmap(struct policy_bundle *b, const struct json *data,
				 struct error *err) DS_MUST_USE;

/* Maps one ConfigMap key to a bundle path ("lib.merge.lua" -> "lib/merge.lua").
 * Returns 0, 1 when the key is not a Lua file (ignored), or ERR_INVALID. */
int policy_bundle_configmap_path(const char *key, char *path, size_t path_size,
				 struct error *err) DS_MUST_USE;

/* Replaces dst's contents with a deep copy of src (revision included). */
void policy_bundle_copy(struct policy_bundle *dst, const struct policy_bundle *src);

/* The text of path (NUL-terminated) and its length, or NULL if absent. */
const char *policy_bundle_get(const struct policy_bundle *b, const char *path, size_t *len);

#endif
