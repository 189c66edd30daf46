package.path = "lua/?.lua;" .. package.path
local merge = require("lib.merge")

describe("lib.merge", function()
  it("merges by key with the override winning whole, sorted by key", function()
    local base = { { p = "/b", v = "base-b", extra = 1 }, { p = "/a", v = "base-a" } }
    local over = { { p = "/c", v = "over-c" }, { p = "/b", v = "over-b" } }
    local out = merge.by_key(base, over, "p")
    assert.are.same({
      { p = "/a", v = "base-a" },
      { p = "/b", v = "over-b" },
      { p = "/c", v = "over-c" },
    }, out)
  end)

  it("does not depend on input order", function()
    local a = merge.by_key({ { k = "y" }, { k = "x" } }, nil, "k")
    local b = merge.by_key(nil, { { k = "x" }, { k = "y" } }, "k")
    assert.are.same(a, b)
  end)

  it("accepts nil lists", function()
    assert.are.same({}, merge.by_key(nil, nil, "k"))
  end)

  it("merges maps with the second on top", function()
    assert.are.same({ a = 1, b = 3, c = 4 }, merge.maps({ a = 1, b = 2 }, { b = 3, c = 4 }))
    assert.are.same({ a = 1 }, merge.maps(nil, { a = 1 }))
  end)
end)
