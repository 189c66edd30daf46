-- fixtures.lua - reading and checking tests/fixtures/render cases.
-- Shared by policy_fixtures_spec.lua and the regen script, so the spec and
-- the tool that writes expected.yaml build inputs the same way.
local lfs = require("lfs")
local yaml = require("helpers.yaml")

local fixtures = {}

fixtures.DIR = "tests/fixtures/render"

local function exists(path)
  return lfs.attributes(path, "mode") == "file"
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- Marks a table as a JSON array (stands in for the host's array metatable).
local ARRAY_MT = { __name = "json.array" }
function fixtures.array(t)
  return setmetatable(t or {}, ARRAY_MT)
end

function fixtures.is_array(t)
  return getmetatable(t) == ARRAY_MT
end

-- Sorted names of the case directories.
function fixtures.cases()
  local out = {}
  for name in lfs.dir(fixtures.DIR) do
    if name:sub(1, 1) ~= "." and lfs.attributes(fixtures.DIR .. "/" .. name, "mode") == "directory" then
      out[#out + 1] = name
    end
  end
  table.sort(out)
  return out
end

-- Builds ctx from the shared ctx.yaml, overlaid by the case's ctx.yaml.
local function ctx_for(dir)
  local ctx = {}
  for _, path in ipairs({ fixtures.DIR .. "/ctx.yaml", dir .. "/ctx.yaml" }) do
    if exists(path) then
      for k, v in pairs(yaml.load_file(path) or {}) do
        ctx[k] = v
      end
    end
  end
  ctx.array = fixtures.array
  ctx.null = yaml.null
  return ctx
end

-- Returns {name, ds, flavor, ctx, expected = list | nil, error = string | nil}.
function fixtures.load(name)
  local dir = fixtures.DIR .. "/" .. name
  local case = { name = name, dir = dir }
  case.ds = yaml.load_file(dir .. "/devserver.yaml")
  case.flavor = exists(dir .. "/flavor.yaml") and yaml.load_file(dir .. "/flavor.yaml") or {}
  case.ctx = ctx_for(dir)
  if exists(dir .. "/expected.yaml") then
    case.expected = yaml.load_file(dir .. "/expected.yaml")
  end
  if exists(dir .. "/error.txt") then
    case.error = read(dir .. "/error.txt"):gsub("%s+$", "")
  end
  return case
end

-- Structural comparison: map key order is irrelevant, list order and
-- number subtypes (integer vs float) matter. Returns nil when equal, else a
-- message naming the first differing path.
function fixtures.diff(want, got, path)
  path = path or "$"
  if type(want) ~= type(got) then
    return string.format("%s: want %s, got %s", path, tostring(want), tostring(got))
  end
  if type(want) == "number" then
    if math.type(want) ~= math.type(got) or want ~= got then
      return string.format("%s: want %s (%s), got %s (%s)", path, tostring(want),
        math.type(want), tostring(got), math.type(got))
    end
    return nil
  end
  if type(want) ~= "table" then
    if want ~= got then
      return string.format("%s: want %q, got %q", path, tostring(want), tostring(got))
    end
    return nil
  end
  if want == yaml.null or got == yaml.null then
    if want ~= got then
      return string.format("%s: want %s, got %s", path, tostring(want), tostring(got))
    end
    return nil
  end
  local keys = {}
  for k in pairs(want) do
    keys[#keys + 1] = k
  end
  for k in pairs(got) do
    if want[k] == nil then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  for _, k in ipairs(keys) do
    local sub = type(k) == "number" and string.format("%s[%d]", path, k - 1) or path .. "." .. tostring(k)
    if want[k] == nil then
      return sub .. ": unexpected (not in expected)"
    end
    if got[k] == nil then
      return sub .. ": missing"
    end
    local d = fixtures.diff(want[k], got[k], sub)
    if d then
      return d
    end
  end
  return nil
end

-- The rule "never emit an empty list or map": returns the path of the first
-- empty table in v that is not marked with ctx.array and is not an emptyDir
-- (whose empty map is the volume source itself), or nil.
function fixtures.find_empty(v, path)
  path = path or "$"
  if type(v) ~= "table" or v == yaml.null then
    return nil
  end
  if next(v) == nil then
    if fixtures.is_array(v) or path:match("%.emptyDir$") then
      return nil
    end
    return path
  end
  for k, sub in pairs(v) do
    local p = type(k) == "number" and string.format("%s[%d]", path, k - 1) or path .. "." .. tostring(k)
    local found = fixtures.find_empty(sub, p)
    if found then
      return found
    end
  end
  return nil
end

-- A deep copy, used to check that render leaves its inputs alone.
function fixtures.deep_copy(v)
  if type(v) ~= "table" or v == yaml.null then
    return v
  end
  local out = {}
  for k, sub in pairs(v) do
    out[k] = fixtures.deep_copy(sub)
  end
  return setmetatable(out, getmetatable(v))
end

return fixtures
