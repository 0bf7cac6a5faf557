/**
 * `npm run bench -- --websocket`: WebSocket echo, tricorn (core engine,
 * bench/apps/ws-echo.js) against each runtime's own WebSocket server — the
 * `ws` package on Node, Deno.serve + Deno.upgradeWebSocket, Bun.serve with
 * `websocket` handlers — with small (32 B) and 64 KiB binary messages.
 * Rounds are interleaved (every server once per round, in turn) because the
 * machine is shared; the report gives the median of the rounds, messages/s
 * and p99 latency, and tricorn's ratio to the native server. The load
 * generator (lib/ws-load.mjs) runs as its own process pinned to the other CPU.
 * Writes OUT/benchmarks-websocket.md and .json.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tricornCommand } from "./servers.mjs";
import { commandWorks, freePort, pinned, startServer, stopServer, waitReady } from "./procs.mjs";
import { median } from "./stats.mjs";

/** The servers: one tricorn and one native per runtime. */
function servers(bins) {
  const tricorn = {
    node: (port) => tricornCommand(bins, "node", port, ["bench/apps/ws-echo.js"]),
    deno: (port) => tricornCommand(bins, "deno", port, ["bench/apps/ws-echo.js"]),
    bun: (port) => tricornCommand(bins, "bun", port, ["bench/apps/ws-echo.js"]),
  };
  const native = {
    node: { name: "ws (npm) on node:http", argv: (port) => [bins.node, "bench/apps/ws-native-node.mjs", String(port)] },
    deno: { name: "Deno.serve + upgradeWebSocket", argv: (port) => [bins.deno, "run", "-A", "bench/apps/ws-native-deno.js", String(port)] },
    bun: { name: "Bun.serve websocket", argv: (port) => [bins.bun, "bench/apps/ws-native-bun.js", String(port)] },
  };
  const list = [];
  for (const runtime of ["node", "deno", "bun"]) {
    list.push({ id: `tricorn-${runtime}-ws`, runtime, kind: "tricorn", name: `tricorn (${runtime})`, argv: tricorn[runtime] });
    list.push({ id: `native-${runtime}-ws`, runtime, kind: "native", name: native[runtime].name, argv: native[runtime].argv });
  }
  return list;
}

/** Message sizes and connection counts measured. */
const SCENARIOS = [
  { id: "small", label: "32 B messages", size: 32, connections: 64 },
  { id: "64k", label: "64 KiB messages", size: 65536, connections: 16 },
];

/** Runs the load generator once; resolves its JSON result. */
function load(root, client, cpus, port, scenario, seconds, serverPid) {
  return new Promise((resolve, reject) => {
    const args = [port, scenario.connections, scenario.size, seconds, serverPid ?? 0].map(String);
    const argv = pinned(cpus, [client, join(root, "bench/lib/ws-load.mjs"), ...args]);
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + 20) * 1000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`ws-load exited ${code}: ${err.trim().slice(0, 200)}`));
    });
  });
}

/**
 * Runs the WebSocket benchmark.
 * @param {{root:string,node:string,deno:string,bun:string}} bins
 * @param {{rounds:number, duration:number|null, only:object|null, out:string}} o
 * @param {{server:string|null, wrk:string|null}} pin
 * @param {(msg:string)=>void} log
 */
export async function runWebSocketBench(bins, o, pin, log) {
  const root = bins.root;
  const seconds = o.duration ?? 5;
  // --only node,deno keeps those runtimes (tricorn and native each); other --only tokens do not apply here.
  const runtimes = o.only?.runtime.length ? o.only.runtime : ["node", "deno", "bun"];
  const defs = servers(bins).filter((d) => runtimes.includes(d.runtime));
  const results = {};
  for (const def of defs) for (const s of SCENARIOS) results[`${def.id}/${s.id}`] = [];
  // The load generator runs on Bun when there is one: the same script costs about a quarter less
  // CPU per message there than on Node, and on 2 cores the client needs every bit of its core.
  const client = commandWorks(bins.bun) ? { name: "bun", bin: bins.bun } : { name: "node", bin: process.execPath };
  log(`WebSocket echo: ${defs.length} servers × ${SCENARIOS.length} scenarios × ${o.rounds} rounds × ${seconds + 1} s (load generator on ${client.name})`);
  for (let round = 1; round <= o.rounds; round++) {
    for (const def of defs) {
      const port = await freePort();
      const server = startServer(pinned(pin.server, def.argv(port)), { cwd: root });
      try {
        await waitReady(server, port, ["/"], "ws echo", 30_000);
        for (const s of SCENARIOS) {
          const r = await load(root, client.bin, pin.wrk, port, s, seconds, server.pid);
          results[`${def.id}/${s.id}`].push(r);
          log(`  round ${round} ${def.id} ${s.id}: ${Math.round(r.perSecond)} msg/s, p99 ${r.p99.toFixed(2)} ms, ` +
            `server ${r.serverUsPerMessage?.toFixed(1)} CPU µs/msg, client ${(r.clientCpu * 100).toFixed(0)} % CPU`);
        }
      } catch (error) {
        log(`  round ${round} ${def.id}: failed: ${error.message}`);
      } finally {
        await stopServer(server);
      }
    }
  }
  const rows = [];
  for (const runtime of runtimes) {
    for (const s of SCENARIOS) {
      const t = results[`tricorn-${runtime}-ws/${s.id}`] ?? [];
      const n = results[`native-${runtime}-ws/${s.id}`] ?? [];
      if (t.length === 0 || n.length === 0) continue;
      const tRate = median(t.map((r) => r.perSecond));
      const nRate = median(n.map((r) => r.perSecond));
      rows.push({
        runtime, scenario: s.label, tricorn: tRate, native: nRate, ratio: tRate / nRate,
        tricornP99: median(t.map((r) => r.p99)), nativeP99: median(n.map((r) => r.p99)),
        tricornUs: median(t.map((r) => r.serverUsPerMessage ?? 0)), nativeUs: median(n.map((r) => r.serverUsPerMessage ?? 0)),
        clientCpu: Math.max(...t.map((r) => r.clientCpu ?? 0), ...n.map((r) => r.clientCpu ?? 0)),
        nativeName: defs.find((d) => d.id === `native-${runtime}-ws`).name,
      });
    }
  }
  const md = [
    "# WebSocket echo benchmark",
    "",
    `Generated by \`npm run bench -- --websocket\` (${o.rounds} interleaved rounds × ${seconds} s, median of rounds; ` +
      `server ${pin.server ? `pinned to CPU ${pin.server}` : "unpinned"}, load generator ${pin.wrk ? `on CPU ${pin.wrk}` : "unpinned"}). ` +
      "Closed-loop echo: each connection sends one binary message and waits for its echo; 64 connections for 32 B, 16 for 64 KiB. " +
      "CPU µs/msg: CPU time of the server's process tree per echoed message (median of rounds). " +
      "Client CPU: the load generator's busiest run, as a share of one CPU; near 100 % the client sets the pace " +
      "(2 cores: client and server need about the same CPU per small message), and the CPU µs/msg ratio is the capacity figure. " +
      `Every server gets the same client (bench/lib/ws-load.mjs on ${client.name}: raw frames, masked with a non-zero key as real clients do); ` +
      "`ws` runs as installed by default, without its optional `bufferutil` addon.",
    "",
    "| runtime | messages | tricorn msg/s | native msg/s | ratio | tricorn p99 ms | native p99 ms | tricorn CPU µs/msg | native CPU µs/msg | client CPU | native server |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...rows.map((r) => `| ${r.runtime} | ${r.scenario} | ${Math.round(r.tricorn)} | ${Math.round(r.native)} | **${r.ratio.toFixed(2)}×** | ` +
      `${r.tricornP99.toFixed(2)} | ${r.nativeP99.toFixed(2)} | ${r.tricornUs.toFixed(1)} | ${r.nativeUs.toFixed(1)} | ${(r.clientCpu * 100).toFixed(0)} % | ${r.nativeName} |`),
    "",
  ].join("\n");
  mkdirSync(resolve(root, o.out), { recursive: true });
  writeFileSync(resolve(root, o.out, "benchmarks-websocket.md"), md);
  writeFileSync(resolve(root, o.out, "benchmarks-websocket.json"), JSON.stringify({ rows, results }, null, 2) + "\n");
  log(md);
  return 0;
}
