/**
 * A master started through npm (`npx -- tricorn …`, `npm exec`, an
 * `npm start` script) runs as npm → sh → tricorn. A signal to npm reaches
 * the shell, which dies without passing it on, and tricorn (with its
 * workers) would keep running as an orphan. So when npm launched it, the
 * master watches its parent process and stops gracefully once it is gone.
 *
 * Masters started any other way (a service manager, a container's PID 1,
 * `nohup … &`) are left alone: a parent exiting is normal there.
 */
import type { TimerHandle, Timers } from "../runtime/timers.ts";

/** How often the parent pid is compared (one cheap system call). */
export const LAUNCHER_CHECK_MS = 500;

/** True when npm started this process (npm sets `npm_command` for `npm exec`/npx and scripts). */
export function launchedByNpm(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.npm_command !== undefined || env.npm_lifecycle_event !== undefined;
}

/**
 * Call `onGone` once when `parentPid()` stops returning the value it had at
 * the start (the parent exited and the process was re-parented). Returns a
 * function that stops watching.
 */
export function watchLauncher(timers: Timers, parentPid: () => number, onGone: () => void): () => void {
  const launcher = parentPid();
  let handle: TimerHandle | null = timers.setInterval(() => {
    if (parentPid() === launcher) return;
    stop();
    onGone();
  }, LAUNCHER_CHECK_MS);
  const stop = () => {
    if (handle !== null) timers.clearInterval(handle);
    handle = null;
  };
  return stop;
}
