/**
 * The arbiter (master process logic), gunicorn's `Arbiter` re-thought for
 * event loops. It keeps `workers` worker processes alive, replaces dead ones
 * (backing off when they die repeatedly), kills workers whose heartbeat stops
 * (`timeout`), and reacts to signals:
 *
 * | signal          | action                                                        |
 * | --------------- | ------------------------------------------------------------- |
 * | TERM, INT, QUIT | graceful stop (SIGTERM workers, SIGKILL after graceful_timeout); a second one stops at once |
 * | HUP             | reload: start a full new set, wait until all booted, then gracefully stop the old set (when no two workers can listen at once: stop first, then start) |
 * | TTIN / TTOU     | one worker more / fewer (never below 1)                       |
 * | USR1            | reopen log files, here and in the workers                     |
 *
 * A worker that dies before reporting "booted" (its app failed to import, or
 * it could not bind) halts the master with exit code 3 — except during a
 * reload, where the new set is dropped and the old workers keep serving.
 *
 * Pure logic: processes, signals, files and time come in through
 * {@link ProcessManager} and {@link Timers}, so tests drive it with fakes.
 */
import { describeFileFailure } from "../net/bind.ts";
import { WORKER_BOOT_ERROR, type WorkerMessage, type WorkerStats } from "./ipc.ts";
import { CrashBackoff } from "./crash-backoff.ts";
import { callHook } from "./hooks.ts";
import { logWorkerExit, WorkerEnder } from "./worker-ending.ts";
import { WORKER_ENV, WORKER_ID_ENV } from "../config/worker-env.ts";
import { MASTER_SIGNALS, singleWorker, type MasterSignal, type ProcessManager, type WorkerProcess } from "./process.ts";
import type { ArbiterConfig, ArbiterHooks, ArbiterOptions, ArbiterTuning, ArbiterView, WorkerInfo } from "./arbiter-types.ts";
import type { Logger } from "../log/logger.ts";
import type { TimerHandle, Timers } from "../runtime/timers.ts";
import { info, messageOf, newWorkerRecord, type WorkerRecord } from "./arbiter-types.ts";
import { workerStatus, type ArbiterStatus } from "./status.ts";
import { describeExit, exitReason, type StartReason } from "./worker-events.ts";

type State = "idle" | "running" | "stopping" | "done";

const SIGNAL_NAMES: Record<MasterSignal, string> = {
  SIGHUP: "hup",
  SIGINT: "int",
  SIGQUIT: "quit",
  SIGTERM: "term",
  SIGTTIN: "ttin",
  SIGTTOU: "ttou",
  SIGUSR1: "usr1",
};

/** gunicorn's master process logic, over a {@link ProcessManager}. */
export class Arbiter implements ArbiterView {
  private readonly processes: ProcessManager;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly tuning: Required<Omit<ArbiterTuning, "tickMs">> & { tickMs?: number };
  private config: ArbiterConfig;
  private state: State = "idle";
  private readonly records = new Map<number, WorkerRecord>();
  private lastId = 0;
  private currentGen = 0;
  private genCounter = 0;
  /** Set while a reload is in progress (`to` is -1 while the config is being re-read). */
  private reloading: { from: number; to: number } | null = null;
  private reloadQueued = false;
  private ready = false;
  /** A stop was requested and waits out `drainDelay` (readiness is over). */
  private draining = false;
  private drainTimer: TimerHandle | null = null;
  /** Why the next spawns happen: exits of workers that are to be replaced, oldest first. */
  private replacing: string[] = [];
  private readonly backoff: CrashBackoff;
  private readonly ender: WorkerEnder;
  private respawnTimer: TimerHandle | null = null;
  private tickTimer: TimerHandle | null = null;
  private killWaitTimer: TimerHandle | null = null;
  private immediate = false;
  private exitCode = 0;
  private exitReason: string | null = null;
  /**
   * Why start-up failed, for a one-line report (a worker of the first set could
   * not load the app, the pidfile could not be written); null otherwise.
   */
  startupFailure: string | null = null;
  private releaseKeepAlive: (() => void) | null = null;
  private resolveRun: ((code: number) => void) | null = null;

  constructor(private readonly options: ArbiterOptions) {
    this.processes = options.processes;
    this.timers = options.timers;
    this.logger = options.logger;
    this.config = { ...options.config };
    const t = options.tuning ?? {};
    this.tuning = {
      tickMs: t.tickMs,
      abortGraceMs: t.abortGraceMs ?? 1000,
      killWaitMs: t.killWaitMs ?? 5000,
      backoffBaseMs: t.backoffBaseMs ?? 500,
      backoffMaxMs: t.backoffMaxMs ?? 10_000,
      crashWindowMs: t.crashWindowMs ?? 60_000,
    };
    this.backoff = new CrashBackoff(this.tuning, this.logger);
    this.ender = new WorkerEnder({ timers: this.timers, logger: this.logger, abortGraceMs: this.tuning.abortGraceMs });
  }

  /** The master's pid. */
  get pid(): number {
    return this.processes.pid;
  }

  /** Number of workers the arbiter aims for (after TTIN/TTOU and platform limits). */
  get numWorkers(): number {
    return singleWorker(this.processes.sharing) ? 1 : this.config.workers;
  }

  /** Live workers, oldest first. */
  workers(): WorkerInfo[] {
    return [...this.records.values()].map(info);
  }

  /**
   * `tricorn ctl` for hooks: `await server.ctl("stats")` answers as the
   * control socket does (set up by the master, core/arbiter/operations.ts).
   */
  ctl: (command: string | readonly string[]) => Promise<unknown> = async () => {
    throw new Error("ctl is available in the master once it runs");
  };

  /** Master and workers as `tricorn ctl status` shows them (core/arbiter/status.ts). */
  status(): ArbiterStatus {
    const now = this.timers.now();
    return {
      pid: this.pid,
      state: this.draining ? "draining" : this.state,
      ready: this.ready && this.state === "running" && !this.draining,
      targetWorkers: this.numWorkers,
      generation: this.currentGen,
      workers: [...this.records.values()].map((w) => workerStatus(w, now)),
    };
  }

  /** The latest counters of every live worker (null before its first report). */
  liveStats(): (WorkerStats | null)[] {
    return [...this.records.values()].map((w) => w.stats);
  }

  /**
   * Change the number of workers by `delta` (`ctl workers add/remove`, like
   * TTIN/TTOU); returns the new target. Throws an Error with a one-line
   * message when it cannot (below 1 worker, workers cannot share the binds, not running).
   */
  scale(delta: number): number {
    if (this.state !== "running" || this.draining) throw new Error("the server is stopping");
    const next = this.config.workers + delta;
    if (next < 1) throw new Error(`cannot go below 1 worker (${this.config.workers} now)`);
    if (delta > 0 && singleWorker(this.processes.sharing)) throw new Error("workers cannot share these addresses here, so only one runs");
    this.setWorkers(next);
    return next;
  }

  /**
   * Start the workers and manage them until a stop signal (or a boot
   * failure). Resolves with the exit code for the entry point to exit with:
   * 0 after a stop, 3 when a worker failed to boot, 1 when the pidfile
   * could not be written.
   */
  async run(): Promise<number> {
    if (this.state !== "idle") throw new Error("Arbiter.run() called twice");
    this.state = "running";
    const done = new Promise<number>((resolve) => (this.resolveRun = resolve));
    this.releaseKeepAlive = this.processes.keepAlive();
    for (const sig of MASTER_SIGNALS) this.processes.onSignal(sig, () => this.signal(sig));
    for (const warning of this.processes.warnings()) this.logger.warning(warning);
    if (singleWorker(this.processes.sharing) && this.config.workers > 1) {
      this.logger.warning(
        `Workers cannot share these addresses on this runtime and platform (Unix-socket and fd:// binds, or no SO_REUSEPORT outside Linux); running 1 worker instead of ${this.config.workers}`,
      );
    }
    await this.hook("on_starting", [this], true);
    if (this.state !== "running") return done;
    if (this.config.pidfile !== null && !this.writePidfile(this.config.pidfile)) {
      this.exitCode = 1;
      void this.finish();
      return done;
    }
    this.startTicking();
    this.manage();
    return done;
  }

  /** React to a signal as if the master had received it (also used by the runtime's signal listeners). */
  signal(sig: MasterSignal): void {
    if (this.state === "idle" || this.state === "done") return;
    this.logger.info(`Handling signal: ${SIGNAL_NAMES[sig]}`);
    switch (sig) {
      case "SIGTERM":
      case "SIGINT":
        if (this.beginDrain()) return;
        this.stop(this.state !== "stopping");
        return;
      case "SIGQUIT":
        this.stop(this.state !== "stopping");
        return;
      case "SIGHUP":
        void this.reload();
        return;
      case "SIGTTIN":
        if (this.state !== "running") return;
        if (singleWorker(this.processes.sharing)) {
          this.logger.warning("Ignoring TTIN: workers cannot share these addresses here, so only one runs");
          return;
        }
        this.setWorkers(this.config.workers + 1);
        return;
      case "SIGTTOU":
        if (this.state !== "running" || this.config.workers <= 1) return;
        this.setWorkers(this.config.workers - 1);
        return;
      case "SIGUSR1":
        this.options.reopenLogs?.();
        for (const w of this.records.values()) w.proc.send({ type: "reopen-logs" });
        return;
    }
  }

  /**
   * Stop every worker and finish. Graceful: SIGTERM, then SIGKILL after
   * `gracefulTimeout`. Not graceful (or a second call): SIGKILL now.
   */
  stop(graceful = true, exitCode = 0, reason: string | null = null): void {
    if (this.state === "done" || this.state === "idle") return;
    if (this.state === "stopping") {
      if (!graceful && !this.immediate) this.killAll();
      return;
    }
    if (!this.draining) this.options.lifecycle?.draining?.();
    this.draining = false;
    this.clearTimer("drainTimer");
    this.state = "stopping";
    this.options.lifecycle?.stopping?.();
    this.exitCode = exitCode;
    this.exitReason = reason;
    this.reloading = null;
    this.reloadQueued = false;
    this.clearTimer("respawnTimer");
    if (!graceful) {
      this.killAll();
    } else {
      for (const w of this.records.values()) this.stopWorker(w);
    }
    if (this.records.size === 0) void this.finish();
  }

  /**
   * First TERM/INT with a `drainDelay`: readiness ends now (`lifecycle.draining`),
   * the workers keep serving for `drainDelay` seconds, then stop gracefully.
   * A second TERM/INT during the delay stops at once. False: no delay applies.
   */
  private beginDrain(): boolean {
    const delay = this.config.drainDelay ?? 0;
    if (this.state !== "running" || this.draining || delay <= 0) return false;
    this.draining = true;
    this.options.lifecycle?.draining?.();
    this.logger.info(`Draining: readiness is off; stopping the workers in ${delay} s`);
    this.drainTimer = this.timers.setTimeout(() => {
      this.drainTimer = null;
      this.stop(true);
    }, delay * 1000);
    return true;
  }

  /* ---------------------------------------------------------------- */
  /* Worker set management                                             */
  /* ---------------------------------------------------------------- */

  /**
   * Bring the worker set in line with the configuration: spawn missing
   * workers (unless backing off), stop surplus ones (oldest first), and once
   * enough current workers have booted, gracefully stop the outgoing ones
   * (previous generation after HUP, retiring after max_requests).
   */
  private manage(): void {
    if (this.state !== "running") return;
    const target = this.numWorkers;
    let current = this.currentWorkers();
    if (current.length > target) {
      for (const w of current.slice(0, current.length - target)) this.stopWorker(w);
      current = this.currentWorkers();
    }
    if (this.processes.sharing === "none") {
      // Only one process can hold the address: the outgoing worker must be gone before
      // its successor can bind (a short gap, unlike the overlap with shared listeners).
      let leaving = false;
      for (const w of this.records.values()) {
        if ((w.gen !== this.currentGen || w.retiring) && !w.stopping) this.stopWorker(w);
        leaving ||= w.stopping;
      }
      if (leaving) return;
    }
    const missing = target - current.length;
    if (missing > 0) {
      const wait = this.backoff.waitMs(this.timers.now());
      if (wait > 0) {
        this.scheduleRespawn(wait);
      } else {
        for (let i = 0; i < missing && this.state === "running"; i++) {
          if (!this.spawn()) break;
        }
      }
    }
    if (this.state !== "running") return;
    const booted = this.currentWorkers().filter((w) => w.booted).length;
    if (booted < target) return;
    for (const w of this.records.values()) {
      if ((w.gen !== this.currentGen || w.retiring) && !w.stopping) this.stopWorker(w);
    }
    if (this.reloading !== null && this.reloading.to === this.currentGen) {
      this.logger.info(`Reload complete: ${booted} new worker(s) booted`);
      this.reloading = null;
      this.afterReload();
    }
    if (!this.ready) {
      this.ready = true;
      void this.hook("when_ready", [this]);
    }
  }

  /** Workers of the current generation that are neither retiring nor stopping, oldest first. */
  private currentWorkers(): WorkerRecord[] {
    const out: WorkerRecord[] = [];
    for (const w of this.records.values()) {
      if (w.gen === this.currentGen && !w.retiring && !w.stopping) out.push(w);
    }
    return out;
  }

  /** Spawn one worker; false when the OS refused (a retry is scheduled or the master halts). */
  private spawn(): boolean {
    const id = ++this.lastId;
    void this.hook("pre_fork", [this, { id }]);
    let proc: WorkerProcess;
    try {
      proc = this.processes.spawnWorker({
        id,
        env: { ...this.options.workerEnv, [WORKER_ENV]: "1", [WORKER_ID_ENV]: String(id) },
      });
    } catch (error) {
      this.logger.error(`Cannot start a worker process: ${messageOf(error)}`);
      if (!this.ready) {
        this.stop(true, 1, "Cannot start worker processes.");
      } else {
        this.backoff.record(this.timers.now());
        this.scheduleRespawn(Math.max(this.backoff.waitMs(this.timers.now()), this.tuning.backoffBaseMs));
      }
      return false;
    }
    const reason: StartReason = !this.ready ? "start" : this.reloading !== null ? "reload" : this.replacing.length > 0 ? "replace" : "scale_up";
    const startedBecause = reason === "replace" ? `replace: ${this.replacing.shift()}` : reason;
    const w = newWorkerRecord(id, proc, this.currentGen, this.timers.now(), startedBecause);
    this.records.set(id, w);
    this.logger.info(`Booting worker with pid: ${w.pid}`);
    this.options.lifecycle?.workerStarted?.(info(w), reason);
    proc.onMessage((message) => this.onWorkerMessage(w, message));
    proc.onExit((code, signal) => this.onWorkerExit(w, code, signal));
    void this.hook("post_fork", [this, info(w)]);
    return true;
  }

  private killAll(): void {
    this.immediate = true;
    for (const w of this.records.values()) this.ender.kill(w);
    // Exit notices normally follow within milliseconds; do not hang if one is lost.
    this.killWaitTimer = this.timers.setTimeout(() => {
      if (this.state === "done") return;
      this.logger.warning(`No exit notice from ${this.records.size} killed worker(s); exiting anyway`);
      void this.finish();
    }, this.tuning.killWaitMs);
  }

  /** SIGTERM the worker; SIGKILL it if still alive after `graceful_timeout`. */
  private stopWorker(w: WorkerRecord): void {
    this.ender.stop(w, this.config.gracefulTimeout);
  }

  private setWorkers(value: number): void {
    const old = this.config.workers;
    if (value === old) return;
    this.config.workers = value;
    void this.hook("nworkers_changed", [this, value, old]);
    this.manage();
  }

  /* ---------------------------------------------------------------- */
  /* Worker events                                                      */
  /* ---------------------------------------------------------------- */

  private onWorkerMessage(w: WorkerRecord, message: WorkerMessage): void {
    if (w.exited) return;
    w.lastBeat = this.timers.now();
    switch (message.type) {
      case "heartbeat":
        if (message.stats !== undefined) w.stats = message.stats;
        return;
      case "booted":
        if (!w.booted) {
          w.booted = true;
          this.logger.debug(`Worker (pid:${w.pid}) booted`);
          this.manage();
        }
        return;
      case "boot-error":
        w.bootError = message.message;
        return;
      case "served":
        w.served = true;
        return;
      case "retire":
        if (this.state !== "running" || w.retiring || w.stopping || w.gen !== this.currentGen) return;
        w.retiring = true;
        this.replacing.push(`worker ${w.id} (pid ${w.pid}): ${message.reason ?? "max_requests"}`);
        if (message.reason !== undefined) this.logger.warning(`Worker (pid:${w.pid}) retires after ${message.reason}; starting its replacement`);
        else this.logger.info(`Worker (pid:${w.pid}) served ${message.requests} requests (max_requests); starting its replacement`);
        this.manage();
        return;
    }
  }

  private onWorkerExit(w: WorkerRecord, code: number | null, signal: string | null): void {
    if (w.exited) return;
    w.exited = true;
    this.records.delete(w.id);
    this.ender.clearKillTimer(w);
    if (this.state === "done") return;

    const bootFailed = !w.booted && !w.stopping && !w.aborted && w.gen === this.currentGen && this.state === "running";
    if (!bootFailed) logWorkerExit(this.logger, w, code, signal, this.exitCode === WORKER_BOOT_ERROR);
    const stopping = this.state === "stopping";
    const reason = exitReason({ ...w, outdated: w.gen !== this.currentGen, masterStopping: stopping, code, signal });
    this.options.lifecycle?.workerExited?.(info(w), reason, w.stats);
    void this.hook("worker_exit", [this, info(w)]);

    if (this.state === "stopping") {
      if (this.records.size === 0) void this.finish();
      return;
    }
    if (bootFailed) {
      const why = w.bootError ?? (signal !== null ? `killed by ${signal}` : `exited with code ${code}`);
      this.logger.error(`Worker (pid:${w.pid}) failed to boot: ${why}`);
      if (this.reloading !== null && this.reloading.to === w.gen) {
        this.rollbackReload();
      } else {
        if (!this.ready) this.startupFailure = why;
        this.stop(true, WORKER_BOOT_ERROR, "Worker failed to boot.");
        return;
      }
    } else if (!w.stopping && !w.retiring && !w.served && w.gen === this.currentGen) {
      // Died before serving anything: may be a crash loop, so repeated ones back off.
      // One that served is replaced at once (no outage with -w 1).
      this.backoff.record(this.timers.now());
    }
    if ((!w.stopping || w.aborted) && !w.retiring && w.gen === this.currentGen && this.replacing.push(describeExit(w.id, w.pid, reason, code, signal)) > 100) {
      this.replacing.shift();
    }
    this.manage();
  }

  private scheduleRespawn(ms: number): void {
    if (this.respawnTimer !== null) return;
    this.respawnTimer = this.timers.setTimeout(() => {
      this.respawnTimer = null;
      this.manage();
    }, ms);
  }

  /* ---------------------------------------------------------------- */
  /* Reload (HUP)                                                       */
  /* ---------------------------------------------------------------- */

  private async reload(): Promise<void> {
    if (this.state !== "running") return;
    if (this.reloading !== null) {
      this.reloadQueued = true;
      return;
    }
    this.logger.info("Hang up: Master");
    this.options.lifecycle?.reloading?.();
    const from = this.currentGen;
    this.reloading = { from, to: -1 };
    if (this.options.reloadConfig) {
      try {
        this.applyConfig(await this.options.reloadConfig());
      } catch (error) {
        if (this.state !== "running") return;
        this.logger.error(`Reload failed, keeping the current workers: ${messageOf(error)}`);
        this.reloading = null;
        this.afterReload();
        return;
      }
    }
    if (this.state !== "running") return;
    this.options.reopenLogs?.();
    await this.hook("on_reload", [this], true);
    if (this.state !== "running") return;
    this.currentGen = ++this.genCounter;
    this.reloading = { from, to: this.currentGen };
    this.manage();
  }

  /** A worker of the new generation failed to boot: drop the new set, keep the old one. */
  private rollbackReload(): void {
    const { from, to } = this.reloading!;
    this.reloading = null;
    this.currentGen = from;
    this.logger.error("Reload failed: a new worker did not boot; keeping the previous workers");
    for (const w of this.records.values()) if (w.gen === to) this.stopWorker(w);
    this.afterReload();
  }

  private afterReload(): void {
    this.options.lifecycle?.reloaded?.();
    if (!this.reloadQueued) return;
    this.reloadQueued = false;
    void this.reload();
  }

  private applyConfig(next: ArbiterConfig): void {
    const old = this.config;
    this.config = { ...next };
    if (next.workers !== old.workers) void this.hook("nworkers_changed", [this, next.workers, old.workers]);
    if (next.timeout !== old.timeout) this.startTicking();
    if (next.pidfile !== old.pidfile) {
      if (old.pidfile !== null) this.removePidfile(old.pidfile);
      if (next.pidfile !== null) this.writePidfile(next.pidfile);
    }
  }

  /* ---------------------------------------------------------------- */
  /* Plumbing                                                           */
  /* ---------------------------------------------------------------- */

  private startTicking(): void {
    this.clearTimer("tickTimer");
    const timeoutMs = this.config.timeout * 1000;
    if (timeoutMs <= 0) return;
    const tick = this.tuning.tickMs ?? Math.min(1000, Math.max(50, Math.floor(timeoutMs / 4)));
    this.tickTimer = this.timers.setInterval(() => this.ender.checkHeartbeats(this.records.values(), this.config.timeout), tick);
  }

  private clearTimer(name: "tickTimer" | "respawnTimer" | "killWaitTimer" | "drainTimer"): void {
    const handle = this[name];
    if (handle === null) return;
    if (name === "tickTimer") this.timers.clearInterval(handle);
    else this.timers.clearTimeout(handle);
    this[name] = null;
  }

  private async finish(): Promise<void> {
    if (this.state === "done") return;
    this.state = "done";
    this.clearTimer("tickTimer");
    this.clearTimer("respawnTimer");
    this.clearTimer("killWaitTimer");
    this.clearTimer("drainTimer");
    for (const w of this.records.values()) this.ender.clearKillTimer(w);
    const log = this.exitCode === 0 ? this.logger.info.bind(this.logger) : this.logger.error.bind(this.logger);
    log("Shutting down: Master");
    if (this.exitReason !== null) log(`Reason: ${this.exitReason}`);
    if (this.config.pidfile !== null) this.removePidfile(this.config.pidfile);
    await this.hook("on_exit", [this], true);
    this.processes.close();
    this.releaseKeepAlive?.();
    this.resolveRun?.(this.exitCode);
  }

  /** Write the master's pid to `path`; on failure log it, note it in `startupFailure`, forget the pidfile, false. */
  private writePidfile(path: string): boolean {
    try {
      this.processes.writePidfile(path, this.pid);
      return true;
    } catch (error) {
      this.logger.error(`Cannot write pidfile: ${messageOf(error)}`);
      this.startupFailure = `cannot write pidfile ${JSON.stringify(path)}: ${describeFileFailure(path, error)}`;
      this.config.pidfile = null;
      return false;
    }
  }

  private removePidfile(path: string): void {
    try {
      this.processes.removePidfile(path);
    } catch (error) {
      this.logger.warning(`Cannot remove pidfile: ${messageOf(error)}`);
    }
  }

  private hook(name: keyof ArbiterHooks, args: unknown[], wait = false): Promise<void> {
    return callHook(this.config.hooks, name, args, this.logger, wait);
  }
}
