/**
 * The arbiter's state as `tricorn ctl status` shows it (and
 * `Arbiter.status()` returns to hooks and scripts): plain JSON, numbers in
 * seconds and bytes.
 */
import type { WorkerStats } from "./ipc.ts";

/** The parts of the arbiter's worker record (arbiter-types.ts) a status is made of. */
interface WorkerFacts {
  readonly id: number;
  readonly pid: number;
  readonly gen: number;
  readonly booted: boolean;
  readonly stopping: boolean;
  readonly startedAt: number;
  readonly lastBeat: number;
  readonly startedBecause: string;
  readonly stats: WorkerStats | null;
}

/** One worker, seen from the master. */
export interface WorkerStatus {
  /** Age: 1 for the first worker ever started, then 2, 3, … */
  id: number;
  pid: number;
  /** 0 at start, +1 on every reload. */
  generation: number;
  /** `booting` until it listens, `serving`, `draining` once told to stop. */
  state: "booting" | "serving" | "draining";
  /** Seconds since it was spawned. */
  age: number;
  /** Seconds since its last heartbeat (or any message). */
  lastHeartbeat: number;
  /** Why it was started: `start`, `reload`, `scale_up`, or `replace: worker 3 (pid 42): timeout`. */
  startedBecause: string;
  /** Requests completed (null until its first report). */
  requests: number | null;
  /** Requests in progress (null: unknown, e.g. `--engine native`). */
  inFlight: number | null;
  /** Open client connections (null: unknown). */
  connections: number | null;
  /** Resident memory in bytes (null: unknown). */
  rss: number | null;
}

/** The whole server, seen from the master. */
export interface ArbiterStatus {
  /** The master's pid. */
  pid: number;
  /** `running`, `draining` (stop requested, waiting out the drain delay), `stopping`, or `done`. */
  state: "idle" | "running" | "draining" | "stopping" | "done";
  /** The first set of workers has booted (and no stop began). */
  ready: boolean;
  /** Number of workers the master aims for. */
  targetWorkers: number;
  /** Current generation (reloads so far). */
  generation: number;
  workers: WorkerStatus[];
}

const known = (n: number | undefined): number | null => (n === undefined || n < 0 ? null : n);
const seconds = (ms: number): number => Math.round(ms) / 1000;

/** The public status of one worker record at monotonic time `now`. */
export function workerStatus(w: WorkerFacts, now: number): WorkerStatus {
  return {
    id: w.id,
    pid: w.pid,
    generation: w.gen,
    state: w.stopping ? "draining" : w.booted ? "serving" : "booting",
    age: seconds(now - w.startedAt),
    lastHeartbeat: seconds(now - w.lastBeat),
    startedBecause: w.startedBecause,
    requests: known(w.stats?.served),
    inFlight: known(w.stats?.inFlight),
    connections: known(w.stats?.connections),
    rss: known(w.stats?.rss),
  };
}
