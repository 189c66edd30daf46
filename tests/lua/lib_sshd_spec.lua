package.path = "lua/?.lua;" .. package.path
local sshd = require("lib.sshd")

describe("lib.sshd", function()
  it("collects keys in order, trimmed, without duplicates, blanks or comments", function()
    local keys = sshd.collect_keys({
      "ssh-ed25519 AAA one",
      "  ssh-rsa BBB two \r",
      "# comment\n\nssh-ed25519 AAA one\nssh-ed25519 CCC three\n",
    })
    assert.are.same({ "ssh-ed25519 AAA one", "ssh-rsa BBB two", "ssh-ed25519 CCC three" }, keys)
  end)

  it("writes authorized_keys newline-terminated, empty without keys", function()
    assert.are.equal("k1\nk2\n", sshd.authorized_keys({ "k1", "k2", "k1" }))
    assert.are.equal("", sshd.authorized_keys(nil))
    assert.are.equal("", sshd.authorized_keys({ "", "   " }))
  end)

  it("rejects control characters inside a key line", function()
    assert.has_error(function() sshd.collect_keys({ "ssh-ed25519 AA\0A x" }) end,
      "spec.ssh: a public key contains a control character")
  end)

  it("configures a non-root, key-only sshd", function()
    local c = sshd.config()
    local function has(line)
      assert.is_truthy(("\n" .. c):find("\n" .. line .. "\n", 1, true), "missing: " .. line)
    end
    has("Port 2222")
    has("PasswordAuthentication no")
    has("KbdInteractiveAuthentication no")
    has("PermitRootLogin no")
    has("PubkeyAuthentication yes")
    has("AuthenticationMethods publickey")
    has("AuthorizedKeysFile /etc/devserver/ssh/authorized_keys")
    has("UsePAM no")
    has("AllowUsers dev")
    has("PrintLastLog no")
    has("Include /devserver/run/session-env.conf")
    -- exactly one host key: the operator's, from its Secret
    local keys = {}
    for path in c:gmatch("\nHostKey (%S+)") do
      keys[#keys + 1] = path
    end
    assert.are.same({ sshd.HOSTKEY_DIR .. "/" .. sshd.HOSTKEY_FILE }, keys)
    has("PidFile /devserver/run/sshd.pid")
    assert.are.equal("\n", c:sub(-1))
  end)

  it("renders the ConfigMap <name>-ssh with both files", function()
    local cm = sshd.configmap({ name = "box", keys = { "k1" } })
    assert.are.equal("v1", cm.apiVersion)
    assert.are.equal("ConfigMap", cm.kind)
    assert.are.equal("box-ssh", cm.metadata.name)
    assert.are.equal("k1\n", cm.data.authorized_keys)
    assert.are.equal(sshd.config(), cm.data.sshd_config)
  end)
end)
