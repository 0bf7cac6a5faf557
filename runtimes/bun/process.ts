/**
 * Bun process layer: workers are `bun <main> <args>` children started with
 * `Bun.spawn({ ipc })`; each binds its ports itself with `reusePort`
 * (Linux). IPC is Bun's channel (`subprocess.send` / `process.send`).
 */
import fs from "node:fs";
import os from "node:os";
import { isWorkerMessage } from "../../core/arbiter/ipc.ts";
import { SpawnedWorker, reusePortSharing, reusePortWarnings } from "../../core/arbiter/process.ts";
import type { MasterMessage } from "../../core/arbiter/ipc.ts";
import type { KillSignal, ListenSharing, MasterSignal, ProcessLayer, ProcessManager, WorkerCredentials, WorkerHost } from "../../core/arbiter/process.ts";
import type { BindAddress } from "../../core/net/bind.ts";
import { processListeners } from "../node/process.ts";

/** The parts of Bun's Subprocess used here. */
interface Subprocess {
  readonly pid: number;
  send(message: unknown): void;
  kill(signal?: string): void;
}

interface SpawnApi {
  spawn(options: {
    cmd: string[];
    env: Record<string, string | undefined>;
    /** stdin, stdout, stderr, then the descriptors the child gets as 3, 4, … */
    stdio: ("ignore" | "inherit" | number)[];
    serialization: "json";
    ipc(message: unknown): void;
    onExit(proc: unknown, exitCode: number | null, signalCode: number | string | null): void;
  }): Subprocess;
  readonly main: string;
}

const Bun = (globalThis as unknown as { Bun: SpawnApi }).Bun;

/**
 * The child's stdio array: Bun.spawn closes every other descriptor in the
 * child, so inherited fd:// sockets (systemd socket activation) are passed on
 * at their own numbers (Bun's IPC channel takes the next free one).
 */
function workerStdio(sharing: ListenSharing, binds: readonly BindAddress[]): ("ignore" | "inherit" | number)[] {
  const stdio: ("ignore" | "inherit" | number)[] = ["ignore", "inherit", "inherit"];
  if (sharing !== "inherited") return stdio;
  for (const bind of binds) {
    if (bind.kind !== "fd") continue;
    while (stdio.length <= bind.fd) stdio.push("ignore");
    stdio[bind.fd] = bind.fd;
  }
  return stdio;
}

/** How workers can share ports here (SO_REUSEPORT, Linux only). */
export function listenSharing(binds: readonly BindAddress[] = []): ListenSharing {
  return reusePortSharing(process.platform, binds);
}

class BunWorker extends SpawnedWorker {
  readonly pid: number;
  exited = false;

  constructor(private readonly proc: Subprocess) {
    super();
    this.pid = proc.pid;
  }

  send(message: MasterMessage): void {
    if (this.exited) return;
    try {
      this.proc.send(message);
    } catch {
      // channel closed: the exit notice follows
    }
  }

  kill(signal: KillSignal): void {
    if (this.exited) return;
    try {
      // Bun's crash handler turns SIGABRT into a "Bun has crashed" panic report that
      // blames Bun. SIGABRT is only sent to a worker whose event loop is blocked,
      // which cannot run any handler anyway, so SIGKILL has the same effect.
      this.proc.kill(signal === "SIGABRT" ? "SIGKILL" : signal);
    } catch {
      // already gone
    }
  }
}

/** Options of {@link createProcessManager}. */
export interface BunProcessOptions {
  /** The `--bind` addresses: Unix-socket and fd binds cannot be shared with reusePort. */
  binds?: readonly BindAddress[];
  /** Script the workers run (default: `Bun.main`). */
  script?: string;
  /** Arguments after the script (default: the master's own). */
  args?: readonly string[];
  /** Run the workers as this user and group. */
  credentials?: WorkerCredentials;
}

/** The master's process layer on Bun. */
export function createProcessManager(options: BunProcessOptions = {}): ProcessManager {
  const script = options.script ?? Bun.main;
  const args = options.args ?? process.argv.slice(2);
  const sharing = listenSharing(options.binds);
  const stdio = workerStdio(sharing, options.binds ?? []);
  const signals: [string, () => void][] = [];
  return {
    pid: process.pid,
    sharing,
    spawnWorker(opts) {
      let worker: BunWorker | null = null;
      const proc = Bun.spawn({
        cmd: [process.execPath, ...process.execArgv, script, ...args],
        env: { ...process.env, ...opts.env },
        stdio,
        uid: options.credentials?.uid,
        gid: options.credentials?.gid,
        serialization: "json",
        ipc(message) {
          if (worker && !worker.exited && isWorkerMessage(message)) worker.messageFn(message);
        },
        onExit(_proc, exitCode, signalCode) {
          // Let IPC messages queued just before the exit be delivered first.
          setTimeout(() => {
            if (!worker || worker.exited) return;
            worker.exited = true;
            const signal = signalCode === null ? null : typeof signalCode === "number" ? signalName(signalCode) : signalCode;
            worker.exitFn(signal !== null ? null : exitCode, signal);
          }, 20);
        },
      });
      worker = new BunWorker(proc);
      return worker;
    },
    onSignal(signal: MasterSignal, fn: () => void) {
      process.on(signal, fn);
      signals.push([signal, fn]);
    },
    close() {
      for (const [signal, fn] of signals.splice(0)) process.off(signal, fn);
    },
    warnings: () => reusePortWarnings(sharing, (path) => fs.readFileSync(path, "utf8")),
    keepAlive() {
      const handle = setInterval(() => {}, 1 << 30);
      return () => clearInterval(handle);
    },
    writePidfile: (path, pid) => fs.writeFileSync(path, `${pid}\n`),
    removePidfile: (path) => fs.rmSync(path, { force: true }),
  };
}

function signalName(signo: number): string {
  for (const [name, value] of Object.entries(os.constants.signals)) {
    if (value === signo) return name;
  }
  return `signal ${signo}`;
}

/** The worker's process layer on Bun (a child spawned with `ipc`). */
export function createWorkerHost(): WorkerHost {
  const { removeAll, ...listeners } = processListeners();
  return {
    pid: process.pid,
    parentPid: () => process.ppid,
    send(message) {
      if (!process.send || process.connected === false) return;
      try {
        process.send(message);
      } catch {
        // master gone
      }
    },
    ...listeners,
    async close() {
      removeAll();
      // Bun writes IPC messages from its event loop: give the last ones a turn before exiting.
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

/** Bun's process layer for core/arbiter/master.ts. */
export const processLayer: ProcessLayer = {
  sharing: listenSharing,
  createProcessManager: (binds, credentials) => createProcessManager({ binds, credentials }),
  createWorkerHost: () => createWorkerHost(),
};
