/**
 * The process layer as the arbiter and the worker control see it. Each
 * runtime implements these in `runtimes/<rt>/process.ts`: Node with
 * `node:cluster`, Deno with its Command API and a Unix-socket channel, Bun with
 * its spawn API and built-in IPC. Core code never touches processes, signals or files
 * directly.
 */
import type { MasterMessage, WorkerMessage } from "./ipc.ts";
import type { BindAddress } from "../net/bind.ts";

/** Signals the master reacts to (gunicorn's set, minus USR2/WINCH). */
export type MasterSignal = "SIGHUP" | "SIGINT" | "SIGQUIT" | "SIGTERM" | "SIGTTIN" | "SIGTTOU" | "SIGUSR1";

/** Every signal in {@link MasterSignal}, for registration loops. */
export const MASTER_SIGNALS: readonly MasterSignal[] = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGTERM",
  "SIGTTIN",
  "SIGTTOU",
  "SIGUSR1",
];

/** Signals a worker reacts to: TERM/INT graceful stop, QUIT immediate stop, USR1 reopen logs. */
export type WorkerSignal = "SIGTERM" | "SIGINT" | "SIGQUIT" | "SIGUSR1";

/** Signals the master sends to a worker. */
export type KillSignal = "SIGTERM" | "SIGQUIT" | "SIGABRT" | "SIGKILL";

/**
 * How several workers share one listening address on this runtime/platform:
 * `cluster` (Node's master hands out connections or the listening handle),
 * `reuseport` (each worker binds with SO_REUSEPORT and the kernel balances),
 * `handover` (unix sockets, each worker binding its own: one worker serves at
 * a time, but a successor renames its socket over the path while its
 * predecessor still serves, core/net/unix-handover.ts, so a reload overlaps),
 * `inherited` (fd:// binds, systemd socket activation: every worker accepts
 * on the same socket, inherited from the master, and the kernel hands each
 * connection to one of them),
 * `none` (only one process can listen: the arbiter runs a single worker and
 * stops it before starting its successor).
 */
export type ListenSharing = "cluster" | "reuseport" | "handover" | "inherited" | "none";

/** Whether only one worker can serve the binds at a time (`-w N` is refused there). */
export function singleWorker(sharing: ListenSharing): boolean {
  return sharing === "none" || sharing === "handover";
}

/** One worker process seen from the master. */
export interface WorkerProcess {
  /** OS process id. */
  readonly pid: number;
  /** Send a control message; silently dropped once the worker is gone. */
  send(message: MasterMessage): void;
  /** Send a signal; a no-op once the worker is gone. */
  kill(signal: KillSignal): void;
  /** Register the receiver of the worker's messages (malformed ones are already filtered out). */
  onMessage(fn: (message: WorkerMessage) => void): void;
  /**
   * Register the exit callback, called once. `code` is the exit code (null
   * when killed by a signal), `signal` the signal name (`"SIGKILL"`) or null.
   * Runtimes call it only after every message the worker sent was delivered.
   */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
}

/**
 * The callback half of a {@link WorkerProcess} for runtimes that spawn
 * children themselves (Deno, Bun): they deliver the worker's messages to
 * `messageFn` and its exit to `exitFn`.
 */
export abstract class SpawnedWorker implements WorkerProcess {
  abstract readonly pid: number;
  /** Receiver registered with {@link onMessage} (a no-op until then). */
  messageFn: (message: WorkerMessage) => void = () => {};
  /** Exit callback registered with {@link onExit} (a no-op until then). */
  exitFn: (code: number | null, signal: string | null) => void = () => {};

  abstract send(message: MasterMessage): void;
  abstract kill(signal: KillSignal): void;

  onMessage(fn: (message: WorkerMessage) => void): void {
    this.messageFn = fn;
  }

  onExit(fn: (code: number | null, signal: string | null) => void): void {
    this.exitFn = fn;
  }
}

/**
 * How workers can share binds where each binds the address itself:
 * SO_REUSEPORT balancing exists on Linux only, and only for TCP; unix sockets
 * alone are handed over by rename (not on Windows); fd:// sockets alone are
 * inherited by every worker (not on Windows); mixed binds cannot be shared.
 * `os` is the runtime's OS name.
 */
export function reusePortSharing(os: string, binds: readonly BindAddress[] = []): ListenSharing {
  if (os !== "windows" && binds.length > 0 && binds.every((bind) => bind.kind === "unix")) return "handover";
  if (os !== "windows" && binds.length > 0 && binds.every((bind) => bind.kind === "fd")) return "inherited";
  if (os !== "linux") return "none";
  return binds.every((bind) => bind.kind === "tcp") ? "reuseport" : "none";
}

/** User and group ids the workers run as. */
export interface WorkerCredentials {
  readonly uid: number;
  readonly gid: number;
}

/** What the arbiter asks of the runtime to start one worker. */
export interface SpawnOptions {
  /** Worker id (its age: 1, 2, 3, …). */
  id: number;
  /** Extra environment variables; the rest of the master's environment is inherited. */
  env: Record<string, string>;
}

/** The master's view of the OS. */
export interface ProcessManager {
  /** The master's own pid. */
  readonly pid: number;
  /** How workers share listening addresses here. */
  readonly sharing: ListenSharing;
  /**
   * Start one worker: the same entry script with the same arguments, plus
   * `opts.env`. Throws when the OS refuses to create the process.
   */
  spawnWorker(opts: SpawnOptions): WorkerProcess;
  /** Call `fn` whenever the master receives `signal` (replacing the default action). */
  onSignal(signal: MasterSignal, fn: () => void): void;
  /** Remove every listener installed by {@link onSignal} and release IPC resources; called once, at the end. */
  close(): void;
  /** Keep the process alive (timers handed to core are unref'd) until the returned function is called. */
  keepAlive(): () => void;
  /** Caveats of this platform's set-up, logged once as warnings when the arbiter starts. */
  warnings(): string[];
  /** Write `pid` followed by a newline to `path` (throws with a clear message on failure). */
  writePidfile(path: string, pid: number): void;
  /** Remove the pidfile at `path`; missing files are fine. */
  removePidfile(path: string): void;
}

/** An app error nothing caught: thrown (a timer callback, an event handler) or a rejected promise nobody awaited. */
export type FaultKind = "exception" | "rejection";

/** The worker's view of its own process and of the master: channel, signals, process-level error handlers (runtimes/<rt>/process.ts). */
export interface WorkerHost {
  /** The worker's pid. */
  readonly pid: number;
  /** Current parent pid (re-read on every call: a change means the master died). */
  parentPid(): number;
  /** Send a message to the master; dropped when the channel is closed. */
  send(message: WorkerMessage): void;
  /** Register the receiver of the master's messages (malformed ones are filtered out). */
  onMessage(fn: (message: MasterMessage) => void): void;
  /** Register a callback for the channel to the master closing (the master died or exited). */
  onMasterGone(fn: () => void): void;
  /** Call `fn` whenever the worker receives `signal`. */
  onSignal(signal: WorkerSignal, fn: () => void): void;
  /**
   * Call `fn` for every uncaught exception and unhandled promise rejection
   * instead of letting the runtime end the process. The runtime's worker
   * entry installs these process-level handlers; library code never does.
   */
  onFault(fn: (error: unknown, kind: FaultKind) => void): void;
  /**
   * Remove the listeners and let messages still in flight (a boot error)
   * reach the master, bounded in time; resolves when the process may exit.
   */
  close(): Promise<void>;
}

/**
 * One runtime's process layer as the entry point hands it to core
 * (`runtimes/<rt>/process.ts` exports one as `processLayer`).
 */
export interface ProcessLayer {
  /** How workers would share these binds on this runtime and platform. */
  sharing(binds: readonly BindAddress[]): ListenSharing;
  /**
   * The master's process manager (called once, in the master). With
   * `credentials` every worker is started as that user and group
   * (`--user`/`--group`), supplementary groups dropped. May resolve later
   * (Deno first reads the master's permission flags, bounded).
   */
  createProcessManager(binds: readonly BindAddress[], credentials?: WorkerCredentials): ProcessManager | Promise<ProcessManager>;
  /** The worker's host (called once, in a worker; `id` from TRICORN_WORKER_ID). */
  createWorkerHost(id: number): WorkerHost | Promise<WorkerHost>;
}

/** Where Linux says whether a closing SO_REUSEPORT listener hands its queued connections to the others. */
export const MIGRATE_REQ_PATH = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * The warning for SO_REUSEPORT sharing when `net.ipv4.tcp_migrate_req`
 * (read from {@link MIGRATE_REQ_PATH} with `readTextFile`, which throws where
 * it is missing) is not 1: Linux then resets connections still queued on a
 * worker's socket when that worker stops (reload, max_requests, TTOU), so a
 * few requests may fail.
 */
export function reusePortWarnings(sharing: ListenSharing, readTextFile: (path: string) => string): string[] {
  if (sharing !== "reuseport") return [];
  let value: string | null = null;
  try {
    value = readTextFile(MIGRATE_REQ_PATH);
  } catch {
    // not Linux, or /proc not mounted
  }
  if (value?.trim() === "1") return [];
  return [
    `net.ipv4.tcp_migrate_req is ${value === null ? "unavailable" : value.trim()}: when a worker stops (HUP, max_requests, TTOU), ` +
      "connections still queued on its SO_REUSEPORT socket are reset; `sysctl -w net.ipv4.tcp_migrate_req=1` (Linux >= 5.14) hands them to the other workers",
  ];
}
