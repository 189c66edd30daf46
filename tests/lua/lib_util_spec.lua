package.path = "lua/?.lua;" .. package.path
local util = require("lib.util")

describe("lib.util", function()
  it("sorts keys so pairs order never leaks into output", function()
    assert.are.same({ "a", "b", "c" }, util.sorted_keys({ c = 1, a = 2, b = 3 }))
    assert.are.same({}, util.sorted_keys({}))
  end)

  it("trims whitespace at both ends only", function()
    assert.are.equal("a b", util.trim("  a b \t\n"))
    assert.are.equal("", util.trim("   "))
  end)

  it("non_empty keeps values and drops nil and empty tables", function()
    assert.is_nil(util.non_empty(nil))
    assert.is_nil(util.non_empty({}))
    local t = { 1 }
    assert.are.equal(t, util.non_empty(t))
    assert.are.equal("", util.non_empty(""))
    assert.are.equal(false, util.non_empty(false))
  end)

  it("set_if skips nil and empty tables", function()
    local t = {}
    util.set_if(t, "a", nil)
    util.set_if(t, "b", {})
    util.set_if(t, "c", { 1 })
    util.set_if(t, "d", false)
    util.set_if(t, "e", "")
    assert.are.same({ c = { 1 }, d = false, e = "" }, t)
  end)

  it("is_empty and copy", function()
    assert.is_true(util.is_empty({}))
    assert.is_false(util.is_empty({ x = 1 }))
    local src = { a = { 1 } }
    local c = util.copy(src)
    assert.are_not.equal(src, c)
    assert.are.equal(src.a, c.a)
  end)
end)
