/** Node {@link Timers}: global timers, unref'd so they never keep the process alive. */
import type { Timers } from "../../core/runtime/timers.ts";

type Handle = ReturnType<typeof setTimeout>;

/** Timers for core on Node. */
export const timers: Timers = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as Handle),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as Handle),
};
