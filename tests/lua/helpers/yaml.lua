-- yaml.lua - a small YAML reader and writer for the test fixtures.
-- Handles the subset the fixtures use, and refuses the rest loudly rather
-- than guessing: block maps and lists (lists may sit at their key's indent,
-- as kubectl writes them), plain, single- and double-quoted scalars with
-- YAML 1.2 core typing (null, true/false, ints, floats), literal blocks
-- (`|`, `|-`, `|+`), flat flow collections ([], {}, [a, b], {a: 1}) and
-- comments. No anchors, aliases, tags, folded blocks, complex keys or
-- multi-line plain scalars. Errors carry the line number.
-- Nulls decode to yaml.null (a unique table) so a map keeps the key.
local yaml = {}

yaml.null = setmetatable({}, {
  __name = "yaml.null",
  __tostring = function()
    return "null"
  end,
})

local function fail(lineno, msg)
  error(string.format("yaml:%d: %s", lineno or 0, msg), 0)
end

-- Strips a trailing comment (a # after whitespace, outside quotes).
local function strip_comment(s)
  local quote
  local i = 1
  while i <= #s do
    local c = s:sub(i, i)
    if quote == '"' then
      if c == "\\" then
        i = i + 1
      elseif c == '"' then
        quote = nil
      end
    elseif quote == "'" then
      if c == "'" and s:sub(i + 1, i + 1) == "'" then
        i = i + 1
      elseif c == "'" then
        quote = nil
      end
    elseif c == '"' or c == "'" then
      local prev = i == 1 and " " or s:sub(i - 1, i - 1)
      if prev:match("[%s%[{,:-]") then
        quote = c
      end
    elseif c == "#" and (i == 1 or s:sub(i - 1, i - 1):match("%s")) then
      return s:sub(1, i - 1)
    end
    i = i + 1
  end
  return s
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function double_quoted(s, lineno)
  -- s starts with '"'; returns the string and the rest after the closing quote.
  local out = {}
  local i = 2
  local escapes = { n = "\n", t = "\t", r = "\r", ["0"] = "\0", ['"'] = '"', ["\\"] = "\\", ["/"] = "/", [" "] = " " }
  while i <= #s do
    local c = s:sub(i, i)
    if c == '"' then
      return table.concat(out), s:sub(i + 1)
    elseif c == "\\" then
      local e = s:sub(i + 1, i + 1)
      if escapes[e] then
        out[#out + 1] = escapes[e]
        i = i + 2
      elseif e == "u" or e == "x" then
        local n = e == "u" and 4 or 2
        local hex = s:sub(i + 2, i + 1 + n)
        if not hex:match("^%x+$") or #hex ~= n then
          fail(lineno, "bad escape in double-quoted string")
        end
        out[#out + 1] = utf8.char(tonumber(hex, 16))
        i = i + 2 + n
      else
        fail(lineno, "unsupported escape \\" .. e)
      end
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  fail(lineno, "unterminated double-quoted string (multi-line scalars are not supported)")
end

local function single_quoted(s, lineno)
  local out = {}
  local i = 2
  while i <= #s do
    local c = s:sub(i, i)
    if c == "'" then
      if s:sub(i + 1, i + 1) == "'" then
        out[#out + 1] = "'"
        i = i + 2
      else
        return table.concat(out), s:sub(i + 1)
      end
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  fail(lineno, "unterminated single-quoted string (multi-line scalars are not supported)")
end

-- YAML 1.2 core schema resolution of a plain scalar.
local function plain(s, lineno)
  if s == "" or s == "~" or s == "null" or s == "Null" or s == "NULL" then
    return yaml.null
  end
  if s == "true" or s == "True" or s == "TRUE" then
    return true
  end
  if s == "false" or s == "False" or s == "FALSE" then
    return false
  end
  if s:match("^[-+]?%d+$") then
    return math.tointeger(tonumber(s)) or tonumber(s)
  end
  if s:match("^0o[0-7]+$") then
    return math.tointeger(tonumber(s:sub(3), 8))
  end
  if s:match("^0x%x+$") then
    return math.tointeger(tonumber(s:sub(3), 16))
  end
  if s:match("^[-+]?%.%d+$") or s:match("^[-+]?%d+%.?%d*$")
      or s:match("^[-+]?%.%d+[eE][-+]?%d+$") or s:match("^[-+]?%d+%.?%d*[eE][-+]?%d+$") then
    return tonumber(s) + 0.0
  end
  local inf = s:match("^([-+]?)%.[iI][nN][fF]$")
  if inf then
    return inf == "-" and -math.huge or math.huge
  end
  if s == ".nan" or s == ".NaN" or s == ".NAN" then
    return 0 / 0
  end
  local c = s:sub(1, 1)
  if c:match("[&*!|>%%@`?]") then
    fail(lineno, "unsupported YAML construct: " .. s)
  end
  return s
end

-- Splits the inside of a flat flow collection at top-level commas.
local function flow_items(body, lineno)
  local items, cur, quote = {}, {}, nil
  for i = 1, #body do
    local c = body:sub(i, i)
    if quote then
      cur[#cur + 1] = c
      if c == quote then
        quote = nil
      end
    elseif c == '"' or c == "'" then
      quote = c
      cur[#cur + 1] = c
    elseif c == "[" or c == "{" or c == "]" or c == "}" then
      fail(lineno, "nested flow collections are not supported")
    elseif c == "," then
      items[#items + 1] = trim(table.concat(cur))
      cur = {}
    else
      cur[#cur + 1] = c
    end
  end
  local last = trim(table.concat(cur))
  if last ~= "" then
    items[#items + 1] = last
  elseif #items > 0 then
    fail(lineno, "empty item in flow collection")
  end
  return items
end

local scalar

local function split_key(text, lineno)
  -- Returns key, rest when text is a map entry ("key: value" or "key:").
  local c = text:sub(1, 1)
  if c == '"' or c == "'" then
    local key, rest
    if c == '"' then
      key, rest = double_quoted(text, lineno)
    else
      key, rest = single_quoted(text, lineno)
    end
    local value = rest:match("^%s*:%s+(.*)$") or (rest:match("^%s*:$") and "")
    if value then
      return key, value
    end
    return nil
  end
  local key, value = text:match("^([^%s].-):%s+(.*)$")
  if not key then
    key = text:match("^([^%s].-):$")
    value = ""
  end
  if key then
    if key:match("^[%[{]") then
      return nil
    end
    if key:match("^[?&*!|>%%@`]") then
      fail(lineno, "unsupported key: " .. key)
    end
    return key, value
  end
  return nil
end

function scalar(s, lineno)
  s = trim(s)
  local c = s:sub(1, 1)
  if c == '"' or c == "'" then
    local v, rest
    if c == '"' then
      v, rest = double_quoted(s, lineno)
    else
      v, rest = single_quoted(s, lineno)
    end
    if trim(rest) ~= "" then
      fail(lineno, "text after a quoted scalar")
    end
    return v
  end
  if c == "[" then
    if s:sub(-1) ~= "]" then
      fail(lineno, "flow sequences must fit on one line")
    end
    local out = {}
    for _, item in ipairs(flow_items(s:sub(2, -2), lineno)) do
      out[#out + 1] = scalar(item, lineno)
    end
    return out
  end
  if c == "{" then
    if s:sub(-1) ~= "}" then
      fail(lineno, "flow mappings must fit on one line")
    end
    local out = {}
    for _, item in ipairs(flow_items(s:sub(2, -2), lineno)) do
      local k, v = split_key(item, lineno)
      if not k then
        fail(lineno, "bad flow mapping entry: " .. item)
      end
      out[k] = scalar(v, lineno)
    end
    return out
  end
  return plain(s, lineno)
end

-- Parser over the document's lines. Each line: {indent, text, raw, lineno}.
local Parser = {}
Parser.__index = Parser

local function new_parser(text)
  local lines = {}
  local n = 0
  for raw in (text:gsub("\r\n", "\n") .. (text:sub(-1) == "\n" and "" or "\n")):gmatch("([^\n]*)\n") do
    n = n + 1
    local lead = raw:match("^[ \t]*")
    local body = strip_comment(raw:sub(#lead + 1))
    local line = { raw = raw, lineno = n, text = trim(body), indent = #lead }
    if lead:find("\t") and line.text ~= "" then
      line.tab = true
    end
    lines[n] = line
  end
  return setmetatable({ lines = lines, pos = 1 }, Parser)
end

-- The next line with content, skipping blanks, comments and "---".
function Parser:peek()
  while self.pos <= #self.lines do
    local line = self.lines[self.pos]
    if line.text ~= "" and not (line.indent == 0 and (line.text == "---" or line.text == "...")) then
      if line.tab then
        fail(line.lineno, "tabs are not allowed in indentation")
      end
      return line
    end
    self.pos = self.pos + 1
  end
  return nil
end

local function is_item(text)
  return text == "-" or text:sub(1, 2) == "- "
end

-- Reads a literal block after the line at self.pos-1; parent is the
-- indent of the owning key or item.
function Parser:literal(header, parent, lineno)
  local chomp = header:sub(2, 2)
  if header ~= "|" and header ~= "|-" and header ~= "|+" then
    fail(lineno, "unsupported block scalar header " .. header)
  end
  local body = {}
  local block_indent
  while self.pos <= #self.lines do
    local raw = self.lines[self.pos].raw
    local lead = #raw:match("^ *")
    if raw:match("^%s*$") then
      body[#body + 1] = ""
    else
      if not block_indent then
        if lead <= parent then
          break
        end
        block_indent = lead
      end
      if lead < block_indent then
        break
      end
      body[#body + 1] = raw:sub(block_indent + 1)
    end
    self.pos = self.pos + 1
  end
  -- Trailing blank lines belong to the block only under keep chomping.
  local trailing = 0
  while #body > 0 and body[#body] == "" do
    body[#body] = nil
    trailing = trailing + 1
  end
  if chomp ~= "+" then
    -- Blank lines after the block were consumed; give them back.
    self.pos = self.pos - trailing
  end
  local s = table.concat(body, "\n")
  if #body == 0 then
    return ""
  end
  if chomp == "-" then
    return s
  elseif chomp == "+" then
    return s .. "\n" .. string.rep("\n", trailing)
  end
  return s .. "\n"
end

-- The value of a key or item whose inline text is rest, owned at indent.
function Parser:value(rest, indent, lineno, in_map)
  if rest:sub(1, 1) == "|" then
    return self:literal(rest, indent, lineno)
  end
  if rest ~= "" then
    return scalar(rest, lineno)
  end
  local nxt = self:peek()
  if not nxt then
    return yaml.null
  end
  if nxt.indent > indent then
    return self:node(nxt.indent)
  end
  if in_map and nxt.indent == indent and is_item(nxt.text) then
    return self:seq(indent)
  end
  return yaml.null
end

function Parser:seq(indent)
  local out = {}
  while true do
    local line = self:peek()
    if not line or line.indent ~= indent or not is_item(line.text) then
      break
    end
    local rest = trim(line.text:sub(2))
    if rest == "" then
      self.pos = self.pos + 1
      out[#out + 1] = self:value("", indent, line.lineno, false)
    elseif is_item(rest) or split_key(rest, line.lineno) then
      -- "- key: v" or "- - x": re-read this line as a nested block whose
      -- indent is the column where rest starts.
      local stripped = line.text:sub(2):gsub("^%s+", "")
      local col = indent + #line.text - #stripped
      line.indent = col
      line.text = rest
      out[#out + 1] = self:node(col)
    else
      self.pos = self.pos + 1
      out[#out + 1] = self:value(rest, indent, line.lineno, false)
    end
  end
  return out
end

function Parser:map(indent)
  local out = {}
  while true do
    local line = self:peek()
    if not line or line.indent ~= indent or is_item(line.text) then
      break
    end
    local key, rest = split_key(line.text, line.lineno)
    if not key then
      fail(line.lineno, "expected a `key: value` entry")
    end
    if out[key] ~= nil then
      fail(line.lineno, "duplicate key " .. key)
    end
    self.pos = self.pos + 1
    out[key] = self:value(rest, indent, line.lineno, true)
  end
  return out
end

function Parser:node(indent)
  local line = self:peek()
  if is_item(line.text) then
    return self:seq(indent)
  end
  if split_key(line.text, line.lineno) then
    return self:map(indent)
  end
  self.pos = self.pos + 1
  if line.text:sub(1, 1) == "|" then
    return self:literal(line.text, indent - 1, line.lineno)
  end
  return scalar(line.text, line.lineno)
end

-- Parses one YAML document; returns its value (nil for an empty document).
function yaml.load(text)
  local p = new_parser(text)
  local first = p:peek()
  if not first then
    return nil
  end
  local v = p:node(first.indent)
  local extra = p:peek()
  if extra then
    fail(extra.lineno, "unexpected content (bad indentation or a second document)")
  end
  return v
end

function yaml.load_file(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  local ok, v = pcall(yaml.load, text)
  if not ok then
    error(path .. ": " .. tostring(v), 0)
  end
  return v
end

-- Writer ---------------------------------------------------------------

-- Keys Kubernetes authors put first; the rest follow sorted.
local KEY_ORDER = { apiVersion = 1, kind = 2, metadata = 3, name = 4, spec = 5, data = 6 }

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    local ra, rb = KEY_ORDER[a] or 100, KEY_ORDER[b] or 100
    if ra ~= rb then
      return ra < rb
    end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function is_list(t)
  local n = 0
  for _ in pairs(t) do
    n = n + 1
  end
  return n > 0 and n == #t
end

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local map = { ["\n"] = "\\n", ["\t"] = "\\t", ["\r"] = "\\r", ['"'] = '\\"', ["\\"] = "\\\\" }
    return map[c] or string.format("\\x%02x", c:byte())
  end) .. '"'
end

local function dump_string(s)
  -- Plain when it reads back as the same string, else double-quoted.
  if s ~= "" and not s:match("^[%s%-?:,%[%]{}#&*!|>'\"%%@`]") and not s:match("%s$")
      and not s:find(": ", 1, true) and not s:find(" #", 1, true) and s:sub(-1) ~= ":"
      and not s:find("%c") then
    local ok, v = pcall(plain, s, 0)
    if ok and v == s then
      return s
    end
  end
  return quote(s)
end

local function dump_scalar(v)
  if v == yaml.null then
    return "null"
  end
  local t = type(v)
  if t == "string" then
    return dump_string(v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then
      return string.format("%d", v)
    end
    if v ~= v then
      return ".nan"
    elseif v == math.huge then
      return ".inf"
    elseif v == -math.huge then
      return "-.inf"
    end
    local s = string.format("%.17g", v)
    if not s:find("[.eE]") then
      s = s .. ".0"
    end
    return s
  end
  error("yaml.dump: cannot write a " .. t, 0)
end

-- A string goes out as a `|` block when that reads back exactly: several
-- lines, one final newline, no other control characters, no leading space.
local function literal_ok(s)
  return s:find("\n", 1, true) ~= nil and s:sub(-1) == "\n" and s:sub(-2) ~= "\n\n"
    and not s:gsub("\n", ""):find("%c") and not s:match("^ ")
end

local dump_node

local function dump_value(out, v, indent)
  -- Appends " value" or a nested block after a "key:" / "-" already written.
  if type(v) == "table" and v ~= yaml.null then
    if next(v) == nil then
      out[#out] = out[#out] .. (is_list(v) and " []" or " {}")
    else
      dump_node(out, v, indent + 2)
    end
  elseif type(v) == "string" and literal_ok(v) then
    out[#out] = out[#out] .. " |"
    for line in v:gmatch("([^\n]*)\n") do
      out[#out + 1] = line == "" and "" or string.rep(" ", indent + 2) .. line
    end
  else
    out[#out] = out[#out] .. " " .. dump_scalar(v)
  end
end

function dump_node(out, v, indent)
  local pad = string.rep(" ", indent)
  if is_list(v) then
    for _, item in ipairs(v) do
      if type(item) == "table" and item ~= yaml.null and next(item) ~= nil then
        -- "- " followed by the first line of the nested block.
        local sub = {}
        dump_node(sub, item, indent + 2)
        sub[1] = pad .. "- " .. sub[1]:sub(indent + 3)
        for _, l in ipairs(sub) do
          out[#out + 1] = l
        end
      else
        out[#out + 1] = pad .. "-"
        dump_value(out, item, indent)
      end
    end
  else
    for _, k in ipairs(sorted_keys(v)) do
      out[#out + 1] = pad .. dump_string(tostring(k)) .. ":"
      dump_value(out, v[k], indent)
    end
  end
end

-- Writes v as a block-style YAML document (maps with Kubernetes-style key
-- order, lists in their order, multi-line strings as literal blocks).
function yaml.dump(v)
  if type(v) ~= "table" or v == yaml.null then
    return dump_scalar(v) .. "\n"
  end
  if next(v) == nil then
    return "[]\n"
  end
  local out = {}
  dump_node(out, v, 0)
  return table.concat(out, "\n") .. "\n"
end

return yaml
