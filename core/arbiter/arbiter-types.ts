/**
 * Public types of the arbiter (core/arbiter/arbiter.ts): its options, the
 * configuration re-read on HUP, server hooks, and what hooks see of a worker.
 */
import { HOOK_NAMES } from "../config/config-file.ts";
import type { WorkerStats } from "./ipc.ts";
import type { MasterSignal, ProcessManager, WorkerProcess } from "./process.ts";
import type { ExitReason, StartReason } from "./worker-events.ts";
import type { ArbiterStatus } from "./status.ts";
import type { Logger } from "../log/logger.ts";
import type { TimerHandle, Timers } from "../runtime/timers.ts";

/** Public facts about one worker, handed to hooks. */
export interface WorkerInfo {
  /** Age: 1 for the first worker ever started, then 2, 3, … */
  readonly id: number;
  readonly pid: number;
  /** Generation: 0 at start, +1 on every reload (HUP). */
  readonly generation: number;
  /** True once the worker reported it listens. */
  readonly booted: boolean;
}

/**
 * What hooks (and other code outside the master loop) see of the arbiter:
 * implemented by the `Arbiter` class in arbiter.ts.
 */
export interface ArbiterView {
  /** The master's pid. */
  readonly pid: number;
  /** Number of workers the arbiter aims for (after TTIN/TTOU and platform limits). */
  readonly numWorkers: number;
  /** Live workers, oldest first. */
  workers(): WorkerInfo[];
  /** Act as on delivery of `sig` (HUP reloads, TTIN adds a worker, TERM stops, …). */
  signal(sig: MasterSignal): void;
  /** Master and workers as `tricorn ctl status` shows them. */
  status(): ArbiterStatus;
  /** `tricorn ctl` from a hook: `await server.ctl("stats")` answers as the control socket does. */
  ctl(command: string | readonly string[]): Promise<unknown>;
}

/**
 * Server hooks (gunicorn's names). Each is optional; an error thrown (or a
 * promise rejected) by a hook is logged, never fatal. Unlike gunicorn, workers
 * are spawned rather than forked, so every hook runs in the master process.
 */
export interface ArbiterHooks {
  /** Before anything starts (awaited). */
  on_starting?(arbiter: ArbiterView): unknown;
  /** On HUP, after the configuration was re-read and before new workers start. */
  on_reload?(arbiter: ArbiterView): unknown;
  /** Once the initial set of workers has booted (all of them listen). */
  when_ready?(arbiter: ArbiterView): unknown;
  /** Just before a worker is spawned (its pid is not known yet). */
  pre_fork?(arbiter: ArbiterView, worker: { id: number }): unknown;
  /** Just after a worker was spawned. */
  post_fork?(arbiter: ArbiterView, worker: WorkerInfo): unknown;
  /** After a worker exited (gunicorn's `child_exit`/`worker_exit`). */
  worker_exit?(arbiter: ArbiterView, worker: WorkerInfo): unknown;
  /** When the number of workers changes (TTIN/TTOU or reload). */
  nworkers_changed?(arbiter: ArbiterView, newValue: number, oldValue: number): unknown;
  /** Just before the master returns its exit code (awaited). */
  on_exit?(arbiter: ArbiterView): unknown;
}

/** The settings the arbiter uses; re-read on HUP through {@link ArbiterOptions.reloadConfig}. */
export interface ArbiterConfig {
  /** Number of workers (>= 1). */
  workers: number;
  /** Seconds without a heartbeat before a worker is killed; 0 disables. */
  timeout: number;
  /** Seconds a stopping worker gets to finish its requests before SIGKILL. */
  gracefulTimeout: number;
  /** Where to write the master's pid, or null. */
  pidfile: string | null;
  /**
   * Seconds between a TERM/INT (or `ctl stop`) and stopping the workers:
   * readiness turns 503 at once, listeners keep serving until then (a load
   * balancer stops sending first). 0 or absent: stop at once.
   */
  drainDelay?: number;
  hooks?: ArbiterHooks;
}

/** Internal delays, overridable for tests. All in milliseconds. */
export interface ArbiterTuning {
  /** How often heartbeats are checked (default: timeout/4, clamped to 50–1000). */
  tickMs?: number;
  /** Time between SIGABRT and SIGKILL for a timed-out worker (default 1000). */
  abortGraceMs?: number;
  /** After SIGKILLing everything, how long to wait for exit notices before giving up (default 5000). */
  killWaitMs?: number;
  /** First respawn delay once workers die repeatedly (default 500, doubling). */
  backoffBaseMs?: number;
  /** Longest respawn delay (default 10000). */
  backoffMaxMs?: number;
  /** Window in which unexpected deaths count as "repeated" (default 60000). */
  crashWindowMs?: number;
}

/** Everything the arbiter needs. */
export interface ArbiterOptions {
  processes: ProcessManager;
  timers: Timers;
  logger: Logger;
  config: ArbiterConfig;
  /** Re-read the configuration on HUP; a throw aborts the reload (the old workers stay). */
  reloadConfig?: () => ArbiterConfig | Promise<ArbiterConfig>;
  /** Reopen the master's log files (USR1, HUP). */
  reopenLogs?: () => void;
  /** Extra environment for every worker. */
  workerEnv?: Record<string, string>;
  tuning?: ArbiterTuning;
  /** Told when a reload starts and ends (either way) and when a stop starts (systemd notifications). */
  lifecycle?: ArbiterLifecycle;
}

/** Master state changes a service manager (core/arbiter/service-notify.ts) and the metrics (core/arbiter/registry.ts) hear about. */
export interface ArbiterLifecycle {
  reloading?(): void;
  /** The reload finished: new workers serve, or it failed and the old ones still do. */
  reloaded?(): void;
  stopping?(): void;
  /** A stop began: readiness is over (before the drain delay, if any). */
  draining?(): void;
  /** A worker process was spawned (metrics: core/arbiter/registry.ts). */
  workerStarted?(worker: WorkerInfo, reason: StartReason): void;
  /** A worker exited; `stats` is the last it reported (null if none). */
  workerExited?(worker: WorkerInfo, reason: ExitReason, stats: WorkerStats | null): void;
}

/** The arbiter's bookkeeping for one worker process. */
export interface WorkerRecord {
  readonly id: number;
  readonly proc: WorkerProcess;
  readonly pid: number;
  readonly gen: number;
  lastBeat: number;
  booted: boolean;
  /** Reported its first completed request: its death is not a crash loop, the replacement starts at once. */
  served: boolean;
  /** Asked to be replaced (max_requests); serves on until its replacement booted. */
  retiring: boolean;
  /** SIGTERM (or SIGKILL) sent: on its way out. */
  stopping: boolean;
  /** SIGABRT sent after a heartbeat timeout. */
  aborted: boolean;
  /** SIGKILL sent by us (so "Perhaps out of memory?" would be wrong). */
  sentKill: boolean;
  exited: boolean;
  bootError: string | null;
  killTimer: TimerHandle | null;
  /** {@link Timers.now} at spawn. */
  readonly startedAt: number;
  /** Why it was started, with the worker it replaces (`replace: worker 3 (pid 42): timeout`). */
  readonly startedBecause: string;
  /** Counters from its last heartbeat, or null before the first one. */
  stats: WorkerStats | null;
}

/** The record of a worker just spawned at monotonic time `now`: not booted, no report yet. */
export function newWorkerRecord(id: number, proc: WorkerProcess, gen: number, now: number, startedBecause: string): WorkerRecord {
  return {
    id,
    proc,
    pid: proc.pid,
    gen,
    lastBeat: now,
    booted: false,
    served: false,
    retiring: false,
    stopping: false,
    aborted: false,
    sentKill: false,
    exited: false,
    bootError: null,
    killTimer: null,
    startedAt: now,
    startedBecause,
    stats: null,
  };
}

/** The public view of a worker record (hooks, `workers()`). */
export function info(w: WorkerRecord): WorkerInfo {
  return { id: w.id, pid: w.pid, generation: w.gen, booted: w.booted };
}

/** An error's message for a log line. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/* The config file loader (config/) knows hook names without importing the arbiter: both lists must agree. */
type HookNameOf<T> = T extends readonly (infer N)[] ? N : never;
const hooksAgree: [Exclude<keyof ArbiterHooks, HookNameOf<typeof HOOK_NAMES>>] extends [never] ? readonly (keyof ArbiterHooks)[] : never = HOOK_NAMES;
void hooksAgree;
