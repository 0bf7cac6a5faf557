-- wrk reporter for bench/run.mjs: after the run, print one line
-- `BENCH_JSON {...}` with the totals, errors and latency percentiles
-- (latencies in microseconds), so the script never scrapes wrk's text output.
-- Usable on its own: wrk -s bench/lib/report.lua http://127.0.0.1:8000/

-- wrk's coordinated-omission correction (stats_correct) can push synthetic
-- samples below the recorded minimum when many responses share one write
-- (pipelining); percentile() then finds no rank and returns 0. Report that
-- as null rather than a fake 0 µs.
local function pct(latency, p)
  local v = latency:percentile(p)
  if v == 0 then return "null" end
  return string.format("%d", v)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%s,"p90":%s,"p99":%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    pct(latency, 50), pct(latency, 90), pct(latency, 99)))
end
