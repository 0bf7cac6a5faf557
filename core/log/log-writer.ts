/**
 * Buffered line writer for the error and access logs. Lines are collected in
 * memory and written in one go when a short timer fires, when the buffer
 * passes {@link LOG_BUFFER_BYTES}, or when {@link BufferedLogWriter.flush} is
 * called (at exit, before a reopen). A request therefore never costs a
 * synchronous write of its own.
 *
 * Where the bytes go is a {@link LogSink} opened by the caller (stderr, stdout
 * or a file via the runtime's platform), so this file stays runtime-free.
 */
import type { TimerHandle, Timers } from "../runtime/timers.ts";

/** Default flush delay: lines reach the file at most this late. */
export const LOG_FLUSH_MS = 50;

/** Buffered characters above which a write flushes at once (~64 KiB). */
export const LOG_BUFFER_BYTES = 64 * 1024;

/** An open log destination. */
export interface LogSink {
  /** Write `text` completely (synchronously). */
  write(text: string): void;
  /** Release the destination (close the file); absent for stdio. */
  close?(): void;
}

/** Options of {@link BufferedLogWriter}. */
export interface BufferedLogWriterOptions {
  /** Opens the destination; called at construction and again on every {@link BufferedLogWriter.reopen}. */
  open(): LogSink;
  timers: Timers;
  /** Flush delay in ms (default {@link LOG_FLUSH_MS}). */
  flushMs?: number;
  /** Flush threshold in characters (default {@link LOG_BUFFER_BYTES}). */
  maxBuffered?: number;
  /** Called when writing to the destination fails (the text is dropped, the writer keeps going). */
  onError?(error: unknown): void;
}

/** See the module comment. */
export class BufferedLogWriter {
  private sink: LogSink;
  private pending = "";
  private timer: TimerHandle | null = null;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxBuffered: number;
  private readonly flushNow = () => {
    this.timer = null;
    this.flush();
  };

  /** Opens the destination right away, so a bad path fails at start-up. */
  constructor(private readonly options: BufferedLogWriterOptions) {
    this.sink = options.open();
    this.flushMs = options.flushMs ?? LOG_FLUSH_MS;
    this.maxBuffered = options.maxBuffered ?? LOG_BUFFER_BYTES;
  }

  /** Characters waiting to be written. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Queue `text` (whole lines, each ending in `\n`). */
  write(text: string): void {
    if (this.closed) return;
    this.pending += text;
    if (this.pending.length >= this.maxBuffered) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = this.options.timers.setTimeout(this.flushNow, this.flushMs);
    }
  }

  /** Write everything queued now (synchronously). */
  flush(): void {
    if (this.timer !== null) {
      this.options.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    try {
      this.sink.write(text);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /**
   * Flush, close the destination and open it again (USR1 after logrotate
   * moved the file). If opening fails the error is thrown and the old
   * destination stays in use.
   */
  reopen(): void {
    this.flush();
    const next = this.options.open();
    const old = this.sink;
    this.sink = next;
    try {
      old.close?.();
    } catch {
      // the old file is gone either way
    }
  }

  /** Flush and close for good; later writes are dropped. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      this.sink.close?.();
    } catch {
      // nothing left to do at exit
    }
  }
}
