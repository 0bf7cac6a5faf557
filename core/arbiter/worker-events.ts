/**
 * Why a worker started and why it exited, in words an operator reads in
 * `tricorn ctl status` and as label values of `tricorn_worker_starts_total`
 * and `tricorn_worker_exits_total` (core/arbiter/prometheus.ts).
 */

/** Why a worker was started. */
export type StartReason = "start" | "reload" | "scale_up" | "replace";

/** Every {@link StartReason}, for metrics (each label value is listed, even at 0). */
export const START_REASONS: readonly StartReason[] = ["start", "reload", "scale_up", "replace"];

/** Why a worker exited. */
export type ExitReason =
  /** The master stopped (TERM, INT, QUIT, `ctl stop`). */
  | "shutdown"
  /** Replaced by a reload (HUP, `ctl reload`, --reload). */
  | "reload"
  /** Retired after max_requests. */
  | "max_requests"
  /** Removed by TTOU or `ctl workers remove`. */
  | "scale_down"
  /** Killed after its heartbeat stopped for `timeout` seconds. */
  | "timeout"
  /** Died before it listened (the app failed to load, a bind failed). */
  | "boot_error"
  /** Killed by SIGKILL from outside (often the kernel's out-of-memory killer). */
  | "killed"
  /** Killed by another signal from outside. */
  | "signal"
  /** Exited by itself (an uncaught error, or the app ending its own process). */
  | "exit";

/** Every {@link ExitReason}, for metrics. */
export const EXIT_REASONS: readonly ExitReason[] = [
  "shutdown",
  "reload",
  "max_requests",
  "scale_down",
  "timeout",
  "boot_error",
  "killed",
  "signal",
  "exit",
];

/** What {@link exitReason} needs to know of a worker that just exited. */
export interface ExitFacts {
  booted: boolean;
  /** Asked to be replaced after max_requests. */
  retiring: boolean;
  /** The master sent it SIGTERM/SIGKILL. */
  stopping: boolean;
  /** Killed after a heartbeat timeout. */
  aborted: boolean;
  /** Its generation is older than the current one (a reload replaced it). */
  outdated: boolean;
  /** The master itself is stopping. */
  masterStopping: boolean;
  code: number | null;
  signal: string | null;
}

/** Classify one worker exit (the first matching rule wins, in the order of {@link ExitReason}'s doc). */
export function exitReason(f: ExitFacts): ExitReason {
  if (f.aborted) return "timeout";
  if (f.masterStopping && f.stopping) return "shutdown";
  if (f.retiring) return "max_requests";
  if (f.outdated && f.stopping) return "reload";
  if (f.stopping) return f.masterStopping ? "shutdown" : "scale_down";
  if (!f.booted) return "boot_error";
  if (f.signal === "SIGKILL") return "killed";
  if (f.signal !== null) return "signal";
  return "exit";
}

/** How an exit reads in a worker's start reason: `worker 3 (pid 4242): timeout`. */
export function describeExit(id: number, pid: number, reason: ExitReason, code: number | null, signal: string | null): string {
  const detail = reason === "exit" ? ` (code ${code})` : reason === "signal" ? ` (${signal})` : "";
  return `worker ${id} (pid ${pid}): ${reason}${detail}`;
}
