return {api = 1, render = function(ds) while true do end end}
