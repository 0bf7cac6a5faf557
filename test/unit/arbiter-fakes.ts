/**
 * Fakes for driving core/arbiter/arbiter.ts and core/arbiter/worker-control.ts without
 * processes or real time: a manual clock, a scripted ProcessManager whose
 * workers are plain objects, a scripted WorkerHost, and a recording logger.
 */
import type { MasterMessage, WorkerMessage } from "../../core/arbiter/ipc.ts";
import type { FaultKind, KillSignal, ListenSharing, MasterSignal, ProcessManager, SpawnOptions, WorkerHost, WorkerProcess, WorkerSignal } from "../../core/arbiter/process.ts";
import type { Logger } from "../../core/log/logger.ts";
import type { TimerHandle, Timers } from "../../core/runtime/timers.ts";

interface FakeTimer {
  id: number;
  due: number;
  every: number | null;
  fn: () => void;
}

/** Manual clock: nothing fires until {@link advance}. */
export class FakeTimers implements Timers {
  private clock = 0;
  private nextId = 1;
  private readonly pending = new Map<number, FakeTimer>();

  now(): number {
    return this.clock;
  }
  wallNow(): number {
    return 1_700_000_000_000 + this.clock;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { id, due: this.clock + Math.max(0, ms), every: null, fn });
    return id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as number);
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { id, due: this.clock + ms, every: Math.max(1, ms), fn });
    return id;
  }
  clearInterval(handle: TimerHandle): void {
    this.pending.delete(handle as number);
  }
  /** Number of timers still scheduled. */
  get size(): number {
    return this.pending.size;
  }
  /** Move the clock forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      let next: FakeTimer | null = null;
      for (const t of this.pending.values()) {
        if (t.due <= end && (next === null || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      }
      if (next === null) break;
      this.clock = next.due;
      if (next.every === null) this.pending.delete(next.id);
      else next.due += next.every;
      next.fn();
    }
    this.clock = end;
  }
}

/** A worker process that exists only as an object; the test makes it talk and die. */
export class FakeWorker implements WorkerProcess {
  readonly kills: KillSignal[] = [];
  readonly sent: MasterMessage[] = [];
  exited = false;
  private messageFn: (m: WorkerMessage) => void = () => {};
  private exitFn: (code: number | null, signal: string | null) => void = () => {};

  constructor(
    readonly pid: number,
    readonly id: number,
    readonly env: Record<string, string>,
  ) {}

  send(message: MasterMessage): void {
    if (!this.exited) this.sent.push(message);
  }
  kill(signal: KillSignal): void {
    if (!this.exited) this.kills.push(signal);
  }
  onMessage(fn: (m: WorkerMessage) => void): void {
    this.messageFn = fn;
  }
  onExit(fn: (code: number | null, signal: string | null) => void): void {
    this.exitFn = fn;
  }
  /** Worker → master message. */
  emit(message: WorkerMessage): void {
    if (!this.exited) this.messageFn(message);
  }
  boot(): void {
    this.emit({ type: "booted" });
  }
  heartbeat(): void {
    this.emit({ type: "heartbeat" });
  }
  /** The process ends. */
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.exitFn(code, signal);
  }
}

/** Scripted ProcessManager: records spawns, signal listeners and pidfile writes. */
export class FakeProcessManager implements ProcessManager {
  readonly pid = 1000;
  readonly spawned: FakeWorker[] = [];
  readonly pidfiles = new Map<string, number>();
  keptAlive = 0;
  failSpawns = 0;
  private nextPid = 2000;
  private readonly signalFns = new Map<MasterSignal, () => void>();

  constructor(readonly sharing: ListenSharing = "cluster") {}

  spawnWorker(opts: SpawnOptions): WorkerProcess {
    if (this.failSpawns > 0) {
      this.failSpawns--;
      throw new Error("spawn EAGAIN");
    }
    const w = new FakeWorker(this.nextPid++, opts.id, opts.env);
    this.spawned.push(w);
    return w;
  }
  onSignal(signal: MasterSignal, fn: () => void): void {
    this.signalFns.set(signal, fn);
  }
  closed = false;
  close(): void {
    this.signalFns.clear();
    this.closed = true;
  }
  warnings(): string[] {
    return this.sharing === "reuseport" ? ["reuseport caveat"] : [];
  }
  keepAlive(): () => void {
    this.keptAlive++;
    return () => this.keptAlive--;
  }
  writePidfile(path: string, pid: number): void {
    if (path.startsWith("/nonexistent/")) throw new Error(`${path}: No such file or directory`);
    this.pidfiles.set(path, pid);
  }
  removePidfile(path: string): void {
    this.pidfiles.delete(path);
  }
  /** Deliver an OS signal to the master. */
  raise(signal: MasterSignal): void {
    const fn = this.signalFns.get(signal);
    if (!fn) throw new Error(`no listener for ${signal}`);
    fn();
  }
  /** Workers not yet exited. */
  alive(): FakeWorker[] {
    return this.spawned.filter((w) => !w.exited);
  }
}

/** Scripted WorkerHost for worker-control tests. */
export class FakeHost implements WorkerHost {
  readonly pid = 3000;
  ppid = 1000;
  readonly sent: WorkerMessage[] = [];
  closed = false;
  private readonly signalFns = new Map<WorkerSignal, () => void>();
  private messageFn: (m: MasterMessage) => void = () => {};
  private goneFn: () => void = () => {};
  private faultFn: (error: unknown, kind: FaultKind) => void = () => {};

  parentPid(): number {
    return this.ppid;
  }
  send(message: WorkerMessage): void {
    if (!this.closed) this.sent.push(message);
  }
  onMessage(fn: (m: MasterMessage) => void): void {
    this.messageFn = fn;
  }
  onMasterGone(fn: () => void): void {
    this.goneFn = fn;
  }
  onSignal(signal: WorkerSignal, fn: () => void): void {
    this.signalFns.set(signal, fn);
  }
  onFault(fn: (error: unknown, kind: FaultKind) => void): void {
    this.faultFn = fn;
  }
  /** An app error nothing caught reaches the process. */
  fault(error: unknown, kind: FaultKind): void {
    this.faultFn(error, kind);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  raise(signal: WorkerSignal): void {
    this.signalFns.get(signal)?.();
  }
  deliver(message: MasterMessage): void {
    this.messageFn(message);
  }
  masterGone(): void {
    this.goneFn();
  }
  /** Types of the messages sent so far. */
  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

/** Logger that keeps `LEVEL message` lines. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  debug(msg: string): void {
    this.lines.push(`DEBUG ${msg}`);
  }
  info(msg: string): void {
    this.lines.push(`INFO ${msg}`);
  }
  warning(msg: string): void {
    this.lines.push(`WARNING ${msg}`);
  }
  error(msg: string): void {
    this.lines.push(`ERROR ${msg}`);
  }
  critical(msg: string): void {
    this.lines.push(`CRITICAL ${msg}`);
  }
  has(fragment: string): boolean {
    return this.lines.some((line) => line.includes(fragment));
  }
}

/** Let pending promise continuations run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
