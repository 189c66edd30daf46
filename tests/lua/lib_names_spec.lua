package.path = "lua/?.lua;" .. package.path
local names = require("lib.names")

describe("lib.names", function()
  it("derives child names from the DevServer name only", function()
    assert.are.equal("box", names.deployment("box"))
    assert.are.equal("box-ssh", names.service("box"))
    assert.are.equal("box-ssh", names.config("box"))
    assert.are.equal("box-home", names.home("box"))
  end)

  it("selects on devserver.io/name, a fresh table each call", function()
    local a, b = names.selector("box"), names.selector("box")
    assert.are.same({ ["devserver.io/name"] = "box" }, a)
    assert.are_not.equal(a, b)
  end)

  it("labels pods with the selector plus app=<name>, a fresh table each call", function()
    local a, b = names.pod_labels("box"), names.pod_labels("box")
    assert.are.same({ ["devserver.io/name"] = "box", app = "box" }, a)
    assert.are_not.equal(a, b)
    assert.are.same({ ["devserver.io/name"] = "box" }, names.selector("box"))
  end)

  it("allows names whose longest child is exactly 63 characters", function()
    assert.are.equal(58, names.MAX_NAME_LEN)
    local name = "a" .. string.rep("b", 57)
    assert.are.equal(name, names.check(name))
    assert.are.equal(63, #names.home(name))
  end)

  it("rejects a name one character too long", function()
    local name = "a" .. string.rep("b", 58)
    assert.has_error(function() names.check(name) end,
      string.format("metadata.name %q is too long: 59 characters, at most 58 so that child %q stays within 63",
        name, name .. "-home"))
  end)

  it("requires a name", function()
    assert.has_error(function() names.check(nil) end, "metadata.name is required")
    assert.has_error(function() names.check("") end, "metadata.name is required")
  end)

  it("requires a DNS-1035 label, since the Service is named after it", function()
    for _, bad in ipairs({ "Box", "1box", "box-", "box.example", "box_1" }) do
      assert.has_error(function() names.check(bad) end)
    end
    for _, good in ipairs({ "b", "box-1", "a1-b2" }) do
      assert.are.equal(good, names.check(good))
    end
  end)

  -- The same cases as the C rule (src/api/names.c): tests/fixtures/names.txt.
  it("agrees with the C rule on every shared devserver-name case", function()
    local cases, wrong = 0, {}
    for line in io.lines("tests/fixtures/names.txt") do
      local rule, expect, name = line:match("^(%S+) (%S+) (%S+)")
      if rule == "devserver-name" then
        if name == "<empty>" then name = "" end
        local ok = pcall(names.check, name)
        if ok ~= (expect == "yes") then
          wrong[#wrong + 1] = string.format("%q: want %s", name, expect)
        end
        cases = cases + 1
      end
    end
    assert.are.same({}, wrong)
    assert.is_true(cases >= 10)
  end)
end)
