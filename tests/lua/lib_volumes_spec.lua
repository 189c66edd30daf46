package.path = "lua/?.lua;" .. package.path
local volumes = require("lib.volumes")

describe("lib.volumes", function()
  it("always mounts the home, the ssh config, the host key and the tools", function()
    local vols, mounts = volumes.build({ name = "box" })
    assert.are.same({
      { name = "home", emptyDir = {} },
      { name = "ssh", configMap = { name = "box-ssh", defaultMode = 292 } },
      { name = "hostkey", secret = {
        secretName = "box-hostkey", defaultMode = 288,
        items = { { key = "ssh_host_ed25519_key", path = "ssh_host_ed25519_key" } },
      } },
      { name = "devserver-tools", emptyDir = {} },
    }, vols)
    assert.are.same({
      { name = "home", mountPath = "/home/dev" },
      { name = "ssh", mountPath = "/etc/devserver/ssh", readOnly = true },
      { name = "hostkey", mountPath = "/etc/devserver/hostkey", readOnly = true },
      { name = "devserver-tools", mountPath = "/devserver" },
      { name = "devserver-tools", mountPath = "/etc/passwd", subPath = "etc/passwd", readOnly = true },
      { name = "devserver-tools", mountPath = "/etc/group", subPath = "etc/group", readOnly = true },
    }, mounts)
    assert.are.same({ name = "devserver-tools", mountPath = "/devserver" }, volumes.tools_mount())
  end)

  it("uses the home claim when the home is persistent", function()
    local vols = volumes.build({ name = "box", home = {} })
    assert.are.same({ name = "home", persistentVolumeClaim = { claimName = "box-home" } }, vols[1])
  end)

  it("merges flavor and server volumes by mountPath, server winning, sorted", function()
    local vols, mounts = volumes.build({
      name = "box",
      flavor_volumes = {
        { claim_name = "f-data", mount_path = "/data", read_only = true },
        { claim_name = "f-cache", mount_path = "/cache", read_only = false },
      },
      volumes = {
        { claim_name = "s-data", mount_path = "/data", read_only = false },
        { claim_name = "s-ref", mount_path = "/ref", read_only = true },
      },
    })
    assert.are.same({
      { name = "vol-1", persistentVolumeClaim = { claimName = "f-cache" } },
      { name = "vol-2", persistentVolumeClaim = { claimName = "s-data" } },
      { name = "vol-3", persistentVolumeClaim = { claimName = "s-ref", readOnly = true } },
    }, { vols[5], vols[6], vols[7] })
    assert.are.same({
      { name = "vol-1", mountPath = "/cache" },
      { name = "vol-2", mountPath = "/data" },
      { name = "vol-3", mountPath = "/ref", readOnly = true },
    }, { mounts[7], mounts[8], mounts[9] })
    assert.are.equal(7, #vols)
  end)

  -- The home's precedence: spec.home, else a volume at /home/dev (the
  -- server's over the flavor's), else an emptyDir. The home is always the
  -- first volume and mount, named "home"; it is never also a vol-N.
  local HOME_MOUNT = { name = "home", mountPath = "/home/dev" }

  local function extra(vols, mounts)
    local v, m = {}, {}
    for i = 5, #vols do
      v[#v + 1] = vols[i]
    end
    for i = 7, #mounts do
      m[#m + 1] = mounts[i]
    end
    return v, m
  end

  it("makes the server's volume at /home/dev the home", function()
    local vols, mounts = volumes.build({
      name = "box",
      volumes = {
        { claim_name = "my-home", mount_path = "/home/dev", read_only = false },
        { claim_name = "data", mount_path = "/data", read_only = false },
      },
    })
    assert.are.same({ name = "home", persistentVolumeClaim = { claimName = "my-home" } }, vols[1])
    assert.are.same(HOME_MOUNT, mounts[1])
    local v, m = extra(vols, mounts)
    assert.are.same({ { name = "vol-1", persistentVolumeClaim = { claimName = "data" } } }, v)
    assert.are.same({ { name = "vol-1", mountPath = "/data" } }, m)
  end)

  it("honours readOnly on a volume that is the home", function()
    local vols, mounts = volumes.build({
      name = "box", volumes = { { claim_name = "ro-home", mount_path = "/home/dev", read_only = true } },
    })
    assert.are.same({ name = "home", persistentVolumeClaim = { claimName = "ro-home", readOnly = true } }, vols[1])
    assert.are.same({ name = "home", mountPath = "/home/dev", readOnly = true }, mounts[1])
    assert.are.equal(4, #vols)
    assert.are.equal(6, #mounts)
  end)

  it("makes the flavor's volume at /home/dev the home", function()
    local vols, mounts = volumes.build({
      name = "box",
      flavor_volumes = {
        { claim_name = "my-data-pvc", mount_path = "/data", read_only = false },
        { claim_name = "my-home-pvc", mount_path = "/home/dev", read_only = false },
      },
    })
    assert.are.same({ name = "home", persistentVolumeClaim = { claimName = "my-home-pvc" } }, vols[1])
    assert.are.same(HOME_MOUNT, mounts[1])
    local v, m = extra(vols, mounts)
    assert.are.same({ { name = "vol-1", persistentVolumeClaim = { claimName = "my-data-pvc" } } }, v)
    assert.are.same({ { name = "vol-1", mountPath = "/data" } }, m)
  end)

  it("prefers the server's /home/dev over the flavor's, whole", function()
    local vols, mounts = volumes.build({
      name = "box",
      flavor_volumes = { { claim_name = "team-home", mount_path = "/home/dev", read_only = true } },
      volumes = { { claim_name = "my-home", mount_path = "/home/dev", read_only = false } },
    })
    assert.are.same({ name = "home", persistentVolumeClaim = { claimName = "my-home" } }, vols[1])
    assert.are.same(HOME_MOUNT, mounts[1])
    assert.are.equal(4, #vols)
    assert.are.equal(6, #mounts)
  end)

  it("prefers spec.home over the flavor's /home/dev, which is then not mounted at all", function()
    local vols, mounts = volumes.build({
      name = "box",
      home = {},
      flavor_volumes = {
        { claim_name = "team-home", mount_path = "/home/dev", read_only = false },
        { claim_name = "f-data", mount_path = "/data", read_only = false },
      },
    })
    assert.are.same({ name = "home", persistentVolumeClaim = { claimName = "box-home" } }, vols[1])
    assert.are.same(HOME_MOUNT, mounts[1])
    local v, m = extra(vols, mounts)
    assert.are.same({ { name = "vol-1", persistentVolumeClaim = { claimName = "f-data" } } }, v)
    assert.are.same({ { name = "vol-1", mountPath = "/data" } }, m)
    for _, vol in ipairs(vols) do
      assert.are_not.equal("team-home", (vol.persistentVolumeClaim or {}).claimName)
    end
    for i, mount in ipairs(mounts) do
      assert.is_true(i == 1 or mount.mountPath ~= "/home/dev")
    end
  end)

  it("keeps a mount below /home/dev an extra volume, over whichever home", function()
    for _, home_req in ipairs({
      { home = nil, claim = nil },
      { home = {}, claim = "box-home" },
      { home = nil, claim = "my-home", vol = { claim_name = "my-home", mount_path = "/home/dev", read_only = false } },
    }) do
      local list = { { claim_name = "nb", mount_path = "/home/dev/notebooks", read_only = false } }
      list[#list + 1] = home_req.vol
      local vols, mounts = volumes.build({ name = "box", home = home_req.home, volumes = list })
      if home_req.claim then
        assert.are.same({ name = "home", persistentVolumeClaim = { claimName = home_req.claim } }, vols[1])
      else
        assert.are.same({ name = "home", emptyDir = {} }, vols[1])
      end
      local v, m = extra(vols, mounts)
      assert.are.same({ { name = "vol-1", persistentVolumeClaim = { claimName = "nb" } } }, v)
      assert.are.same({ { name = "vol-1", mountPath = "/home/dev/notebooks" } }, m)
    end
  end)
end)
