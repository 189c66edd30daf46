package.path = "lua/?.lua;" .. package.path
local deployment = require("lib.deployment")

local function build(extra)
  local req = { name = "box", image = "img", stopped = false }
  for k, v in pairs(extra or {}) do
    req[k] = v
  end
  return deployment.build(req)
end

describe("lib.deployment", function()
  it("runs one replica, zero when stopped, with Recreate", function()
    assert.are.equal(1, build().spec.replicas)
    assert.are.equal(0, build({ stopped = true }).spec.replicas)
    assert.are.equal(math.type(1), math.type(build().spec.replicas))
    assert.are.same({ type = "Recreate" }, build().spec.strategy)
  end)

  it("selects by name only, and labels the pod to match", function()
    local a = build()
    local b = build({ stopped = true, image = "other", node_selector = { x = "y" }, home = {} })
    assert.are.same({ matchLabels = { ["devserver.io/name"] = "box" } }, a.spec.selector)
    assert.are.same(a.spec.selector, b.spec.selector)
    for k, v in pairs(a.spec.selector.matchLabels) do
      assert.are.equal(v, a.spec.template.metadata.labels[k])
    end
  end)

  it("labels the pod app=<name> for the predecessor's tools, outside the selector", function()
    local d = build()
    assert.are.same({ ["devserver.io/name"] = "box", app = "box" }, d.spec.template.metadata.labels)
    assert.is_nil(d.spec.selector.matchLabels.app)
  end)

  it("runs as a non-root user with no privileges", function()
    local pod = build().spec.template.spec
    assert.are.same({
      runAsNonRoot = true, runAsUser = 1000, runAsGroup = 1000, fsGroup = 1000,
      seccompProfile = { type = "RuntimeDefault" },
    }, pod.securityContext)
    assert.are.same({ allowPrivilegeEscalation = false, capabilities = { drop = { "ALL" } } },
      pod.containers[1].securityContext)
  end)

  it("serves ssh on 2222 with tcp probes on the named port", function()
    local c = build().spec.template.spec.containers[1]
    assert.are.equal("devserver", c.name)
    assert.are.same({ { name = "ssh", containerPort = 2222, protocol = "TCP" } }, c.ports)
    assert.are.same({ port = "ssh" }, c.startupProbe.tcpSocket)
    -- noticed within a second of sshd listening; no probes after that
    assert.are.equal(1, c.startupProbe.periodSeconds)
    assert.is_nil(c.readinessProbe)
    assert.is_nil(c.livenessProbe)
  end)

  it("runs the user's image with the tools entrypoint, after the two init containers", function()
    local pod = build({ tools_image = "tools:1" }).spec.template.spec
    local c = pod.containers[1]
    assert.are.same({ "/devserver/bin/entrypoint" }, c.command)
    assert.are.equal("img", c.image)
    assert.are.equal(2, #pod.initContainers)
    local copy, login = pod.initContainers[1], pod.initContainers[2]
    assert.are.equal("tools", copy.name)
    assert.are.equal("tools:1", copy.image)
    assert.are.same({ "/opt/devserver-tools/bin/busybox", "sh", "/opt/devserver-tools/libexec/install",
      "/devserver" }, copy.command)
    assert.are.equal("login", login.name)
    assert.are.equal("img", login.image)
    assert.are.same({ "/devserver/bin/prepare-login" }, login.command)
    for _, ic in ipairs(pod.initContainers) do
      assert.are.same({ { name = "devserver-tools", mountPath = "/devserver" } }, ic.volumeMounts)
      assert.are.same({ allowPrivilegeEscalation = false, capabilities = { drop = { "ALL" } } },
        ic.securityContext)
    end
  end)

  it("runs the activity container beside it, sharing one process namespace", function()
    local pod = build({ tools_image = "tools:1" }).spec.template.spec
    assert.is_true(pod.shareProcessNamespace)
    assert.are.equal(2, #pod.containers)
    local a = pod.containers[2]
    assert.are.equal("activity", a.name)
    assert.are.equal("tools:1", a.image)
    assert.are.same({ "/opt/devserver-tools/bin/busybox", "sh", "/opt/devserver-tools/libexec/activity" },
      a.command)
    assert.are.same({ allowPrivilegeEscalation = false, capabilities = { drop = { "ALL" } } },
      a.securityContext)
    assert.are.same({ cpu = "5m", memory = "8Mi" }, a.resources.requests)
    assert.is_nil(a.volumeMounts)
  end)

  it("omits empty fields", function()
    local pod = build().spec.template.spec
    local c = pod.containers[1]
    assert.is_nil(c.env)
    assert.is_nil(c.resources)
    assert.is_nil(pod.nodeSelector)
    assert.is_nil(pod.tolerations)
    assert.is_nil(pod.affinity)
  end)

  it("places the pod as the flavor says", function()
    local tol = { { key = "k", operator = "Exists" } }
    local pod = build({ node_selector = { pool = "gpu" }, tolerations = tol, affinity = { a = 1 } })
      .spec.template.spec
    assert.are.same({ pool = "gpu" }, pod.nodeSelector)
    assert.are.equal(tol, pod.tolerations)
    assert.are.same({ a = 1 }, pod.affinity)
  end)

  it("writes env entries, dropping empty values", function()
    local c = build({ env = {
      { name = "A", value = "1" },
      { name = "B", value = "" },
      { name = "C", value_from = { fieldRef = { fieldPath = "metadata.name" } } },
    } }).spec.template.spec.containers[1]
    assert.are.same({
      { name = "A", value = "1" },
      { name = "B" },
      { name = "C", valueFrom = { fieldRef = { fieldPath = "metadata.name" } } },
      -- the names the entrypoint passes on to ssh sessions
      { name = "DEVSERVER_SESSION_ENV", value = "A B C" },
    }, c.env)
  end)
end)
