/**
 * A worker process, from its entry to its exit: connect to the master over
 * the process layer's IPC, boot one serving process (boot.ts) with the
 * binds the master resolved, and run it under the worker control loop
 * (core/arbiter/worker-control.ts: heartbeats, max_requests, graceful stop).
 */
import type { AccessLogger } from "../log/access-log.ts";
import type { ProcessLayer } from "../arbiter/process.ts";
import type { Settings } from "../config/settings.ts";
import type { BindAddress } from "../net/bind.ts";
import type { Logger } from "../log/logger.ts";
import { runWorker } from "../arbiter/worker-control.ts";
import { WORKER_BIND_FROM_APP_ENV, WORKER_BINDS_ENV, WORKER_ID_ENV } from "../config/worker-env.ts";
import { bootServer } from "./boot.ts";
import type { WorkerRuntime } from "./serving.ts";

/**
 * Worker process: connect to the master, load the app and listen, then serve
 * until told to stop. Resolves with the exit code (0, or 3 when the app or a
 * bind failed; the master reports the error).
 */
export async function runWorkerProcess(
  rt: WorkerRuntime,
  layer: ProcessLayer,
  settings: Settings,
  app: string,
  logger: Logger,
  logs: { accessLog?: AccessLogger | null; reopenLogs?: () => void } = {},
): Promise<number> {
  const host = await layer.createWorkerHost(Number(rt.env[WORKER_ID_ENV] ?? 0));
  const resolved = rt.env[WORKER_BINDS_ENV] ? (JSON.parse(rt.env[WORKER_BINDS_ENV]!) as BindAddress[]) : null;
  const binds = resolved ?? settings.bind;
  // No bind was given: the app's port/hostname decide. The master answers the first workers once
  // they loaded the app (it test-binds the address then); later ones get the answer in their env.
  const bindFromApp = rt.env[WORKER_BIND_FROM_APP_ENV] === "1";
  const sharing = layer.sharing(binds);
  const serving: Settings = {
    ...settings,
    // handover: a successor renames its socket over the path while this worker's predecessor still serves.
    bind: sharing === "handover" ? binds.map((bind) => (bind.kind === "unix" ? { ...bind, replace: true } : bind)) : binds,
    // reuseport: every worker binds the port itself. cluster: the master shares one handle.
    reuse_port: sharing === "reuseport" ? true : sharing === "cluster" ? false : settings.reuse_port,
  };
  return runWorker({
    host,
    timers: rt.timers,
    logger,
    residentMemory: () => rt.residentMemory(),
    settings: {
      timeout: settings.timeout,
      gracefulTimeout: settings.graceful_timeout,
      maxRequests: settings.max_requests,
      maxRequestsJitter: settings.max_requests_jitter,
      maxWorkerMemory: settings.max_worker_memory,
      workerConnections: settings.worker_connections,
    },
    boot: async (context) => {
      const process = await bootServer(rt, serving, app, logger, {
        onRequestDone: context.requestDone,
        multiprocess: settings.workers > 1,
        accessLog: logs.accessLog,
        bindsFromApp: !bindFromApp ? undefined : resolved !== null ? () => resolved : (fields) => context.bindsFromMaster(fields),
      });
      return {
        shutdown: () => process.shutdown(),
        reopenLogs: logs.reopenLogs,
        strandedSockets: () => process.listeners.reduce((sum, listener) => sum + (listener.strandedSockets?.() ?? 0), 0),
        stats: () => ({
          served: context.served(),
          inFlight: process.inFlight(),
          connections: process.connections(),
          rss: rt.residentMemory(),
          counters: process.stats.snapshot(),
        }),
      };
    },
  });
}
