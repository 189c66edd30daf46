/* engine.c - the policy engine: one sandboxed, budgeted lua_State per
 * policy version (see engine.h for the interface).
 *
 * Why this shape. Policies come from a ConfigMap anyone with edit rights in
 * the operator's namespace can change, so the engine treats them as hostile:
 * a broken or malicious policy may fail its own renders but must not stall,
 * crash or bloat the operator. Every entry into Lua goes through
 * policy_call(): one protected call (the pmain pattern: library opening,
 * environment building, value conversion all happen inside it) with one
 * message handler that turns errors into "file:line: message" plus a short
 * traceback of Lua frames.
 *
 * Sandbox. Only base (minus load, loadfile, dofile, getmetatable, rawset,
 * collectgarbage, warn; print captured into a bounded log), string (minus
 * dump and pack/unpack/packsize), table, math (minus random/randomseed, so
 * renders are deterministic), utf8 and coroutine are opened. Each chunk's
 * _ENV upvalue is set to an allow-listed table whose metatable refuses writes
 * ("attempt to write global X") and reads of undefined names ("attempt to
 * read undefined global X") and is protected (__metatable) so setmetatable
 * cannot remove it. Library tables are exposed through read-only proxies.
 * require resolves "lib.a.b" to the bundle's lib/a/b.lua only, loads text
 * only (mode "t"; bytecode is refused everywhere) and caches per state.
 *
 * Budgets that a pcall in the policy cannot swallow.
 *  - Time: a count hook (every POLICY_HOOK_COUNT instructions) compares the
 *    monotonic clock with the call's deadline. Once over, it records a trip,
 *    re-arms itself to fire on EVERY instruction and raises a preallocated
 *    error; any pcall/xpcall/coroutine.resume that catches it hits the hook
 *    again on its next instruction, so the error always unwinds to the host.
 *  - Memory: the allocator counts bytes and refuses past mem_limit_bytes, so
 *    Lua raises "not enough memory" softly; a refusal also trips the engine
 *    exactly like the time budget, so a pcall cannot swallow it either.
 *    Where the counted bytes live is separate: blocks up to
 *    POLICY_POOL_MAX_BLOCK_BYTES come from the engine's pool (pool.h, at
 *    most POLICY_POOL_BYTES or the budget), the rest and the overflow from
 *    malloc.
 *    Errors raised from the hook reach message handlers while the thread
 *    still has hooks disabled, so xpcall is wrapped: after a trip the
 *    policy's handler is skipped (else a looping handler would hang).
 *  - Coroutines: count hooks are per thread. lua_newthread copies the hook of
 *    its creator, and the sandbox's coroutine.create/wrap install it
 *    explicitly as well, so a loop inside a coroutine is caught.
 *  - Slow C code, where no hook runs: string.find/match/gmatch/gsub are our
 *    own budgeted matcher (pattern.c); string.format refuses a result that
 *    could pass POLICY_FORMAT_MAX_BYTES (format.c); the table functions
 *    refuse tables with __index/__newindex/__len metamethods (a C metamethod
 *    such as __index = table.concat or a huge __len would otherwise turn
 *    their C loops into unbounded ones), table.sort and table.move have size
 *    caps; string.rep, table.concat and friends are bounded by the memory
 *    cap. setmetatable sets a checked snapshot of the metamethods: no __gc
 *    (finalizers run with hooks disabled and could loop forever), __call and
 *    __close only as functions (Lua resolves a chain of callable tables in a
 *    quadratic C loop).
 *  - To-be-closed variables: after a trip, __close handlers run under the
 *    re-armed hook and are stopped like any other code, except in a
 *    coroutine the hook killed, where Lua leaves hooks off: coroutine.close
 *    does not run those. It also caps its own nesting, which Lua 5.4.4 does
 *    not count against the C stack.
 * After a tripped call, or a failed one that leaves a quarter of the cap
 * allocated, the stack is reset and a full collection runs, so the next
 * render starts clean.
 *
 * The render result is converted by json_lua.c within the render limits
 * (nodes, POLICY_RENDER_MAX_BYTES of JSON) counted while it converts, and the
 * tree's C heap counts against what Lua leaves of the memory cap.
 *
 * Not done here: validating what render returns beyond "a list of objects"
 * (validate.c), watching ConfigMaps or swapping versions (the operator).
 */
#include "policy/engine.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "json/json_lua.h"
#include "policy/format.h"
#include "policy/pattern.h"
#include "policy/pool.h"
#include "policy/validate.h"

#define POLICY_TRACEBACK_FRAMES 6
#define POLICY_MODULE_NAME_MAX_BYTES 96

enum trip { TRIP_NONE = 0, TRIP_TIME, TRIP_MEM };

struct policy_engine {
	lua_State *L;
	struct policy_limits limits;
	struct policy_bundle bundle;   /* our copy: require reads lib/ from it */
	size_t mem_used;
	struct policy_pool pool;       /* where Lua's small blocks live (pool.h) */
	int64_t deadline_ns;           /* INT64_MAX outside calls */
	enum trip tripped;
	char trip_where[LUA_IDSIZE + 24];
	int render_ref;
	int close_depth;               /* coroutine.close calls in progress */
	struct buf log;
	int64_t last_render_ns;
	size_t last_result_bytes;
};

enum policy_op { OP_BUILD, OP_RENDER };

/* Everything one protected call needs; lives on the host's C stack. */
struct policy_call {
	struct policy_engine *e;
	enum policy_op op;
	const struct json *ds, *flavor, *ctx;
	struct json *out;      /* render result, owned by the host side */
	int rc;                /* a non-Lua failure recorded inside the call */
	struct error *err;
};

/* Registry keys (addresses are unique per process). */
static const char key_env = 0, key_modules = 0, key_loading = 0, key_trip = 0;

static struct policy_engine *engine_of(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ud;
}

void policy_limits_default(struct policy_limits *l)
{
	l->mem_limit_bytes = POLICY_MEM_LIMIT_BYTES;
	l->time_budget_ms = POLICY_TIME_BUDGET_MS;
	l->load_budget_ms = POLICY_LOAD_BUDGET_MS;
}

/* ---- budgets ---------------------------------------------------------- */

/* Lua's allocator contract: NULL only when a grow cannot be satisfied. Any
 * refusal trips the memory budget: lauxlib's buffers call the allocator
 * directly (no emergency collection, no retry), so "refused, then retried
 * after a collection" cannot be told apart reliably, and a policy whose
 * live data plus garbage reaches the cap is one that should be fixed. */
/* Where a block lives: small ones in the engine's pool while it has room
 * (pool.h), the rest on the heap. A pool block that shrinks or stays in its
 * class stays put, so a shrink never fails, as Lua requires. */
static void *block_realloc(struct policy_engine *e, void *ptr, size_t old, size_t nsize)
{
	void *p;

	if (!policy_pool_owns(&e->pool, ptr)) {
		if (!ptr && (p = policy_pool_alloc(&e->pool, nsize)) != NULL)
			return p;
		return realloc(ptr, nsize);
	}
	if (policy_pool_fits(old, nsize))
		return ptr;
	p = policy_pool_alloc(&e->pool, nsize);
	if (!p)
		p = malloc(nsize);
	if (!p)
		return NULL;
	memcpy(p, ptr, old);
	policy_pool_free(&e->pool, ptr, old);
	return p;
}

static void block_free(struct policy_engine *e, void *ptr, size_t old)
{
	if (policy_pool_owns(&e->pool, ptr))
		policy_pool_free(&e->pool, ptr, old);
	else
		free(ptr);
}

static void *policy_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct policy_engine *e = ud;
	size_t old = ptr ? osize : 0, base = e->mem_used - old;
	void *p;

	if (nsize == 0) {
		block_free(e, ptr, old);
		e->mem_used = base;
		return NULL;
	}
	if (nsize > old && nsize > e->limits.mem_limit_bytes - base) {
		e->tripped = TRIP_MEM;
		return NULL;
	}
	p = block_realloc(e, ptr, old, nsize);
	if (!p)
		return NULL;  /* the host itself is out of memory; Lua fails softly */
	e->mem_used = base + nsize;
	return p;
}

/* Raises the preallocated trip error: no allocation, so it works when memory
 * is exhausted. The host builds the real message from e->tripped. */
static int raise_trip(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &key_trip) != LUA_TSTRING) {
		lua_pop(L, 1);
		lua_pushliteral(L, "policy budget exceeded");
	}
	return lua_error(L);
}

static void note_trip_where(struct policy_engine *e, lua_State *L, lua_Debug *ar)
{
	lua_Debug local;
	int level;

	if (e->trip_where[0])
		return;
	if (ar && lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
		snprintf(e->trip_where, sizeof(e->trip_where), "%s:%d", ar->short_src,
			 ar->currentline);
		return;
	}
	for (level = 0; lua_getstack(L, level, &local); level++) {
		if (lua_getinfo(L, "Sl", &local) && local.currentline > 0) {
			snprintf(e->trip_where, sizeof(e->trip_where), "%s:%d", local.short_src,
				 local.currentline);
			return;
		}
	}
}

static void policy_hook(lua_State *L, lua_Debug *ar)
{
	struct policy_engine *e = engine_of(L);

	if (e->tripped == TRIP_NONE) {
		if (clock_mono_ns() < e->deadline_ns) {
			/* a coroutine left at count 1 by an earlier trip */
			if (lua_gethookcount(L) != POLICY_HOOK_COUNT)
				lua_sethook(L, policy_hook, LUA_MASKCOUNT, POLICY_HOOK_COUNT);
			return;
		}
		e->tripped = TRIP_TIME;
	}
	note_trip_where(e, L, ar);
	/* fire on every instruction until the error reaches the host */
	lua_sethook(L, policy_hook, LUA_MASKCOUNT, 1);
	raise_trip(L);
}

/* The same check for C code that loops (pattern matcher, table.move). */
static void budget_check(lua_State *L)
{
	struct policy_engine *e = engine_of(L);

	if (e->tripped == TRIP_NONE && clock_mono_ns() >= e->deadline_ns)
		e->tripped = TRIP_TIME;
	if (e->tripped != TRIP_NONE) {
		note_trip_where(e, L, NULL);
		raise_trip(L);
	}
}

static const struct policy_pattern_budget pattern_budget = { budget_check };

/* ---- error reporting -------------------------------------------------- */

/* Does msg start with "chunk:line:"? */
static int has_position(const char *msg)
{
	const char *p = msg;

	while (*p && *p != ':' && *p != ' ' && *p != '\n')
		p++;
	if (*p != ':' || p == msg)
		return 0;
	p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == ':';
}

/* Message handler: "file:line: message" plus the innermost Lua frames.
 * After a trip it returns the error untouched (it must not allocate). */
static int policy_msgh(lua_State *L)
{
	struct policy_engine *e = engine_of(L);
	const char *msg;
	luaL_Buffer b;
	lua_Debug ar;
	int level, frames = 0, positioned;

	if (e->tripped != TRIP_NONE)
		return 1;
	if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
		msg = lua_tostring(L, 1);
	else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
		msg = lua_tostring(L, -1);
	else
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	positioned = has_position(msg);
	luaL_buffinit(L, &b);
	for (level = 1; lua_getstack(L, level, &ar) && frames < POLICY_TRACEBACK_FRAMES; level++) {
		if (!lua_getinfo(L, "Sln", &ar) || ar.currentline <= 0)
			continue;
		if (!positioned) {
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
			luaL_addvalue(&b);
			luaL_addstring(&b, msg);
			positioned = 1;
		} else if (frames == 0) {
			luaL_addstring(&b, msg);
		}
		if (ar.name)
			lua_pushfstring(L, "\n\tat %s:%d (%s)", ar.short_src, ar.currentline, ar.name);
		else
			lua_pushfstring(L, "\n\tat %s:%d", ar.short_src, ar.currentline);
		luaL_addvalue(&b);
		frames++;
	}
	if (frames == 0)
		luaL_addstring(&b, msg);
	luaL_pushresult(&b);
	return 1;
}

/* ---- sandbox functions ------------------------------------------------ */

static int env_index(lua_State *L)
{
	return luaL_error(L, "attempt to read undefined global %s", luaL_tolstring(L, 2, NULL));
}

static int env_newindex(lua_State *L)
{
	return luaL_error(L, "attempt to write global %s (policies must use locals)",
			  luaL_tolstring(L, 2, NULL));
}

static int readonly_newindex(lua_State *L)
{
	return luaL_error(L, "attempt to modify read-only table '%s'",
			  lua_tostring(L, lua_upvalueindex(1)));
}

/* __pairs of a read-only proxy: iterate the library table itself. */
static int proxy_next(lua_State *L)
{
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 2);
	if (lua_next(L, -2))
		return 2;
	lua_pushnil(L);
	return 1;
}

static int proxy_pairs(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushcclosure(L, proxy_next, 1);
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

/* Pushes a read-only view of the table at idx. */
static void push_readonly(lua_State *L, int idx, const char *name)
{
	idx = lua_absindex(L, idx);
	lua_newtable(L);
	lua_createtable(L, 0, 4);
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, "__index");
	lua_pushstring(L, name);
	lua_pushcclosure(L, readonly_newindex, 1);
	lua_setfield(L, -2, "__newindex");
	lua_pushvalue(L, idx);
	lua_pushcclosure(L, proxy_pairs, 1);
	lua_setfield(L, -2, "__pairs");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
}

static int sandbox_print(lua_State *L)
{
	struct policy_engine *e = engine_of(L);
	int i, n = lua_gettop(L);

	for (i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);

		if (i > 1)
			buf_append_char(&e->log, '\t');
		/* past the ceiling output is dropped: logging never fails a render */
		buf_append(&e->log, s, len);
		lua_pop(L, 1);
	}
	buf_append_char(&e->log, '\n');
	return 0;
}

/* The metatable fields Lua and its libraries read (ltm.c's events, plus
 * __tostring, __name, __pairs and __metatable); __gc is refused. */
static const char *const metatable_fields[] = {
	"__index", "__newindex", "__mode", "__len", "__eq", "__add", "__sub", "__mul",
	"__mod", "__pow", "__div", "__idiv", "__band", "__bor", "__bxor", "__shl",
	"__shr", "__unm", "__bnot", "__lt", "__le", "__concat", "__call", "__close",
	"__tostring", "__name", "__pairs", "__metatable", NULL,
};

/* setmetatable(t, mt) sets a snapshot of mt's metamethod fields, checked:
 *  - no __gc: finalizers run with hooks off (no budget);
 *  - __call and __close must be functions. Lua follows a chain of callable
 *    tables (__call = a table with a __call ...) inside one C loop that
 *    moves the whole stack at every hop: a cycle is quadratic in a stack
 *    that grows to a million slots, with no instruction for the hook to
 *    count - minutes of CPU. With functions only, any call resolves in one
 *    hop (a metamethod that is a table, __add = t, is called through t's
 *    own checked __call).
 * The snapshot is what makes the checks hold: the policy keeps mt and could
 * add __call = t after the check, but the object's real metatable is a copy
 * no policy can reach (getmetatable is not in the sandbox). Ordinary fields
 * are not copied: methods are found through __index, which still points at
 * the live tables. So the one visible difference from stock Lua is that
 * assigning a metamethod to mt after setmetatable does not reach objects it
 * was already set on. */
static int sandbox_setmetatable(lua_State *L)
{
	const char *const *n;
	int snap;

	if (lua_type(L, 2) != LUA_TTABLE)
		goto set;   /* nil clears; anything else is the original's error */
	lua_settop(L, 2);
	lua_pushliteral(L, "__gc");
	if (lua_rawget(L, 2) != LUA_TNIL)
		return luaL_error(L, "setmetatable: __gc metamethods are not allowed in policies");
	lua_pop(L, 1);
	lua_createtable(L, 0, 4);
	snap = lua_gettop(L);
	for (n = metatable_fields; *n; n++) {
		int t;

		lua_pushstring(L, *n);
		lua_pushvalue(L, -1);
		t = lua_rawget(L, 2);
		if (t == LUA_TNIL) {
			lua_pop(L, 2);
			continue;
		}
		if (t != LUA_TFUNCTION && (strcmp(*n, "__call") == 0 || strcmp(*n, "__close") == 0))
			return luaL_error(L, "setmetatable: %s must be a function in policies, not a %s",
					  *n, luaL_typename(L, -1));
		lua_rawset(L, snap);
	}
	lua_replace(L, 2);
set:
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

/* The message handler given to xpcall. An error raised by the count hook
 * reaches message handlers while Lua still has hooks disabled for this thread
 * (the hook has not returned), so a policy's handler that loops would never
 * be interrupted: once the budget has tripped, skip the policy's handler. */
static int xpcall_handler(lua_State *L)
{
	if (engine_of(L)->tripped != TRIP_NONE)
		return 1;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int sandbox_xpcall(lua_State *L)
{
	int n = lua_gettop(L);

	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, xpcall_handler, 1);
	lua_replace(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

/* Raises unless the table at idx has plain (raw) access semantics. */
static void check_plain_table(lua_State *L, int idx, const char *fname)
{
	static const char *const events[] = { "__index", "__newindex", "__len" };
	size_t i;

	luaL_checktype(L, idx, LUA_TTABLE);
	if (!lua_getmetatable(L, idx))
		return;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		lua_pushstring(L, events[i]);
		if (lua_rawget(L, -2) != LUA_TNIL)
			luaL_error(L, "table.%s: tables with a %s metamethod are not supported in policies",
				   fname, events[i]);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* Wraps a table library function; upvalues: original, name. */
static int guarded_table_fn(lua_State *L)
{
	const char *fname = lua_tostring(L, lua_upvalueindex(2));
	int n = lua_gettop(L);

	check_plain_table(L, 1, fname);
	if (strcmp(fname, "sort") == 0 && lua_rawlen(L, 1) > POLICY_TABLE_SORT_MAX_ELEMENTS)
		return luaL_error(L, "table.sort: more than %d elements", POLICY_TABLE_SORT_MAX_ELEMENTS);
	if (strcmp(fname, "move") == 0) {
		lua_Integer f = luaL_checkinteger(L, 2), last = luaL_checkinteger(L, 3);

		if (last >= f && (lua_Unsigned)last - (lua_Unsigned)f >= POLICY_TABLE_MOVE_MAX_ELEMENTS)
			return luaL_error(L, "table.move: range of more than %d elements",
					  POLICY_TABLE_MOVE_MAX_ELEMENTS);
		if (n >= 5 && !lua_isnil(L, 5))
			check_plain_table(L, 5, fname);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, LUA_MULTRET);
	return lua_gettop(L);
}

static int sandbox_co_create(lua_State *L)
{
	lua_State *co;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	co = lua_newthread(L);
	lua_sethook(co, policy_hook, LUA_MASKCOUNT, POLICY_HOOK_COUNT);
	lua_pushvalue(L, 1);
	lua_xmove(L, co, 1);
	return 1;
}

static int co_wrap_call(lua_State *L)
{
	lua_State *co = lua_tothread(L, lua_upvalueindex(1));
	int nargs = lua_gettop(L), nres = 0, status;

	if (!lua_checkstack(co, nargs + 1))
		return luaL_error(L, "too many arguments to resume");
	lua_xmove(L, co, nargs);
	status = lua_resume(co, L, nargs, &nres);
	if (status == LUA_OK || status == LUA_YIELD) {
		if (!lua_checkstack(L, nres + 1))
			return luaL_error(L, "too many results to resume");
		lua_xmove(co, L, nres);
		return nres;
	}
	lua_xmove(co, L, 1);   /* the error object */
	return lua_error(L);
}

static int sandbox_co_wrap(lua_State *L)
{
	sandbox_co_create(L);
	lua_pushcclosure(L, co_wrap_call, 1);
	return 1;
}

/* coroutine.close with two guards.
 *  - A coroutine the count hook stopped died inside the hook: the error left
 *    the hook by longjmp, so Lua keeps hooks disabled for that thread (they
 *    come back only when a hook returns). Closing it would run its pending
 *    __close handlers with no budget at all, so they are dropped and close
 *    says so. Such a thread is known without allocating: the hook set its
 *    count to 1 before raising, and a dead thread never runs the hook again.
 *  - Lua 5.4.4 runs the handlers of the closed coroutine on a C stack count
 *    of its own (lua_resetthread has no "from"; fixed upstream in 5.4.5), so
 *    __close handlers that close coroutines whose handlers close coroutines
 *    ... overflow the C stack and crash. Nesting is capped. Every error
 *    below the cap goes through lua_pcall, so the count always comes back. */
static int sandbox_co_close(lua_State *L)
{
	struct policy_engine *e = engine_of(L);
	lua_State *co = lua_tothread(L, 1);
	int status;

	luaL_argexpected(L, co != NULL, 1, "coroutine");
	status = lua_status(co);
	if (status != LUA_OK && status != LUA_YIELD && lua_gethookcount(co) == 1) {
		lua_pushboolean(L, 0);
		lua_pushliteral(L, "coroutine.close: the policy budget stopped this coroutine; "
				   "its pending to-be-closed variables are not closed");
		return 2;
	}
	if (e->close_depth >= POLICY_CLOSE_MAX_NESTING)
		return luaL_error(L, "coroutine.close: nested more than %d deep "
				  "(POLICY_CLOSE_MAX_NESTING, __close handlers closing coroutines)",
				  POLICY_CLOSE_MAX_NESTING);
	lua_settop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	e->close_depth++;
	status = lua_pcall(L, 1, LUA_MULTRET, 0);
	e->close_depth--;
	if (status != LUA_OK)
		return lua_error(L);
	return lua_gettop(L);
}

static int ctx_array(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	json_lua_push_array_mt(L);
	if (lua_getmetatable(L, 1)) {
		/* never strip a protective metatable (_ENV, library proxies) */
		if (!lua_rawequal(L, -1, -2))
			return luaL_error(L, "ctx.array: the table already has a metatable");
		lua_pop(L, 1);
	}
	lua_setmetatable(L, 1);
	return 1;
}

static int ctx_is_array(lua_State *L)
{
	int is = 0;

	if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
		json_lua_push_array_mt(L);
		is = lua_rawequal(L, -1, -2);
	}
	lua_pushboolean(L, is);
	return 1;
}

/* Loads a bundle file as a text chunk whose _ENV is the sandbox. */
static void load_chunk(lua_State *L, const char *path, const char *text, size_t len)
{
	char chunkname[POLICY_PATH_MAX_BYTES + 2];

	snprintf(chunkname, sizeof(chunkname), "@%s", path);
	if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK)
		lua_error(L);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &key_env);
	if (!lua_setupvalue(L, -2, 1))
		lua_pop(L, 1);
}

/* "lib.a.b" -> "lib/a/b.lua"; 0 or -1 when the name is not a bundle module. */
static int module_path(const char *name, char *path, size_t size)
{
	size_t len = strlen(name), i;
	int at_start = 1;

	if (strncmp(name, "lib.", 4) != 0 || len + 5 > size)
		return -1;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (at_start)
				return -1;
			path[i] = '/';
			at_start = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return -1;
		path[i] = c;
		at_start = 0;
	}
	if (at_start)
		return -1;
	memcpy(path + len, ".lua", 5);
	return 0;
}

static int sandbox_require(lua_State *L)
{
	struct policy_engine *e = engine_of(L);
	const char *name = luaL_checkstring(L, 1);
	char path[POLICY_MODULE_NAME_MAX_BYTES + 8];
	const char *text;
	size_t len;

	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &key_modules);          /* 2: cache */
	lua_pushvalue(L, 1);
	if (lua_rawget(L, 2) != LUA_TNIL) {
		if (lua_touserdata(L, -1) == &key_loading)
			return luaL_error(L, "require: '%s' is required while it loads (cycle)", name);
		return 1;
	}
	lua_pop(L, 1);
	if (module_path(name, path, sizeof(path)) < 0 ||
	    (text = policy_bundle_get(&e->bundle, path, &len)) == NULL)
		return luaL_error(L, "require: module '%s' is not in the policy bundle "
				  "(only lib.* modules of the bundle can be required)", name);
	lua_pushvalue(L, 1);
	lua_pushlightuserdata(L, (void *)&key_loading);
	lua_rawset(L, 2);
	load_chunk(L, path, text, len);                             /* 3 */
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		/* forget the "loading" mark, then let the error continue */
		lua_pushvalue(L, 1);
		lua_pushnil(L);
		lua_rawset(L, 2);
		return lua_error(L);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, 1);
	lua_pushvalue(L, -2);
	lua_rawset(L, 2);
	return 1;
}

/* ---- building the state ----------------------------------------------- */

static void open_lib(lua_State *L, const char *name, lua_CFunction open)
{
	luaL_requiref(L, name, open, 1);   /* into the real _G, never seen by policies */
	lua_pop(L, 1);
}

/* Pushes the named field of the real global table. */
static void push_global(lua_State *L, const char *name)
{
	lua_pushglobaltable(L);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
}

static void set_nil(lua_State *L, int idx, const char *const *names)
{
	idx = lua_absindex(L, idx);
	for (; *names; names++) {
		lua_pushnil(L);
		lua_setfield(L, idx, *names);
	}
}

/* Builds the sandbox _ENV and stores it in the registry. */
static void build_env(lua_State *L)
{
	static const char *const base_allowed[] = {
		"assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal",
		"rawget", "rawlen", "select", "tonumber", "tostring", "type", "_VERSION", NULL,
	};
	static const char *const string_removed[] = { "dump", "pack", "unpack", "packsize", NULL };
	static const char *const math_removed[] = { "random", "randomseed", NULL };
	static const char *const table_guarded[] = {
		"concat", "insert", "move", "remove", "sort", "unpack", NULL,
	};
	const char *const *n;
	int env;

	lua_newtable(L);
	env = lua_gettop(L);
	for (n = base_allowed; *n; n++) {
		push_global(L, *n);
		lua_setfield(L, env, *n);
	}
	push_global(L, "setmetatable");
	lua_pushcclosure(L, sandbox_setmetatable, 1);
	lua_setfield(L, env, "setmetatable");
	push_global(L, "xpcall");
	lua_pushcclosure(L, sandbox_xpcall, 1);
	lua_setfield(L, env, "xpcall");
	lua_pushcfunction(L, sandbox_print);
	lua_setfield(L, env, "print");
	lua_pushcfunction(L, sandbox_require);
	lua_setfield(L, env, "require");

	/* string: edited in place, because string values index this very table
	 * through the string metatable */
	push_global(L, "string");
	set_nil(L, -1, string_removed);
	policy_pattern_open(L, -1, &pattern_budget);
	policy_format_open(L, -1);
	push_readonly(L, -1, "string");
	lua_setfield(L, env, "string");
	lua_pop(L, 1);

	push_global(L, "table");
	for (n = table_guarded; *n; n++) {
		lua_getfield(L, -1, *n);
		lua_pushstring(L, *n);
		lua_pushcclosure(L, guarded_table_fn, 2);
		lua_setfield(L, -2, *n);
	}
	push_readonly(L, -1, "table");
	lua_setfield(L, env, "table");
	lua_pop(L, 1);

	push_global(L, "math");
	set_nil(L, -1, math_removed);
	push_readonly(L, -1, "math");
	lua_setfield(L, env, "math");
	lua_pop(L, 1);

	push_global(L, "utf8");
	push_readonly(L, -1, "utf8");
	lua_setfield(L, env, "utf8");
	lua_pop(L, 1);

	push_global(L, "coroutine");
	lua_pushcfunction(L, sandbox_co_create);
	lua_setfield(L, -2, "create");
	lua_pushcfunction(L, sandbox_co_wrap);
	lua_setfield(L, -2, "wrap");
	lua_getfield(L, -1, "close");
	lua_pushcclosure(L, sandbox_co_close, 1);
	lua_setfield(L, -2, "close");
	push_readonly(L, -1, "coroutine");
	lua_setfield(L, env, "coroutine");
	lua_pop(L, 1);

	lua_createtable(L, 0, 3);
	lua_pushcfunction(L, env_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, env_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, env);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &key_env);
}

static void build_state(lua_State *L, struct policy_call *c)
{
	struct policy_engine *e = c->e;
	const char *text;
	size_t len;

	open_lib(L, LUA_GNAME, luaopen_base);
	open_lib(L, LUA_STRLIBNAME, luaopen_string);
	open_lib(L, LUA_TABLIBNAME, luaopen_table);
	open_lib(L, LUA_MATHLIBNAME, luaopen_math);
	open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);
	open_lib(L, LUA_COLIBNAME, luaopen_coroutine);
	json_lua_init(L);
	lua_pushliteral(L, "policy budget exceeded");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &key_trip);
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &key_modules);
	build_env(L);

	text = policy_bundle_get(&e->bundle, POLICY_MAIN_PATH, &len);
	if (!text) {
		c->rc = error_set(c->err, ERR_POLICY, "the policy bundle has no %s", POLICY_MAIN_PATH);
		return;
	}
	load_chunk(L, POLICY_MAIN_PATH, text, len);
	lua_call(L, 0, 1);
	if (!lua_istable(L, -1)) {
		c->rc = error_set(c->err, ERR_POLICY,
				  "%s must return a table {api = %d, render = function}, not a %s",
				  POLICY_MAIN_PATH, POLICY_API_VERSION, luaL_typename(L, -1));
		return;
	}
	lua_getfield(L, -1, "api");
	if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) != POLICY_API_VERSION) {
		c->rc = error_set(c->err, ERR_POLICY, "%s: api must be %d (got %s)", POLICY_MAIN_PATH,
				  POLICY_API_VERSION, luaL_tolstring(L, -1, NULL));
		return;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, -1, "render") != LUA_TFUNCTION) {
		c->rc = error_set(c->err, ERR_POLICY, "%s: render must be a function (got %s)",
				  POLICY_MAIN_PATH, luaL_typename(L, -1));
		return;
	}
	e->render_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* ---- rendering -------------------------------------------------------- */

static int push_input(lua_State *L, struct policy_call *c, const struct json *v,
		      const char *what)
{
	int rc;

	if (!v) {
		lua_newtable(L);
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return c->rc = error_set(c->err, ERR_INVALID, "render input %s is not an object", what);
	if ((rc = json_lua_push(L, v, c->err)) < 0)
		return c->rc = error_prefix(c->err, "render input %s", what);
	return 0;
}

/* Converts the result on top of the stack into c->out. The bridge stops at
 * the render limits while it converts, and its C heap counts against the
 * policy's memory cap: Lua's bytes plus the tree's stay within
 * mem_limit_bytes. When less than the bridge's own ceiling is left, garbage
 * is collected first, so only live Lua data competes with the tree. */
static void convert_result(lua_State *L, struct policy_call *c)
{
	struct policy_engine *e = c->e;
	struct json_lua_limits lim;
	struct json_lua_usage use;
	size_t cap = e->limits.mem_limit_bytes, left;

	json_lua_limits_default(&lim);
	lim.max_text_bytes = POLICY_RENDER_MAX_BYTES;
	left = cap > e->mem_used ? cap - e->mem_used : 0;
	if (left < lim.max_alloc_bytes) {
		lua_gc(L, LUA_GCCOLLECT);
		left = cap > e->mem_used ? cap - e->mem_used : 0;
		if (left < lim.max_alloc_bytes)
			lim.max_alloc_bytes = left;
	}
	c->out = json_lua_to_json_limited(L, -1, &lim, &use, c->err);
	e->last_result_bytes = use.alloc_bytes;
	if (c->out)
		return;
	if (use.alloc_exceeded) {
		c->rc = ERR_LIMIT;
		error_prefix(c->err, "policy memory limit of %zu bytes exceeded converting the render "
			     "result (Lua holds %zu)", cap, e->mem_used);
	} else {
		c->rc = ERR_POLICY;
		error_prefix(c->err, "render result");
	}
	if (c->err)
		c->err->code = c->rc;
}

static void do_render(lua_State *L, struct policy_call *c)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->e->render_ref);
	if (push_input(L, c, c->ds, "ds") < 0 || push_input(L, c, c->flavor, "flavor") < 0 ||
	    push_input(L, c, c->ctx, "ctx") < 0)
		return;
	json_lua_push_null(L);
	lua_setfield(L, -2, "null");
	lua_pushcfunction(L, ctx_array);
	lua_setfield(L, -2, "array");
	lua_pushcfunction(L, ctx_is_array);
	lua_setfield(L, -2, "is_array");
	lua_call(L, 3, 1);
	if (!lua_istable(L, -1)) {
		c->rc = error_set(c->err, ERR_POLICY, "render must return a list of objects, not a %s",
				  luaL_typename(L, -1));
		return;
	}
	convert_result(L, c);
}

static int policy_trampoline(lua_State *L)
{
	struct policy_call *c = lua_touserdata(L, 1);

	lua_settop(L, 0);
	if (c->op == OP_BUILD)
		build_state(L, c);
	else
		do_render(L, c);
	return 0;
}

/* The single way into Lua: arms the budget, runs the trampoline under the
 * message handler, turns any failure into (code, err), and leaves the state
 * clean for the next call. */
static int policy_call(struct policy_engine *e, struct policy_call *c, int64_t budget_ms)
{
	lua_State *L = e->L;
	int base = lua_gettop(L), status, rc;

	buf_reset(&e->log);
	e->close_depth = 0;
	e->tripped = TRIP_NONE;
	e->trip_where[0] = '\0';
	e->deadline_ns = clock_mono_ns() + budget_ms * 1000000;
	lua_sethook(L, policy_hook, LUA_MASKCOUNT, POLICY_HOOK_COUNT);
	lua_pushcfunction(L, policy_msgh);
	lua_pushcfunction(L, policy_trampoline);
	lua_pushlightuserdata(L, c);
	status = lua_pcall(L, 1, 0, base + 1);
	e->deadline_ns = INT64_MAX;

	if (e->tripped == TRIP_TIME)
		rc = error_set(c->err, ERR_TIMEOUT, "policy time budget of %lld ms exceeded%s%s",
			       (long long)budget_ms, e->trip_where[0] ? " at " : "", e->trip_where);
	else if (e->tripped == TRIP_MEM || status == LUA_ERRMEM)
		rc = error_set(c->err, ERR_LIMIT, "policy memory limit of %zu bytes exceeded%s%s",
			       e->limits.mem_limit_bytes, e->trip_where[0] ? " at " : "",
			       e->trip_where);
	else if (status != LUA_OK)
		rc = error_set(c->err, ERR_POLICY, "%s",
			       lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
							      : "error in the error handler");
	else
		rc = c->rc;

	lua_settop(L, base);
	/* after a trip, or a failure that leaves a quarter of the cap allocated
	 * (a result the bridge refused), collect now: the next render gets its
	 * whole headroom back */
	if (rc < 0 && (e->tripped != TRIP_NONE || e->mem_used > e->limits.mem_limit_bytes / 4))
		lua_gc(L, LUA_GCCOLLECT);
	e->tripped = TRIP_NONE;
	lua_sethook(L, policy_hook, LUA_MASKCOUNT, POLICY_HOOK_COUNT);
	if (rc < 0) {
		json_free(c->out);
		c->out = NULL;
	}
	return rc;
}

/* ---- public interface ------------------------------------------------- */

int policy_engine_new(const struct policy_bundle *bundle, const struct policy_limits *limits,
		      struct policy_engine **out, struct error *err)
{
	struct policy_engine *e;
	struct policy_call c;
	int rc;

	*out = NULL;
	e = mem_calloc(1, sizeof(*e));
	if (limits)
		e->limits = *limits;
	else
		policy_limits_default(&e->limits);
	policy_bundle_init(&e->bundle);
	policy_bundle_copy(&e->bundle, bundle);
	buf_init(&e->log, POLICY_LOG_MAX_BYTES);
	/* a pool larger than the budget would only hold memory Lua may not use */
	policy_pool_init(&e->pool, e->limits.mem_limit_bytes < POLICY_POOL_BYTES
					   ? e->limits.mem_limit_bytes : POLICY_POOL_BYTES);
	e->deadline_ns = INT64_MAX;
	e->render_ref = LUA_NOREF;
	e->L = lua_newstate(policy_alloc, e);
	if (!e->L) {
		size_t limit = e->limits.mem_limit_bytes;

		policy_engine_free(e);
		return error_set(err, ERR_LIMIT, "cannot create a Lua state within %zu bytes", limit);
	}
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.op = OP_BUILD;
	c.err = err;
	rc = policy_call(e, &c, e->limits.load_budget_ms);
	if (rc < 0) {
		policy_engine_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

static int check_shape(struct json **list, struct error *err)
{
	struct json *v = *list;
	size_t i;

	if (v->type == JSON_OBJECT && v->u.obj.len == 0) {
		/* render returned {}: an empty table converts as an empty object */
		json_free(v);
		*list = json_new_array();
		return 0;
	}
	if (v->type != JSON_ARRAY)
		return error_set(err, ERR_POLICY, "render must return a list of objects, not a map");
	for (i = 0; i < v->u.arr.len; i++)
		if (v->u.arr.items[i]->type != JSON_OBJECT)
			return error_set(err, ERR_POLICY,
					 "render must return a list of objects: item %zu is not an object",
					 i + 1);
	return 0;
}

int policy_engine_render(struct policy_engine *e, const struct json *ds,
			 const struct json *flavor, const struct json *ctx, struct json **out,
			 struct error *err)
{
	struct policy_call c;
	int64_t start = clock_mono_ns();
	int rc;

	*out = NULL;
	if (!ds)
		return error_set(err, ERR_INVALID, "render needs a DevServer");
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.op = OP_RENDER;
	c.ds = ds;
	c.flavor = flavor;
	c.ctx = ctx;
	c.err = err;
	e->last_result_bytes = 0;
	rc = policy_call(e, &c, e->limits.time_budget_ms);
	if (rc == 0 && (rc = check_shape(&c.out, err)) < 0) {
		json_free(c.out);
		c.out = NULL;
	}
	e->last_render_ns = clock_mono_ns() - start;
	*out = c.out;
	return rc;
}

void policy_engine_free(struct policy_engine *e)
{
	if (!e)
		return;
	if (e->L)
		lua_close(e->L);
	e->L = NULL;
	policy_pool_cleanup(&e->pool);
	policy_bundle_cleanup(&e->bundle);
	buf_cleanup(&e->log);
	free(e);
}

const char *policy_engine_revision(const struct policy_engine *e)
{
	return e->bundle.revision;
}

int64_t policy_engine_last_render_ns(const struct policy_engine *e)
{
	return e->last_render_ns;
}

size_t policy_engine_mem_bytes(const struct policy_engine *e)
{
	return e->mem_used;
}

size_t policy_engine_last_result_bytes(const struct policy_engine *e)
{
	return e->last_result_bytes;
}

const char *policy_engine_log(const struct policy_engine *e)
{
	return buf_str(&e->log);
}
