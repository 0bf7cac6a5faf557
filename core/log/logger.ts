/**
 * gunicorn-style error log: `[2026-11-26 20:00:00 +0000] [pid] [INFO] message`.
 * Writes through an injected line writer (stderr, a file, a test array), so
 * it stays free of runtime APIs.
 */

/** gunicorn's log levels, least severe first (the `loglevel` setting's choices). */
export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

/** Error-log sink (levels as gunicorn's `loglevel`). */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string, error?: unknown): void;
  critical(msg: string, error?: unknown): void;
}

/** One of gunicorn's log levels. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Receives whole lines, each ending in `\n`. */
  write(text: string): void;
  /** Least severe level written. */
  level: LogLevel;
  /** Process id shown in every line. */
  pid: number;
  /** Wall clock in ms since the epoch (`Timers.wallNow`). */
  wallNow(): number;
  /** Colour the level tags (only for a terminal; never for files). */
  color?: boolean;
}

/** ANSI colours of the level tags when {@link LoggerOptions.color} is on. */
const TAG_COLORS: Record<LogLevel, string> = {
  debug: "\x1b[2m",
  info: "\x1b[32m",
  warning: "\x1b[33m",
  error: "\x1b[31m",
  critical: "\x1b[1;31m",
};

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `2026-11-26 20:00:00 +0000` in local time with its UTC offset, like gunicorn's `%Y-%m-%d %H:%M:%S %z`. */
export function formatLogTime(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  );
}

/** Text of an error for the log: its stack when it has one, else its string form. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * First line of an error's message, for one-line user-facing reports. For an
 * AggregateError (Bun reports syntax errors so) the first inner error is
 * used, with its `file:line:column` when known.
 */
export function errorMessage(error: unknown): string {
  const inner = (error as { errors?: unknown } | null)?.errors;
  if (Array.isArray(inner) && inner.length > 0 && inner[0] !== null && typeof inner[0] === "object") {
    const first = inner[0] as { message?: unknown; position?: { file?: unknown; line?: unknown; column?: unknown } | null };
    const where = first.position ? ` (${first.position.file}:${first.position.line}:${first.position.column})` : "";
    if (typeof first.message === "string") return `${first.message.split("\n")[0].trim()}${where}`;
  }
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].trim() || (error instanceof Error ? error.name : "unknown error");
}

/** A {@link Logger} writing gunicorn-format lines at or above `level`. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const line = (level: LogLevel, label: string, msg: string, error?: unknown) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const tag = options.color ? `${TAG_COLORS[level]}[${label}]\x1b[0m` : `[${label}]`;
    let text = `[${formatLogTime(options.wallNow())}] [${options.pid}] ${tag} ${msg}\n`;
    if (error !== undefined) text += `${describeError(error)}\n`;
    options.write(text);
  };
  return {
    debug: (msg) => line("debug", "DEBUG", msg),
    info: (msg) => line("info", "INFO", msg),
    warning: (msg) => line("warning", "WARNING", msg),
    error: (msg, error) => line("error", "ERROR", msg, error),
    critical: (msg, error) => line("critical", "CRITICAL", msg, error),
  };
}
