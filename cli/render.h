/* render.h - rendering DevServers through a policy bundle offline, and
 * running render fixture directories: what devctl render and devctl policy
 * test share (render.c).
 */
#ifndef DEVCTL_RENDER_H
#define DEVCTL_RENDER_H

#include <stdbool.h>

#include "core/attr.h"
#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"
#include "policy/bundle.h"

/* Renders ds with flavor (may be NULL) and ctx through bundle; *out is the
 * array of manifests. */
int render_objects(const struct policy_bundle *bundle, const struct json *ds,
		   const struct json *flavor, const struct json *ctx, struct json **out,
		   struct error *err) DS_MUST_USE;
/* Runs every fixture case under dir (see tests/fixtures/render/README.md)
 * through bundle, one "ok NAME" / "FAIL NAME: why" line each into report,
 * then a summary. 0 with *failed counted, or an error reading dir. */
int render_check_dir(const struct policy_bundle *bundle, const char *dir, struct buf *report,
		     int *passed, int *failed, struct error *err) DS_MUST_USE;
/* Loads DIR (NULL: the embedded default policy) and compiles it once. */
int render_load_bundle(const char *dir, struct policy_bundle *b, struct error *err) DS_MUST_USE;
/* Reads and parses one YAML file (at most RENDER_MAX_INPUT_BYTES); *v NULL
 * when optional and absent. */
int render_read_yaml(const char *path, bool optional, struct json **v, struct error *err) DS_MUST_USE;

#endif
