-- HTTP/1.1 pipelining for wrk: every socket write carries 16 GET requests for
-- the URL's path; wrk counts each of the 16 responses separately.
--   taskset -c 1 wrk -t1 -c64 -d5s -s bench/pipeline.lua http://127.0.0.1:8000/
-- The done() reporter (one BENCH_JSON line) comes from bench/lib/report.lua,
-- found next to this file, so bench/run.mjs reads pipelined and plain runs alike.

local depth = 16

init = function(args)
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil, nil)
  end
  req = table.concat(r)
end

request = function()
  return req
end

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "lib/report.lua")
