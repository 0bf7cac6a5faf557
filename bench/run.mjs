#!/usr/bin/env node
/**
 * `npm run bench`: cross-runtime HTTP benchmark. Starts tricorn on Node, Deno
 * and Bun plus the runtimes' own servers (and gunicorn/nginx when installed),
 * drives each with wrk on the other core in interleaved rounds, and writes
 * docs/benchmarks.{md,json,svg}. See docs/benchmarks.md ("Method") and --help.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseOptions, UsageError, USAGE } from "./lib/options.mjs";
import { machineFacts, toolVersions } from "./lib/machine.mjs";
import { fmtDuration } from "./lib/markdown.mjs";
import { writeOutputs } from "./lib/output.mjs";
import { estimateSeconds, selectServers } from "./lib/plan.mjs";
import { commandWorks, freePort, killAllSync, machineBusySeconds, pinned, processTree, selfCpuSeconds, startServer, stopServer, treeCpuSeconds, waitReady } from "./lib/procs.mjs";
import { APPS, SCENARIOS, serverCatalogue, serverLabel, unavailableReason } from "./lib/servers.mjs";
import { killWrkSync, runWrk } from "./lib/wrk.mjs";
import { runWebSocketBench } from "./lib/ws-bench.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bins = {
  root,
  node: process.execPath,
  deno: join(root, "node_modules/.bin/deno"),
  bun: join(root, "node_modules/.bin/bun"),
};
const READY_TIMEOUT_MS = 30_000;
const EXPECTED_BODY = "Hello, World!";

const log = (msg) => process.stdout.write(`${msg}\n`);

/** Chooses CPUs: server on 0, wrk on 1, 2-worker servers on 0,1 — or no pinning. */
function choosePinning(nproc) {
  if (nproc >= 2 && commandWorks("taskset", ["-c", "0", "true"])) {
    return { server: "0", wrk: "1", multi: "0,1", note: null };
  }
  return { server: null, wrk: null, multi: null, note: nproc < 2 ? "fewer than 2 CPUs: nothing pinned" : "taskset unusable: nothing pinned" };
}

/** Builds dist/node.js; returns null or a one-line failure reason. */
function buildNode(o) {
  if (!o.build || !existsSync(join(root, "scripts/build.mjs"))) return null;
  log("building dist/node.js (node scripts/build.mjs) …");
  const r = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (r.status === 0) return null;
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-2).join(" | ");
  return `scripts/build.mjs failed (exit ${r.status ?? r.signal}): ${out.slice(0, 200)}`;
}

function installSignalHandlers() {
  const bail = (code) => {
    killWrkSync();
    killAllSync();
    process.exit(code);
  };
  process.on("SIGINT", () => {
    process.stderr.write("\nbench: interrupted, stopping servers\n");
    bail(130);
  });
  process.on("SIGTERM", () => bail(143));
  process.on("exit", () => {
    killWrkSync();
    killAllSync();
  });
}

/** Starts one server, waits until it answers, warms it up. Returns the handle or throws. */
async function bringUp(entry, o, pin) {
  const { def } = entry;
  const port = await freePort();
  const cpus = def.workers > 1 ? pin.multi : pin.server;
  const argv = pinned(cpus, def.argv(port));
  entry.port = port;
  entry.command = argv.join(" ");
  const server = startServer(argv, { cwd: root, env: def.env });
  entry.server = server;
  const paths = [...new Set(def.scenarios.map((s) => SCENARIOS[s].path))];
  await waitReady(server, port, paths, EXPECTED_BODY, READY_TIMEOUT_MS);
  if (o.warmup > 0) {
    for (const s of def.scenarios) {
      await runWrk(wrkOptions(o, pin, SCENARIOS[s], port, o.warmup), root);
    }
  }
}

function wrkOptions(o, pin, scenario, port, duration) {
  return {
    cpus: pin.wrk,
    threads: 1,
    connections: o.connections,
    duration,
    script: scenario.script,
    url: `http://127.0.0.1:${port}${scenario.path}`,
  };
}

/** One measured run of one scenario, with CPU sampled around it. */
async function measure(entry, scenarioId, round, o, pin) {
  const { server } = entry;
  if (server.hasExited()) throw new Error(`server exited (${server.output().split("\n").slice(-1)[0] ?? ""})`);
  const processes = processTree(server.pid).length;
  const machine0 = machineBusySeconds();
  const self0 = selfCpuSeconds();
  const cpu0 = treeCpuSeconds(server.pid);
  const res = await runWrk(wrkOptions(o, pin, SCENARIOS[scenarioId], entry.port, o.duration), root);
  const cpu1 = treeCpuSeconds(server.pid);
  const self1 = selfCpuSeconds();
  const machine1 = machineBusySeconds();
  if (server.hasExited()) throw new Error("server exited during the run");
  const cpuSeconds = Math.round((cpu1 - cpu0) * 1000) / 1000;
  // CPU the rest of the machine used meanwhile (other processes, not this server, wrk or
  // the bench script), in cores: shows when a round was disturbed on a shared machine.
  const wall = res.duration_us / 1e6;
  const other = machine0 == null ? null : machine1 - machine0 - (cpu1 - cpu0) - (self1 - self0);
  const otherLoad = other == null ? null : Math.max(0, Math.round((other / wall) * 100) / 100);
  return {
    round,
    ...res,
    rps: Math.round(res.rps * 10) / 10,
    processes,
    otherLoad,
    cpuSeconds,
    cpuPer100k: res.requests > 0 ? Math.round((cpuSeconds / res.requests) * 1e9) / 1e4 : null,
  };
}

/** Duration estimates in the docs cover tricorn even before it is built; uninstalled peers are left out. */
function estimateAvailable(def) {
  return def.kind === "tricorn" || !unavailableReason(def, root, bins);
}

/**
 * `--from-json FILE`: rebuilds the Markdown and SVG (and a normalised JSON)
 * from a saved benchmarks.json, e.g. after a report-format change.
 */
function rerender(file, o) {
  const saved = JSON.parse(readFileSync(resolve(file), "utf8"));
  const catalogue = serverCatalogue(bins);
  const entries = saved.servers.map((s) => {
    const def = catalogue.find((d) => d.id === s.id);
    if (!def) throw new UsageError(`--from-json: unknown server id ${JSON.stringify(s.id)} in ${file}`);
    return {
      def: { ...def, scenarios: Object.keys(s.scenarios) },
      label: s.label,
      status: s.status,
      reason: s.reason,
      command: s.command,
      notices: s.serverNotices ?? [],
      results: Object.fromEntries(Object.entries(s.scenarios).map(([k, v]) => [k, v.rounds])),
    };
  });
  return writeOutputs(
    {
      entries,
      catalogue,
      options: saved.options,
      argv: saved.argv,
      date: saved.date,
      elapsedSeconds: saved.elapsedSeconds,
      machine: saved.machine,
      versions: saved.versions,
      pin: saved.pinning,
      available: estimateAvailable,
    },
    resolve(root, o.out),
  );
}

async function main() {
  let o;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (o.help) {
    log(USAGE);
    return 0;
  }
  if (o.fromJson) {
    try {
      log(rerender(o.fromJson, o));
    } catch (err) {
      process.stderr.write(`bench: ${err instanceof UsageError ? err.message : `cannot re-render ${o.fromJson}: ${err.message}`}\n`);
      return 2;
    }
    log(`bench: re-rendered ${o.out}/benchmarks.md, .json, .svg from ${o.fromJson}`);
    return 0;
  }
  if (o.websocket) {
    installSignalHandlers();
    const failed = buildNode(o);
    if (failed) {
      process.stderr.write(`bench: ${failed}\n`);
      return 1;
    }
    return runWebSocketBench(bins, o, choosePinning(machineFacts().nproc), log);
  }
  const wrkProbe = spawnSync("wrk", ["-v"], { stdio: "ignore" });
  if (wrkProbe.error) {
    process.stderr.write('wrk not found: install it with "apt-get install wrk"\n');
    return 1;
  }

  const catalogue = serverCatalogue(bins);
  let defs;
  try {
    defs = selectServers(catalogue, o);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (defs.length === 0) {
    process.stderr.write("bench: --only selected no server (see --list)\n");
    return 2;
  }

  const started = Date.now();
  installSignalHandlers();
  const buildFailure = !o.list && defs.some((d) => d.kind === "tricorn" && d.runtime === "node") ? buildNode(o) : null;
  const entries = defs.map((def) => {
    let reason = unavailableReason(def, root, bins);
    if (!reason && buildFailure && def.kind === "tricorn" && def.runtime === "node") reason = buildFailure;
    return { def, label: serverLabel(def), status: reason ? "skipped" : "pending", reason, results: {}, command: null, port: null, server: null };
  });

  if (o.list) {
    for (const e of entries) {
      log(`${e.def.id.padEnd(26)} ${e.label.padEnd(26)} ${APPS[e.def.app].label.padEnd(14)} w=${e.def.workers} ${e.def.scenarios.join(",").padEnd(16)} ${e.reason ? `SKIP: ${e.reason}` : "available"}`);
    }
    return 0;
  }

  const machine = machineFacts();
  const pin = choosePinning(machine.nproc);
  const versions = toolVersions(bins);
  const runnable = entries.filter((e) => e.status === "pending");
  log(`bench: ${runnable.length} servers to measure, ${entries.length - runnable.length} skipped; estimated ${fmtDuration(estimateSeconds(runnable.map((e) => e.def), o))}`);
  if (pin.note) log(`bench: ${pin.note}`);
  for (const e of entries.filter((x) => x.status === "skipped")) log(`  skip ${e.label} (${e.def.app}): ${e.reason}`);

  try {
    // Phase 1: start every server and warm it up.
    for (const e of runnable) {
      try {
        await bringUp(e, o, pin);
        e.status = "ok";
        for (const s of e.def.scenarios) e.results[s] = [];
        log(`  up   ${e.label} (${e.def.app}) on :${e.port}, pid ${e.server.pid}`);
      } catch (err) {
        e.status = "failed";
        e.reason = `did not start: ${err.message}`;
        log(`  FAIL ${e.label} (${e.def.app}): ${e.reason}`);
        if (e.server) await stopServer(e.server);
      }
    }
    // Phase 2: interleaved rounds.
    for (let round = 1; round <= o.rounds; round++) {
      for (const e of runnable.filter((x) => x.status === "ok")) {
        for (const s of e.def.scenarios) {
          try {
            const r = await measure(e, s, round, o, pin);
            e.results[s].push(r);
            const p99 = r.latency_us.p99 == null ? "—" : `${(r.latency_us.p99 / 1000).toFixed(2)} ms`;
            log(`[round ${round}/${o.rounds}] ${e.label.padEnd(24)} ${APPS[e.def.app].label.padEnd(13)} ${SCENARIOS[s].label.padEnd(20)} ${Math.round(r.rps).toString().padStart(7)} req/s  p99 ${p99}  cpu ${r.cpuPer100k?.toFixed(2) ?? "—"} s/100k  other load ${r.otherLoad ?? "—"}`);
          } catch (err) {
            e.results[s].push({ round, error: err.message });
            log(`[round ${round}/${o.rounds}] ${e.label} ${SCENARIOS[s].label}: ERROR ${err.message}`);
            if (e.server.hasExited()) {
              e.status = "failed";
              e.reason = `crashed during round ${round}: ${err.message}`;
              break;
            }
          }
        }
      }
    }
  } finally {
    // Phase 3: stop everything we started.
    await Promise.all(runnable.filter((e) => e.server).map((e) => stopServer(e.server)));
  }

  const elapsedSeconds = (Date.now() - started) / 1000;
  const summary = writeOutputs(
    {
      entries: entries.map((e) => ({ ...e, notices: e.server?.notices() ?? [] })),
      catalogue,
      options: o,
      argv: process.argv.slice(2),
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      elapsedSeconds,
      machine,
      versions,
      pin,
      available: estimateAvailable,
    },
    resolve(root, o.out),
  );
  log(summary);
  log(`bench: done in ${fmtDuration(elapsedSeconds)}; wrote ${o.out}/benchmarks.md, .json, .svg`);
  return entries.some((e) => e.status === "ok") ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    killWrkSync();
    killAllSync();
    process.exit(1);
  },
);
