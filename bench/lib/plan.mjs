/** Which servers and scenarios a run measures, and how long that takes. */
import { applyOnly } from "./options.mjs";

/** Drops servers and scenarios the options exclude (--quick, --no-*, --only). */
export function selectServers(defs, o) {
  let out = defs.map((d) => ({
    ...d,
    scenarios: d.scenarios.filter((s) => (s !== "pipelined" || o.pipeline) && (s !== "json" || o.json)),
  }));
  if (!o.workers) out = out.filter((d) => d.workers === 1);
  if (o.quick) out = out.filter((d) => ["gateway", "fetch", "wsgi", "static"].includes(d.app));
  return applyOnly(out, o.only).filter((d) => d.scenarios.length > 0);
}

/** Rough wall time of a plan: startup + warm-up + measured runs (+ wrk start/stop slack). */
export function estimateSeconds(defs, o) {
  let s = 5; // build + machine facts
  for (const d of defs) {
    s += 1.5 + d.scenarios.length * (o.warmup + 0.2 + o.rounds * (o.duration + 0.2));
  }
  return s;
}

/** Options of the documented full run (`npm run bench`), for the duration estimate in the docs. */
export const FULL_PLAN = { quick: false, only: null, pipeline: true, json: true, workers: true, duration: 5, rounds: 3, warmup: 1 };
/** Options of the documented quick run (`npm run bench -- --quick`). */
export const QUICK_PLAN = { quick: true, only: null, pipeline: false, json: false, workers: false, duration: 2, rounds: 3, warmup: 1 };
