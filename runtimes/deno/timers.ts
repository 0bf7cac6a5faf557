/** Deno {@link Timers}: global timers, unref'd (`Deno.unrefTimer`) so they never keep the process alive. */
import type { Timers } from "../../core/runtime/timers.ts";

type Handle = ReturnType<typeof setTimeout>;

/** Timers for core on Deno. */
export const timers: Timers = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    Deno.unrefTimer(handle);
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as Handle),
  setInterval(fn, ms) {
    const handle = setInterval(fn, ms);
    Deno.unrefTimer(handle);
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as Handle),
};
