package.path = "lua/?.lua;" .. package.path
local service = require("lib.service")

describe("lib.service", function()
  it("exposes port 22 to the named ssh port, selecting by name only", function()
    local svc = service.build({ name = "box", image = "x", stopped = true })
    assert.are.same({
      apiVersion = "v1",
      kind = "Service",
      metadata = { name = "box-ssh" },
      spec = {
        type = "ClusterIP",
        selector = { ["devserver.io/name"] = "box" },
        ports = { { name = "ssh", protocol = "TCP", port = 22, targetPort = "ssh" } },
      },
    }, svc)
  end)
end)
