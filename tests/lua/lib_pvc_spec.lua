package.path = "lua/?.lua;" .. package.path
local pvc = require("lib.pvc")

describe("lib.pvc", function()
  it("renders nothing for an ephemeral home", function()
    assert.is_nil(pvc.build({ name = "box" }))
  end)

  it("renders <name>-home, labelled as a home, ReadWriteOnce", function()
    local claim = pvc.build({ name = "box", home = { size = "50Gi" } })
    assert.are.same({
      apiVersion = "v1",
      kind = "PersistentVolumeClaim",
      metadata = { name = "box-home", labels = { ["devserver.io/home"] = "true" } },
      spec = {
        accessModes = { "ReadWriteOnce" },
        resources = { requests = { storage = "50Gi" } },
      },
    }, claim)
  end)

  it("uses the default size and the given storage class", function()
    local claim = pvc.build({ name = "box", home = { storage_class = "fast" } })
    assert.are.equal(pvc.DEFAULT_SIZE, claim.spec.resources.requests.storage)
    assert.are.equal("fast", claim.spec.storageClassName)
  end)

  it("keeps immutable fields independent of everything but spec.home", function()
    local a = pvc.build({ name = "box", home = { size = "1Gi" }, resources = { requests = { cpu = "1" } } })
    local b = pvc.build({ name = "box", home = { size = "1Gi" }, stopped = true, image = "other" })
    assert.are.same(a, b)
  end)
end)
