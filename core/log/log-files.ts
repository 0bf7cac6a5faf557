/**
 * A process's logs: the error log (gunicorn format, coloured level tags only
 * on a terminal) and, in workers, the access log. Both write through a
 * {@link BufferedLogWriter}; error and critical lines are flushed at once
 * (they often come right before an exit), other error-log lines at the end
 * of the tick, access lines every few ms; everything is flushed when the
 * process exits, and {@link Logs.reopen} reopens the files (USR1, HUP).
 */
import { createAccessLogger } from "./access-log.ts";
import type { AccessLogger } from "./access-log.ts";
import { describeFileFailure } from "../net/bind.ts";
import { createLogger, errorMessage, type LogLevel } from "./logger.ts";
import { BufferedLogWriter } from "./log-writer.ts";
import type { LogSink } from "./log-writer.ts";
import type { Platform } from "../runtime/platform.ts";
import type { Timers } from "../runtime/timers.ts";
import type { Logger } from "./logger.ts";

/** A log file could not be opened; the message names it and the reason. */
export class LogOpenError extends Error {
  override name = "LogOpenError";
}

/** The open logs of one process. */
export interface Logs {
  readonly logger: Logger;
  /** The access log, or null when it is off (or not wanted in this process). */
  readonly accessLog: AccessLogger | null;
  /** Flush, then reopen both files (after logrotate moved them). Failures are logged, not thrown. */
  reopen(): void;
  /** Write everything buffered now. */
  flush(): void;
  /** Flush and close. */
  close(): void;
}

type LogRuntime = Pick<Platform, "openAppend" | "writeStderr" | "writeStdout" | "isTerminal" | "onExit" | "env" | "pid"> & { readonly timers: Timers };

/** The settings the logs are opened from (a slice of core/config/settings.ts, declared here so log/ stays below config/). */
export interface LogSettings {
  errorlog: string;
  loglevel: LogLevel;
  accesslog: string | null;
  access_log_format: string;
  access_log_json: boolean;
}

function opener(rt: LogRuntime, path: string, dash: "stdout" | "stderr", what: string): () => LogSink {
  if (path === "-") {
    const sink: LogSink = { write: dash === "stdout" ? (text) => rt.writeStdout(text) : (text) => rt.writeStderr(text) };
    return () => sink;
  }
  return () => {
    try {
      return rt.openAppend(path);
    } catch (error) {
      throw new LogOpenError(`cannot open ${what} ${JSON.stringify(path)}: ${describeFileFailure(path, error)}`);
    }
  };
}

/**
 * Open the error log and, when `access` is true and `accesslog` is set, the
 * access log. Throws {@link LogOpenError} when a file cannot be opened.
 */
export function openLogs(rt: LogRuntime, settings: LogSettings, options: { access: boolean }): Logs {
  // Error lines are few: written at the end of the current tick, which keeps them in order
  // with the other processes' lines; access lines are batched for LOG_FLUSH_MS.
  const errorWriter = new BufferedLogWriter({ open: opener(rt, settings.errorlog, "stderr", "error log"), timers: rt.timers, flushMs: 0 });
  let accessWriter: BufferedLogWriter | null = null;
  try {
    if (options.access && settings.accesslog !== null) {
      accessWriter = new BufferedLogWriter({ open: opener(rt, settings.accesslog, "stdout", "access log"), timers: rt.timers });
    }
  } catch (error) {
    errorWriter.close();
    throw error;
  }
  const color = settings.errorlog === "-" && !rt.env.NO_COLOR && rt.isTerminal("stderr");
  const base = createLogger({
    write: (text) => errorWriter.write(text),
    level: settings.loglevel,
    pid: rt.pid,
    wallNow: () => rt.timers.wallNow(),
    color,
  });
  const logger: Logger = {
    debug: base.debug,
    info: base.info,
    warning: base.warning,
    error(msg, error) {
      base.error(msg, error);
      errorWriter.flush();
    },
    critical(msg, error) {
      base.critical(msg, error);
      errorWriter.flush();
    },
  };
  const accessLog = accessWriter === null
    ? null
    : createAccessLogger({
        format: settings.access_log_format,
        json: settings.access_log_json,
        write: (text) => accessWriter!.write(text),
        timers: rt.timers,
        pid: rt.pid,
      });
  const flush = () => {
    errorWriter.flush();
    accessWriter?.flush();
  };
  rt.onExit(flush);
  return {
    logger,
    accessLog,
    flush,
    reopen() {
      for (const writer of [errorWriter, accessWriter]) {
        if (writer === null) continue;
        try {
          writer.reopen();
        } catch (error) {
          logger.error(`Reopening logs failed: ${errorMessage(error)}`);
        }
      }
    },
    close() {
      accessWriter?.close();
      errorWriter.close();
    },
  };
}
