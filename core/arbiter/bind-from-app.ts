/**
 * The master's half of "no bind given: the app's `port`/`hostname` are the
 * bind" without importing the app in the master (gunicorn does not either,
 * except with --preload). Workers of the first set load the app, report its
 * fields (`app-bind`) and wait; the first report decides: the master
 * resolves and test-binds the address (`resolve`), then answers every
 * waiting worker with `binds`, and workers started later get the addresses
 * in their environment. A decorator of the {@link ProcessManager}, so the
 * arbiter sees ordinary workers that boot a little later.
 */
import type { MasterMessage, WorkerMessage } from "./ipc.ts";
import type { KillSignal, MasterSignal, ProcessManager, SpawnOptions, WorkerProcess } from "./process.ts";
import type { AppBindFields } from "../net/app-bind.ts";
import type { BindAddress } from "../net/bind.ts";

/**
 * Resolves the addresses from the first worker's report; null when that
 * failed (the master then stops, and the waiting workers get no answer).
 */
export type BindResolver = (fields: AppBindFields) => Promise<BindAddress[] | null>;

/** A worker whose `app-bind` report goes to the resolver instead of the arbiter. */
class ReportingWorker implements WorkerProcess {
  constructor(
    private readonly proc: WorkerProcess,
    private readonly answer: (fields: AppBindFields) => Promise<BindAddress[] | null>,
  ) {}

  get pid(): number {
    return this.proc.pid;
  }

  send(message: MasterMessage): void {
    this.proc.send(message);
  }

  kill(signal: KillSignal): void {
    this.proc.kill(signal);
  }

  onMessage(fn: (message: WorkerMessage) => void): void {
    this.proc.onMessage((message) => {
      if (message.type !== "app-bind") return fn(message);
      const { type: _type, ...fields } = message;
      void this.answer(fields).then((binds) => {
        if (binds !== null) this.proc.send({ type: "binds", binds });
      });
    });
  }

  onExit(fn: (code: number | null, signal: string | null) => void): void {
    this.proc.onExit(fn);
  }
}

/** `processes` with its workers' `app-bind` reports answered through `resolve` (called once). */
export function answeringAppBinds(processes: ProcessManager, resolve: BindResolver): ProcessManager {
  let resolution: Promise<BindAddress[] | null> | null = null;
  const answer = (fields: AppBindFields) => (resolution ??= resolve(fields).catch(() => null));
  return {
    get pid() {
      return processes.pid;
    },
    get sharing() {
      return processes.sharing;
    },
    spawnWorker: (opts: SpawnOptions) => new ReportingWorker(processes.spawnWorker(opts), answer),
    onSignal: (signal: MasterSignal, fn: () => void) => processes.onSignal(signal, fn),
    close: () => processes.close(),
    keepAlive: () => processes.keepAlive(),
    warnings: () => processes.warnings(),
    writePidfile: (path: string, pid: number) => processes.writePidfile(path, pid),
    removePidfile: (path: string) => processes.removePidfile(path),
  };
}
