-- sshd.lua - the sshd configuration and authorized keys, as one ConfigMap.
-- sshd comes from the tools tree (lib/tools.lua) and runs as the non-root
-- login user with `-f /etc/devserver/ssh/sshd_config`: port 2222, public keys
-- only, no PAM (a non-root sshd cannot use it). The host key is the one the
-- operator generated and keeps in the Secret <name>-hostkey (mounted at
-- HOSTKEY_DIR), so it is known before the first connection and survives
-- every restart; the pid file goes to the tools emptyDir.
local names = require("lib.names")
local tools = require("lib.tools")
local util = require("lib.util")

local sshd = {}

sshd.PORT = 2222
sshd.PORT_NAME = "ssh"
sshd.CONFIG_DIR = "/etc/devserver/ssh"
sshd.HOSTKEY_DIR = "/etc/devserver/hostkey"
sshd.HOSTKEY_FILE = "ssh_host_ed25519_key"

-- Splits each key string into lines (a pasted authorized_keys file is several
-- keys), trims them, drops blanks and comments, and keeps the first of each
-- duplicate, in order. Returns a list (possibly empty).
function sshd.collect_keys(keys)
  local out, seen = {}, {}
  local function add(line)
    line = util.trim(line)
    if line ~= "" and line:sub(1, 1) ~= "#" and not seen[line] then
      if line:find("[%c]") then
        error("spec.ssh: a public key contains a control character", 0)
      end
      seen[line] = true
      out[#out + 1] = line
    end
  end
  for _, text in ipairs(keys or {}) do
    if not text:find("\n", 1, true) then
      -- one key per string, the usual case: no copy, no line split
      add(text)
    else
      for line in (text .. "\n"):gmatch("([^\n]*)\n") do
        add(line)
      end
    end
  end
  return out
end

-- The authorized_keys file: one key per line, newline-terminated.
function sshd.authorized_keys(keys)
  local lines = sshd.collect_keys(keys)
  if #lines == 0 then
    return ""
  end
  return table.concat(lines, "\n") .. "\n"
end

-- The sshd_config text. Public keys only, no root, no passwords; PAM off
-- because a non-root sshd cannot use it; StrictModes off because fsGroup
-- makes the home volume group-writable, which StrictModes refuses (the keys
-- file itself is a read-only ConfigMap mount no user can change). The host
-- key file is root-owned and group-readable (a Secret volume with fsGroup):
-- sshd checks the mode only of key files the login user owns.
local config_text

function sshd.config()
  -- Constant for a given policy version: built once per state.
  if config_text then
    return config_text
  end
  local lines = {
    "# Rendered by the devserver-operator default policy; edits are overwritten.",
    string.format("Port %d", sshd.PORT),
    "HostKey " .. sshd.HOSTKEY_DIR .. "/" .. sshd.HOSTKEY_FILE,
    "PidFile " .. tools.RUN_DIR .. "/sshd.pid",
    "AuthorizedKeysFile " .. sshd.CONFIG_DIR .. "/authorized_keys",
    "AuthenticationMethods publickey",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitEmptyPasswords no",
    "PermitRootLogin no",
    -- only the login user: any other name of the image's passwd would pass
    -- key auth, then fail to switch to that uid (sshd is not root)
    "AllowUsers " .. tools.USER,
    "UsePAM no",
    "StrictModes no",
    "X11Forwarding no",
    "PrintMotd no",
    -- a non-root sshd cannot write lastlog/wtmp
    "PrintLastLog no",
    "Subsystem sftp internal-sftp",
    -- spec.env for the sessions, written by the entrypoint at start
    "Include " .. tools.SESSION_ENV_FILE,
  }
  config_text = table.concat(lines, "\n") .. "\n"
  return config_text
end

function sshd.configmap(req)
  return {
    apiVersion = "v1",
    kind = "ConfigMap",
    metadata = { name = names.config(req.name) },
    data = {
      sshd_config = sshd.config(),
      authorized_keys = sshd.authorized_keys(req.keys),
    },
  }
end

return sshd
