-- pvc.lua - the persistent home volume claim, when spec.home is set.
-- accessModes are fixed and storageClassName comes only from spec.home
-- (which the CRD marks immutable), never from the flavor: both fields are
-- immutable on a PVC and a change would be rejected on every apply. The
-- devserver.io/home label tells the host this claim holds a home, which it
-- must not delete just because a later render leaves it out.
local names = require("lib.names")
local resources = require("lib.resources")

local pvc = {}

pvc.DEFAULT_SIZE = "10Gi"

-- Returns the PVC manifest, or nil when the home is ephemeral.
function pvc.build(req)
  if not req.home then
    return nil
  end
  local spec = {
    accessModes = { "ReadWriteOnce" },
    resources = {
      requests = {
        storage = resources.quantity(req.home.size or pvc.DEFAULT_SIZE),
      },
    },
  }
  if req.home.storage_class then
    spec.storageClassName = req.home.storage_class
  end
  return {
    apiVersion = "v1",
    kind = "PersistentVolumeClaim",
    metadata = {
      name = names.home(req.name),
      labels = { [names.HOME_LABEL] = "true" },
    },
    spec = spec,
  }
end

return pvc
