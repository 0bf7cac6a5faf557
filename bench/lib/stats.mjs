/** Small statistics helpers and per-row summaries of the raw rounds. */

/** Median of the finite numbers in `xs` (mean of the middle two for even counts), or null. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Summarises the successful rounds of one (server, scenario) row: median
 * req/s, min/max req/s, median p99 (ms), median CPU seconds per 100k requests,
 * median load from other processes (cores), and the summed wrk error counts.
 */
export function summarize(rounds) {
  const ok = rounds.filter((r) => !r.error);
  const rps = ok.map((r) => r.rps);
  const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
  for (const r of ok) for (const k of Object.keys(errors)) errors[k] += r.errors[k] ?? 0;
  return {
    rounds: ok.length,
    rpsMedian: median(rps),
    rpsMin: rps.length ? Math.min(...rps) : null,
    rpsMax: rps.length ? Math.max(...rps) : null,
    p99MsMedian: median(ok.map((r) => (r.latency_us.p99 == null ? null : r.latency_us.p99 / 1000))),
    cpuPer100kMedian: median(ok.map((r) => r.cpuPer100k)),
    otherLoadMedian: median(ok.map((r) => r.otherLoad)),
    errors,
  };
}
