/**
 * The worker side of the arbiter protocol: heartbeats, boot report,
 * max_requests retirement, stop signals and master-death detection. The
 * runtime entry point calls {@link runWorker} with a `boot` function that
 * loads the app and listens (core/worker/boot.ts), then exits with the code it
 * resolves to.
 *
 * Heartbeats go out from the event loop on a timer: a request handler that
 * blocks the loop (`while (true) {}`) silences them, and the master kills the
 * worker after `timeout` seconds.
 */
import { WORKER_BOOT_ERROR } from "./ipc.ts";
import type { MasterMessage, WorkerMessage, WorkerStats } from "./ipc.ts";
import type { AppBindFields } from "../net/app-bind.ts";
import type { BindAddress } from "../net/bind.ts";
import { describeError, errorMessage } from "../log/logger.ts";
import type { FaultKind, WorkerHost } from "./process.ts";
import type { Logger } from "../log/logger.ts";
import type { TimerHandle, Timers } from "../runtime/timers.ts";

/** The settings a worker process acts on (seconds, as in the settings table). */
export interface WorkerSettings {
  /** Master's heartbeat timeout; heartbeats go out at least every timeout/2 (and every second at most). 0 disables. */
  timeout: number;
  /** How long a graceful stop may take before the worker exits anyway. */
  gracefulTimeout: number;
  /** Retire after this many requests (0 = never). */
  maxRequests: number;
  /** Add random(0..jitter) to `maxRequests`, so workers do not all retire together. */
  maxRequestsJitter: number;
  /** Retire once resident memory exceeds this many MiB (0 = never); checked on every tick. */
  maxWorkerMemory?: number;
  /** Retire once this many sockets are stranded ({@link ServingWorker.strandedSockets}; 0 or absent = never). */
  workerConnections?: number;
}

/** A worker that is loaded and listening, as returned by the `boot` function. */
export interface ServingWorker {
  /**
   * Graceful stop: close the listeners, let in-flight requests finish, close
   * idle keep-alive connections (and busy ones after their current
   * response); resolve once no connection is left.
   */
  shutdown(): Promise<void>;
  /** Reopen log files (SIGUSR1 on the master). */
  reopenLogs?(): void;
  /** The worker's counters, sent with every heartbeat (and once more on exit). */
  stats?(): WorkerStats;
  /** Sockets the runtime holds that core has closed (core/runtime/socket.ts `Listener.strandedSockets`). */
  strandedSockets?(): number;
}

/** Handed to the `boot` function. */
export interface WorkerBootContext {
  /** Call once per finished request: counts towards `max_requests`. */
  requestDone(): void;
  /** Requests finished so far (the calls to {@link requestDone}). */
  served(): number;
  /**
   * No bind was given: report the app's `port`/`hostname` to the master
   * (`app-bind`) and resolve with the addresses it answers (`binds`).
   * Rejects when no answer comes within {@link BINDS_WAIT_MS} (or the
   * test's `bindsWaitMs`), or when the worker is told to stop meanwhile.
   */
  bindsFromMaster(fields: AppBindFields): Promise<BindAddress[]>;
}

/**
 * How long a worker waits for the master's `binds` answer: the master only
 * test-binds the address (milliseconds), so this bounds a lost message.
 */
export const BINDS_WAIT_MS = 30_000;

/** Everything {@link runWorker} needs. */
export interface RunWorkerOptions {
  host: WorkerHost;
  timers: Timers;
  logger: Logger;
  settings: WorkerSettings;
  /** Load the app and listen on every bind; reject if either fails. */
  boot(context: WorkerBootContext): Promise<ServingWorker>;
  /** Random source for the max_requests jitter (default Math.random). */
  random?: () => number;
  /** Resident set size of this process in bytes (`max_worker_memory`; the runtime's Platform). */
  residentMemory?: () => number;
  /** Bound on waiting for the master's `binds` (default {@link BINDS_WAIT_MS}; tests shorten it). */
  bindsWaitMs?: number;
}

/**
 * Run one worker until it should exit; resolves with the exit code: 0 after
 * a stop, {@link WORKER_BOOT_ERROR} (3) when `boot` failed.
 *
 * Signals: TERM stops gracefully (a second one exits at once), QUIT exits at
 * once, USR1 reopens logs. INT is ignored: Ctrl-C in a terminal reaches the
 * whole process group, and the master (which gets it too) drains the
 * workers itself; a worker stopping on its own INT too would take the
 * master's TERM as a second signal and cut in-flight requests. The worker also stops gracefully when
 * its master goes away (channel closed or parent pid changed).
 */
export function runWorker(options: RunWorkerOptions): Promise<number> {
  return new WorkerControl(options).run();
}

class WorkerControl {
  private state: "booting" | "serving" | "stopping" | "done" = "booting";
  private serving: ServingWorker | null = null;
  private requests = 0;
  private retireSent = false;
  private readonly requestLimit: number;
  private readonly parentPid: number;
  private tickTimer: TimerHandle | null = null;
  private graceTimer: TimerHandle | null = null;
  private resolve: (code: number) => void = () => {};
  /** Waiting for the master's `binds` answer (bindsFromMaster). */
  private bindsWait: { resolve(binds: BindAddress[]): void; reject(error: Error): void } | null = null;

  constructor(private readonly o: RunWorkerOptions) {
    const { maxRequests, maxRequestsJitter } = o.settings;
    const jitter = Math.floor((o.random ?? Math.random)() * (maxRequestsJitter + 1));
    this.requestLimit = maxRequests > 0 ? maxRequests + jitter : 0;
    this.parentPid = o.host.parentPid();
  }

  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.resolve = resolve));
    const { host } = this.o;
    host.onSignal("SIGTERM", () => this.stop(true));
    // Registered so INT does not end the process (its default action); see runWorker.
    host.onSignal("SIGINT", () => this.o.logger.debug("Ignoring SIGINT: the master stops the workers"));
    host.onSignal("SIGQUIT", () => this.stop(false));
    host.onSignal("SIGUSR1", () => this.reopenLogs());
    host.onMessage((message) => this.onMessage(message));
    host.onMasterGone(() => this.masterGone());
    host.onFault((error, kind) => this.fault(error, kind));
    this.startTicking();
    void this.boot();
    return done;
  }

  private onMessage(message: MasterMessage): void {
    if (message.type === "reopen-logs") this.reopenLogs();
    else if (message.type === "binds") this.bindsWait?.resolve(message.binds);
  }

  /** See {@link WorkerBootContext.bindsFromMaster}. */
  private bindsFromMaster(fields: AppBindFields): Promise<BindAddress[]> {
    const ms = this.o.bindsWaitMs ?? BINDS_WAIT_MS;
    // Told to stop while the app was still loading: nothing to wait for (the master may be gone).
    if (this.state === "stopping" || this.state === "done") {
      return Promise.reject(new Error("stopped before the master sent an address to listen on"));
    }
    return new Promise<BindAddress[]>((resolve, reject) => {
      const timer = this.o.timers.setTimeout(() => done(null, new Error(`the master sent no address to listen on within ${ms / 1000} s`)), ms);
      const done = (binds: BindAddress[] | null, error?: Error) => {
        this.o.timers.clearTimeout(timer);
        this.bindsWait = null;
        if (binds !== null) resolve(binds);
        else reject(error);
      };
      this.bindsWait = { resolve: (binds) => done(binds), reject: (error) => done(null, error) };
      this.o.host.send({ type: "app-bind", ...fields });
    });
  }

  private async boot(): Promise<void> {
    let serving: ServingWorker;
    try {
      serving = await this.o.boot({
        requestDone: () => this.requestDone(),
        served: () => this.requests,
        bindsFromMaster: (fields) => this.bindsFromMaster(fields),
      });
    } catch (error) {
      if (this.state === "done") return;
      this.o.logger.debug(`Boot failure detail: ${describeError(error)}`);
      this.o.host.send({ type: "boot-error", message: errorMessage(error) });
      this.finish(this.state === "stopping" ? 0 : WORKER_BOOT_ERROR);
      return;
    }
    this.serving = serving;
    if (this.state === "booting") {
      this.state = "serving";
      this.o.host.send({ type: "booted" });
      // Counters from the start, so `ctl status` never shows a serving worker without them.
      if (serving.stats !== undefined) this.o.host.send(this.heartbeat());
    } else if (this.state === "stopping") {
      this.shutdown(serving);
    }
  }

  private requestDone(): void {
    if (++this.requests === 1) this.o.host.send({ type: "served" });
    if (this.requestLimit === 0 || this.retireSent || this.requests < this.requestLimit) return;
    if (this.state !== "serving") return;
    this.retireSent = true;
    this.o.logger.info("Autorestarting worker after current request.");
    // The master starts a replacement and SIGTERMs us once it listens, so no request is refused meanwhile.
    this.o.host.send({ type: "retire", requests: this.requests });
  }

  /**
   * An app error nothing caught. A rejection is logged and the worker goes on.
   * After an exception the app's state may be corrupt: the worker asks for its
   * replacement and then drains (the master stops it once the new one listens).
   */
  private fault(error: unknown, kind: FaultKind): void {
    if (kind === "rejection") {
      this.o.logger.error("Unhandled promise rejection in app code; the worker goes on", error);
      return;
    }
    if (this.state !== "serving" || this.retireSent) {
      this.o.logger.critical("Uncaught exception in app code", error);
      return;
    }
    this.o.logger.critical("Uncaught exception in app code; retiring this worker gracefully (its replacement starts first)", error);
    this.retireSent = true;
    this.o.host.send({ type: "retire", requests: this.requests, reason: "an uncaught exception" });
  }

  /** `max_worker_memory`: over it, ask for a replacement (once), as after max_requests. */
  private checkMemory(): void {
    const limit = this.o.settings.maxWorkerMemory ?? 0;
    if (limit <= 0 || this.state !== "serving" || this.retireSent) return;
    const mib = Math.round((this.o.residentMemory?.() ?? 0) / (1024 * 1024));
    if (mib <= limit) return;
    this.retireSent = true;
    this.o.logger.warning(`Worker uses ${mib} MiB, over max_worker_memory (${limit} MiB); retiring it gracefully (its replacement starts first)`);
    this.o.host.send({ type: "retire", requests: this.requests, reason: `max_worker_memory (${mib} MiB > ${limit} MiB)` });
  }

  /**
   * Sockets core gave up on that the runtime cannot close (a Deno TLS handshake
   * that never ends): once there are `worker_connections` of them, ask for a
   * replacement (once), so this process's exit closes them.
   */
  private checkStranded(): void {
    const limit = this.o.settings.workerConnections ?? 0;
    if (limit <= 0 || this.state !== "serving" || this.retireSent) return;
    const stranded = this.serving?.strandedSockets?.() ?? 0;
    if (stranded < limit) return;
    this.retireSent = true;
    this.o.logger.warning(
      `${stranded} connections closed at a timeout are still open in the runtime (TLS handshakes it cannot cut short), worker_connections is ${limit}; retiring this worker gracefully so its exit closes them (its replacement starts first)`,
    );
    this.o.host.send({ type: "retire", requests: this.requests, reason: `${stranded} stranded TLS handshakes` });
  }

  private stop(graceful: boolean): void {
    if (this.state === "done") return;
    if (!graceful || this.state === "stopping") {
      this.finish(0);
      return;
    }
    const wasServing = this.state === "serving";
    this.state = "stopping";
    this.bindsWait?.reject(new Error("stopped before the master sent an address to listen on"));
    const seconds = this.o.settings.gracefulTimeout;
    this.graceTimer = this.o.timers.setTimeout(() => {
      this.o.logger.warning(`Graceful stop took longer than ${seconds} s; exiting with requests in flight`);
      this.finish(0);
    }, seconds * 1000);
    // Still booting: the boot continuation shuts down whatever got started.
    if (wasServing && this.serving !== null) this.shutdown(this.serving);
  }

  private shutdown(serving: ServingWorker): void {
    serving.shutdown().then(
      () => this.finish(0),
      (error) => {
        this.o.logger.error(`Error while stopping: ${errorMessage(error)}`, error);
        this.finish(0);
      },
    );
  }

  private masterGone(): void {
    if (this.state === "done" || this.state === "stopping") return;
    this.o.logger.info(`Master went away; shutting down worker (pid: ${this.o.host.pid})`);
    this.stop(true);
  }

  private reopenLogs(): void {
    try {
      this.serving?.reopenLogs?.();
    } catch (error) {
      this.o.logger.error(`Cannot reopen logs: ${errorMessage(error)}`, error);
    }
  }

  /** One timer for heartbeats and the parent-pid check (the channel close is not always reported). */
  private startTicking(): void {
    const { timeout } = this.o.settings;
    const period = timeout > 0 ? Math.max(50, Math.min(1000, Math.floor((timeout * 1000) / 2))) : 1000;
    const tick = () => {
      if (this.o.host.parentPid() !== this.parentPid) {
        this.masterGone();
        return;
      }
      const beat = this.heartbeat();
      if (timeout > 0 || beat.stats !== undefined) this.o.host.send(beat);
      this.checkMemory();
      this.checkStranded();
    };
    tick();
    this.tickTimer = this.o.timers.setInterval(tick, period);
  }

  /** A heartbeat message, with the counters once serving (a failing counter read is logged, never fatal). */
  private heartbeat(): WorkerMessage & { type: "heartbeat" } {
    const serving = this.serving;
    if (serving === null || serving.stats === undefined) return { type: "heartbeat" };
    try {
      return { type: "heartbeat", stats: serving.stats() };
    } catch (error) {
      this.o.logger.debug(`Cannot read the worker's counters: ${errorMessage(error)}`);
      return { type: "heartbeat" };
    }
  }

  private finish(code: number): void {
    if (this.state === "done") return;
    this.state = "done";
    this.bindsWait?.reject(new Error("stopped before the master sent an address to listen on"));
    // Final counters, so the master's totals include the requests since the last heartbeat.
    if (this.serving?.stats !== undefined) this.o.host.send(this.heartbeat());
    if (this.tickTimer !== null) this.o.timers.clearInterval(this.tickTimer);
    if (this.graceTimer !== null) this.o.timers.clearTimeout(this.graceTimer);
    // A worker that never booted has nothing to announce: the master reports why in one line.
    if (this.serving !== null) this.o.logger.info(`Worker exiting (pid: ${this.o.host.pid})`);
    const resolve = () => this.resolve(code);
    this.o.host.close().then(resolve, resolve);
  }
}
