-- Runs every tests/fixtures/render/<case> through the default policy, loaded
-- in a sandbox like the host's. A case holds devserver.yaml, flavor.yaml,
-- optional ctx.yaml, and either expected.yaml (the manifests, in order,
-- compared structurally) or error.txt (a substring of the error message).
-- Beyond the expected output, every render is checked for the contract's
-- invariants: deterministic, inputs untouched, no empty lists or maps, no
-- fields the host owns, names within 63 characters.
package.path = "tests/lua/?.lua;" .. package.path

local fixtures = require("helpers.fixtures")
local sandbox = require("helpers.sandbox")
local yaml = require("helpers.yaml")

local HOST_LABELS = {
  ["app.kubernetes.io/managed-by"] = true,
  ["app.kubernetes.io/instance"] = true,
}

-- Returns nil, or a message for the first value the host could not encode:
-- non-string map keys, sparse or mixed tables, functions, NaN or infinity.
local function json_problem(v, path)
  local t = type(v)
  if t == "string" or t == "boolean" or v == yaml.null then
    return nil
  end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      return path .. ": not a finite number"
    end
    return nil
  end
  if t ~= "table" then
    return path .. ": a " .. t .. " cannot be encoded"
  end
  local n, strings, ints = 0, 0, 0
  for k in pairs(v) do
    n = n + 1
    if type(k) == "string" then
      strings = strings + 1
    elseif math.type(k) == "integer" then
      ints = ints + 1
    else
      return path .. ": bad key " .. tostring(k)
    end
  end
  if strings > 0 and ints > 0 then
    return path .. ": mixes list and map keys"
  end
  if ints > 0 and ints ~= #v then
    return path .. ": sparse list"
  end
  for k, sub in pairs(v) do
    local p = type(k) == "number" and string.format("%s[%d]", path, k - 1) or path .. "." .. k
    local err = json_problem(sub, p)
    if err then
      return err
    end
  end
  return nil
end

local function check_manifest(m, i)
  local where = string.format("manifest %d", i)
  assert.is_string(m.apiVersion, where .. ": apiVersion")
  assert.is_string(m.kind, where .. ": kind")
  assert.is_table(m.metadata, where .. ": metadata")
  assert.is_string(m.metadata.name, where .. ": metadata.name")
  assert.is_true(#m.metadata.name <= 63, where .. ": name longer than 63")
  assert.is_nil(m.metadata.namespace, where .. ": namespace is the host's")
  assert.is_nil(m.metadata.ownerReferences, where .. ": ownerReferences are the host's")
  for k in pairs(m.metadata.labels or {}) do
    assert.is_nil(HOST_LABELS[k], where .. ": label " .. k .. " is the host's")
  end
end

describe("policy fixtures", function()
  local cases = fixtures.cases()

  it("has at least 15 cases", function()
    assert.is_true(#cases >= 15, "only " .. #cases .. " cases")
  end)

  for _, name in ipairs(cases) do
    it(name, function()
      local case = fixtures.load(name)
      assert.is_table(case.ds, "devserver.yaml must hold a DevServer")
      assert.is_true((case.expected ~= nil) ~= (case.error ~= nil),
        "a case has exactly one of expected.yaml and error.txt")

      local policy = sandbox.load_policy("lua", "devserver.lua")
      assert.are.equal(1, policy.api)
      local ds_before = fixtures.deep_copy(case.ds)
      local flavor_before = fixtures.deep_copy(case.flavor)
      local ok, out = pcall(policy.render, case.ds, case.flavor, case.ctx)

      assert.is_nil(fixtures.diff(ds_before, case.ds), "render changed its DevServer input")
      assert.is_nil(fixtures.diff(flavor_before, case.flavor), "render changed its flavor input")

      if case.error then
        assert.is_false(ok, "expected an error containing: " .. case.error)
        assert.is_string(out)
        assert.is_truthy(out:find(case.error, 1, true),
          string.format("error %q does not contain %q", out, case.error))
        -- error(msg, 0): no file:line position for input errors.
        assert.is_falsy(out:match("^[^%s]+%.lua:%d+:"), "input errors use error(msg, 0): " .. out)
        return
      end

      assert.is_true(ok, tostring(out))
      local d = fixtures.diff(case.expected, out)
      assert.is_nil(d, name .. ": " .. tostring(d))
      assert.is_nil(fixtures.find_empty(out), "empty list or map emitted")
      assert.is_nil(json_problem(out, "$"))
      for i, m in ipairs(out) do
        check_manifest(m, i)
      end

      -- Deterministic: a fresh state renders the same thing again.
      local again = sandbox.load_policy("lua", "devserver.lua").render(case.ds, case.flavor, case.ctx)
      assert.is_nil(fixtures.diff(out, again), "render is not deterministic")
    end)
  end
end)
