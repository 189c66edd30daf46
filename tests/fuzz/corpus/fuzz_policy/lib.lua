local util = require('lib.util')
local t = {}
for i = 1, 10 do t[i] = tostring(i) end
return {api = 1, render = function(ds, flavor, ctx)
  return ctx.array({})
end}
