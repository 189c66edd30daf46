-- volumes.lua - the pod's volumes and the container's mounts.
-- Three sources: the home (a PVC when spec.home is set, else an emptyDir),
-- the sshd ConfigMap, and the extra PVCs of the flavor and the server merged
-- by mountPath with the server's entry winning. Extra volumes are named by
-- their position in mountPath order, so the names are stable for a given set.
local merge = require("lib.merge")
local names = require("lib.names")

local volumes = {}

volumes.HOME_PATH = "/home/dev"
volumes.SSH_PATH = "/etc/devserver/ssh"
-- 0444: the keys and sshd_config are read-only for everyone.
volumes.SSH_MODE = 292

-- Returns volumes, mounts (lists, never empty: home and ssh are always there).
function volumes.build(req)
  local vols = {}
  local mounts = {}

  if req.home then
    vols[#vols + 1] = {
      name = "home",
      persistentVolumeClaim = { claimName = names.home(req.name) },
    }
  else
    vols[#vols + 1] = { name = "home", emptyDir = {} }
  end
  mounts[#mounts + 1] = { name = "home", mountPath = volumes.HOME_PATH }

  vols[#vols + 1] = {
    name = "ssh",
    configMap = {
      name = names.config(req.name),
      defaultMode = volumes.SSH_MODE,
    },
  }
  mounts[#mounts + 1] = { name = "ssh", mountPath = volumes.SSH_PATH, readOnly = true }

  local extra = merge.by_key(req.flavor_volumes, req.volumes, "mount_path")
  for i, v in ipairs(extra) do
    local name = string.format("vol-%d", i)
    local pvc = { claimName = v.claim_name }
    local mount = { name = name, mountPath = v.mount_path }
    if v.read_only then
      pvc.readOnly = true
      mount.readOnly = true
    end
    vols[#vols + 1] = { name = name, persistentVolumeClaim = pvc }
    mounts[#mounts + 1] = mount
  end

  return vols, mounts
end

return volumes
