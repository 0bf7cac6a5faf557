#!/usr/bin/env node
/**
 * `npm run bench:idle`: what idle keep-alive connections cost a worker. For
 * each runtime, starts `tricorn -w 1 --keep-alive 600 --worker-connections N+1000
 * bench/apps/fetch-hello.js`, reads the worker's VmRSS (/proc) after a warm-up,
 * opens N connections that each complete one request and then stay open and
 * idle, waits for the worker to settle, and reads VmRSS again. Prints the
 * growth in MiB (the issue-16 target: ≤ 60 MiB for 10,000 connections).
 *
 *   node bench/idle-memory.mjs [--connections 10000] [--runtimes node,deno,bun] [-- EXTRA TRICORN ARGS]
 *   node bench/idle-memory.mjs --server "deno run -A bench/apps/serve-deno-conn.js {port}"   (any other server)
 *
 * Needs `ulimit -n` above N for both this process and the server.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, processTree } from "./lib/procs.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = {
  node: [process.execPath, "dist/node.js"],
  deno: [join(root, "node_modules/.bin/deno"), "run", "-A", "runtimes/deno/main.ts"],
  bun: [join(root, "node_modules/.bin/bun"), "runtimes/bun/main.ts"],
};

function options(argv) {
  const o = { connections: 10_000, runtimes: ["node", "deno", "bun"], extra: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--connections") o.connections = Number(argv[++i]);
    else if (argv[i] === "--runtimes") o.runtimes = argv[++i].split(",");
    else if (argv[i] === "--server") o.server = argv[++i];
    else if (argv[i] === "--") o.extra = argv.slice(i + 1), (i = argv.length);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** VmRSS of `pid` in MiB. */
function rssMiB(pid) {
  const m = /^VmRSS:\s*(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Opens one connection, completes one GET, leaves it open. */
function openIdle(port) {
  return new Promise((resolveConn, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const timer = setTimeout(() => reject(new Error("no response within 20 s")), 20_000);
    let got = "";
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("connect", () => sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    sock.on("data", (chunk) => {
      got += chunk.toString("latin1");
      if (got.includes("Hello, World!")) {
        clearTimeout(timer);
        resolveConn(sock);
      }
    });
  });
}

async function measure(runtime, o) {
  const port = await freePort();
  const argv = o.server ? o.server.replaceAll("{port}", String(port)).split(" ") : [...BIN[runtime], "-b", `127.0.0.1:${port}`, "-w", "1", "--keep-alive", "600", "--worker-connections", String(o.connections + 1000), ...o.extra, "bench/apps/fetch-hello.js"];
  const child = spawn(argv[0], argv.slice(1), { cwd: root, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr = (stderr + c).slice(-2000)));
  const sockets = [];
  try {
    let ready = false;
    for (let i = 0; i < 150 && !ready; i++) {
      try {
        sockets.push(await openIdle(port));
        ready = true;
      } catch {
        await sleep(200);
      }
    }
    if (!ready) throw new Error(`${runtime}: server did not answer: ${stderr}`);
    const progress = setInterval(() => process.stderr.write(`  ${runtime}: ${sockets.length} open\n`), 5000);
    progress.unref();
    const worker = processTree(child.pid).filter((p) => p !== child.pid).pop() ?? child.pid;
    for (let i = 0; i < 200; i++) sockets.push(await openIdle(port)); // warm-up
    await sleep(3000);
    const before = rssMiB(worker);
    const batch = 50;
    while (sockets.length < o.connections + 201) {
      const n = Math.min(batch, o.connections + 201 - sockets.length);
      sockets.push(...(await Promise.all(Array.from({ length: n }, () => openIdle(port)))));
    }
    await sleep(5000);
    const after = rssMiB(worker);
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    return { runtime, connections: o.connections, beforeMiB: Math.round(before), afterMiB: Math.round(after), growthMiB: Math.round(after - before) };
  } catch (error) {
    error.message += ` (after ${sockets.length} connections; server: ${stderr.trim().split("\n").slice(-3).join(" | ")})`;
    throw error;
  } finally {
    for (const s of sockets) s.destroy();
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
}

const o = options(process.argv.slice(2));
for (const runtime of o.server ? [o.server] : o.runtimes) {
  try {
    console.log(JSON.stringify(await measure(runtime, o)));
  } catch (error) {
    console.log(JSON.stringify({ runtime, error: error.message }));
    if (process.env.IDLE_DEBUG) console.error(error.stderr);
  }
}
process.exit(0);
