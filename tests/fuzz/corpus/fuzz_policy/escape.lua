local ok = pcall(function() return os.exit() end)
return {api = 1, render = function(ds) error({}) end}
