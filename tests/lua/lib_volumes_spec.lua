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
end)
