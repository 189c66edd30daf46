-- util.lua - small table and string helpers shared by the policy modules.
-- Pure functions only; nothing here knows about Kubernetes.
local util = {}

-- Keys of a map in a stable order, so iterating with pairs never leaks the
-- hash order into rendered lists.
function util.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  return keys
end

function util.is_empty(t)
  return next(t) == nil
end

-- Bytes %s matches in the C locale: \t \n \v \f \r and space.
local function is_space(b)
  return b == 32 or (b >= 9 and b <= 13)
end

function util.trim(s)
  -- Most strings (every public key, once per render) have nothing to trim:
  -- two byte reads instead of two pattern scans.
  local first, last = s:byte(1), s:byte(-1)
  if first and not is_space(first) and not is_space(last) then
    return s
  end
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Sets t[k] = v unless v is nil or an empty table: the policy never emits an
-- empty list or map (the API server would store it, and apply would fight
-- over it), so an absent opinion is an absent field.
function util.set_if(t, k, v)
  if v == nil then
    return t
  end
  if type(v) == "table" and next(v) == nil then
    return t
  end
  t[k] = v
  return t
end

-- v, or nil when v is nil or an empty table: set_if for a table
-- constructor, `{ a = util.non_empty(x) }`. A constructor sizes the table
-- for every field it names, so filling fields this way costs no rehash
-- (adding them afterwards grows the table, a copy each time).
function util.non_empty(v)
  if type(v) == "table" and next(v) == nil then
    return nil
  end
  return v
end

-- A shallow copy of a map or list; nested tables are shared.
function util.copy(t)
  local out = {}
  for k, v in pairs(t) do
    out[k] = v
  end
  return out
end

return util
