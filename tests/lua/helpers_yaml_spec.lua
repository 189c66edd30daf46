-- The fixtures' YAML reader: its subset, its refusals, and (when the
-- lua-yaml package is installed) agreement with libyaml on every fixture.
package.path = "tests/lua/?.lua;" .. package.path
local yaml = require("helpers.yaml")
local fixtures = require("helpers.fixtures")
local lfs = require("lfs")

describe("helpers.yaml", function()
  it("reads block maps and lists, including lists at their key's indent", function()
    local v = yaml.load("a:\n  b: 1\nl:\n- x\n- y: 2\n  z: [1, two]\nm:\n  - - n\n")
    assert.are.same({ a = { b = 1 }, l = { "x", { y = 2, z = { 1, "two" } } }, m = { { "n" } } }, v)
  end)

  it("types plain scalars by the YAML 1.2 core schema", function()
    local v = yaml.load("i: 42\nf: 1.5\nt: true\nF: False\nn: ~\ns: 4Gi\nq: \"1\"\nh: 0x1f\nz: 007\n")
    assert.are.equal(42, v.i)
    assert.are.equal("integer", math.type(v.i))
    assert.are.equal("float", math.type(v.f))
    assert.is_true(v.t)
    assert.is_false(v.F)
    assert.are.equal(yaml.null, v.n)
    assert.are.equal("4Gi", v.s)
    assert.are.equal("1", v.q)
    assert.are.equal(31, v.h)
    assert.are.equal(7, v.z)
  end)

  it("reads quoted scalars and comments", function()
    local v = yaml.load("a: 'it''s # not a comment' # comment\nb: \"x\\ty\\\"\"\nc: a#b\n")
    assert.are.same({ a = "it's # not a comment", b = "x\ty\"", c = "a#b" }, v)
  end)

  it("reads literal blocks with clip, strip and keep", function()
    local v = yaml.load("a: |\n  one\n    two\n\n  three\n\nb: |-\n  x\nc: |+\n  y\n\nd: 1\n")
    assert.are.same({ a = "one\n  two\n\nthree\n", b = "x", c = "y\n\n", d = 1 }, v)
  end)

  it("refuses what it does not support, with a line number", function()
    for _, text in ipairs({ "a: &x 1\n", "a: *x\n", "a: !!str 1\n", "a: >\n  x\n", "a: [[1]]\n",
      "a: 1\na: 2\n", "a:\n\tb: 1\n", "a: 1\n b: 2\n" }) do
      assert.has_error(function() yaml.load(text) end)
    end
    local ok, err = pcall(yaml.load, "a: 1\nb: &x 2\n")
    assert.is_false(ok)
    assert.is_truthy(err:find("^yaml:2:"))
  end)

  it("writes what it reads back unchanged", function()
    local v = {
      { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "x" },
        data = { text = "a\n  b\n", plain = "true", num = "8080", colon = "a: b", empty = "" } },
      { list = { 1, 2.5, false, yaml.null }, nested = { { a = {} } }, e = {} },
    }
    assert.is_nil(fixtures.diff(v, yaml.load(yaml.dump(v))))
  end)

  local ok_lyaml, lyaml = pcall(require, "lyaml")
  -- lua-yaml is installed by scripts/install-deps; its absence is a failure, not a skip.
  assert(ok_lyaml, "lyaml (Debian package lua-yaml) is required: run scripts/install-deps")
  local check = it

  check("agrees with libyaml (lua-yaml) on every fixture file", function()
    local function from_lyaml(v)
      if v == lyaml.null then
        return yaml.null
      end
      if type(v) == "table" then
        local out = {}
        for k, sub in pairs(v) do
          out[k] = from_lyaml(sub)
        end
        return out
      end
      return v
    end
    local n = 0
    for _, case in ipairs(fixtures.cases()) do
      local dir = fixtures.DIR .. "/" .. case
      for file in lfs.dir(dir) do
        if file:match("%.yaml$") then
          local f = assert(io.open(dir .. "/" .. file, "rb"))
          local text = f:read("a")
          f:close()
          local d = fixtures.diff(from_lyaml(lyaml.load(text)), yaml.load(text))
          assert.is_nil(d, dir .. "/" .. file .. ": " .. tostring(d))
          n = n + 1
        end
      end
    end
    assert.is_true(n > 45)
  end)
end)
