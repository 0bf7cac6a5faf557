/**
 * Spawning tricorn on Node, Deno and Bun for end-to-end tests: start a server
 * on port 0 and read the bound port from its `Listening at:` line (waiting,
 * bounded, for it), run the CLI to completion, and always stop what was
 * started, by PID.
 *
 *   const server = await startServer({ runtime: "deno", app: "examples/hello/app.js" });
 *   await fetch(`http://127.0.0.1:${server.port}/`);
 *   await server.stop();
 *
 * Node runs dist/node.js, built once per test process with scripts/build.mjs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach } from "vitest";

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runtimes tricorn supports, in test order. */
export const RUNTIMES = ["node", "deno", "bun"] as const;

/** One of {@link RUNTIMES}. */
export type RuntimeName = (typeof RUNTIMES)[number];

/**
 * Runtimes under test: all of {@link RUNTIMES}, or the comma-separated subset
 * in `TRICORN_RUNTIMES` (e.g. `TRICORN_RUNTIMES=node`) when iterating locally.
 */
export const TESTED_RUNTIMES: RuntimeName[] = (() => {
  const only = process.env.TRICORN_RUNTIMES?.split(",").map((s) => s.trim()).filter(Boolean);
  return only ? RUNTIMES.filter((runtime) => only.includes(runtime)) : [...RUNTIMES];
})();

/** Default bound on waiting for a server to listen (Deno's first start type-strips every file). */
export const START_TIMEOUT_MS = 30_000;

let building: Promise<void> | null = null;

/** Build dist/node.js once per test process (scripts/build.mjs writes it atomically). */
export function ensureBuilt(): Promise<void> {
  building ??= (async () => {
    const { build } = (await import(pathToFileURL(path.join(ROOT, "scripts", "build.mjs")).href)) as {
      build(): Promise<string>;
    };
    await build();
  })();
  return building;
}

/** Executable and arguments that run tricorn with `args` on `runtime`. */
export function tricornCommand(runtime: RuntimeName, args: readonly string[], denoFlags: readonly string[] = ["-A"], denoScript?: string): [string, string[]] {
  switch (runtime) {
    case "node":
      return [process.execPath, [path.join(ROOT, "dist", "node.js"), ...args]];
    case "deno":
      return [path.join(ROOT, "node_modules", ".bin", "deno"), ["run", ...denoFlags, denoScript ?? path.join(ROOT, "runtimes", "deno", "main.ts"), ...args]];
    case "bun":
      return [path.join(ROOT, "node_modules", ".bin", "bun"), [path.join(ROOT, "runtimes", "bun", "main.ts"), ...args]];
  }
}

/**
 * Poll `condition` every 100 ms until it holds; reject after `ms` (default
 * 20 s) with `what` (a function: called then, e.g. to show a log so far).
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string | (() => string), ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `process.kill`, ignoring a process that is already gone. */
export function signalProcess(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** How a process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started child with captured output. */
interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<ExitStatus>;
  /** Resolves when `test` matches stderr, rejects on exit or after `ms`. */
  waitForStderr(test: RegExp, ms: number): Promise<RegExpExecArray>;
}

let controlSockets = 0;

/**
 * A control socket path of its own for a server started in the repository
 * root, so parallel tests do not share `./tricorn.ctl` (tests of the default
 * path run in a directory of their own, or set TRICORN_CONTROL_SOCKET).
 */
function controlSocketEnv(args: readonly string[], env: Record<string, string> | undefined, cwd: string): Record<string, string> {
  if (cwd !== ROOT || env?.TRICORN_CONTROL_SOCKET !== undefined || args.some((arg) => arg.startsWith("--control-socket"))) return {};
  return { TRICORN_CONTROL_SOCKET: path.join(os.tmpdir(), `tricorn-test-${process.pid}-${++controlSockets}.ctl`) };
}

function spawnTricorn(
  runtime: RuntimeName,
  args: readonly string[],
  env: Record<string, string> | undefined,
  cwd: string,
  detached = false,
  launcher: readonly string[] = [],
  denoFlags?: readonly string[],
  denoScript?: string,
): Spawned {
  const [runtimeCommand, runtimeArgs] = tricornCommand(runtime, args, denoFlags, denoScript);
  const [command, ...argv] = [...launcher, runtimeCommand, ...runtimeArgs];
  const child = spawn(command!, argv, {
    cwd,
    detached,
    env: { ...process.env, NO_COLOR: "1", ...controlSocketEnv(args, env, cwd), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let out = "";
  let err = "";
  const watchers = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (text: string) => void (out += text));
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    err += text;
    for (const watcher of watchers) watcher();
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("close", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
      for (const watcher of watchers) watcher();
    });
    child.once("error", () => {
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const waitForStderr = (test: RegExp, ms: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`${runtime}: no ${test} on stderr within ${ms} ms; stderr so far:\n${err}`));
      }, ms);
      const check = () => {
        const match = test.exec(err);
        if (match || done) {
          clearTimeout(timer);
          watchers.delete(check);
          if (match) resolve(match);
          else reject(new Error(`${runtime}: exited before ${test} appeared; stderr:\n${err}\nstdout:\n${out}`));
        }
      };
      watchers.add(check);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitForStderr };
}

/** Options of {@link startServer}. */
export interface StartOptions {
  runtime: RuntimeName | string;
  /** APP argument (path relative to the repository root, or absolute, optionally `:export`). */
  app: string;
  /** Extra CLI arguments; without a `-b`/`--bind` the server binds 127.0.0.1:0. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory (default: repository root). */
  cwd?: string;
  /** Bound on waiting for `Listening at:` (default {@link START_TIMEOUT_MS}). */
  timeoutMs?: number;
  /**
   * Start it as the leader of a new process group (as a shell does for a
   * terminal job), so a test can signal the whole group like Ctrl-C does;
   * {@link RunningServer.stop} then signals the group.
   */
  detached?: boolean;
  /** A program (and its arguments) that execs the tricorn command line it is given, e.g. a socket-activation stand-in. */
  launcher?: string[];
  /** Deno only: the permission flags instead of `-A`. */
  denoFlags?: string[];
  /** Deno only: the entry script instead of runtimes/deno/main.ts (relative to `cwd`, e.g. an installed dist/deno.js). */
  denoScript?: string;
  /** Give no bind at all (the app's `port`/`hostname` export decides; it must export port 0). */
  noBind?: boolean;
}

/** A running tricorn server. */
export interface RunningServer {
  /** Port of the first `Listening at:` URL (0 for unix sockets). */
  readonly port: number;
  /** First listening URL (`http://127.0.0.1:41234`, `unix:/tmp/x.sock`). */
  readonly url: string;
  readonly pid: number;
  stderr(): string;
  stdout(): string;
  /** Resolves when the process has exited (by itself or after {@link stop}). */
  readonly exited: Promise<ExitStatus>;
  /** Resolves when `test` matches stderr; rejects when the process exits first or after `ms`. */
  waitForStderr(test: RegExp, ms: number): Promise<RegExpExecArray>;
  /** Send `signal` (SIGTERM by default), SIGKILL after `graceMs`; resolves with the exit status. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

function hasBind(args: readonly string[]): boolean {
  return args.some((arg) => arg === "-b" || arg === "--bind" || arg.startsWith("--bind=") || /^-b./.test(arg));
}

function killAndWait(spawned: Spawned, signal: NodeJS.Signals, graceMs: number, group = false): Promise<ExitStatus> {
  const { child } = spawned;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const target = group ? -child.pid : child.pid;
    signalProcess(target, signal);
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) signalProcess(target, "SIGKILL");
    }, graceMs);
    void spawned.exited.then(() => clearTimeout(timer));
  }
  return spawned.exited;
}

/**
 * Start tricorn serving `app` and wait for its `Listening at:` line. Rejects
 * (after killing the process) when it exits first or does not listen in time.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const runtime = options.runtime as RuntimeName;
  if (!RUNTIMES.includes(runtime)) throw new Error(`unknown runtime ${options.runtime}`);
  if (runtime === "node") await ensureBuilt();
  const args = [...(options.args ?? [])];
  if (!options.noBind && !hasBind(args) && !options.env?.TRICORN_BIND) args.unshift("-b", "127.0.0.1:0");
  const spawned = spawnTricorn(runtime, [...args, options.app], options.env, options.cwd ?? ROOT, options.detached, options.launcher, options.denoFlags, options.denoScript);
  let match: RegExpExecArray;
  try {
    match = await spawned.waitForStderr(/Listening at: (\S+) \(pid (\d+)\)/, options.timeoutMs ?? START_TIMEOUT_MS);
  } catch (error) {
    await killAndWait(spawned, "SIGKILL", 1000, options.detached);
    throw error;
  }
  const url = match[1];
  const port = /^https?:\/\/.*:(\d+)$/.exec(url)?.[1];
  return {
    port: port === undefined ? 0 : Number(port),
    url,
    pid: spawned.child.pid as number,
    stderr: spawned.stderr,
    stdout: spawned.stdout,
    exited: spawned.exited,
    waitForStderr: spawned.waitForStderr,
    stop: (signal = "SIGTERM", graceMs = 10_000) => killAndWait(spawned, signal, graceMs, options.detached),
  };
}

/**
 * For a test file: returns {@link startServer}, with an `afterEach` that
 * stops every server it started during the test (SIGKILL unless told
 * otherwise), so no process outlives a failing test.
 */
export function startServersPerTest(signal: NodeJS.Signals = "SIGKILL", graceMs = 0): (options: StartOptions) => Promise<RunningServer> {
  const started: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.stop(signal, graceMs)));
  });
  return async (options) => {
    const server = await startServer(options);
    started.push(server);
    return server;
  };
}

/** Result of {@link runCli}. */
export interface CliResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

/**
 * Run tricorn with `args` to completion (for --help, --version and start-up
 * errors). Killed after `timeoutMs`; the result then has signal SIGKILL.
 */
export async function runCli(options: {
  runtime: RuntimeName | string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  launcher?: string[];
}): Promise<CliResult> {
  const runtime = options.runtime as RuntimeName;
  if (runtime === "node") await ensureBuilt();
  const spawned = spawnTricorn(runtime, options.args, options.env, options.cwd ?? ROOT, false, options.launcher);
  const timer = setTimeout(() => void killAndWait(spawned, "SIGKILL", 0), options.timeoutMs ?? START_TIMEOUT_MS);
  const status = await spawned.exited;
  clearTimeout(timer);
  return { ...status, stdout: spawned.stdout(), stderr: spawned.stderr() };
}
