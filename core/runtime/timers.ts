/**
 * Clock and timers a runtime hands to core, so core never reaches for a
 * runtime module (implemented by runtimes/<rt>/timers.ts).
 */

/** Opaque handle returned by {@link Timers.setInterval}/{@link Timers.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Clock and timers handed to core by the runtime, so core never reaches for a
 * runtime module. Timers created through this interface must not keep the
 * process alive on their own (runtimes `unref` them where they can).
 */
export interface Timers {
  /** Milliseconds since an arbitrary epoch, monotonic enough for timeouts. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (for the `Date` header and logs). */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}
