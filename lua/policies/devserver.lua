-- devserver.lua - the default policy: DevServer + Flavor -> child manifests.
-- Placeholder until the policy-engine issue lands; renders nothing.
local policy = {}

policy.api = 1

function policy.render(ds, flavor, ctx)
  return {}
end

return policy
