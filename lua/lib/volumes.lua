-- volumes.lua - the pod's volumes and the main container's mounts.
-- Sources: the home, the sshd ConfigMap, the host-key Secret the operator
-- owns, the tools emptyDir (with the passwd and group files the login init
-- container writes there, mounted over the image's own), and the extra PVCs
-- of the flavor and the server merged by mountPath with the server's entry
-- winning whole. Extra volumes are named by their position in mountPath
-- order, so the names are stable for a given set.
--
-- The home, at /home/dev (tools.HOME), is the volume named "home", decided
-- in this order:
--   1. spec.home set: the operator's claim <name>-home (lib/pvc.lua). A
--      flavor volume at /home/dev is then ignored, not mounted at all: the
--      server's own choice wins over the flavor's default. (The server's own
--      spec.volumes entry at /home/dev beside spec.home is refused by
--      lib/validate.lua: it asks for two homes.)
--   2. else the volume at /home/dev of the merged list (the server's entry
--      over the flavor's, as at every mountPath): that PVC, mounted read-only
--      when the entry says so.
--   3. else an emptyDir, lost with the pod.
-- Mounts below /home/dev (/home/dev/data) are extra volumes like any other,
-- mounted after the home. A PVC that is the home passes the same consent
-- check in the host as any other claim the pod mounts (docs/reliability.md).
local merge = require("lib.merge")
local names = require("lib.names")
local sshd = require("lib.sshd")
local tools = require("lib.tools")

local volumes = {}

volumes.HOME_PATH = tools.HOME
volumes.SSH_PATH = sshd.CONFIG_DIR
-- 0444: the keys and sshd_config are read-only for everyone.
volumes.SSH_MODE = 292
-- 0440: the host key is root's, readable by the login user's group (fsGroup).
volumes.HOSTKEY_MODE = 288

-- The mount every container of the pod has: the tools emptyDir.
function volumes.tools_mount()
  return { name = tools.VOLUME, mountPath = tools.DIR }
end

-- A user PVC (a validated volume record) as the volume named name and its
-- mount.
local function claim(name, v)
  local read_only = v.read_only and true or nil
  local pvc = { claimName = v.claim_name, readOnly = read_only }
  local mount = { name = name, mountPath = v.mount_path, readOnly = read_only }
  return { name = name, persistentVolumeClaim = pvc }, mount
end

-- Returns volumes, mounts (lists, never empty: home, ssh, host key and tools
-- are always there).
function volumes.build(req)
  local extra, home_vol = {}, nil
  for _, v in ipairs(merge.by_key(req.flavor_volumes, req.volumes, "mount_path")) do
    if v.mount_path == volumes.HOME_PATH then
      home_vol = v
    else
      extra[#extra + 1] = v
    end
  end

  -- The fixed volumes and mounts in one constructor each (sized once, not
  -- grown entry by entry); the extra claims follow.
  local home, home_mount
  if req.home then
    home = {
      name = "home",
      persistentVolumeClaim = { claimName = names.home(req.name) },
    }
    home_mount = { name = "home", mountPath = volumes.HOME_PATH }
  elseif home_vol then
    home, home_mount = claim("home", home_vol)
  else
    home = { name = "home", emptyDir = {} }
    home_mount = { name = "home", mountPath = volumes.HOME_PATH }
  end

  local vols = {
    home,
    {
      name = "ssh",
      configMap = {
        name = names.config(req.name),
        defaultMode = volumes.SSH_MODE,
      },
    },
    {
      name = "hostkey",
      secret = {
        secretName = names.hostkey(req.name),
        defaultMode = volumes.HOSTKEY_MODE,
        items = { { key = sshd.HOSTKEY_FILE, path = sshd.HOSTKEY_FILE } },
      },
    },
    { name = tools.VOLUME, emptyDir = {} },
  }
  local mounts = {
    home_mount,
    { name = "ssh", mountPath = volumes.SSH_PATH, readOnly = true },
    { name = "hostkey", mountPath = sshd.HOSTKEY_DIR, readOnly = true },
    volumes.tools_mount(),
    { name = tools.VOLUME, mountPath = "/" .. tools.PASSWD, subPath = tools.PASSWD, readOnly = true },
    { name = tools.VOLUME, mountPath = "/" .. tools.GROUP, subPath = tools.GROUP, readOnly = true },
  }

  for i, v in ipairs(extra) do
    vols[#vols + 1], mounts[#mounts + 1] = claim(string.format("vol-%d", i), v)
  end

  return vols, mounts
end

return volumes
