-- names.lua - child object names and the selector labels.
-- Every child name is the DevServer name plus a fixed suffix, so names (and
-- the selectors built from them) depend only on the name, which never changes.
local names = {}

-- Kubernetes names of Services and label values are at most 63 characters.
names.MAX_CHILD_LEN = 63
names.NAME_LABEL = "devserver.io/name"
names.HOME_LABEL = "devserver.io/home"
-- The predecessor (the Python/kopf operator) labelled its pods `app: <name>`
-- and its CLI and library find pods by that label; ours carry it too so
-- they keep working during a migration (issue 18). Pod template only: the
-- selector is immutable and stays on NAME_LABEL.
names.APP_LABEL = "app"

local suffixes = {
  deployment = "",
  service = "-ssh",
  config = "-ssh",
  home = "-home",
}

local longest_suffix = 0
for _, s in pairs(suffixes) do
  if #s > longest_suffix then
    longest_suffix = #s
  end
end

-- The longest DevServer name whose children all fit.
names.MAX_NAME_LEN = names.MAX_CHILD_LEN - longest_suffix

-- Raises unless name is usable for every child: a DNS-1035 label (the
-- Service name must be one) short enough for the longest suffix.
function names.check(name)
  if type(name) ~= "string" or name == "" then
    error("metadata.name is required", 0)
  end
  if #name > names.MAX_NAME_LEN then
    error(string.format(
      "metadata.name %q is too long: %d characters, at most %d so that child %q stays within %d",
      name, #name, names.MAX_NAME_LEN, name .. suffixes.home, names.MAX_CHILD_LEN), 0)
  end
  if not name:match("^[a-z][-a-z0-9]*$") or name:sub(-1) == "-" then
    error(string.format(
      "metadata.name %q must be lowercase letters, digits and '-', start with a letter and end with a letter or digit",
      name), 0)
  end
  return name
end

function names.deployment(name)
  return name .. suffixes.deployment
end

function names.service(name)
  return name .. suffixes.service
end

function names.config(name)
  return name .. suffixes.config
end

function names.home(name)
  return name .. suffixes.home
end

-- The Secret holding the sshd host key. The operator (not the policy)
-- creates it under this name; a Secret name may be 253 characters long, so
-- it does not count towards MAX_NAME_LEN.
names.HOSTKEY_SUFFIX = "-hostkey"

function names.hostkey(name)
  return name .. names.HOSTKEY_SUFFIX
end

-- The labels selectors match on; a fresh table on every call.
function names.selector(name)
  return { [names.NAME_LABEL] = name }
end

-- The pod template's labels: the selector's plus APP_LABEL; a fresh table
-- on every call.
function names.pod_labels(name)
  local labels = names.selector(name)
  labels[names.APP_LABEL] = name
  return labels
end

return names
