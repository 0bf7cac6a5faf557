/**
 * Process plumbing for the benchmark: start servers pinned to CPUs in their
 * own process group, wait for them to answer, sample their CPU time from
 * /proc, and kill them (whole group, then any straggler of the tree) — also
 * when the run is interrupted.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Clock ticks per second used by /proc/<pid>/stat times. */
export const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** Live server processes by pid, so {@link killAllSync} can reap them on exit. */
const live = new Map();

/** Returns true when `cmd` runs (`cmd ...args` exits 0 within 10 s). */
export function commandWorks(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
  return r.status === 0;
}

/** Runs a command and returns its trimmed stdout+stderr, or "" when it fails to run. */
export function commandOutput(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 10_000, ...options });
  if (r.error) return "";
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim();
}

/** Asks the kernel for a free localhost TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Prefixes argv with `taskset -c CPUS` when pinning is possible. */
export function pinned(cpus, argv) {
  return cpus ? ["taskset", "-c", cpus, ...argv] : argv;
}

/**
 * Starts a server in a new process group. `taskset` execs the command, so the
 * returned pid is the server itself. Output is kept (last 4 KiB) for error messages.
 * @returns {{pid:number, child:import("node:child_process").ChildProcess, output:()=>string, exited:Promise<number|null>}}
 */
export function startServer(argv, { cwd, env } = {}) {
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  let partial = "";
  const notices = new Set();
  const keep = (chunk) => {
    const text = chunk.toString("utf8");
    tail = (tail + text).slice(-4096);
    // Remember warnings/errors the server logs (e.g. a setting it ignores), without the
    // timestamp/pid prefix so repeats collapse; they go into the report.
    const lines = (partial + text).split("\n");
    partial = lines.pop().slice(-4096);
    for (const line of lines) {
      if (notices.size < 10 && /\b(WARNING|ERROR|CRITICAL)\b/.test(line)) {
        const notice = line.replace(/^(\[[^\]]*\]\s*){1,2}/, "").trim();
        notices.add(notice.length > 400 ? `${notice.slice(0, 400)}…` : notice);
      }
    }
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exitCode;
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exitCode = code ?? signal;
      live.delete(child.pid);
      resolve(exitCode);
    });
    child.on("error", (err) => {
      keep(String(err.message));
      exitCode = "spawn-error";
      live.delete(child.pid);
      resolve(exitCode);
    });
  });
  if (child.pid) live.set(child.pid, child);
  return {
    pid: child.pid,
    child,
    exited,
    output: () => tail.trim(),
    notices: () => [...notices],
    hasExited: () => exitCode !== undefined,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One GET with a fresh connection; resolves `{status, body}` or rejects. */
function httpGet(port, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Resolves true once a TCP connect to the port succeeds. */
function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.setTimeout(500);
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("timeout", () => {
      sock.destroy();
      resolve(false);
    });
    sock.once("error", () => resolve(false));
  });
}

/**
 * Polls the port until it accepts, then checks that every `paths` entry
 * answers 200 with a body containing `expect`. Throws with a one-line reason
 * (and the server's last output) when the server exits or `timeoutMs` passes.
 */
export async function waitReady(server, port, paths, expect, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "port never accepted a connection";
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`server exited before it was ready${outputNote(server)}`);
    if (await canConnect(port)) {
      try {
        let ok = true;
        for (const path of paths) {
          const res = await httpGet(port, path, 2000);
          if (res.status !== 200 || !res.body.includes(expect)) {
            last = `GET ${path} answered ${res.status} ${JSON.stringify(res.body.slice(0, 80))}`;
            ok = false;
            break;
          }
        }
        if (ok) return;
      } catch (err) {
        last = `GET failed: ${err.message}`;
      }
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs / 1000}s (${last})${outputNote(server)}`);
}

function outputNote(server) {
  const out = server.output();
  if (!out) return "";
  const lines = out.split("\n").filter((l) => l.trim());
  return `; last output: ${lines.slice(-3).join(" | ").slice(0, 300)}`;
}

/** Parses /proc/<pid>/stat: `{ppid, ticks}` where ticks = utime+stime+cutime+cstime. */
function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields start after the last ")".
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]),
    };
  } catch {
    return null; // the process ended between listing and reading
  }
}

/** Pids of `root` and all its descendants, from a /proc scan. */
export function processTree(root) {
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(name);
    if (!st) continue;
    const pid = Number(name);
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(pid);
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

/**
 * CPU seconds used so far by `root`'s whole process tree (user + system,
 * including reaped children via cutime/cstime, so workers that exit during a
 * run are still counted).
 */
export function treeCpuSeconds(root) {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat minus idle and iowait). */
export function machineBusySeconds() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal; guest is inside user
    return (total - f[3] - f[4]) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of this process plus its reaped children. Around one wrk run
 * the only child reaped is wrk itself, so the delta is wrk + the bench script.
 */
export function selfCpuSeconds() {
  return readStat("self")?.ticks / CLOCK_TICKS;
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group already gone */
  }
}

function signalPid(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * Stops a server: SIGTERM to its process group, SIGKILL after `graceMs`, and
 * SIGKILL to any process of its tree that left the group (setsid) and survived.
 */
export async function stopServer(server, graceMs = 3000) {
  if (!server.pid) return;
  const tree = server.hasExited() ? [] : processTree(server.pid);
  signalGroup(server.pid, "SIGTERM");
  const timedOut = await Promise.race([server.exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    signalGroup(server.pid, "SIGKILL");
    await Promise.race([server.exited, sleep(1000)]);
  }
  for (const pid of tree) signalPid(pid, "SIGKILL");
  signalGroup(server.pid, "SIGKILL");
  live.delete(server.pid);
}

/** Synchronously SIGKILLs every server group still alive (exit/interrupt path). */
export function killAllSync() {
  for (const pid of [...live.keys()]) {
    for (const p of processTree(pid)) signalPid(p, "SIGKILL");
    signalGroup(pid, "SIGKILL");
    live.delete(pid);
  }
}

/** Number of server groups still running. */
export function liveCount() {
  return live.size;
}

let controlDir = null;

/**
 * `--control-socket PATH` for one tricorn server: a socket of its own in a
 * throwaway directory (removed at exit). Servers started side by side from
 * the repository root would otherwise all try the default ./tricorn.ctl, and
 * all but the first would run without one (a warning in the report).
 * @param {string|number} name unique per server (its port)
 */
export function controlSocketArgs(name) {
  if (controlDir === null) {
    const dir = mkdtempSync(join(tmpdir(), "tricorn-bench-ctl-"));
    controlDir = dir;
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return ["--control-socket", join(controlDir, `${name}.ctl`)];
}
