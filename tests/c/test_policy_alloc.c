/* test_policy_alloc.c - the policy engine and the JSON bridge under memory
 * exhaustion: the C host aborts on out-of-memory by design (core/mem.h), but
 * everything Lua allocates must fail softly into an error code.
 *
 *  - The shipped policy bundle is compiled and rendered with memory caps from
 *    16 KiB to 1 MiB. Every failure must be ERR_LIMIT or ERR_POLICY with a
 *    message; a render that fails must leave the engine able to render a
 *    smaller DevServer normally (same output as an uncapped engine); and the
 *    allocator's count must stay under the cap.
 *  - json_lua in both directions under a Lua state whose allocator refuses
 *    the N-th allocation, for N = 1.. until the conversion no longer reaches
 *    it: every refusal is a Lua memory error caught by the protected call (or
 *    ERR_LIMIT), the state stays usable, nothing leaks (the allocator's byte
 *    count is 0 after lua_close; valgrind and LeakSanitizer check the C side).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "json/json.h"
#include "json/json_lua.h"
#include "policy/bundle.h"
#include "policy/engine.h"
#include "support/testutil.h"

/* The shipped policy builds and renders in under 100 KiB, so the caps are
 * dense (1 KiB apart) up to CAP_DENSE_BYTES, where the failures are, and
 * 32 KiB apart above it. */
#define CAP_MIN_BYTES (16u * 1024)
#define CAP_DENSE_BYTES (128u * 1024)
#define CAP_MAX_BYTES (1024u * 1024)
/* budgets far above what a render needs, so memory is what stops it even
 * under valgrind */
#define ALLOC_TEST_TIME_MS 20000
#define ALLOC_FAIL_MAX_N 20000

static const char ds_small[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"DevServer\","
	"\"metadata\":{\"name\":\"alice\",\"namespace\":\"dev\",\"uid\":\"u-1\"},"
	"\"spec\":{\"flavor\":\"small\",\"image\":\"ghcr.io/example/dev:1\","
	"\"ssh\":{\"publicKeys\":[\"ssh-ed25519 AAAA alice\"]}}}";
static const char flavor_text[] =
	"{\"apiVersion\":\"devserver.io/v1\",\"kind\":\"Flavor\",\"metadata\":{\"name\":\"small\"},"
	"\"spec\":{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}}";

/* A DevServer whose ssh keys alone are about `bytes` long: converting it, or
 * the policy copying the keys into a ConfigMap, outgrows a small cap. */
static struct json *ds_big(size_t bytes)
{
	struct json *ds = tu_json(ds_small);
	struct json *keys = json_path(ds, "spec", "ssh", "publicKeys", NULL);
	char key[1024];

	assert_non_null(keys);
	for (size_t n = 0; n < bytes / sizeof(key); n++) {
		snprintf(key, sizeof(key), "ssh-ed25519 AAAA%0*zu k%zu", (int)sizeof(key) - 40, n, n);
		json_array_push_take(keys, json_new_string(key));
	}
	return ds;
}

static void limits_with_cap(struct policy_limits *l, size_t cap)
{
	policy_limits_default(l);
	l->mem_limit_bytes = cap;
	l->time_budget_ms = ALLOC_TEST_TIME_MS;
	l->load_budget_ms = ALLOC_TEST_TIME_MS;
}

static void assert_soft(int rc, const struct error *err, const char *what, size_t cap)
{
	if (rc != ERR_LIMIT && rc != ERR_POLICY)
		fail_msg("%s with a %zu-byte cap: rc %d (%s)", what, cap, rc, err->msg);
	assert_int_equal(err->code, rc);
	assert_true(err->msg[0] != '\0');
}

static void test_policy_engine_under_memory_caps(void **state)
{
	struct policy_bundle b;
	struct policy_limits l;
	struct policy_engine *ref = NULL, *e;
	struct json *ds = tu_json(ds_small), *flavor = tu_json(flavor_text), *big = ds_big(2u << 20);
	struct json *ctx = tu_json("{\"tools_image\":\"tools:1\"}");
	struct json *want = NULL, *out;
	struct error err;
	unsigned caps = 0, build_fail = 0, render_fail = 0, render_ok = 0, big_fail = 0;
	size_t first_ok = 0;

	policy_bundle_init(&b);
	assert_int_equal(policy_bundle_load_embedded(&b, &err), 0);
	if (policy_engine_new(&b, NULL, &ref, &err) != 0 ||
	    policy_engine_render(ref, ds, flavor, ctx, &want, &err) != 0)
		fail_msg("uncapped engine: %s", err.msg);

	for (size_t cap = CAP_MIN_BYTES; cap <= CAP_MAX_BYTES;
	     cap += cap < CAP_DENSE_BYTES ? 1024 : 32 * 1024) {
		int rc;

		caps++;
		limits_with_cap(&l, cap);
		error_clear(&err);
		e = NULL;
		rc = policy_engine_new(&b, &l, &e, &err);
		if (rc < 0) {
			assert_soft(rc, &err, "policy_engine_new", cap);
			assert_null(e);
			build_fail++;
			continue;
		}
		assert_true(policy_engine_mem_bytes(e) <= cap);
		/* a render too big for the cap fails softly ... */
		error_clear(&err);
		rc = policy_engine_render(e, big, flavor, ctx, &out, &err);
		assert_int_not_equal(rc, 0);
		assert_null(out);
		assert_soft(rc, &err, "render of a 2 MiB DevServer", cap);
		big_fail++;
		assert_true(policy_engine_mem_bytes(e) <= cap);
		/* ... and the engine renders a normal one as well as it could before */
		for (int i = 0; i < 2; i++) {
			error_clear(&err);
			rc = policy_engine_render(e, ds, flavor, ctx, &out, &err);
			assert_true(policy_engine_mem_bytes(e) <= cap);
			if (rc < 0) {
				assert_soft(rc, &err, "render", cap);
				assert_null(out);
				render_fail++;
				continue;
			}
			if (!json_equal(out, want))
				fail_msg("render with a %zu-byte cap differs from the uncapped one", cap);
			json_free(out);
			render_ok++;
			if (!first_ok)
				first_ok = cap;
		}
		policy_engine_free(e);
	}
	print_message("# %u caps from %u to %u KiB: %u engines failed to build, %u renders of "
		      "the big DevServer failed softly, normal renders %u ok / %u failed softly; "
		      "first cap that renders: %zu KiB\n",
		      caps, CAP_MIN_BYTES / 1024, CAP_MAX_BYTES / 1024, build_fail, big_fail,
		      render_ok, render_fail, first_ok / 1024);
	/* the range must cover all three outcomes, or the test proves little */
	assert_true(build_fail > 0);
	assert_true(render_ok > 0);
	assert_true(big_fail > 0);

	/* the uncapped engine is unaffected by all of that */
	assert_int_equal(policy_engine_render(ref, ds, flavor, ctx, &out, &err), 0);
	assert_true(json_equal(out, want));
	json_free(out);
	json_free(want);
	json_free(ds);
	json_free(big);
	json_free(flavor);
	json_free(ctx);
	policy_engine_free(ref);
	policy_bundle_cleanup(&b);
}

/* ---- json_lua with an allocator that fails after N allocations ---------- */

struct failing_alloc {
	long countdown;   /* allocations that still succeed; then every growing one
			   * fails (Lua's emergency collection retries too) until
			   * the test disarms it with -1 */
	bool refused;     /* a refusal happened */
	size_t bytes;     /* live bytes, to check that lua_close frees everything */
};

static void *failing_alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct failing_alloc *a = ud;
	size_t old = ptr ? osize : 0;
	void *p;

	if (nsize == 0) {
		free(ptr);
		a->bytes -= old;
		return NULL;
	}
	if (nsize > old && a->countdown >= 0) {
		if (a->countdown == 0) {
			a->refused = true;
			return NULL;
		}
		a->countdown--;
	}
	p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	a->bytes = a->bytes - old + nsize;
	return p;
}

struct conv {
	const struct json *in;   /* push direction */
	struct json *out;        /* to_json direction */
	int rc;
	struct error err;
};

static int conv_push(lua_State *L)
{
	struct conv *c = lua_touserdata(L, 1);

	c->rc = json_lua_push(L, c->in, &c->err);
	return 0;
}

/* Converts the value at index 2 (index 1 is the struct conv). */
static int conv_to_json(lua_State *L)
{
	struct conv *c = lua_touserdata(L, 1);

	c->out = json_lua_to_json(L, 2, &c->err);
	c->rc = c->out ? 0 : c->err.code;
	return 0;
}

static const char doc_text[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
	"\"labels\":{\"app.kubernetes.io/name\":\"dev\",\"a\":\"b\"}},"
	"\"data\":{\"k\":\"a longer string value that Lua must intern\"},"
	"\"list\":[1,2.5,true,null,[],{},[[\"deep\"]],\"\\u00e9\",-9223372036854775808]}";

static void test_json_lua_allocation_failures(void **state)
{
	struct json *doc = tu_json(doc_text);
	unsigned push_refusals = 0, back_refusals = 0;
	long n;

	/* JSON -> Lua: refuse the n-th allocation of the push */
	for (n = 0; n < ALLOC_FAIL_MAX_N; n++) {
		struct failing_alloc a = {.countdown = -1};
		lua_State *L = lua_newstate(failing_alloc_fn, &a);
		struct conv c = {.in = doc};
		int status;

		assert_non_null(L);
		json_lua_init(L);
		a.countdown = n;
		lua_pushcfunction(L, conv_push);
		lua_pushlightuserdata(L, &c);
		status = lua_pcall(L, 1, 0, 0);
		a.countdown = -1;
		if (!a.refused) {
			assert_int_equal(status, LUA_OK);
			assert_int_equal(c.rc, 0);
			lua_close(L);
			assert_int_equal(a.bytes, 0);
			break;
		}
		push_refusals++;
		assert_true(status == LUA_ERRMEM || (status == LUA_OK && c.rc == ERR_LIMIT));
		lua_settop(L, 0);
		/* the state still works: convert again without a limit */
		c.rc = -1;
		lua_pushcfunction(L, conv_push);
		lua_pushlightuserdata(L, &c);
		assert_int_equal(lua_pcall(L, 1, 0, 0), LUA_OK);
		assert_int_equal(c.rc, 0);
		lua_close(L);
		assert_int_equal(a.bytes, 0);
	}
	assert_true(n < ALLOC_FAIL_MAX_N);

	/* Lua -> JSON: the table is built freely, then converting it may not
	 * allocate a Lua object at all, so refusals cannot leave a half-built C
	 * tree behind; make sure of that for every position */
	for (n = 0; n < ALLOC_FAIL_MAX_N; n++) {
		struct failing_alloc a = {.countdown = -1};
		lua_State *L = lua_newstate(failing_alloc_fn, &a);
		struct conv c = {.in = doc};
		int status;

		assert_non_null(L);
		json_lua_init(L);
		assert_int_equal(json_lua_push(L, doc, &c.err), 0);
		lua_pushcfunction(L, conv_to_json);
		lua_pushlightuserdata(L, &c);
		lua_pushvalue(L, -3);
		a.countdown = n;
		status = lua_pcall(L, 2, 0, 0);
		a.countdown = -1;
		if (status == LUA_OK && c.out) {
			assert_true(json_equal(c.out, doc)); /* no integral floats in doc */
			json_free(c.out);
		}
		if (!a.refused) {
			assert_int_equal(status, LUA_OK);
			lua_close(L);
			assert_int_equal(a.bytes, 0);
			break;
		}
		back_refusals++;
		assert_true(status == LUA_ERRMEM || (status == LUA_OK && c.rc == ERR_LIMIT));
		lua_close(L);
		assert_int_equal(a.bytes, 0);
	}
	assert_true(n < ALLOC_FAIL_MAX_N);
	print_message("# json_lua: %u push positions and %u to_json positions refused, all "
		      "soft\n", push_refusals, back_refusals);
	json_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_engine_under_memory_caps),
		cmocka_unit_test(test_json_lua_allocation_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
