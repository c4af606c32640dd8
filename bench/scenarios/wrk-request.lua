-- wrk's Lua peer for loadgen's scenario files (bench/vs-wrk --files): the same GET loop, built
-- by a request() hook on every request, as wrk users script it.
local path = "/index.html"
request = function()
  return wrk.format("GET", path)
end
