package.path = "lua/?.lua;" .. package.path
local validate = require("lib.validate")

local NULL = setmetatable({}, { __name = "null" })
local CTX = { default_image = "img:default", tools_image = "tools:1", null = NULL }

local function ds(spec, name)
  return { metadata = { name = name or "box" }, spec = spec }
end

local function req(spec, flavor_spec, ctx)
  return validate.request(ds(spec), { spec = flavor_spec }, ctx or CTX)
end

local function fails(msg, spec, flavor_spec, ctx)
  assert.has_error(function() req(spec, flavor_spec, ctx) end, msg)
end

describe("lib.validate", function()
  it("reads a minimal DevServer with defaults", function()
    assert.are.same({ name = "box", image = "img:default", tools_image = "tools:1", stopped = false },
      req(nil, nil))
  end)

  it("treats a missing flavor spec as empty", function()
    local r = validate.request(ds({}), {}, CTX)
    assert.are.equal("img:default", r.image)
  end)

  it("chooses the image: spec, then flavor defaultImage, then ctx", function()
    assert.are.equal("a", req({ image = "a" }, { defaultImage = "b" }).image)
    assert.are.equal("b", req({ image = "" }, { defaultImage = "b" }).image)
    assert.are.equal("img:default", req({ image = NULL }, { defaultImage = NULL }).image)
    fails("no image: set spec.image, the flavor's spec.defaultImage or the operator's default image",
      {}, {}, { tools_image = "tools:1", null = NULL })
  end)

  it("requires the tools image from ctx", function()
    fails("no tools image: the operator's --tools-image (ctx.tools_image) is empty",
      {}, {}, { default_image = "img" })
    fails("no tools image: the operator's --tools-image (ctx.tools_image) is empty",
      {}, {}, { default_image = "img", tools_image = "" })
  end)

  it("treats ctx.null, and any userdata null, as missing", function()
    local r = req({ home = NULL, env = NULL, stopped = NULL, ssh = { publicKey = NULL } }, { tolerations = NULL })
    assert.is_nil(r.home)
    assert.is_nil(r.env)
    assert.is_false(r.stopped)
    assert.are.same({}, r.keys)
    assert.is_nil(r.tolerations)
    -- io.stdout stands in for the host's light userdata null.
    assert.is_nil(validate.request(ds({ home = io.stdout }), {},
      { default_image = "x", tools_image = "t" }).home)
  end)

  it("requires metadata.name", function()
    assert.has_error(function() validate.request({ metadata = {} }, {}, CTX) end, "metadata.name is required")
    assert.has_error(function() validate.request({}, {}, CTX) end, "metadata.name is required")
    assert.has_error(function() validate.request({ metadata = { name = NULL } }, {}, CTX) end,
      "metadata.name is required")
  end)

  it("supports only the standalone mode", function()
    assert.are.equal("box", req({ mode = "standalone" }).name)
    fails("spec.mode distributed is not supported yet", { mode = "distributed" })
    fails('spec.mode "cluster" is not one of standalone, distributed', { mode = "cluster" })
  end)

  it("checks field types", function()
    fails("spec.stopped must be true or false", { stopped = "yes" })
    fails("spec.volumes must be a list", { volumes = { claimName = "x" } })
    fails("spec.image must be a string", { image = 3 })
    fails("flavor spec.nodeSelector must be a map", nil, { nodeSelector = "x" })
    fails('flavor spec.resources.requests.cpu must be a quantity such as "4Gi" or "500m"',
      nil, { resources = { requests = { cpu = true } } })
  end)

  it("omits empty flavor maps and lists", function()
    local r = req(nil, { nodeSelector = {}, tolerations = {}, affinity = {}, resources = { limits = {} } })
    assert.is_nil(r.node_selector)
    assert.is_nil(r.tolerations)
    assert.is_nil(r.affinity)
    assert.are.same({}, r.resources)
  end)

  it("passes opaque structures through by reference", function()
    local aff = { nodeAffinity = {} }
    local tol = { { operator = "Exists" } }
    local r = req(nil, { affinity = aff, tolerations = tol })
    assert.are.equal(aff, r.affinity)
    assert.are.equal(tol, r.tolerations)
  end)

  it("normalizes volumes and rejects impossible ones", function()
    local r = req({ volumes = { { claimName = "c", mountPath = "/data/", readOnly = true } } })
    assert.are.same({ { claim_name = "c", mount_path = "/data", read_only = true } }, r.volumes)
    fails("spec.volumes[0].claimName is required", { volumes = { { mountPath = "/d" } } })
    fails("spec.volumes[0].mountPath is required", { volumes = { { claimName = "c" } } })
    fails('spec.volumes[0].mountPath "d" must be an absolute path',
      { volumes = { { claimName = "c", mountPath = "d" } } })
    fails('spec.volumes[0].mountPath "/" is not a usable mount point',
      { volumes = { { claimName = "c", mountPath = "/" } } })
    fails('spec.volumes[0].mountPath "/a/../b" is not a usable mount point',
      { volumes = { { claimName = "c", mountPath = "/a/../b" } } })
    fails('spec.volumes[0].mountPath "/etc/devserver/ssh" is reserved by the policy',
      { volumes = { { claimName = "c", mountPath = "/etc/devserver/ssh" } } })
    fails('spec.volumes[0].mountPath "/etc/devserver/ssh/x" is reserved by the policy',
      { volumes = { { claimName = "c", mountPath = "/etc/devserver/ssh/x" } } })
    for _, p in ipairs({ "/etc/devserver", "/etc/devserver/hostkey", "/devserver", "/devserver/bin",
                         "/etc/passwd", "/etc/group" }) do
      fails(string.format('spec.volumes[0].mountPath "%s" is reserved by the policy', p),
        { volumes = { { claimName = "c", mountPath = p } } })
    end
    -- only whole path components are reserved
    assert.are.equal("/devserverx", req({ volumes = { { claimName = "c", mountPath = "/devserverx" } } })
      .volumes[1].mount_path)
    assert.are.equal("/etc/passwd.d", req({ volumes = { { claimName = "c", mountPath = "/etc/passwd.d" } } })
      .volumes[1].mount_path)
    fails('spec.volumes[1].mountPath "/d" duplicates spec.volumes[0]',
      { volumes = { { claimName = "a", mountPath = "/d" }, { claimName = "b", mountPath = "/d" } } })
    fails('flavor spec.volumes[0].mountPath "x" must be an absolute path',
      nil, { volumes = { { claimName = "c", mountPath = "x" } } })
  end)

  -- A volume at /home/dev is the home (lib/volumes.lua has the precedence);
  -- validate only refuses the one contradiction in the server's own spec.
  it("accepts a volume at /home/dev, trailing slash or not, from the server or the flavor", function()
    assert.are.same({ { claim_name = "mine", mount_path = "/home/dev", read_only = false } },
      req({ volumes = { { claimName = "mine", mountPath = "/home/dev" } } }).volumes)
    assert.are.same({ { claim_name = "mine", mount_path = "/home/dev", read_only = true } },
      req({ volumes = { { claimName = "mine", mountPath = "/home/dev/", readOnly = true } } }).volumes)
    assert.are.same({ { claim_name = "team", mount_path = "/home/dev", read_only = false } },
      req(nil, { volumes = { { claimName = "team", mountPath = "/home/dev" } } }).flavor_volumes)
    fails('spec.volumes[1].mountPath "/home/dev" duplicates spec.volumes[0]',
      { volumes = { { claimName = "a", mountPath = "/home/dev" }, { claimName = "b", mountPath = "/home/dev/" } } })
  end)

  it("refuses spec.home together with the server's own volume at /home/dev", function()
    local msg = 'spec.volumes[1].mountPath "/home/dev" is the home, which spec.home already provides; '
      .. "remove one of them"
    fails(msg, { home = {}, volumes = {
      { claimName = "data", mountPath = "/data" }, { claimName = "mine", mountPath = "/home/dev" } } })
    fails(msg, { home = { size = "5Gi" }, volumes = {
      { claimName = "data", mountPath = "/data" }, { claimName = "mine", mountPath = "/home/dev/" } } })
  end)

  it("lets spec.home stand beside the flavor's /home/dev and mounts below /home/dev", function()
    local r = req({ home = {}, volumes = { { claimName = "d", mountPath = "/home/dev/data" } } },
      { volumes = { { claimName = "team", mountPath = "/home/dev" } } })
    assert.are.same({}, r.home)
    assert.are.same({ { claim_name = "d", mount_path = "/home/dev/data", read_only = false } }, r.volumes)
    assert.are.same({ { claim_name = "team", mount_path = "/home/dev", read_only = false } }, r.flavor_volumes)
    -- only the whole path is the home
    assert.are.equal("/home/devx", req({ home = {}, volumes = { { claimName = "c", mountPath = "/home/devx" } } })
      .volumes[1].mount_path)
  end)

  it("reads env entries and rejects duplicates and bad names", function()
    local r = req({ env = { { name = "A", value = "1" }, { name = "B", value = 2 },
      { name = "C", valueFrom = { fieldRef = { fieldPath = "metadata.name" } } } } })
    assert.are.same({ name = "A", value = "1" }, r.env[1])
    assert.are.same({ name = "B", value = "2" }, r.env[2])
    assert.are.same({ name = "C", value_from = { fieldRef = { fieldPath = "metadata.name" } } }, r.env[3])
    -- a Secret or ConfigMap the creator may not read must not reach the pod
    for _, kind in ipairs({ "secretKeyRef", "configMapKeyRef" }) do
      fails(string.format("spec.env[0].valueFrom.%s is not allowed: a DevServer may not inject a "
        .. "Secret or ConfigMap through the operator (only fieldRef and resourceFieldRef)", kind),
        { env = { { name = "T", valueFrom = { [kind] = { name = "s", key = "k" } } } } })
    end
    fails("spec.env[0].name is required", { env = { { value = "x" } } })
    fails('spec.env[0].name "1X=" is not a valid environment variable name', { env = { { name = "1X=" } } })
    fails('spec.env[1].name "A" duplicates spec.env[0]', { env = { { name = "A" }, { name = "A" } } })
  end)

  it("collects publicKey before publicKeys", function()
    local r = req({ ssh = { publicKeys = { "b", "c" }, publicKey = "a" } })
    assert.are.same({ "a", "b", "c" }, r.keys)
  end)

  it("makes one authorized key of a key given as publicKey and again in publicKeys", function()
    -- devctl writes its first key both ways (publicKey is the predecessor's field)
    local r = req({ ssh = { publicKey = "ssh-ed25519 AAA a", publicKeys = { "ssh-ed25519 AAA a", "ssh-rsa BBB b" } } })
    assert.are.equal("ssh-ed25519 AAA a\nssh-rsa BBB b\n", require("lib.sshd").authorized_keys(r.keys))
  end)

  it("reads the home", function()
    assert.are.same({ size = "5Gi", storage_class = "fast" },
      req({ home = { size = "5Gi", storageClassName = "fast" } }).home)
    assert.are.same({}, req({ home = {} }).home)
  end)
end)
