/* pattern.h - Lua 5.4 string patterns with a step budget, for the sandbox.
 *
 * The standard string.find/match/gmatch/gsub run their backtracking matcher
 * in C, where the count hook never fires: string.rep("a", 5e4):find(".-.-.-b")
 * would hold the host for hours. These replacements implement the pattern
 * language of the Lua 5.4 manual (section 6.4.1) and call budget->check every
 * POLICY_PATTERN_TICK_STEPS matching steps; check raises a Lua error when the
 * caller's time budget is spent, which unwinds the matcher (it holds no heap
 * memory: state lives on the C stack and output in a luaL_Buffer).
 */
#ifndef DEVSERVER_POLICY_PATTERN_H
#define DEVSERVER_POLICY_PATTERN_H

#include <lua.h>

#define POLICY_PATTERN_TICK_STEPS 1024     /* power of two */
#define POLICY_PATTERN_MAX_CAPTURES 32
#define POLICY_PATTERN_MAX_DEPTH 200       /* matcher recursion */

struct policy_pattern_budget {
	/* Raises a Lua error (does not return) when the budget is spent. */
	void (*check)(lua_State *L);
};

/* Sets find, match, gmatch and gsub in the table at lib_idx (the string
 * library, so methods on string values use them too). budget must outlive
 * the state (normally a static const). */
void policy_pattern_open(lua_State *L, int lib_idx, const struct policy_pattern_budget *budget);

#endif
