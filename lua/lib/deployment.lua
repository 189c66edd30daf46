-- deployment.lua - the Deployment running the development container.
-- One replica (zero when stopped) with the Recreate strategy: a persistent
-- home is ReadWriteOnce, so the old pod must be gone before the new one
-- mounts it. The selector uses only the name (selectors are immutable); the
-- pod template adds the predecessor's `app: <name>` (lib/names.lua).
-- The pod runs as user 1000 with every capability dropped (Pod Security
-- "restricted"), which a non-root sshd on a port above 1024 needs nothing
-- more than. The user's image is run as it is: two init containers bring
-- sshd and the login user to it (lib/tools.lua), and the main container's
-- command is the tools entrypoint, which execs sshd in the foreground.
local names = require("lib.names")
local resources = require("lib.resources")
local sshd = require("lib.sshd")
local tools = require("lib.tools")
local util = require("lib.util")
local volumes = require("lib.volumes")

local deployment = {}

deployment.CONTAINER = "devserver"
deployment.USER_ID = tools.USER_ID

-- spec.env, plus the list of its names for the entrypoint, which hands them
-- to sshd's sessions (lib/tools.lua).
local function env(req)
  if not req.env then
    return nil
  end
  local out, env_names = {}, {}
  for _, e in ipairs(req.env) do
    local value
    if not e.value_from and e.value and e.value ~= "" then
      -- An empty value is the API default; the server would drop it anyway.
      value = e.value
    end
    out[#out + 1] = { name = e.name, valueFrom = e.value_from, value = value }
    env_names[#env_names + 1] = e.name
  end
  out[#out + 1] = { name = tools.SESSION_ENV_VAR, value = table.concat(env_names, " ") }
  return out
end

local function probe(period, failures)
  return {
    tcpSocket = { port = sshd.PORT_NAME },
    periodSeconds = period,
    failureThreshold = failures,
  }
end

local function security_context()
  return {
    allowPrivilegeEscalation = false,
    capabilities = { drop = { "ALL" } },
  }
end

-- The init containers: copy the tools tree into the emptyDir, then let the
-- user's own image say which shell the login user gets.
local function init_containers(req)
  return {
    {
      name = "tools",
      image = req.tools_image,
      command = tools.COPY_COMMAND,
      securityContext = security_context(),
      volumeMounts = { volumes.tools_mount() },
    },
    {
      name = "login",
      image = req.image,
      command = { tools.PREPARE_LOGIN },
      securityContext = security_context(),
      volumeMounts = { volumes.tools_mount() },
    },
  }
end

-- The `activity` container: it watches the main container's processes (the
-- pod shares one process namespace) and logs when the box turns idle or
-- active, which the operator reads for idle shutdown. Tiny and fixed-size,
-- so it never competes with the developer's work.
local function activity_container(req)
  return {
    name = "activity",
    image = req.tools_image,
    command = tools.ACTIVITY_COMMAND,
    securityContext = security_context(),
    resources = {
      requests = { cpu = "5m", memory = "8Mi" },
      limits = { cpu = "50m", memory = "32Mi" },
    },
  }
end

local function container(req, mounts)
  local c = {
    name = deployment.CONTAINER,
    image = req.image,
    command = { tools.ENTRYPOINT },
    ports = {
      { name = sshd.PORT_NAME, containerPort = sshd.PORT, protocol = "TCP" },
    },
    workingDir = volumes.HOME_PATH,
    securityContext = security_context(),
    -- Started, and so ready, as soon as sshd accepts connections: checked
    -- every second for up to five minutes. No readiness or liveness probe
    -- after that: every TCP probe costs two lines in sshd's log (what
    -- `devctl logs` shows), sshd is the container's process so a crash
    -- restarts the container anyway, and a restart for a slow answer would
    -- cost the developer their running processes.
    startupProbe = probe(1, 300),
    volumeMounts = mounts,
    env = util.non_empty(env(req)),
    resources = util.non_empty(resources.build(req.resources)),
  }
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
    -- the activity container must see the main container's processes
    shareProcessNamespace = true,
    initContainers = init_containers(req),
    containers = { container(req, mounts), activity_container(req) },
    volumes = vols,
    nodeSelector = util.non_empty(req.node_selector),
    tolerations = util.non_empty(req.tolerations),
    affinity = util.non_empty(req.affinity),
  }

  return {
    apiVersion = "apps/v1",
    kind = "Deployment",
    metadata = { name = names.deployment(req.name) },
    spec = {
      replicas = req.stopped and 0 or 1,
      strategy = { type = "Recreate" },
      selector = { matchLabels = names.selector(req.name) },
      template = {
        metadata = { labels = names.pod_labels(req.name) },
        spec = pod,
      },
    },
  }
end

return deployment
