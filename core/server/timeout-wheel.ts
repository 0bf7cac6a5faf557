/**
 * One coarse ticker per server for every connection timeout (header read,
 * keep-alive idle). Connections only store a deadline number; nothing is
 * scheduled per connection or per request, so setting or clearing a timeout
 * costs one field write. The price is precision: a timeout fires within one
 * tick of its deadline.
 */
import type { TimerHandle, Timers } from "../runtime/timers.ts";

/** Something with a deadline the wheel watches. */
export interface Timed {
  /** Monotonic ms ({@link Timers.now}) at which to time out; 0 = no deadline. */
  deadline: number;
  /** Called once per tick while `deadline` is set and has passed. */
  onTimeout(now: number): void;
}

/** Default tick interval in milliseconds. */
export const DEFAULT_TICK_MS = 500;

/** A set of {@link Timed} items checked on a shared interval that runs only while items exist. */
export class TimeoutWheel {
  private readonly timers: Timers;
  /** Check interval (ms): the precision of every timeout. */
  readonly tickMs: number;
  private readonly items = new Set<Timed>();
  private handle: TimerHandle | null = null;
  private cachedNow = 0;
  private readonly onTick = (): void => this.tick();

  /**
   * @param timers runtime clock and interval
   * @param tickMs check interval (ms); also the precision of every timeout
   */
  constructor(timers: Timers, tickMs = DEFAULT_TICK_MS) {
    this.timers = timers;
    this.tickMs = tickMs;
  }

  /**
   * Coarse current time: refreshed on every tick while the wheel runs, read
   * from the clock otherwise. Good enough for deadlines, which are coarse anyway.
   */
  now(): number {
    return this.handle === null ? this.timers.now() : this.cachedNow;
  }

  /** Number of watched items. */
  get size(): number {
    return this.items.size;
  }

  /** Starts watching `item` (and the interval, if it was stopped). */
  add(item: Timed): void {
    this.items.add(item);
    if (this.handle === null) {
      this.cachedNow = this.timers.now();
      this.handle = this.timers.setInterval(this.onTick, this.tickMs);
    }
  }

  /** Stops watching `item`. The interval stops at the next tick once nothing is watched. */
  delete(item: Timed): void {
    this.items.delete(item);
  }

  /** Stops the interval now (server shutdown). Items stay registered. */
  stop(): void {
    if (this.handle !== null) {
      this.timers.clearInterval(this.handle);
      this.handle = null;
    }
  }

  private tick(): void {
    if (this.items.size === 0) {
      this.stop();
      return;
    }
    const now = this.timers.now();
    this.cachedNow = now;
    for (const item of this.items) {
      const deadline = item.deadline;
      if (deadline !== 0 && deadline <= now) item.onTimeout(now);
    }
  }
}
