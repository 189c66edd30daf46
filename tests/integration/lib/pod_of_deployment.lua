-- pod_of_deployment.lua - prints, as JSON, a Pod with the pod template of
-- the Deployment in a fixture's expected.yaml (or nothing when it has none),
-- so the API server's Pod Security admission can judge exactly what the
-- policy renders:  lua5.4 pod_of_deployment.lua EXPECTED.yaml NAME
local lyaml = require("lyaml")
local cjson = require("cjson")

local path, name = arg[1], arg[2]
local f = assert(io.open(path, "rb"))
local docs = lyaml.load(f:read("a"))
f:close()
for _, obj in ipairs(docs) do
  if obj.kind == "Deployment" then
    local tmpl = obj.spec.template
    local pod = {
      apiVersion = "v1",
      kind = "Pod",
      metadata = { name = name, labels = tmpl.metadata and tmpl.metadata.labels },
      spec = tmpl.spec,
    }
    -- cjson writes {} for an empty table, which is what emptyDir needs
    io.write(cjson.encode(pod), "\n")
    return
  end
end
