/**
 * Turns the collected rounds into the three artefacts: docs/benchmarks.json
 * (everything raw), docs/benchmarks.md (tables + method) and
 * docs/benchmarks.svg (bar chart). Also used by `--from-json` to re-render
 * the Markdown and SVG from a saved JSON without measuring again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderMarkdown, resultTables } from "./markdown.mjs";
import { FULL_PLAN, QUICK_PLAN, estimateSeconds, selectServers } from "./plan.mjs";
import { APPS, SCENARIOS, runtimeLabel } from "./servers.mjs";
import { median, summarize } from "./stats.mjs";
import { renderChart } from "./svg.mjs";
import { wrkArgv } from "./wrk.mjs";

/** Median cores used by other processes above which the report warns that the run was disturbed. */
export const DISTURBED_LOAD = 0.25;

const RUNTIME_ORDER = ["node", "deno", "bun", "python", "nginx"];
const APP_ORDER = ["gateway", "fetch", "hono", "wsgi", "static"];
const KIND_ORDER = ["tricorn", "native", "peer"];
const SECTION_ORDER = ["1:plain", "1:json", "1:pipelined", "2:plain"];
const SECTION_TITLES = {
  "1:plain": "1 worker · GET / (plain text)",
  "1:json": "1 worker · GET /json (Hono, Express and Fastify apps)",
  "1:pipelined": "1 worker · GET / with 16 requests pipelined per write",
  "2:plain": "2 workers · GET / (server on both cores, wrk shares core 1)",
};

function compareDefs(a, b) {
  const ka = [RUNTIME_ORDER.indexOf(a.runtime), APP_ORDER.indexOf(a.app), KIND_ORDER.indexOf(a.kind)];
  const kb = [RUNTIME_ORDER.indexOf(b.runtime), APP_ORDER.indexOf(b.app), KIND_ORDER.indexOf(b.kind)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return 0;
}

/**
 * Groups result rows into the report's sections (workers × scenario), sorted
 * by runtime then app with tricorn before the native server, and computes
 * each row's ratio to its native baseline on the same scenario.
 * @param {{def:object, label:string, status:string, results:Record<string, object[]>}[]} entries
 */
export function buildSections(entries) {
  const summaries = new Map();
  for (const e of entries) {
    for (const s of e.def.scenarios) summaries.set(`${e.def.id}:${s}`, e.status === "ok" ? summarize(e.results[s] ?? []) : null);
  }
  const sections = new Map();
  // Optional peers that are not installed only appear in the "not measured" list.
  const shown = entries.filter((e) => !(e.def.kind === "peer" && e.status === "skipped"));
  for (const e of [...shown].sort((a, b) => compareDefs(a.def, b.def))) {
    for (const s of e.def.scenarios) {
      const key = `${e.def.workers}:${s}`;
      if (!sections.has(key)) sections.set(key, { key, title: SECTION_TITLES[key] ?? key, rows: [] });
      const summary = summaries.get(`${e.def.id}:${s}`);
      const baseEntry = e.def.baseline ? entries.find((x) => x.def.id === e.def.baseline) : null;
      const baseSummary = baseEntry ? summaries.get(`${baseEntry.def.id}:${s}`) : null;
      const ratio = summary?.rpsMedian != null && baseSummary?.rpsMedian ? summary.rpsMedian / baseSummary.rpsMedian : null;
      const ceilingEntry = e.def.ceiling ? entries.find((x) => x.def.id === e.def.ceiling) : null;
      const ceilingSummary = ceilingEntry ? summaries.get(`${ceilingEntry.def.id}:${s}`) : null;
      const ceilingRatio = summary?.rpsMedian != null && ceilingSummary?.rpsMedian ? summary.rpsMedian / ceilingSummary.rpsMedian : null;
      const isBaseline = entries.some((x) => (x.def.baseline === e.def.id || x.def.ceiling === e.def.id) && x.def.scenarios.includes(s));
      sections.get(key).rows.push({
        serverId: e.def.id,
        label: e.label,
        kind: e.def.kind,
        runtimeLabel: runtimeLabel(e.def.runtime),
        appLabel: e.def.appLabel ?? APPS[e.def.app].label,
        scenario: s,
        summary,
        isBaseline: isBaseline && e.def.kind === "native",
        baseline: baseEntry?.def.id ?? null,
        baselineLabel: baseEntry?.label ?? null,
        ratio,
        ceilingLabel: ceilingEntry?.label ?? null,
        ceilingRatio,
        note: e.status === "ok" ? undefined : "not measured",
      });
    }
  }
  return [...sections.values()].sort((a, b) => SECTION_ORDER.indexOf(a.key) - SECTION_ORDER.indexOf(b.key));
}

/**
 * Writes benchmarks.{json,md,svg} into `outDir` and returns the text to print
 * at the end of a run (tables, not-measured list, disturbance warning).
 * @param {object} ctx  entries (with `notices`), catalogue, options, argv, date,
 *   elapsedSeconds, machine, versions, pin, available(def) → bool
 */
export function writeOutputs(ctx, outDir) {
  const { entries, options: o, machine, pin } = ctx;
  const sections = buildSections(entries);
  const fullPlan = selectServers(ctx.catalogue, { ...o, ...FULL_PLAN });
  const quickPlan = selectServers(ctx.catalogue, { ...o, ...QUICK_PLAN });
  const run = {
    date: ctx.date,
    argv: ctx.argv,
    options: o,
    elapsedSeconds: ctx.elapsedSeconds,
    estimates: {
      full: estimateSeconds(fullPlan.filter(ctx.available), { ...o, ...FULL_PLAN }),
      quick: estimateSeconds(quickPlan.filter(ctx.available), { ...o, ...QUICK_PLAN }),
    },
    machine,
    versions: ctx.versions,
    pinning: pin,
    otherLoad: median(entries.flatMap((e) => Object.values(e.results).flat().map((r) => r.otherLoad))),
    disturbedThreshold: DISTURBED_LOAD,
    wrkCommand: wrkArgv({
      cpus: pin.wrk,
      threads: 1,
      connections: o.connections,
      duration: o.duration,
      script: SCENARIOS.plain.script,
      url: "http://127.0.0.1:PORT/",
    }).join(" "),
    servers: entries.map((e) => ({
      id: e.def.id,
      label: e.label,
      kind: e.def.kind,
      runtime: e.def.runtime,
      app: e.def.app,
      appFile: e.def.appFile ?? APPS[e.def.app].file,
      workers: e.def.workers,
      baseline: e.def.baseline,
      command: e.command ?? null,
      status: e.status,
      reason: e.reason ?? undefined,
      serverNotices: e.notices ?? [],
      scenarios: Object.fromEntries(
        e.def.scenarios.map((s) => [
          s,
          { ...SCENARIOS[s], rounds: e.results[s] ?? [], summary: e.status === "ok" ? summarize(e.results[s] ?? []) : null },
        ]),
      ),
    })),
    sections: sections.map((s) => ({
      title: s.title,
      rows: s.rows.map(({ summary, ...rest }) => ({ ...rest, rpsMedian: summary?.rpsMedian ?? null })),
    })),
  };

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "benchmarks.json"), `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(join(outDir, "benchmarks.md"), renderMarkdown(run, sections));
  const disturbed = run.otherLoad != null && run.otherLoad >= DISTURBED_LOAD;
  const subtitle = `${run.date.slice(0, 10)} · ${machine.nproc} CPUs · wrk -t1 -c${o.connections} -d${o.duration}s, ${o.rounds} rounds${o.quick ? " (quick)" : ""} · each panel has its own scale${disturbed ? ` · ⚠ disturbed: other processes used ${run.otherLoad.toFixed(2)} cores` : ""}`;
  const chartSections = sections.map((s) => ({
    title: s.title,
    rows: s.rows.map((r) => ({
      label: `${r.label} · ${r.appLabel}`,
      kind: r.kind,
      rps: r.summary?.rpsMedian ?? null,
      min: r.summary?.rpsMin ?? null,
      max: r.summary?.rpsMax ?? null,
      note: r.note ?? (r.ratio != null ? `(${r.ratio.toFixed(2)}×)` : undefined),
    })),
  }));
  writeFileSync(join(outDir, "benchmarks.svg"), renderChart(chartSections, subtitle));

  const lines = ["", resultTables(sections), ""];
  for (const e of entries.filter((x) => x.status !== "ok")) lines.push(`not measured: ${e.label} (${e.def.app}): ${e.reason}`);
  if (disturbed) lines.push(`bench: WARNING: other processes kept ${run.otherLoad.toFixed(2)} cores busy during the run; numbers are disturbed`);
  return lines.join("\n");
}
