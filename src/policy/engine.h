/* engine.h - runs a policy bundle in a sandboxed, budgeted Lua state.
 *
 * One engine = one compiled policy version = one lua_State. Create it from a
 * bundle (the entry point is POLICY_MAIN_PATH), then render any number of
 * times; a failed render (error, time budget, memory cap) leaves the engine
 * usable. The contract a policy must meet, the sandbox and the defences are
 * described in engine.c and docs/policy-engine.md.
 *
 * Not thread-safe: one engine is used by one thread at a time. Rendered
 * objects are returned as the policy wrote them; validation, namespace,
 * ownerReferences and managed labels are validate.h's job.
 */
#ifndef DEVSERVER_POLICY_ENGINE_H
#define DEVSERVER_POLICY_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/error.h"
#include "json/json.h"
#include "policy/bundle.h"

#define POLICY_API_VERSION 1
#define POLICY_MEM_LIMIT_BYTES (32u * 1024 * 1024)  /* per Lua state */
#define POLICY_TIME_BUDGET_MS 100                   /* per render */
#define POLICY_LOAD_BUDGET_MS 1000                  /* building the state */
#define POLICY_LOG_MAX_BYTES (16u * 1024)           /* print() output kept per call */
#define POLICY_HOOK_COUNT 1000                      /* VM instructions between budget checks */
#define POLICY_TABLE_SORT_MAX_ELEMENTS 20000        /* table.sort input size */
#define POLICY_TABLE_MOVE_MAX_ELEMENTS (1 << 20)    /* table.move range */
#define POLICY_CLOSE_MAX_NESTING 4                  /* coroutine.close inside __close handlers */

struct policy_limits {
	size_t mem_limit_bytes;  /* allocator ceiling for the whole state */
	int64_t time_budget_ms;  /* wall clock per render, conversions included */
	int64_t load_budget_ms;  /* wall clock for compiling and running the main chunk */
};

/* Fills l with the POLICY_* defaults above. */
void policy_limits_default(struct policy_limits *l);

struct policy_engine;

/* Compiles bundle (copied; the caller keeps its own) into a new engine.
 * limits may be NULL for the defaults. Returns 0 and *out, or
 * ERR_POLICY (syntax error, contract violation, runtime error in the main
 * chunk), ERR_TIMEOUT or ERR_LIMIT (budget or memory cap) with err set. */
int policy_engine_new(const struct policy_bundle *bundle, const struct policy_limits *limits,
		      struct policy_engine **out, struct error *err) DS_MUST_USE;

/* Calls render(ds, flavor, ctx). ds is required; flavor and ctx may be NULL
 * (an empty table is passed). ctx gains ctx.null (the JSON null sentinel),
 * ctx.array(t) (marks t as a JSON array and returns it) and ctx.is_array(t).
 * On success *out is a new JSON array of objects (caller frees; an empty
 * table returned by render gives an empty array). Errors: ERR_POLICY (the
 * message starts with "file:line:" when Lua knows where), ERR_TIMEOUT,
 * ERR_LIMIT (memory: the Lua state's, or converting the result, which
 * counts against what the Lua state leaves of mem_limit_bytes), ERR_INVALID
 * (inputs that cannot be converted). The result is bounded while it is
 * converted: at most JSON_LUA_MAX_NODES values and POLICY_RENDER_MAX_BYTES
 * of JSON (json_lua.h), else ERR_POLICY naming where. */
int policy_engine_render(struct policy_engine *e, const struct json *ds,
			 const struct json *flavor, const struct json *ctx, struct json **out,
			 struct error *err) DS_MUST_USE;

void policy_engine_free(struct policy_engine *e);

/* The bundle revision this engine runs (see bundle.h). */
const char *policy_engine_revision(const struct policy_engine *e);
/* Wall time of the last render call in nanoseconds (failed ones included). */
int64_t policy_engine_last_render_ns(const struct policy_engine *e);
/* Bytes currently allocated by the Lua state (exact, from the allocator). */
size_t policy_engine_mem_bytes(const struct policy_engine *e);
/* C heap the JSON bridge counted for the last render's result (the tree it
 * built, or got as far as building before a limit stopped it). */
size_t policy_engine_last_result_bytes(const struct policy_engine *e);
/* What print() wrote during the last call ("" if nothing), truncated at
 * POLICY_LOG_MAX_BYTES; valid until the next call. */
const char *policy_engine_log(const struct policy_engine *e);

#endif
