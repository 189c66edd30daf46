-- luacheck configuration.
-- lua/ runs inside the operator's sandbox: only the allow-listed globals
-- below exist there (no io, os, debug, load, dofile, getmetatable,
-- collectgarbage, math.random), so using anything else is a lint error here
-- rather than a runtime error in the cluster. The busted specs are plain
-- Lua 5.4 plus busted's globals.
max_line_length = 120

stds.sandbox = {
  read_globals = {
    "_VERSION", "assert", "error", "ipairs", "next", "pairs", "pcall", "print",
    "rawequal", "rawget", "rawlen", "rawset", "require", "select", "setmetatable",
    "tonumber", "tostring", "type", "xpcall",
    string = { other_fields = true },
    table = { other_fields = true },
    utf8 = { other_fields = true },
    math = {
      fields = {
        "abs", "ceil", "exp", "floor", "fmod", "huge", "log", "max", "maxinteger",
        "min", "mininteger", "modf", "pi", "sqrt", "tointeger", "type", "ult",
        "sin", "cos", "tan", "asin", "acos", "atan",
      },
    },
  },
}

files["lua"] = { std = "sandbox" }
files["tests/lua"] = { std = "lua54+busted" }
