-- sandbox.lua - loads a policy the way the operator does, for busted.
-- The policy and its lib.* modules are loaded as text into an environment
-- holding only the globals the host allows, with a require that resolves
-- only lib.<name> to <root>/lib/<name>.lua. A policy that reaches for io or
-- os fails here as it would in the cluster, not only under the host.
local sandbox = {}

local BASE = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "print", "rawequal",
  "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber",
  "tostring", "type", "xpcall", "_VERSION",
}

local function copy(t)
  local out = {}
  for k, v in pairs(t) do
    out[k] = v
  end
  return out
end

-- Returns a fresh environment table; its require loads from root/lib.
function sandbox.env(root)
  local env = {}
  for _, name in ipairs(BASE) do
    env[name] = _G[name]
  end
  env.string = copy(string)
  env.table = copy(table)
  env.utf8 = copy(utf8)
  env.math = copy(math)
  env.math.random = nil
  env.math.randomseed = nil

  local loaded = {}
  env.require = function(name)
    if type(name) ~= "string" or not name:match("^lib%.[%w_]+$") then
      error("require: only lib.<name> modules are available, not " .. tostring(name), 2)
    end
    if loaded[name] == nil then
      local path = root .. "/lib/" .. name:sub(5) .. ".lua"
      local chunk, err = loadfile(path, "t", env)
      if not chunk then
        error(err, 2)
      end
      local v = chunk(name)
      loaded[name] = v == nil and true or v
    end
    return loaded[name]
  end
  -- Writes to globals are refused, as in the host.
  return setmetatable(env, {
    __newindex = function(_, k)
      error("assignment to undeclared global " .. tostring(k), 2)
    end,
  })
end

-- Loads root/policies/<file> in a fresh sandbox and returns the policy table.
function sandbox.load_policy(root, file)
  local env = sandbox.env(root)
  local chunk, err = loadfile(root .. "/policies/" .. file, "t", env)
  if not chunk then
    error(err, 0)
  end
  return chunk()
end

return sandbox
