/**
 * Node process layer: workers are `node:cluster` forks of the same entry
 * script, sharing listening ports through the cluster master; IPC is
 * cluster's channel (`worker.send` / `process.send`).
 */
import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import fs from "node:fs";
import { isMasterMessage, isWorkerMessage } from "../../core/arbiter/ipc.ts";
import type { MasterMessage, WorkerMessage } from "../../core/arbiter/ipc.ts";
import type { MasterSignal, ProcessLayer, ProcessManager, WorkerCredentials, WorkerHost, WorkerProcess, WorkerSignal } from "../../core/arbiter/process.ts";

/**
 * How the cluster master hands connections to workers. `none`: every worker
 * accepts on the one shared listening socket (the kernel queue is shared, so
 * a busy or stuck worker leaves connections to the others, and a stopping
 * worker strands nothing). `rr`: the master accepts and passes each
 * connection round-robin over IPC.
 */
export type ClusterScheduling = "none" | "rr";

/** Default scheduling: shared handle (faster here and more robust, see {@link ClusterScheduling}). */
export const DEFAULT_SCHEDULING: ClusterScheduling = "none";

/** Options of {@link createProcessManager}. */
export interface NodeProcessOptions {
  /** Cluster scheduling policy (default: $NODE_CLUSTER_SCHED_POLICY, else {@link DEFAULT_SCHEDULING}). */
  scheduling?: ClusterScheduling;
  /** Script the workers run (default: the master's own entry script). */
  exec?: string;
  /** Arguments after the script (default: the master's own). */
  args?: string[];
  /** Run the workers as this user and group. */
  credentials?: WorkerCredentials;
}

class ClusterWorker implements WorkerProcess {
  readonly pid: number;
  private exited = false;

  constructor(private readonly worker: Worker) {
    this.pid = worker.process.pid ?? -1;
  }

  send(message: MasterMessage): void {
    if (this.exited || !this.worker.isConnected()) return;
    try {
      this.worker.send(message);
    } catch {
      // channel closed between the check and the send: the exit notice follows
    }
  }

  kill(signal: "SIGTERM" | "SIGQUIT" | "SIGABRT" | "SIGKILL"): void {
    if (this.exited) return;
    try {
      // worker.process.kill, not worker.kill: the latter disconnects first and waits.
      this.worker.process.kill(signal);
    } catch {
      // already gone
    }
  }

  onMessage(fn: (message: WorkerMessage) => void): void {
    this.worker.on("message", (message: unknown) => {
      if (isWorkerMessage(message)) fn(message);
    });
  }

  onExit(fn: (code: number | null, signal: string | null) => void): void {
    // 'close' comes after 'exit' and after the IPC channel is drained, so every message arrived first.
    this.worker.process.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      this.exited = true;
      fn(signal !== null ? null : code, signal);
    });
  }
}

/** The master's process layer on Node (cluster primary). */
export function createProcessManager(options: NodeProcessOptions = {}): ProcessManager {
  // Node's own NODE_CLUSTER_SCHED_POLICY (`rr` / `none`) still wins over the default.
  const fromEnv = process.env.NODE_CLUSTER_SCHED_POLICY;
  const scheduling = options.scheduling ?? (fromEnv === "rr" || fromEnv === "none" ? fromEnv : DEFAULT_SCHEDULING);
  // Must be set before the first fork; the env variable would override it otherwise.
  cluster.schedulingPolicy = scheduling === "rr" ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({
    exec: options.exec ?? process.argv[1],
    args: options.args ?? process.argv.slice(2),
    execArgv: process.execArgv,
    silent: false,
    uid: options.credentials?.uid,
    gid: options.credentials?.gid,
  });
  const listeners: [string, () => void][] = [];
  return {
    pid: process.pid,
    sharing: "cluster",
    spawnWorker: (opts) => new ClusterWorker(cluster.fork(opts.env)),
    onSignal(signal: MasterSignal, fn: () => void) {
      process.on(signal, fn);
      listeners.push([signal, fn]);
    },
    close() {
      for (const [signal, fn] of listeners.splice(0)) process.off(signal, fn);
    },
    // Cluster shares one listening socket (or accepts in the master): nothing is stranded when a worker stops.
    warnings: () => [],
    keepAlive() {
      const handle = setInterval(() => {}, 1 << 30);
      return () => clearInterval(handle);
    },
    writePidfile: (path, pid) => fs.writeFileSync(path, `${pid}\n`),
    removePidfile: (path) => fs.rmSync(path, { force: true }),
  };
}

/**
 * The part of a {@link WorkerHost} that only listens on `process` (messages
 * from the master, its disconnect, signals), with a function that removes
 * every listener again. Shared by Node and Bun, whose `process` behaves alike.
 */
export function processListeners(): Pick<WorkerHost, "onMessage" | "onMasterGone" | "onSignal" | "onFault"> & { removeAll(): void } {
  const signals: [string, () => void][] = [];
  const messageFns: ((message: unknown) => void)[] = [];
  return {
    onMessage(fn) {
      const listener = (message: unknown) => {
        if (isMasterMessage(message)) fn(message);
      };
      messageFns.push(listener);
      process.on("message", listener);
    },
    // The parent-pid check in core/arbiter/worker-control.ts covers a disconnect that is not reported.
    onMasterGone: (fn) => void process.once("disconnect", fn),
    onSignal(signal: WorkerSignal, fn: () => void) {
      process.on(signal, fn);
      signals.push([signal, fn]);
    },
    // Stays installed until the process exits: a late throw must not end it abruptly either.
    onFault(fn) {
      process.on("uncaughtException", (error) => fn(error, "exception"));
      process.on("unhandledRejection", (reason) => fn(reason, "rejection"));
    },
    removeAll() {
      for (const [signal, fn] of signals.splice(0)) process.off(signal, fn);
      for (const fn of messageFns.splice(0)) process.off("message", fn);
    },
  };
}

/** The worker's process layer on Node (cluster worker). */
export function createWorkerHost(): WorkerHost {
  // cluster exits a worker at once when its channel closes unless the disconnect was
  // expected; this worker drains instead when its master dies (core/arbiter/worker-control.ts).
  if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
  const { removeAll, ...listeners } = processListeners();
  let pending = 0;
  let flushed: (() => void) | null = null;
  return {
    pid: process.pid,
    parentPid: () => process.ppid,
    send(message) {
      if (!process.connected || !process.send) return;
      pending++;
      process.send(message, undefined, undefined, () => {
        pending--;
        if (pending === 0) flushed?.();
      });
    },
    ...listeners,
    async close() {
      removeAll();
      if (pending > 0) {
        // Let the last messages (boot-error) reach the master; bounded so a dead master cannot hold us.
        await new Promise<void>((resolve) => {
          flushed = resolve;
          setTimeout(resolve, 1000).unref();
        });
      }
    },
  };
}

/** Node's process layer for core/arbiter/master.ts. */
export const processLayer: ProcessLayer = {
  sharing: () => "cluster",
  createProcessManager: (_binds, credentials) => createProcessManager({ credentials }),
  createWorkerHost: () => createWorkerHost(),
};
