-- deployment.lua - the Deployment running the development container.
-- One replica (zero when stopped) with the Recreate strategy: a persistent
-- home is ReadWriteOnce, so the old pod must be gone before the new one
-- mounts it. The selector uses only the name (selectors are immutable).
-- The pod runs as user 1000 with every capability dropped, which a non-root
-- sshd on a port above 1024 needs nothing more than.
local names = require("lib.names")
local resources = require("lib.resources")
local sshd = require("lib.sshd")
local util = require("lib.util")
local volumes = require("lib.volumes")

local deployment = {}

deployment.CONTAINER = "devserver"
deployment.USER_ID = 1000

local function env(req)
  if not req.env then
    return nil
  end
  local out = {}
  for _, e in ipairs(req.env) do
    local item = { name = e.name }
    if e.value_from then
      item.valueFrom = e.value_from
    elseif e.value and e.value ~= "" then
      -- An empty value is the API default; the server would drop it anyway.
      item.value = e.value
    end
    out[#out + 1] = item
  end
  return out
end

local function probe(initial_delay, period, failures)
  return {
    tcpSocket = { port = sshd.PORT_NAME },
    initialDelaySeconds = initial_delay,
    periodSeconds = period,
    failureThreshold = failures,
  }
end

local function container(req, mounts)
  local c = {
    name = deployment.CONTAINER,
    image = req.image,
    ports = {
      { name = sshd.PORT_NAME, containerPort = sshd.PORT, protocol = "TCP" },
    },
    workingDir = volumes.HOME_PATH,
    securityContext = {
      allowPrivilegeEscalation = false,
      capabilities = { drop = { "ALL" } },
    },
    -- Ready as soon as sshd accepts connections; restarted only after two
    -- minutes without sshd, because a restart costs the developer their
    -- running processes.
    readinessProbe = probe(2, 5, 3),
    livenessProbe = probe(30, 20, 6),
    volumeMounts = mounts,
  }
  util.set_if(c, "env", env(req))
  util.set_if(c, "resources", resources.build(req.resources))
  return c
end

function deployment.build(req)
  local vols, mounts = volumes.build(req)
  local pod = {
    -- The box is a developer's machine, not a cluster client: no token, and
    -- no Service environment variables cluttering the shell.
    automountServiceAccountToken = false,
    enableServiceLinks = false,
    securityContext = {
      runAsNonRoot = true,
      runAsUser = deployment.USER_ID,
      runAsGroup = deployment.USER_ID,
      fsGroup = deployment.USER_ID,
      seccompProfile = { type = "RuntimeDefault" },
    },
    containers = { container(req, mounts) },
    volumes = vols,
  }
  util.set_if(pod, "nodeSelector", req.node_selector)
  util.set_if(pod, "tolerations", req.tolerations)
  util.set_if(pod, "affinity", req.affinity)

  return {
    apiVersion = "apps/v1",
    kind = "Deployment",
    metadata = { name = names.deployment(req.name) },
    spec = {
      replicas = req.stopped and 0 or 1,
      strategy = { type = "Recreate" },
      selector = { matchLabels = names.selector(req.name) },
      template = {
        metadata = { labels = names.selector(req.name) },
        spec = pod,
      },
    },
  }
end

return deployment
