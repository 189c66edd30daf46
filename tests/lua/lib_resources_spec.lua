package.path = "lua/?.lua;" .. package.path
local resources = require("lib.resources")

describe("lib.resources", function()
  it("keeps quantities as strings and formats bare numbers", function()
    assert.are.equal("4Gi", resources.quantity("4Gi"))
    assert.are.equal("2", resources.quantity(2))
    assert.are.equal("2", resources.quantity(2.0))
    assert.are.equal("0.5", resources.quantity(0.5))
  end)

  it("returns nil when there is nothing to say", function()
    assert.is_nil(resources.build(nil))
    assert.is_nil(resources.build({}))
  end)

  it("copies requests and limits", function()
    assert.are.same({ requests = { cpu = "500m" }, limits = { memory = "1Gi" } },
      resources.build({ requests = { cpu = "500m" }, limits = { memory = "1Gi" } }))
  end)

  it("adds the GPU limit a GPU request needs", function()
    assert.are.same({
      requests = { ["nvidia.com/gpu"] = "1" },
      limits = { ["nvidia.com/gpu"] = "1" },
    }, resources.build({ requests = { ["nvidia.com/gpu"] = 1 } }))
  end)

  it("leaves a GPU limit alone", function()
    assert.are.same({ limits = { ["nvidia.com/gpu"] = "2" } },
      resources.build({ limits = { ["nvidia.com/gpu"] = "2" } }))
  end)

  it("rejects a GPU request that differs from its limit", function()
    assert.has_error(function()
      resources.build({ requests = { ["nvidia.com/gpu"] = "1" }, limits = { ["nvidia.com/gpu"] = "2" } })
    end, "flavor spec.resources: nvidia.com/gpu request 1 and limit 2 must be equal")
  end)

  it("does not modify its input", function()
    local r = { requests = { ["nvidia.com/gpu"] = "1" } }
    resources.build(r)
    assert.are.same({ requests = { ["nvidia.com/gpu"] = "1" } }, r)
  end)
end)
