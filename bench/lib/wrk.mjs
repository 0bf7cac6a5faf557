/**
 * Runs wrk and reads the one-line JSON summary printed by bench/lib/report.lua
 * (or bench/pipeline.lua, which loads the same reporter).
 */
import { spawn } from "node:child_process";
import { pinned } from "./procs.mjs";

/** Live wrk children, killed by {@link killWrkSync} on interrupt. */
const running = new Set();

/**
 * The wrk argv for one run (also printed in the docs, so it is the exact command).
 * @param {{cpus:string|null, threads:number, connections:number, duration:number, script:string, url:string}} o
 */
export function wrkArgv(o) {
  return pinned(o.cpus, ["wrk", `-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}s`, "-s", o.script, o.url]);
}

/**
 * Runs wrk once. Resolves the parsed summary plus derived `rps`; rejects when
 * wrk fails, prints no summary, or overruns its duration by 15 s.
 */
export function runWrk(o, cwd) {
  const argv = wrkArgv(o);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), (o.duration + 15) * 1000);
    child.on("error", (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      if (!line) {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        reject(new Error(`wrk ${why} without a summary: ${out.trim().split("\n").slice(-2).join(" | ").slice(0, 200)}`));
        return;
      }
      const summary = JSON.parse(line.slice("BENCH_JSON ".length));
      summary.rps = summary.requests / (summary.duration_us / 1e6);
      resolve(summary);
    });
  });
}

/** Kills any wrk still running (interrupt path). */
export function killWrkSync() {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
