-- validate.lua - turns the decoded DevServer and Flavor into a checked request.
-- All reading of input lives here: null handling, types, required fields and
-- impossible values, each raising error("message", 0) with the field's path.
-- The builders (deployment, service, pvc, sshd) only see the clean request.
-- Opaque Kubernetes structures (affinity, tolerations, env valueFrom) are
-- passed through by reference, unchanged, so the host's array markers survive.
local names = require("lib.names")
local tools = require("lib.tools")

local validate = {}

-- The host decodes JSON null as ctx.null (a light userdata); a null field
-- means the same as a missing one.
local function absent(v, null)
  return v == nil or (null ~= nil and v == null) or type(v) == "userdata"
end

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

-- The opt_* readers test the expected type first: every render reads some
-- sixty fields, and the common case then costs one type() and no call to
-- absent(). A value of the expected type is absent only when it is null
-- itself (null is ctx.null, a light userdata, so in practice never).
-- suffix, when given, is appended to path only for a message: callers with
-- a computed path ("spec.env[2]" .. ".name") build no string per field.
local function opt_string(v, path, null, suffix)
  if v == nil then
    return nil
  end
  if type(v) == "string" and (null == nil or v ~= null) then
    if v == "" then
      return nil
    end
    return v
  end
  if absent(v, null) then
    return nil
  end
  fail("%s%s must be a string", path, suffix or "")
end

local function opt_bool(v, path, null, suffix)
  if v == nil then
    return nil
  end
  if type(v) == "boolean" and (null == nil or v ~= null) then
    return v
  end
  if absent(v, null) then
    return nil
  end
  fail("%s%s must be true or false", path, suffix or "")
end

local function opt_map(v, path, null)
  if v == nil then
    return nil
  end
  if type(v) ~= "table" or (null ~= nil and v == null) then
    if absent(v, null) then
      return nil
    end
    fail("%s must be a map", path)
  end
  for k in pairs(v) do
    if type(k) ~= "string" then
      fail("%s must be a map", path)
    end
  end
  if next(v) == nil then
    return nil
  end
  return v
end

local function opt_list(v, path, null)
  if v == nil then
    return nil
  end
  if type(v) ~= "table" or (null ~= nil and v == null) then
    if absent(v, null) then
      return nil
    end
    fail("%s must be a list", path)
  end
  local n = 0
  for _ in pairs(v) do
    n = n + 1
  end
  if n ~= #v then
    fail("%s must be a list", path)
  end
  if n == 0 then
    return nil
  end
  return v
end

-- A value a Kubernetes quantity may be decoded as.
local function opt_quantity(v, path, null)
  if v == nil or absent(v, null) then
    return nil
  end
  if type(v) == "string" and v ~= "" then
    return v
  end
  if type(v) == "number" then
    return v
  end
  fail("%s must be a quantity such as \"4Gi\" or \"500m\"", path)
end

validate.opt_string = opt_string
validate.opt_bool = opt_bool
validate.opt_map = opt_map
validate.opt_list = opt_list
validate.opt_quantity = opt_quantity

-- Paths reserved by the policy; a volume may not be mounted on them (nor,
-- for RESERVED_TREES, below them). The home (tools.HOME) is not reserved: a
-- volume mounted there is the home (lib/volumes.lua says which one wins).
validate.RESERVED_PATHS = {
  ["/etc/passwd"] = true,
  ["/etc/group"] = true,
}
validate.RESERVED_TREES = { "/etc/devserver", "/devserver" }

local function reserved(mount)
  if validate.RESERVED_PATHS[mount] then
    return true
  end
  for _, tree in ipairs(validate.RESERVED_TREES) do
    if mount == tree or mount:sub(1, #tree + 1) == tree .. "/" then
      return true
    end
  end
  return false
end

-- Checks a volume list ({claimName, mountPath, readOnly}) and returns
-- normalized records {claim_name, mount_path, read_only}, or nil when empty,
-- and a map from each normalized mount_path to the entry's path in the input
-- ("spec.volumes[2]"), for messages about a later conflict.
-- where is the prefix of error messages ("spec.volumes").
function validate.volumes(list, where, null)
  list = opt_list(list, where, null)
  if not list then
    return nil
  end
  local out, seen = {}, {}
  for i, v in ipairs(list) do
    local path = string.format("%s[%d]", where, i - 1)
    v = opt_map(v, path, null)
    if not v then
      fail("%s: claimName and mountPath are required", path)
    end
    local claim = opt_string(v.claimName, path .. ".claimName", null)
    if not claim then
      fail("%s.claimName is required", path)
    end
    local mount = opt_string(v.mountPath, path .. ".mountPath", null)
    if not mount then
      fail("%s.mountPath is required", path)
    end
    if mount:sub(1, 1) ~= "/" then
      fail("%s.mountPath %q must be an absolute path", path, mount)
    end
    if #mount > 1 then
      mount = mount:gsub("/+$", "")
    end
    if mount == "/" or mount:find("/../", 1, true) or mount:sub(-3) == "/.."
        or mount:find("//", 1, true) then
      fail("%s.mountPath %q is not a usable mount point", path, mount)
    end
    if reserved(mount) then
      fail("%s.mountPath %q is reserved by the policy", path, mount)
    end
    if seen[mount] then
      fail("%s.mountPath %q duplicates %s", path, mount, seen[mount])
    end
    seen[mount] = path
    out[#out + 1] = {
      claim_name = claim,
      mount_path = mount,
      read_only = opt_bool(v.readOnly, path .. ".readOnly", null) or false,
    }
  end
  return out, seen
end

local function env_list(list, null)
  list = opt_list(list, "spec.env", null)
  if not list then
    return nil
  end
  local out, seen = {}, {}
  for i, e in ipairs(list) do
    local path = string.format("spec.env[%d]", i - 1)
    e = opt_map(e, path, null)
    if not e then
      fail("%s.name is required", path)
    end
    local name = opt_string(e.name, path .. ".name", null)
    if not name then
      fail("%s.name is required", path)
    end
    if not name:match("^[-._a-zA-Z][-._a-zA-Z0-9]*$") then
      fail("%s.name %q is not a valid environment variable name", path, name)
    end
    if seen[name] then
      fail("%s.name %q duplicates %s", path, name, seen[name])
    end
    seen[name] = path
    local value = e.value
    if absent(value, null) then
      value = nil
    elseif type(value) == "number" or type(value) == "boolean" then
      -- A YAML author writing `value: 8080` means the string.
      value = tostring(value)
    elseif type(value) ~= "string" then
      fail("%s.value must be a string", path)
    end
    local from = opt_map(e.valueFrom, path .. ".valueFrom", null)
    -- A DevServer's creator may not read every Secret or ConfigMap of the
    -- namespace, but the pod would: only the pod's own fields are allowed
    -- (the CRD prunes valueFrom entirely; this holds should a schema add it).
    for key in pairs(from or {}) do
      if key ~= "fieldRef" and key ~= "resourceFieldRef" then
        fail("%s.valueFrom.%s is not allowed: a DevServer may not inject a Secret or ConfigMap "
          .. "through the operator (only fieldRef and resourceFieldRef)", path, key)
      end
    end
    out[#out + 1] = { name = name, value = value, value_from = from }
  end
  return out
end

local function key_list(ssh, null)
  ssh = opt_map(ssh, "spec.ssh", null)
  if not ssh then
    return nil
  end
  local out = {}
  local one = opt_string(ssh.publicKey, "spec.ssh.publicKey", null)
  if one then
    out[#out + 1] = one
  end
  local many = opt_list(ssh.publicKeys, "spec.ssh.publicKeys", null)
  for i, k in ipairs(many or {}) do
    local key = opt_string(k, string.format("spec.ssh.publicKeys[%d]", i - 1), null)
    if key then
      out[#out + 1] = key
    end
  end
  return out
end

local function home(h, null)
  if absent(h, null) then
    return nil
  end
  h = opt_map(h, "spec.home", null) or {}
  return {
    size = opt_quantity(h.size, "spec.home.size", null),
    storage_class = opt_string(h.storageClassName, "spec.home.storageClassName", null),
  }
end

local function resources(r, null)
  r = opt_map(r, "flavor spec.resources", null)
  if not r then
    return nil
  end
  local out = {}
  for _, kind in ipairs({ "requests", "limits" }) do
    local where = "flavor spec.resources." .. kind
    local m = opt_map(r[kind], where, null)
    if m then
      local q = {}
      for k, v in pairs(m) do
        q[k] = opt_quantity(v, where .. "." .. k, null)
      end
      if next(q) then
        out[kind] = q
      end
    end
  end
  return out
end

-- Reads everything the default policy uses from ds, flavor and ctx.
-- Returns the request table documented in docs/policies.md.
function validate.request(ds, flavor, ctx)
  ctx = ctx or {}
  local null = ctx.null
  ds = opt_map(ds, "DevServer", null) or {}
  local meta = opt_map(ds.metadata, "metadata", null) or {}
  local name = names.check(opt_string(meta.name, "metadata.name", null))
  local spec = opt_map(ds.spec, "spec", null) or {}

  local mode = opt_string(spec.mode, "spec.mode", null) or "standalone"
  if mode == "distributed" then
    error("spec.mode distributed is not supported yet", 0)
  elseif mode ~= "standalone" then
    fail("spec.mode %q is not one of standalone, distributed", mode)
  end

  flavor = opt_map(flavor, "flavor", null) or {}
  local fspec = opt_map(flavor.spec, "flavor spec", null) or {}

  local tools_image = opt_string(ctx.tools_image, "ctx.tools_image", null)
  if not tools_image then
    error("no tools image: the operator's --tools-image (ctx.tools_image) is empty", 0)
  end

  local image = opt_string(spec.image, "spec.image", null)
    or opt_string(fspec.defaultImage, "flavor spec.defaultImage", null)
    or opt_string(ctx.default_image, "ctx.default_image", null)
  if not image then
    error("no image: set spec.image, the flavor's spec.defaultImage or the operator's default image", 0)
  end

  -- read in the order the fields were always checked, so a spec with two
  -- errors reports the same one
  local stopped = opt_bool(spec.stopped, "spec.stopped", null) or false
  local env = env_list(spec.env, null)
  local keys = key_list(spec.ssh, null)
  local vols, vol_paths = validate.volumes(spec.volumes, "spec.volumes", null)
  local flavor_vols = validate.volumes(fspec.volumes, "flavor spec.volumes", null)
  local home_req = home(spec.home, null)
  -- The server asking for two homes; the flavor's volume at the home is only
  -- a default, which spec.home overrides (lib/volumes.lua).
  if home_req and vol_paths and vol_paths[tools.HOME] then
    fail("%s.mountPath %q is the home, which spec.home already provides; remove one of them",
      vol_paths[tools.HOME], tools.HOME)
  end

  return {
    name = name,
    image = image,
    tools_image = tools_image,
    stopped = stopped,
    env = env,
    keys = keys,
    volumes = vols,
    flavor_volumes = flavor_vols,
    home = home_req,
    resources = resources(fspec.resources, null),
    node_selector = opt_map(fspec.nodeSelector, "flavor spec.nodeSelector", null),
    tolerations = opt_list(fspec.tolerations, "flavor spec.tolerations", null),
    affinity = opt_map(fspec.affinity, "flavor spec.affinity", null),
  }
end

return validate
