/* format.c - string.format with its output bounded before it runs (see
 * format.h for why).
 *
 * The bound is computed by one pass over the format string that follows the
 * shape of a conversion in the Lua 5.4 manual (section 6.4.1): '%', flags,
 * width, precision, one letter. Literal bytes and "%%" count one byte each,
 * %s of a string its length, %q of a string 2 + 4 bytes per byte (the
 * longest escape, "\ddd"), every other conversion
 * POLICY_FORMAT_ITEM_MAX_BYTES. Then the stock function runs with the same
 * arguments, so results and error messages are Lua's own: the pass does not
 * validate anything, and stops counting where the format stops making sense
 * (the stock function reports it).
 *
 * Not bounded: %s of a value whose __tostring returns a long string. Building
 * that string ran in Lua, under the count hook; copying it is fast.
 */
#include "policy/format.h"

#include <lauxlib.h>
#include <stdbool.h>
#include <stddef.h>

static bool is_spec_char(char c)
{
	return c == '-' || c == '+' || c == ' ' || c == '#' || c == '.' || (c >= '0' && c <= '9');
}

static int bounded_format(lua_State *L)
{
	size_t flen, bound = 0, i;
	const char *fmt = luaL_checklstring(L, 1, &flen);
	int arg = 1, top = lua_gettop(L);

	for (i = 0; i < flen && bound <= POLICY_FORMAT_MAX_BYTES; i++) {
		char conv;

		if (fmt[i] != '%' || (i + 1 < flen && fmt[i + 1] == '%')) {
			i += fmt[i] == '%';
			bound++;
			continue;
		}
		while (++i < flen && is_spec_char(fmt[i]))
			;
		if (i >= flen)
			break;
		conv = fmt[i];
		arg++;
		if ((conv == 's' || conv == 'q') && arg <= top && lua_type(L, arg) == LUA_TSTRING) {
			size_t len = lua_rawlen(L, arg);

			bound += conv == 'q' ? 2 + 4 * len : len;
		} else {
			bound += POLICY_FORMAT_ITEM_MAX_BYTES;
		}
	}
	if (bound > POLICY_FORMAT_MAX_BYTES)
		return luaL_error(L, "string.format: the result could be longer than "
				  "POLICY_FORMAT_MAX_BYTES (%d bytes)", (int)POLICY_FORMAT_MAX_BYTES);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, top, 1);
	return 1;
}

void policy_format_open(lua_State *L, int lib_idx)
{
	lib_idx = lua_absindex(L, lib_idx);
	lua_getfield(L, lib_idx, "format");
	lua_pushcclosure(L, bounded_format, 1);
	lua_setfield(L, lib_idx, "format");
}
