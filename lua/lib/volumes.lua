-- volumes.lua - the pod's volumes and the main container's mounts.
-- Sources: the home (a PVC when spec.home is set, else an emptyDir), the
-- sshd ConfigMap, the host-key Secret the operator owns, the tools emptyDir
-- (with the passwd and group files the login init container writes there,
-- mounted over the image's own), and the extra PVCs of the flavor and the
-- server merged by mountPath with the server's entry winning. Extra volumes
-- are named by their position in mountPath order, so the names are stable
-- for a given set.
local merge = require("lib.merge")
local names = require("lib.names")
local sshd = require("lib.sshd")
local tools = require("lib.tools")

local volumes = {}

volumes.HOME_PATH = "/home/dev"
volumes.SSH_PATH = sshd.CONFIG_DIR
-- 0444: the keys and sshd_config are read-only for everyone.
volumes.SSH_MODE = 292
-- 0440: the host key is root's, readable by the login user's group (fsGroup).
volumes.HOSTKEY_MODE = 288

-- The mount every container of the pod has: the tools emptyDir.
function volumes.tools_mount()
  return { name = tools.VOLUME, mountPath = tools.DIR }
end

-- Returns volumes, mounts (lists, never empty: home, ssh, host key and tools
-- are always there).
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

  vols[#vols + 1] = {
    name = "hostkey",
    secret = {
      secretName = names.hostkey(req.name),
      defaultMode = volumes.HOSTKEY_MODE,
      items = { { key = sshd.HOSTKEY_FILE, path = sshd.HOSTKEY_FILE } },
    },
  }
  mounts[#mounts + 1] = { name = "hostkey", mountPath = sshd.HOSTKEY_DIR, readOnly = true }

  vols[#vols + 1] = { name = tools.VOLUME, emptyDir = {} }
  mounts[#mounts + 1] = volumes.tools_mount()
  mounts[#mounts + 1] = {
    name = tools.VOLUME, mountPath = "/" .. tools.PASSWD, subPath = tools.PASSWD, readOnly = true,
  }
  mounts[#mounts + 1] = {
    name = tools.VOLUME, mountPath = "/" .. tools.GROUP, subPath = tools.GROUP, readOnly = true,
  }

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
