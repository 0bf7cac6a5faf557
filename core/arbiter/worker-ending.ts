/**
 * How the arbiter ends worker processes (split out of arbiter.ts): a graceful
 * stop (SIGTERM, then SIGKILL after `graceful_timeout`), an immediate kill,
 * the heartbeat check (SIGABRT a silent worker, SIGKILL it after a grace), and
 * gunicorn's log wording for a worker's end. The arbiter decides *when*; this
 * file does the signalling and the per-worker kill timer.
 */
import { WORKER_BOOT_ERROR } from "./ipc.ts";
import type { WorkerRecord } from "./arbiter-types.ts";
import type { Logger } from "../log/logger.ts";
import type { Timers } from "../runtime/timers.ts";

/** What {@link WorkerEnder} needs. */
export interface WorkerEnderOptions {
  timers: Timers;
  logger: Logger;
  /** Time between SIGABRT and SIGKILL for a timed-out worker, ms. */
  abortGraceMs: number;
}

/** Signals workers on their way out and owns each record's `killTimer`. */
export class WorkerEnder {
  constructor(private readonly o: WorkerEnderOptions) {}

  /** SIGTERM the worker; SIGKILL it if still alive after `gracefulSeconds`. No-op if it is already leaving. */
  stop(w: WorkerRecord, gracefulSeconds: number): void {
    if (w.exited || w.stopping) return;
    w.stopping = true;
    w.proc.kill("SIGTERM");
    this.replaceKillTimer(w, gracefulSeconds * 1000, () => {
      this.o.logger.warning(`Worker (pid:${w.pid}) still running after graceful_timeout (${gracefulSeconds} s); sending SIGKILL`);
      this.kill(w);
    });
  }

  /** SIGKILL the worker now (remembered, so its exit is not blamed on the OOM killer). */
  kill(w: WorkerRecord): void {
    if (w.exited) return;
    w.stopping = true;
    w.sentKill = true;
    w.proc.kill("SIGKILL");
  }

  /**
   * Heartbeat check: SIGABRT every worker silent for `timeoutSeconds` (0 disables),
   * SIGKILL it if still there after `abortGraceMs`.
   */
  checkHeartbeats(records: Iterable<WorkerRecord>, timeoutSeconds: number): void {
    const limit = timeoutSeconds * 1000;
    if (limit <= 0) return;
    const now = this.o.timers.now();
    for (const w of records) {
      if (w.exited || w.aborted || now - w.lastBeat < limit) continue;
      this.o.logger.critical(`WORKER TIMEOUT (pid:${w.pid})`);
      w.aborted = true;
      w.proc.kill("SIGABRT");
      this.replaceKillTimer(w, this.o.abortGraceMs, () => this.kill(w));
    }
  }

  /** Cancel the worker's pending SIGKILL (it exited, or the master finishes). */
  clearKillTimer(w: WorkerRecord): void {
    if (w.killTimer !== null) this.o.timers.clearTimeout(w.killTimer);
    w.killTimer = null;
  }

  private replaceKillTimer(w: WorkerRecord, ms: number, fn: () => void): void {
    if (w.killTimer !== null) this.o.timers.clearTimeout(w.killTimer);
    w.killTimer = this.o.timers.setTimeout(() => {
      w.killTimer = null;
      if (!w.exited) fn();
    }, ms);
  }
}

/**
 * gunicorn's wording for a worker's end, skipping the ones the master caused
 * on purpose. `haltingOnBootError`: the master is halting because a worker
 * failed to boot — the other booting workers fail the same way, one report is enough.
 */
export function logWorkerExit(logger: Logger, w: WorkerRecord, code: number | null, signal: string | null, haltingOnBootError: boolean): void {
  if (!w.booted && code === WORKER_BOOT_ERROR && haltingOnBootError) return;
  if (signal !== null) {
    if (signal === "SIGKILL" && !w.aborted) {
      if (!w.sentKill) logger.error(`Worker (pid:${w.pid}) was sent SIGKILL! Perhaps out of memory?`);
    } else if (!(signal === "SIGTERM" && w.stopping)) {
      logger.error(`Worker (pid:${w.pid}) was sent ${signal}!`);
    }
  } else if (code !== 0) {
    logger.error(`Worker (pid:${w.pid}) exited with code ${code}`);
  } else if (!w.stopping) {
    logger.warning(`Worker (pid:${w.pid}) exited unexpectedly (code 0)`);
  }
}
