/* fixture.h - policy tests as data: a DevServer, a flavor and a ctx in, the
 * expected manifests (or an expected error) out.
 *
 * One implementation serves the cmocka fixture suite, `devctl render --check`
 * and `devctl policy test`, so a case means the same everywhere. Layout of a
 * case directory: devserver.yaml, optional flavor.yaml and ctx.yaml (merged
 * over the suite's root ctx.yaml, key by key), and expected.yaml (the list
 * render returns) or error.txt (a substring of the error). Outputs are
 * compared structurally: key order is free, list order and number types are
 * not.
 */
#ifndef DEVSERVER_POLICY_FIXTURE_H
#define DEVSERVER_POLICY_FIXTURE_H

#include <stddef.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"
#include "policy/engine.h"

#define POLICY_FIXTURE_MAX_CASES 1000
#define POLICY_FIXTURE_FILE_MAX_BYTES (1024u * 1024)

struct policy_fixture {
	char *name;              /* the case directory's base name */
	struct json *ds;
	struct json *flavor;     /* {} when the case has none */
	struct json *ctx;        /* root ctx merged with the case's */
	struct json *expected;   /* a list, or NULL when error_substring is set */
	char *error_substring;
};

void policy_fixture_cleanup(struct policy_fixture *f);

/* Loads one case directory; base_ctx (may be NULL) is the suite's ctx. */
int policy_fixture_load(const char *dir, const struct json *base_ctx, struct policy_fixture *out,
			struct error *err) DS_MUST_USE;

/* Loads every case under root (subdirectories holding a devserver.yaml, in
 * name order) with root/ctx.yaml as the base ctx. *out is a heap array of *n
 * cases; free with policy_fixture_free_all. */
int policy_fixture_load_all(const char *root, struct policy_fixture **out, size_t *n,
			    struct error *err) DS_MUST_USE;
void policy_fixture_free_all(struct policy_fixture *cases, size_t n);

/* Loads the fixtures a policy ConfigMap bundles: keys
 * "fixture.<case>.devserver.yaml" (required per case), ".flavor.yaml",
 * ".ctx.yaml", ".expected.yaml" or ".error.txt", and an optional
 * "fixtures.ctx.yaml" replacing base_ctx. No fixture keys: 0 cases. */
int policy_fixture_load_configmap(const struct json *data, const struct json *base_ctx,
				  struct policy_fixture **out, size_t *n, struct error *err) DS_MUST_USE;

/* Renders the case and compares. 0 when it passes; ERR_INVALID with err
 * naming the first difference ("[2].spec.replicas: expected 1, got 0"), or
 * the unexpected error / missing error. */
int policy_fixture_check(struct policy_engine *e, const struct policy_fixture *f, struct error *err) DS_MUST_USE;

/* The first structural difference between a and b as "path: expected X, got
 * Y" into err (code ERR_INVALID); returns 0 when equal. */
int policy_fixture_diff(const struct json *expected, const struct json *got, struct error *err) DS_MUST_USE;

#endif
