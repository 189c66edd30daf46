/* format.h - string.format with its output bounded before it runs, for the
 * sandbox.
 *
 * string.format is one C call, so the count hook never fires inside it, and
 * the memory cap alone lets it run long: 20000 "%99.99f" conversions of
 * 1e308 (8 MB of slow float formatting) take about half a second, "%q" of
 * 10 MB of NUL bytes about as long. The wrapper adds up an upper bound of
 * the result first and refuses past POLICY_FORMAT_MAX_BYTES; a render is at
 * most POLICY_RENDER_MAX_BYTES of JSON, so no useful format comes near it.
 */
#ifndef DEVSERVER_POLICY_FORMAT_H
#define DEVSERVER_POLICY_FORMAT_H

#include <lua.h>

#define POLICY_FORMAT_MAX_BYTES (1024u * 1024)   /* one string.format result */
/* Bound of one conversion that is not %s/%q of a string. Lua's own largest
 * is 428 bytes ('%99.99f' of 1e308: 120 + DBL_MAX_10_EXP). */
#define POLICY_FORMAT_ITEM_MAX_BYTES 512

/* Replaces format in the table at lib_idx (the string library, so methods on
 * string values use it too) with the bounded version. */
void policy_format_open(lua_State *L, int lib_idx);

#endif
