/**
 * The master's counters across all workers, for `tricorn ctl stats` and
 * `GET /metrics`. Workers report their counters with every heartbeat
 * (core/ipc.ts); the arbiter keeps the latest per live worker. When a worker
 * exits, its last report is folded into the totals of exited workers, so the
 * sums only ever grow (Prometheus counters), whatever restarts happen.
 */
import type { ArbiterLifecycle, WorkerInfo } from "./arbiter-types.ts";
import type { WorkerStats } from "./ipc.ts";
import { addCounters, emptyCounters, type StatsCounters } from "../server/stats.ts";
import { EXIT_REASONS, START_REASONS, type ExitReason, type StartReason } from "./worker-events.ts";

/** Everything the master knows, summed over workers (plain JSON: `ctl stats --json`). */
export interface ServerTotals {
  /** Request counters of every worker, live and exited. */
  counters: StatsCounters;
  /** Requests completed by every worker, live and exited. */
  requests: number;
  /** Live workers. */
  workers: number;
  /** Requests in progress now, summed over live workers that can tell. */
  inFlight: number;
  /** Open client connections now, summed over live workers that can tell. */
  connections: number;
  /** Resident memory of the live workers, bytes. */
  workersRss: number;
  /** Worker processes started, by reason. */
  workerStarts: Record<StartReason, number>;
  /** Worker processes exited, by reason. */
  workerExits: Record<ExitReason, number>;
  /** Reloads begun (HUP, `ctl reload`, --reload). */
  reloads: number;
  /** The first workers booted and no stop began. */
  ready: boolean;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Collects arbiter events; the master forwards its `lifecycle` calls here. */
export class MasterRegistry implements ArbiterLifecycle {
  private readonly exited: StatsCounters = emptyCounters();
  private exitedRequests = 0;
  private readonly starts = zeroes(START_REASONS);
  private readonly exits = zeroes(EXIT_REASONS);
  private reloads = 0;
  /** A stop began (readiness is over for good). */
  drainBegun = false;

  workerStarted(_worker: WorkerInfo, reason: StartReason): void {
    this.starts[reason]++;
  }

  workerExited(_worker: WorkerInfo, reason: ExitReason, stats: WorkerStats | null): void {
    this.exits[reason]++;
    if (stats === null) return;
    this.exitedRequests += stats.served;
    if (stats.counters !== null) addCounters(this.exited, stats.counters);
  }

  reloading(): void {
    this.reloads++;
  }

  draining(): void {
    this.drainBegun = true;
  }

  /** Totals now, given the latest report of every live worker and whether the arbiter is ready. */
  totals(live: readonly (WorkerStats | null)[], ready: boolean): ServerTotals {
    const counters = emptyCounters();
    addCounters(counters, this.exited);
    let requests = this.exitedRequests;
    let inFlight = 0;
    let connections = 0;
    let workersRss = 0;
    for (const stats of live) {
      if (stats === null) continue;
      requests += stats.served;
      if (stats.counters !== null) addCounters(counters, stats.counters);
      if (stats.inFlight > 0) inFlight += stats.inFlight;
      if (stats.connections > 0) connections += stats.connections;
      if (stats.rss > 0) workersRss += stats.rss;
    }
    return {
      counters,
      requests,
      workers: live.length,
      inFlight,
      connections,
      workersRss,
      workerStarts: { ...this.starts },
      workerExits: { ...this.exits },
      reloads: this.reloads,
      ready: ready && !this.drainBegun,
    };
  }
}
