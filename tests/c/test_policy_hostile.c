/* test_policy_hostile.c - the security review's reproductions (issue 16,
 * item 4, Lua parts; issue 17, item 3): hostile policies aimed at the corners
 * test_policy_sandbox.c does not reach - to-be-closed variables and
 * finalizers after a budget trips, recursion through metamethods, __call
 * chains, C stack overflows, string.format and string.rep bombs, and render
 * results the JSON bridge must refuse (cycles, depth, size, types, keys).
 *
 * Every case runs in a child process with an alarm, because the point is to
 * catch hangs and crashes: a child that dies by a signal or is still running
 * after HOSTILE_CHILD_TIMEOUT_S fails its case by name instead of taking the
 * whole suite with it. In the child each case is a list of renders on one
 * engine, each with the code it must fail with and a text its message must
 * carry; then a plain render on the same engine must still work. Every
 * message must be one line (anything after it only "\tat file:line" frames),
 * valid UTF-8 without control characters, and the render must end within its
 * budget plus HOSTILE_SLACK_MS.
 *
 * The bridge cases also measure the child's peak RSS around the render
 * (VmHWM after resetting it through /proc/self/clear_refs) and the bytes the
 * bridge counted, print both, and bound the RSS unless valgrind or ASan make
 * RSS meaningless.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "json/json.h"
#include "json/json_lua.h"
#include "policy/bundle.h"
#include "policy/engine.h"

#define HOSTILE_BUDGET_MS 40
#define HOSTILE_MEM_BYTES (4u * 1024 * 1024)
/* memory cases: far above what filling the cap takes, even under valgrind */
#define HOSTILE_MEM_BUDGET_MS 20000
/* "bounded" is the claim, not "exact": valgrind is slow */
#define HOSTILE_SLACK_MS 3000
/* a child still running after this is a hang */
#define HOSTILE_CHILD_TIMEOUT_S 90
#define HOSTILE_REPORT_MAX_BYTES 1024
#define HOSTILE_MAX_STEPS 4
/* peak RSS of a render that fills the default 32 MiB Lua cap and hands the
 * result to the bridge: the Lua heap itself, plus the bridge's bounded tree,
 * plus allocator slack. Before the bridge was bounded it was 70-150 MB. */
#define HOSTILE_BRIDGE_PEAK_RSS_MAX_KIB (48 * 1024)

struct step {
	const char *ds;     /* the DevServer, JSON text */
	int code;           /* what the render must return */
	const char *want;   /* text the first line of the message must contain */
};

struct hostile {
	const char *name;
	const char *src;                       /* the whole policy */
	struct step steps[HOSTILE_MAX_STEPS];  /* up to the first with ds == NULL */
	int64_t budget_ms;                     /* 0: HOSTILE_BUDGET_MS */
	size_t mem_bytes;                      /* 0: HOSTILE_MEM_BYTES */
	bool measure;                          /* report peak RSS and bridge bytes */
};

/* The attack is the body of a function render calls when ds.attack is set; a
 * value it returns is what render returns. */
#define ATTACK(body) \
	"local function attack(ds, ctx)\n" body "\nend\n" \
	"return {api = 1, render = function(ds, flavor, ctx)\n" \
	"  if ds.attack then\n" \
	"    local r = attack(ds, ctx)\n" \
	"    if r ~= nil then return r end\n" \
	"  end\n" \
	"  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'ok'}}}\n" \
	"end}\n"

/* A ConfigMap whose data is the Lua expression e. */
#define RESULT_WITH(setup, e) \
	ATTACK(setup "\nreturn {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'c'}, " \
	       "data = " e "}}")

#define ONE_STEP(code, want) { { "{\"attack\": true}", code, want } }

/* ---- the child ----------------------------------------------------------- */

static char report[HOSTILE_REPORT_MAX_BYTES];
/* freed by child_exit, so valgrind sees a clean child on every path */
static struct policy_engine *child_engine;

static void child_exit(int fd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

static void child_exit(int fd, int status, const char *fmt, ...)
{
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(report, sizeof(report), fmt, ap);
	va_end(ap);
	policy_engine_free(child_engine);
	child_engine = NULL;
	n = write(fd, report, strlen(report));
	(void)n;
	_exit(status);
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			     : (c & 0xf8) == 0xf0 ? 4 : 0;

		if (!len || i + len > n || (len == 2 && c < 0xc2))
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

/* NULL when msg is one line carrying want, else what is wrong with it. */
static const char *message_problem(const char *msg, const char *want)
{
	const char *nl = strchr(msg, '\n'), *p;
	size_t first = nl ? (size_t)(nl - msg) : strlen(msg);

	if (!msg[0])
		return "empty message";
	if (!utf8_valid((const unsigned char *)msg, strlen(msg)))
		return "message is not valid UTF-8";
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			return "control character in the message";
	if (want) {
		char *line = strndup(msg, first);
		bool found = strstr(line, want) != NULL;

		free(line);
		if (!found)
			return "the first line lacks the expected text";
	}
	for (p = nl; p; p = strchr(p + 1, '\n'))
		if (strncmp(p + 1, "\tat ", 4) != 0)
			return "a line after the first is not a traceback frame";
	if (strlen(msg) >= ERROR_MSG_MAX_BYTES - 1 && !nl)
		return "message fills the error buffer (truncated)";
	return NULL;
}

static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t k = strlen(key);
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, k) == 0)
			v = atol(line + k);
	if (f)
		fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS (Linux: "5" in clear_refs). */
static bool reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

static bool rss_is_meaningful(void)
{
	const char *pre = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return false;
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
	return false;
#endif
#endif
	return !(pre && strstr(pre, "vgpreload"));
}

static struct json *parse_or_exit(int fd, const char *text)
{
	struct error err;
	struct json *v = json_parse(text, strlen(text), &err);

	if (!v)
		child_exit(fd, 1, "bad test JSON %s: %s", text, err.msg);
	return v;
}

static void run_child(const struct hostile *h, int fd)
{
	struct policy_bundle b;
	struct policy_limits l;
	struct policy_engine *e = NULL;
	struct error err;
	struct json *ds, *out = NULL;
	int64_t budget = h->budget_ms ? h->budget_ms : HOSTILE_BUDGET_MS;
	size_t cap = h->mem_bytes ? h->mem_bytes : HOSTILE_MEM_BYTES;
	char info[512] = "";
	int rc, i;

	policy_bundle_init(&b);
	if (policy_bundle_add(&b, POLICY_MAIN_PATH, h->src, strlen(h->src), &err) < 0)
		child_exit(fd, 1, "bundle: %s", err.msg);
	policy_limits_default(&l);
	l.time_budget_ms = budget;
	l.load_budget_ms = 1000;
	l.mem_limit_bytes = cap;
	rc = policy_engine_new(&b, &l, &e, &err);
	policy_bundle_cleanup(&b);
	if (rc < 0)
		child_exit(fd, 1, "engine_new: %s", err.msg);
	child_engine = e;

	for (i = 0; i < HOSTILE_MAX_STEPS && h->steps[i].ds; i++) {
		const struct step *s = &h->steps[i];
		long rss0 = 0, peak = 0;
		int64_t start, ms;
		const char *problem;

		ds = parse_or_exit(fd, s->ds);
		if (h->measure) {
			if (!reset_peak_rss())
				child_exit(fd, 1, "cannot reset VmHWM");
			rss0 = status_kib("VmRSS:");
		}
		error_clear(&err);
		start = clock_mono_ns();
		rc = policy_engine_render(e, ds, NULL, NULL, &out, &err);
		ms = (clock_mono_ns() - start) / 1000000;
		json_free(ds);
		if (h->measure) {
			peak = status_kib("VmHWM:") - rss0;
			snprintf(info, sizeof(info), "peak RSS +%ld KiB, bridge %zu bytes, %lld ms",
				 peak, policy_engine_last_result_bytes(e), (long long)ms);
		}
		if (rc != s->code)
			child_exit(fd, 1, "render %d: want rc %d, got %d: %s%s%s", i + 1, s->code, rc,
				   rc ? err.msg : "(no error)", info[0] ? " | " : "", info);
		if (rc != 0 && (problem = message_problem(err.msg, s->want)) != NULL)
			child_exit(fd, 1, "render %d: %s (want \"%s\"): %s%s%s", i + 1, problem,
				   s->want ? s->want : "", err.msg, info[0] ? " | " : "", info);
		if (rc != 0 && out)
			child_exit(fd, 1, "render %d failed but returned a result", i + 1);
		json_free(out);
		out = NULL;
		if (ms > budget + HOSTILE_SLACK_MS)
			child_exit(fd, 1, "render %d took %lld ms (budget %lld ms)", i + 1, (long long)ms,
				   (long long)budget);
		if (h->measure && rss_is_meaningful() && peak > HOSTILE_BRIDGE_PEAK_RSS_MAX_KIB)
			child_exit(fd, 1, "render %d: %s, more than %d KiB", i + 1, info,
				   HOSTILE_BRIDGE_PEAK_RSS_MAX_KIB);
	}

	/* the engine still renders, and its memory went back down */
	ds = parse_or_exit(fd, "{\"attack\": false}");
	rc = policy_engine_render(e, ds, NULL, NULL, &out, &err);
	json_free(ds);
	if (rc != 0)
		child_exit(fd, 1, "the render after the attack failed: %s", err.msg);
	if (out->type != JSON_ARRAY || out->u.arr.len != 1)
		child_exit(fd, 1, "the render after the attack returned something else");
	json_free(out);
	if (policy_engine_mem_bytes(e) >= cap / 2)
		child_exit(fd, 1, "the engine still holds %zu of %zu bytes", policy_engine_mem_bytes(e),
			   cap);
	child_exit(fd, 0, "%s", info);
}

/* ---- the parent ---------------------------------------------------------- */

/* Runs h in a child; NULL when it passed, else why not (static storage). */
static const char *run_hostile(const struct hostile *h)
{
	static char why[HOSTILE_REPORT_MAX_BYTES + 128];
	char buf[HOSTILE_REPORT_MAX_BYTES + 1];
	size_t len = 0;
	ssize_t n;
	int fds[2], st;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches these to report a crashing test; here a crash
		 * must end the child so the parent can name the case */
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGALRM };

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		close(fds[0]);
		alarm(HOSTILE_CHILD_TIMEOUT_S);
		run_child(h, fds[1]);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 && (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st)) {
		snprintf(why, sizeof(why), "the child died by signal %d (%s)%s", WTERMSIG(st),
			 strsignal(WTERMSIG(st)),
			 WTERMSIG(st) == SIGALRM ? ": still running after the timeout, a hang" : "");
		return why;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, sizeof(why), "%s", buf[0] ? buf : "the child failed without a report");
		return why;
	}
	if (h->measure)
		print_message("# %s: %s\n", h->name, buf);
	return NULL;
}

static void check_hostile(const struct hostile *h)
{
	const char *why = run_hostile(h);

	if (why)
		fail_msg("%s: %s", h->name, why);
}

/* Runs every case, reports each failure, then fails if any did. */
static void check_all(const struct hostile *cases, size_t n)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		const char *why = run_hostile(&cases[i]);

		if (why) {
			print_error("FAILED %s: %s\n", cases[i].name, why);
			failed++;
		}
	}
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, n);
}

#define CHECK_ALL(cases) check_all(cases, sizeof(cases) / sizeof(cases[0]))

/* One render of ds.attack = true that must fail with code and want. */
#define CASE(n, s, code, want) { .name = (n), .src = (s), .steps = ONE_STEP(code, want) }
/* The same with a time budget and a memory cap of its own. */
#define CASE_LIMITS(n, s, code, want, budget, mem) \
	{ .name = (n), .src = (s), .steps = ONE_STEP(code, want), .budget_ms = (budget), \
	  .mem_bytes = (mem) }
/* A bridge case: default Lua cap, a long budget, peak RSS measured. */
#define CASE_BRIDGE(n, s, code, want) \
	{ .name = (n), .src = (s), .steps = ONE_STEP(code, want), \
	  .budget_ms = HOSTILE_MEM_BUDGET_MS, .mem_bytes = POLICY_MEM_LIMIT_BYTES, .measure = true }

/* ---- to-be-closed variables and finalizers after a trip ------------------ */

static const char close_in_later_render[] =
	"local stash\n"
	"return {api = 1, render = function(ds)\n"
	"  if ds.attack == 1 then\n"
	"    stash = coroutine.create(function()\n"
	"      local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
	"      while true do end\n"
	"    end)\n"
	"    coroutine.resume(stash)\n"
	"  elseif ds.attack == 2 then\n"
	"    local ok, msg = coroutine.close(stash)\n"
	"    assert(not ok and msg:find('budget'), 'close of a stopped coroutine: ' .. tostring(msg))\n"
	"  end\n"
	"  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'ok'}}}\n"
	"end}\n";

static void test_close_and_gc_after_a_trip(void **state)
{
	static const struct hostile cases[] = {
		CASE("__close that loops, after the time budget",
		     ATTACK("local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
			    "while true do end"),
		     ERR_TIMEOUT, "time budget"),
		CASE("100 nested __close handlers that loop inside pcall",
		     ATTACK("local function rec(n)\n"
			    "  local x <close> = setmetatable({}, {__close = function()\n"
			    "    while true do pcall(function() while true do end end) end end})\n"
			    "  if n > 0 then rec(n - 1) end\n"
			    "  while true do end\n"
			    "end\n"
			    "rec(100)"),
		     ERR_TIMEOUT, "time budget"),
		/* the budget error leaves the count hook by longjmp, so Lua keeps
		 * hooks off in the coroutine it killed */
		CASE("__close of a coroutine the budget stopped, closed right after",
		     ATTACK("local co = coroutine.create(function()\n"
			    "  local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
			    "  while true do end\n"
			    "end)\n"
			    "coroutine.resume(co)\n"
			    "coroutine.close(co)"),
		     ERR_TIMEOUT, "time budget"),
		{ .name = "__close of a coroutine the budget stopped, closed in the next render",
		  .src = close_in_later_render,
		  .steps = { { "{\"attack\": 1}", ERR_TIMEOUT, "time budget" },
			     { "{\"attack\": 2}", 0, NULL } } },
		CASE_LIMITS("__close that allocates, after the memory cap",
			    ATTACK("local x <close> = setmetatable({}, {__close = function()\n"
				   "  local t = {} while true do t[#t + 1] = ('x'):rep(1000) .. #t end end})\n"
				   "local t = {} for i = 1, 1e9 do t[i] = {i} end"),
			    ERR_LIMIT, "memory limit", HOSTILE_MEM_BUDGET_MS, 0),
		CASE_LIMITS("__close that loops, after the memory cap",
			    ATTACK("local x <close> = setmetatable({}, {__close = function() while true do end end})\n"
				   "local t = {} for i = 1, 1e9 do t[i] = {i} end"),
			    ERR_LIMIT, "memory limit", HOSTILE_MEM_BUDGET_MS, 0),
		/* Lua 5.4.4 overflows the C stack here (fixed upstream in 5.4.5) */
		CASE_LIMITS("coroutine.close nested 30000 deep through __close",
			    ATTACK("local coro = false\n"
				   "for i = 1, 30000 do\n"
				   "  local previous = coro\n"
				   "  coro = coroutine.create(function()\n"
				   "    local cc <close> = setmetatable({}, {__close = function()\n"
				   "      if previous then assert(coroutine.close(previous)) end end})\n"
				   "    coroutine.yield()\n"
				   "  end)\n"
				   "  coroutine.resume(coro)\n"
				   "end\n"
				   "assert(coroutine.close(coro))"),
			    ERR_POLICY, "coroutine.close: nested", HOSTILE_MEM_BUDGET_MS,
			    128u * 1024 * 1024),
		CASE("__gc refused in the metatable",
		     ATTACK("setmetatable({}, {__gc = false})"),
		     ERR_POLICY, "__gc metamethods are not allowed"),
		CASE_LIMITS("__gc added to the metatable after setmetatable never runs",
			    ATTACK("local mt = {}\n"
				   "for i = 1, 1000 do setmetatable({}, mt) end\n"
				   "mt.__gc = function() while true do end end\n"
				   "local junk = {} for i = 1, 20000 do junk[i] = {} end"),
			    0, NULL, HOSTILE_MEM_BUDGET_MS, 0),
	};

	CHECK_ALL(cases);
}

/* ---- recursion through metamethods, __call chains, C stack --------------- */

static void test_metamethod_recursion(void **state)
{
	/* event, the handler's body, the expression that triggers it */
	static const char *const events[][3] = {
		{ "__eq", "return a == b", "a == b" },
		{ "__lt", "return a < b", "a < b" },
		{ "__le", "return a <= b", "a <= b" },
		{ "__concat", "return a .. b", "a .. b" },
		{ "__len", "return #a", "#a" },
		{ "__unm", "return -a", "-a" },
		{ "__add", "return a + b", "a + b" },
		{ "__index", "return a[b]", "a.x" },
		{ "__tostring", "return tostring(a)", "tostring(a)" },
	};
	char src[1024], name[64];

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct hostile h = CASE(name, src, ERR_POLICY, "stack overflow");
		char body[512];

		snprintf(name, sizeof(name), "%s calling itself", events[i][0]);
		snprintf(body, sizeof(body),
			 "local mt = {}\n"
			 "mt.%s = function(a, b) %s end\n"
			 "local a, b = setmetatable({}, mt), setmetatable({}, mt)\n"
			 "local _ = %s", events[i][0], events[i][1], events[i][2]);
		snprintf(src, sizeof(src), ATTACK("%s"), body);
		check_hostile(&h);
	}
}

static void test_call_chains_and_c_stack(void **state)
{
	static const struct hostile cases[] = {
		CASE("__index chain that loops",
		     ATTACK("local a, b = {}, {}\n"
			    "setmetatable(a, {__index = b}) setmetatable(b, {__index = a})\n"
			    "return a.x"),
		     ERR_POLICY, "'__index' chain too long"),
		CASE("__newindex chain that loops",
		     ATTACK("local a, b = {}, {}\n"
			    "setmetatable(a, {__newindex = b}) setmetatable(b, {__newindex = a})\n"
			    "a.x = 1"),
		     ERR_POLICY, "'__newindex' chain too long"),
		CASE("__call that calls itself (a tail call: an endless loop)",
		     ATTACK("local mt = {} mt.__call = function(self) return self() end\n"
			    "setmetatable({}, mt)()"),
		     ERR_TIMEOUT, "time budget"),
		/* Lua follows __call chains in C, moving the whole stack at each
		 * hop: quadratic, no hook runs, minutes for a cycle */
		CASE("__call cycle (a table whose __call is itself)",
		     ATTACK("local t = {} setmetatable(t, {__call = t}) t()"),
		     ERR_POLICY, "__call must be a function"),
		CASE("__call chain of 20000 tables",
		     ATTACK("local f = function() end\n"
			    "for i = 1, 20000 do f = setmetatable({}, {__call = f}) end\n"
			    "f()"),
		     ERR_POLICY, "__call must be a function"),
		CASE("__call cycle made by changing the metatable after setmetatable",
		     ATTACK("local mt = {} local t = setmetatable({}, mt)\n"
			    "mt.__call = t\n"
			    "t()"),
		     ERR_POLICY, "attempt to call a table value"),
		CASE("__close that is a __call cycle",
		     ATTACK("local mt = {} local t = setmetatable({}, mt)\n"
			    "mt.__call = t\n"
			    "local x <close> = setmetatable({}, {__close = t})"),
		     ERR_POLICY, "__close must be a function"),
		CASE("__add that is a __call cycle",
		     ATTACK("local mt = {} local t = setmetatable({}, mt)\n"
			    "mt.__call = t\n"
			    "local x = setmetatable({}, {__add = t})\n"
			    "return x + 1"),
		     ERR_POLICY, "attempt to call a table value"),
		CASE_LIMITS("deep Lua recursion",
			    ATTACK("local function f(n) return 1 + f(n + 1) end return f(1)"),
			    ERR_LIMIT, "memory limit", HOSTILE_MEM_BUDGET_MS, 0),
		CASE_LIMITS("pcall recursion until the C stack overflows, swallowed",
			    ATTACK("local function f() return pcall(f) end f()"),
			    0, NULL, HOSTILE_MEM_BUDGET_MS, 0),
		/* Lua 5.4.4 bug list: "Lua-stack overflow when C stack overflows
		 * while handling an error" */
		CASE_LIMITS("C stack overflow while handling an error",
			    ATTACK("local function loop() assert(pcall(loop)) end\n"
				   "local ok, msg = xpcall(loop, loop)"),
			    0, NULL, HOSTILE_MEM_BUDGET_MS, 0),
		CASE("coroutine.wrap recursion",
		     ATTACK("local function f() return coroutine.wrap(f)() end return f()"),
		     ERR_POLICY, "C stack overflow"),
		CASE("string.gsub callback recursion",
		     ATTACK("local function f(s) return (s:gsub('.', f)) end return f('ab')"),
		     ERR_POLICY, "stack overflow"),
		CASE("table.sort comparator recursion",
		     ATTACK("local function cmp(a, b) table.sort({3, 2, 1}, cmp) return a < b end\n"
			    "table.sort({3, 2, 1}, cmp)"),
		     ERR_POLICY, "stack overflow"),
		CASE("error object whose __tostring recurses",
		     ATTACK("local mt = {} mt.__tostring = function(a) return tostring(a) end\n"
			    "error(setmetatable({}, mt))"),
		     ERR_POLICY, "stack overflow"),
	};

	CHECK_ALL(cases);
}

/* ---- string.format and string.rep ---------------------------------------- */

static void test_string_bombs(void **state)
{
	static const struct hostile cases[] = {
		CASE("string.format('%99999d')", ATTACK("return string.format('%99999d', 1)"),
		     ERR_POLICY, "invalid conversion"),
		CASE("string.format('%.99999f')", ATTACK("return string.format('%.99999f', 1)"),
		     ERR_POLICY, "invalid conversion"),
		/* one C call, no hook: 20000 x 409 bytes of slow float formatting */
		CASE_LIMITS("string.format with 20000 '%99.99f' of 1e308",
			    ATTACK("local t = {} for i = 1, 20000 do t[i] = 1e308 end\n"
				   "local s = string.format(string.rep('%99.99f', #t), table.unpack(t))"),
			    ERR_POLICY, "string.format", 0, 64u * 1024 * 1024),
		CASE_LIMITS("string.format('%q') of 3 MB of NUL bytes",
			    ATTACK("local s = string.format('%q', ('\\0'):rep(3e6))"),
			    ERR_POLICY, "string.format", 0, 64u * 1024 * 1024),
		CASE("('x'):rep(2^31)", ATTACK("local s = ('x'):rep(2^31)"),
		     ERR_POLICY, "resulting string too large"),
		CASE_LIMITS("('x'):rep(2^30)", ATTACK("local s = ('x'):rep(2^30)"),
			    ERR_LIMIT, "memory limit", HOSTILE_MEM_BUDGET_MS, 0),
		CASE_LIMITS("('x'):rep(2^20, 4 KiB separator)",
			    ATTACK("local s = ('x'):rep(2^20, ('y'):rep(4096))"),
			    ERR_POLICY, "resulting string too large", HOSTILE_MEM_BUDGET_MS, 0),
	};

	CHECK_ALL(cases);
}

/* ---- what render returns -------------------------------------------------- */

static void test_render_results(void **state)
{
	static const struct hostile cases[] = {
		CASE("cycle", RESULT_WITH("local d = {} d.self = d", "d"),
		     ERR_POLICY, "render result: [1].data.self: cycle"),
		/* decided: legal, each place gets its own copy (the node and text
		 * limits bound what sharing can blow up) */
		CASE("the same table in two places is copied twice",
		     RESULT_WITH("local l = {a = 'b'}", "{x = l, y = {l, l}}"), 0, NULL),
		CASE_LIMITS("tables nested 10^5 deep",
			    RESULT_WITH("local t = {} for i = 1, 1e5 do t = {t} end", "t"),
			    ERR_POLICY, "nesting deeper than JSON_MAX_DEPTH (128)", HOSTILE_MEM_BUDGET_MS,
			    32u * 1024 * 1024),
		CASE("a function", RESULT_WITH("", "{f = print}"),
		     ERR_POLICY, "[1].data.f: function cannot be converted"),
		CASE("a thread", RESULT_WITH("", "{co = coroutine.create(print)}"),
		     ERR_POLICY, "[1].data.co: thread cannot be converted"),
		CASE("ctx.null is fine", RESULT_WITH("", "{x = ctx.null}"), 0, NULL),
		CASE("NaN", RESULT_WITH("", "{x = {0/0}}"), ERR_POLICY, "[1].data.x[1]: NaN"),
		CASE("infinity", RESULT_WITH("", "{x = math.huge}"),
		     ERR_POLICY, "[1].data.x: infinity"),
		CASE("-infinity", RESULT_WITH("", "{x = -math.huge}"),
		     ERR_POLICY, "[1].data.x: infinity"),
		CASE("a boolean key", RESULT_WITH("", "{[true] = 1}"),
		     ERR_POLICY, "table key of type boolean"),
		CASE("a table key", RESULT_WITH("", "{[{}] = 1}"),
		     ERR_POLICY, "table key of type table"),
		CASE("a float key", RESULT_WITH("", "{[0.5] = 1}"),
		     ERR_POLICY, "table key of type number (non-integral)"),
		CASE("mixed keys", RESULT_WITH("", "{1, 2, x = 3}"),
		     ERR_POLICY, "table mixes array and object keys"),
		CASE("holes", RESULT_WITH("", "{[1] = 1, [3] = 3}"),
		     ERR_POLICY, "array has holes (2 values, largest index 3)"),
		CASE("a hole at 2^40", RESULT_WITH("", "{[1] = 1, [2^40] = 3}"),
		     ERR_POLICY, "array has holes"),
		CASE("key 0", RESULT_WITH("", "{[0] = 1, 2}"),
		     ERR_POLICY, "array key 0 is not in 1..n"),
		CASE("a key with NUL", RESULT_WITH("", "{['a\\0b'] = 'x'}"),
		     ERR_POLICY, "object key contains NUL"),
		CASE("invalid UTF-8 in a value", RESULT_WITH("", "{k = '\\xff\\xfe'}"),
		     ERR_POLICY, "[1].data.k: string is not valid UTF-8"),
		/* the message names the key, so the key must be escaped in it */
		CASE("invalid UTF-8 in a key", RESULT_WITH("", "{['\\xc3'] = 'x'}"),
		     ERR_POLICY, "object key is not valid UTF-8"),
		CASE("a newline in a key on the path", RESULT_WITH("", "{['a\\nb'] = print}"),
		     ERR_POLICY, "function cannot be converted"),
		CASE("a newline in the key named by a mixed-keys error",
		     RESULT_WITH("", "{1, ['x\\ny'] = 2}"),
		     ERR_POLICY, "table mixes array and object keys"),
		CASE("an escape sequence in a key", RESULT_WITH("", "{['\\27[31mred'] = print}"),
		     ERR_POLICY, "function cannot be converted"),
	};

	CHECK_ALL(cases);
}

/* ---- the bridge's limits: bounded while converting ------------------------ */

/* 5.6 MB kept alive in Lua under an 8 MiB cap, then a result of 40000
 * integers: within the node and text limits, but its C tree (about 2.2 MB)
 * does not fit in what is left. Without the ballast it converts. */
static const char bridge_at_cap[] =
	"local ballast\n"
	"return {api = 1, render = function(ds)\n"
	"  if ds.attack then\n"
	"    ballast = nil\n"
	"    if ds.attack == 1 then\n"
	"      local s = ('x'):rep(1000)\n"
	"      ballast = {} for i = 1, 5500 do ballast[i] = s .. i end\n"
	"    end\n"
	"    local d = {} for i = 1, 40000 do d[i] = i end\n"
	"    return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'c'}, data = d}}\n"
	"  end\n"
	"  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = 'ok'}}}\n"
	"end}\n";

static void test_bridge_limits(void **state)
{
	/* each policy builds the largest result it can within the default
	 * 32 MiB Lua cap; the bridge must stop early, small and fast */
	static const struct hostile cases[] = {
		CASE_BRIDGE("10^6 integers (16 MiB of Lua)",
			    RESULT_WITH("local d = {} for i = 1, 999990 do d[i] = i end", "d"),
			    ERR_POLICY, "more than 50000 values"),
		CASE_BRIDGE("10^6 references to one 64-byte string",
			    RESULT_WITH("local s = ('x'):rep(64) local d = {}\n"
					"for i = 1, 999990 do d[i] = s end", "d"),
			    ERR_POLICY, "more than 50000 values"),
		CASE_BRIDGE("40000 references to one 1 KiB string (40 MiB of JSON)",
			    RESULT_WITH("local s = ('x'):rep(1024) local d = {}\n"
					"for i = 1, 40000 do d[i] = s end", "d"),
			    ERR_POLICY, "bytes of JSON"),
		CASE_BRIDGE("10^5 keys",
			    RESULT_WITH("local d = {} for i = 1, 1e5 do d['k' .. i] = i end", "d"),
			    ERR_POLICY, "more than 50000 values"),
		CASE_BRIDGE("{t, t} doubled 60 times",
			    RESULT_WITH("local t = {1} for i = 1, 60 do t = {t, t} end", "t"),
			    ERR_POLICY, "more than 50000 values"),
		{ .name = "a result that fits the limits, from a policy holding most of its cap",
		  .src = bridge_at_cap,
		  .steps = { { "{\"attack\": 1}", ERR_LIMIT, "exceeded converting the render result" },
			     { "{\"attack\": 2}", 0, NULL } },
		  .budget_ms = HOSTILE_MEM_BUDGET_MS, .mem_bytes = 8u * 1024 * 1024, .measure = true },
	};

	CHECK_ALL(cases);
}

/* JSON -> Lua makes only Lua objects: a DevServer bigger than the cap fails
 * on the Lua allocator, softly, with no C heap of its own. */
static void test_bridge_input_counts_against_the_cap(void **state)
{
	static const size_t blob = 6u * 1024 * 1024;
	char *ds = malloc(blob + 64);
	struct hostile h = {
		.name = "a 6 MiB DevServer into a 4 MiB cap",
		.src = ATTACK(""),
		.budget_ms = HOSTILE_MEM_BUDGET_MS,
		.measure = true,
	};
	int n;

	assert_non_null(ds);
	n = snprintf(ds, blob + 64, "{\"attack\": true, \"blob\": [\"");
	memset(ds + n, 'x', blob);
	strcpy(ds + n + blob, "\"]}");
	h.steps[0] = (struct step){ ds, ERR_LIMIT, "memory limit of 4194304 bytes exceeded" };
	check_hostile(&h);
	free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_and_gc_after_a_trip),
		cmocka_unit_test(test_metamethod_recursion),
		cmocka_unit_test(test_call_chains_and_c_stack),
		cmocka_unit_test(test_string_bombs),
		cmocka_unit_test(test_render_results),
		cmocka_unit_test(test_bridge_limits),
		cmocka_unit_test(test_bridge_input_counts_against_the_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
