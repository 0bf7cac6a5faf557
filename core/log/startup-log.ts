/**
 * The master's log while it starts. Until the first set of workers is ready,
 * log records are held back: if start-up fails (a worker cannot load the app),
 * the user sees exactly one `tricorn: …` line naming the problem instead of a
 * page of INFO lines ending in the error; once the workers are ready (or after
 * a bound, for apps that boot slowly) the held records are written in order.
 */
import type { Logger } from "./logger.ts";

type Level = keyof Logger;

/** A {@link Logger} that can hold its records until start-up succeeds or fails. */
export interface StartupLogger extends Logger {
  /** Write the held records and stop holding. Idempotent. */
  release(): void;
  /** Drop the held records (start-up failed and was reported in one line). */
  discard(): void;
}

/** Wrap `target` so that records are held until {@link StartupLogger.release}. */
export function holdStartupLog(target: Logger): StartupLogger {
  let held: [Level, string, unknown][] | null = [];
  const record =
    (level: Level) =>
    (msg: string, error?: unknown): void => {
      if (held !== null) held.push([level, msg, error]);
      else target[level](msg, error);
    };
  return {
    debug: record("debug"),
    info: record("info"),
    warning: record("warning"),
    error: record("error"),
    critical: record("critical"),
    release() {
      const records = held;
      held = null;
      for (const [level, msg, error] of records ?? []) target[level](msg, error);
    },
    discard() {
      held = null;
    },
  };
}
