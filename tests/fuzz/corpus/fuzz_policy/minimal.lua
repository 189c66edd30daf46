return {api = 1, render = function(ds, flavor, ctx)
  return {{apiVersion = 'v1', kind = 'ConfigMap', metadata = {name = ds.metadata.name}}}
end}
