-- service.lua - the ClusterIP Service in front of the pod's sshd.
-- Port 22 outside, the container's named port inside, so the container port
-- can change without touching clients. The selector uses only the name.
local names = require("lib.names")
local sshd = require("lib.sshd")

local service = {}

service.PORT = 22

function service.build(req)
  return {
    apiVersion = "v1",
    kind = "Service",
    metadata = { name = names.service(req.name) },
    spec = {
      type = "ClusterIP",
      selector = names.selector(req.name),
      ports = {
        {
          name = sshd.PORT_NAME,
          protocol = "TCP",
          port = service.PORT,
          targetPort = sshd.PORT_NAME,
        },
      },
    },
  }
end

return service
