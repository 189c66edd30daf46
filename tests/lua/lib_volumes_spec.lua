package.path = "lua/?.lua;" .. package.path
local volumes = require("lib.volumes")

describe("lib.volumes", function()
  it("always mounts the home and the ssh config", function()
    local vols, mounts = volumes.build({ name = "box" })
    assert.are.same({
      { name = "home", emptyDir = {} },
      { name = "ssh", configMap = { name = "box-ssh", defaultMode = 292 } },
    }, vols)
    assert.are.same({
      { name = "home", mountPath = "/home/dev" },
      { name = "ssh", mountPath = "/etc/devserver/ssh", readOnly = true },
    }, mounts)
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
    }, { vols[3], vols[4], vols[5] })
    assert.are.same({
      { name = "vol-1", mountPath = "/cache" },
      { name = "vol-2", mountPath = "/data" },
      { name = "vol-3", mountPath = "/ref", readOnly = true },
    }, { mounts[3], mounts[4], mounts[5] })
    assert.are.equal(5, #vols)
  end)
end)
