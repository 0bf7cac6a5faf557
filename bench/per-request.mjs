#!/usr/bin/env node
/**
 * `npm run bench:per-request`: what one request costs a server, for step-by-step
 * before/after comparisons on a busy machine where req/s is noise.
 *
 *   node bench/per-request.mjs [--valgrind] [--requests N] [--connections C] -- SERVER ARGV… (PORT as {port})
 *
 * Starts the server (argv with `{port}` replaced), waits until GET / answers,
 * sends a warm-up of N/2 requests, then N requests over C keep-alive
 * connections (one request in flight per connection, the wrk pattern), and
 * prints the server's CPU µs per request (utime+stime of its process tree,
 * from /proc). With `--valgrind` the server runs under
 * `valgrind --tool=callgrind --trace-children=yes` and the result is
 * instructions per request: the difference between the instruction counts
 * after two request counts (N and 2N, two server starts), so start-up and
 * shutdown cancel out. Instruction counts are deterministic to ~1 % and
 * unaffected by other load, which CPU time is not.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, processTree, treeCpuSeconds } from "./lib/procs.mjs";

const USAGE = "usage: node bench/per-request.mjs [--valgrind] [--requests N] [--connections C] [--path /] -- ARGV… ({port} = the port)";

function parse(argv) {
  const o = { valgrind: false, requests: 50_000, connections: 16, path: "/", argv: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      o.argv = argv.slice(i + 1);
      break;
    }
    if (a === "--valgrind") o.valgrind = true;
    else if (a === "--requests") o.requests = Number(argv[++i]);
    else if (a === "--connections") o.connections = Number(argv[++i]);
    else if (a === "--path") o.path = argv[++i];
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (o.argv.length === 0 || !(o.requests > 0) || !(o.connections > 0)) throw new Error(USAGE);
  return o;
}

/** Sends `total` GETs over `connections` keep-alive sockets, one in flight per socket. Resolves when all answered. */
function load(port, path, total, connections, timeoutMs) {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: per-request\r\n\r\n`);
  let sent = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const sockets = [];
    const timer = setTimeout(() => {
      for (const s of sockets) s.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms with ${done}/${total} responses`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      resolve();
    };
    for (let c = 0; c < Math.min(connections, total); c++) {
      const sock = net.connect(port, "127.0.0.1");
      sockets.push(sock);
      let buf = Buffer.alloc(0);
      sock.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.on("connect", () => {
        sent++;
        sock.write(request);
      });
      sock.on("data", (chunk) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = buf.subarray(0, end).toString("latin1");
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          const size = end + 4 + (m ? Number(m[1]) : 0);
          if (buf.length < size) return;
          buf = buf.subarray(size);
          done++;
          if (done === total) return finish();
          if (sent < total) {
            sent++;
            sock.write(request);
          }
        }
      });
    }
  });
}

async function waitReady(port, path, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      await load(port, path, 1, 1, 2000);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`server did not answer on :${port} within ${ms} ms`);
}

function start(argv, port, valgrindDir) {
  let full = argv.map((a) => a.replaceAll("{port}", String(port)));
  if (valgrindDir) {
    full = ["valgrind", "--tool=callgrind", "--trace-children=yes", "--callgrind-out-file=" + join(valgrindDir, "cg.%p"), ...full];
  }
  const child = spawn(full[0], full.slice(1), { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (c) => (err = (err + c).slice(-2000)));
  const exited = new Promise((r) => child.on("exit", r));
  return { child, exited, err: () => err };
}

async function stop(server) {
  try {
    process.kill(-server.child.pid, "SIGTERM");
  } catch {}
  const t = setTimeout(() => {
    try {
      process.kill(-server.child.pid, "SIGKILL");
    } catch {}
  }, 20_000);
  await server.exited;
  clearTimeout(t);
}

/** Total instructions (Ir) of every callgrind output in `dir`, and of the largest one. */
function callgrindTotals(dir) {
  let total = 0;
  let largest = 0;
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), "utf8");
    const m = /^summary:\s*(\d+)/m.exec(text) ?? /^totals:\s*(\d+)/m.exec(text);
    if (!m) continue;
    const n = Number(m[1]);
    total += n;
    largest = Math.max(largest, n);
  }
  return { total, largest };
}

async function cpuRun(o) {
  const port = await freePort();
  const server = start(o.argv, port, null);
  try {
    await waitReady(port, o.path, 30_000);
    await load(port, o.path, Math.ceil(o.requests / 2), o.connections, 120_000);
    const cpu0 = treeCpuSeconds(server.child.pid);
    const t0 = process.hrtime.bigint();
    await load(port, o.path, o.requests, o.connections, 300_000);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = treeCpuSeconds(server.child.pid) - cpu0;
    return { cpuUsPerRequest: (cpu * 1e6) / o.requests, rps: o.requests / wall, processes: processTree(server.child.pid).length };
  } finally {
    await stop(server);
  }
}

async function valgrindRun(o, requests) {
  const dir = mkdtempSync(join(tmpdir(), "per-request-"));
  const port = await freePort();
  const server = start(o.argv, port, dir);
  try {
    await waitReady(port, o.path, 300_000);
    await load(port, o.path, requests, o.connections, 1_800_000);
  } finally {
    await stop(server);
  }
  const totals = callgrindTotals(dir);
  rmSync(dir, { recursive: true, force: true });
  return totals;
}

async function main() {
  const o = parse(process.argv.slice(2));
  if (!o.valgrind) {
    const r = await cpuRun(o);
    console.log(JSON.stringify({ requests: o.requests, ...r, cpuUsPerRequest: Math.round(r.cpuUsPerRequest * 100) / 100, rps: Math.round(r.rps) }));
    return;
  }
  const a = await valgrindRun(o, o.requests);
  const b = await valgrindRun(o, 2 * o.requests);
  console.log(
    JSON.stringify({
      requests: o.requests,
      instructionsPerRequest: Math.round((b.total - a.total) / o.requests),
      workerInstructionsPerRequest: Math.round((b.largest - a.largest) / o.requests),
    }),
  );
}

main().catch((e) => {
  console.error(`per-request: ${e.message}`);
  process.exit(1);
});
