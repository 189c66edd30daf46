-- merge.lua - merging lists of records by a key field.
-- Used for volumes (flavor + server, keyed by mountPath). The result is sorted
-- by the key so the output does not depend on the order of either input.
local util = require("lib.util")

local merge = {}

-- Returns a new list holding every record of base and override, one per key;
-- when both have a key, the override's record wins whole (fields are not
-- mixed: a server volume replaces the flavor's at the same mountPath).
-- Records are not copied. Sorted by key (string comparison).
function merge.by_key(base, override, key)
  local by = {}
  for _, list in ipairs({ base or {}, override or {} }) do
    for _, rec in ipairs(list) do
      by[rec[key]] = rec
    end
  end
  local out = {}
  for _, k in ipairs(util.sorted_keys(by)) do
    out[#out + 1] = by[k]
  end
  return out
end

-- A new map with the entries of a, then b on top. Either may be nil.
function merge.maps(a, b)
  local out = {}
  for _, m in ipairs({ a or {}, b or {} }) do
    for k, v in pairs(m) do
      out[k] = v
    end
  end
  return out
end

return merge
