-- The busted sandbox must refuse what the host refuses, or the fixture suite
-- would pass policies that fail in the cluster.
package.path = "tests/lua/?.lua;" .. package.path
local sandbox = require("helpers.sandbox")

local function run(code)
  local chunk = assert(load(code, "=test", "t", sandbox.env("lua")))
  return pcall(chunk)
end

describe("helpers.sandbox", function()
  it("hides io, os, debug, load, dofile, getmetatable and math.random", function()
    for _, name in ipairs({ "io", "os", "debug", "load", "loadfile", "dofile", "getmetatable",
      "collectgarbage" }) do
      local ok, v = run("return " .. name)
      assert.is_true(ok)
      assert.is_nil(v, name .. " is visible")
    end
    local _, r = run("return math.random")
    assert.is_nil(r)
  end)

  it("refuses global writes", function()
    local ok, err = run("x = 1")
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("undeclared global x", 1, true))
  end)

  it("requires only lib.* modules", function()
    assert.is_true((run("return require('lib.names')")))
    assert.is_false((run("return require('os')")))
    assert.is_false((run("return require('lib.../x')")))
  end)

  it("loads the shipped policy", function()
    local policy = sandbox.load_policy("lua", "devserver.lua")
    assert.are.equal(1, policy.api)
  end)
end)
