/* fuzz_policy.c - an arbitrary policy source, compiled and rendered in the
 * sandbox with small budgets.
 *
 * The input replaces policies/devserver.lua in the shipped bundle (so the
 * lib/ helpers are there to require) and is compiled with a 2 MiB memory cap
 * and short time budgets, then rendered twice with the example DevServer.
 * Properties: nothing crashes, leaks or hangs the host (libFuzzer's -timeout
 * catches a hang); every failure is one of the documented codes with a
 * message; a successful render returns a JSON array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "fuzz_common.h"
#include "json/json.h"
#include "policy/bundle.h"
#include "policy/engine.h"

#define FUZZ_POLICY_MEM_BYTES (2u * 1024 * 1024)
#define FUZZ_POLICY_TIME_MS 20
#define FUZZ_POLICY_LOAD_MS 50

static const char ds_text[] =
	"{\"apiVersion\":\"devserver.io/v1alpha1\",\"kind\":\"DevServer\","
	"\"metadata\":{\"name\":\"alice\",\"namespace\":\"dev\",\"uid\":\"u-1\",\"generation\":1},"
	"\"spec\":{\"flavor\":\"cpu-small\",\"image\":\"ubuntu:24.04\",\"lifetime\":\"4h\","
	"\"ssh\":{\"publicKeys\":[\"ssh-ed25519 AAAA alice\"]},"
	"\"home\":{\"size\":\"10Gi\"}}}";

static bool documented(int rc)
{
	return rc == ERR_POLICY || rc == ERR_TIMEOUT || rc == ERR_LIMIT || rc == ERR_INVALID;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct json *ds;
	struct policy_bundle b;
	struct policy_limits l;
	struct policy_engine *e = NULL;
	struct json *out = NULL;
	struct error err;
	int rc;

	if (!ds) {
		ds = json_parse(ds_text, sizeof(ds_text) - 1, &err);
		FUZZ_CHECK(ds != NULL, "ds: %s", err.msg);
	}
	if (size > POLICY_FILE_MAX_BYTES)
		return 0;
	policy_bundle_init(&b);
	rc = policy_bundle_load_embedded(&b, &err);
	FUZZ_CHECK(rc == 0, "embedded bundle: %s", err.msg);
	rc = policy_bundle_add(&b, POLICY_MAIN_PATH, (const char *)data, size, &err);
	FUZZ_CHECK(rc == 0, "bundle_add: %s", err.msg);
	policy_limits_default(&l);
	l.mem_limit_bytes = FUZZ_POLICY_MEM_BYTES;
	l.time_budget_ms = FUZZ_POLICY_TIME_MS;
	l.load_budget_ms = FUZZ_POLICY_LOAD_MS;
	error_clear(&err);
	rc = policy_engine_new(&b, &l, &e, &err);
	policy_bundle_cleanup(&b);
	if (rc < 0) {
		FUZZ_CHECK(documented(rc) && err.msg[0], "engine_new rc %d: %s", rc, err.msg);
		FUZZ_CHECK(e == NULL, "failed engine_new returned an engine");
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		error_clear(&err);
		rc = policy_engine_render(e, ds, NULL, NULL, &out, &err);
		if (rc < 0) {
			FUZZ_CHECK(documented(rc) && err.msg[0], "render rc %d: %s", rc, err.msg);
			continue;
		}
		FUZZ_CHECK(out && out->type == JSON_ARRAY, "render returned a non-array");
		json_free(out);
		out = NULL;
	}
	policy_engine_free(e);
	return 0;
}
