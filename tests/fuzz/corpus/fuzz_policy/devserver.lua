-- devserver.lua - the default policy: DevServer + Flavor -> child manifests.
-- Pure: the same (ds, flavor, ctx) always gives the same list. Reads from ctx
-- only default_image and null (see docs/policies.md). Children, in apply
-- order (what the pod mounts exists before the pod):
--   ConfigMap <name>-ssh, PVC <name>-home (when spec.home is set),
--   Deployment <name>, Service <name>-ssh.
local deployment = require("lib.deployment")
local pvc = require("lib.pvc")
local service = require("lib.service")
local sshd = require("lib.sshd")
local validate = require("lib.validate")

local policy = {}

policy.api = 1

function policy.render(ds, flavor, ctx)
  local req = validate.request(ds, flavor, ctx)
  local out = {}
  out[#out + 1] = sshd.configmap(req)
  local home = pvc.build(req)
  if home then
    out[#out + 1] = home
  end
  out[#out + 1] = deployment.build(req)
  out[#out + 1] = service.build(req)
  return out
end

return policy
