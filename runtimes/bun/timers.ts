/**
 * Bun `Timers`: Bun's global timers have Node's `unref()`, so this is
 * Node's file (runtimes/node/timers.ts), as watch.ts is.
 */
export { timers } from "../node/timers.ts";
