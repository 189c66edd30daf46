-- The shipped policy honours the contract: api = 1 and a render function.
package.path = "lua/?.lua;lua/policies/?.lua;" .. package.path

describe("default policy contract", function()
  it("declares api version 1 and a render function", function()
    local policy = dofile("lua/policies/devserver.lua")
    assert.are.equal(1, policy.api)
    assert.are.equal("function", type(policy.render))
  end)
end)
