-- resources.lua - the container's resource requirements from the flavor.
-- Quantities stay strings: the policy never does arithmetic on them, it only
-- formats numbers a YAML author wrote unquoted ("cpu: 2") the way the API
-- server would. GPUs are the extended resource nvidia.com/gpu, which
-- Kubernetes accepts only as a limit (a request, if any, must equal it).
local util = require("lib.util")

local resources = {}

resources.GPU = "nvidia.com/gpu"

-- 2 -> "2", 2.0 -> "2", 0.5 -> "0.5", "4Gi" -> "4Gi".
function resources.quantity(v)
  if type(v) == "string" then
    return v
  end
  if math.type(v) == "integer" then
    return string.format("%d", v)
  end
  if v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then
    return string.format("%d", math.floor(v))
  end
  return string.format("%.15g", v)
end

local function quantities(m)
  if not m then
    return nil
  end
  local out = {}
  for _, k in ipairs(util.sorted_keys(m)) do
    out[k] = resources.quantity(m[k])
  end
  return out
end

-- r is the validated {requests, limits} (maps of quantities) or nil.
-- Returns a ResourceRequirements table, or nil when there is nothing to say.
function resources.build(r)
  if not r then
    return nil
  end
  local requests = quantities(r.requests) or {}
  local limits = quantities(r.limits) or {}
  local req_gpu, lim_gpu = requests[resources.GPU], limits[resources.GPU]
  if req_gpu and lim_gpu and req_gpu ~= lim_gpu then
    error(string.format(
      "flavor spec.resources: %s request %s and limit %s must be equal",
      resources.GPU, req_gpu, lim_gpu), 0)
  end
  if req_gpu and not lim_gpu then
    -- A GPU request without a limit is rejected by the API server.
    limits[resources.GPU] = req_gpu
  end
  local out = {}
  util.set_if(out, "requests", requests)
  util.set_if(out, "limits", limits)
  if util.is_empty(out) then
    return nil
  end
  return out
end

return resources
