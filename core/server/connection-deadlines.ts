/**
 * The three deadlines of one HTTP connection, as monotonic ms (0 = none):
 * the state deadline (waiting for a request head, or idle between requests),
 * the body deadline (`body_timeout`: the client owes request-body bytes) and
 * the send deadline (`send_timeout`: the client must read what we wrote).
 * The connection registers only the earliest with the timeout wheel and
 * decides, when it fires, which one expired.
 */
import type { TimeoutWheel } from "./timeout-wheel.ts";

/** No state deadline. */
export const NO_DEADLINE = 0;
/** The state deadline bounds the arrival of a request head (`timeout`/head timeout). */
export const DEADLINE_HEAD = 1;
/** The state deadline bounds an idle keep-alive connection (`keepalive`). */
export const DEADLINE_IDLE = 2;

/**
 * The send deadline is checked this many times per `send_timeout` (fewer when
 * a check would come sooner than a wheel tick): the connection closes once
 * that many checks in a row saw no progress, so between `send_timeout` and
 * `send_timeout` plus one check after the client last read. One check per
 * period would allow up to twice `send_timeout` when the last progress came
 * just after the deadline was armed (as with Deno's asynchronous writes,
 * which the kernel still takes for a moment after the queue first backs up).
 */
const SEND_CHECKS = 4;

/** The settings the deadlines are computed from. */
export interface DeadlineSettings {
  readonly wheel: TimeoutWheel;
  /** 0 disables the body deadline. */
  readonly bodyTimeoutMs: number;
  /** 0 disables the send deadline. */
  readonly sendTimeoutMs: number;
}

/** One connection's deadlines; see the module comment. */
export class ConnectionDeadlines {
  /** What {@link state} bounds: NO_DEADLINE, DEADLINE_HEAD or DEADLINE_IDLE. */
  kind = NO_DEADLINE;
  /** Head or idle deadline (`kind`); 0 = none. */
  state = 0;
  /** The request body must make progress by then; 0 = not expected or not the client's turn. */
  body = 0;
  /** The client must have read something more, or a closing connection be gone, by then; 0 = none. */
  send = 0;
  /** `socket.unsentBytes` at the last send check: less at the next one means the client is reading. */
  unsentMark = 0;
  /** Send checks in a row that saw no progress. */
  private sendQuiet = 0;
  private readonly settings: DeadlineSettings;

  constructor(settings: DeadlineSettings) {
    this.settings = settings;
  }

  /** Sets the state deadline `ms` from now (0 ms: none). */
  setState(kind: number, ms: number): void {
    this.kind = kind;
    this.state = ms > 0 ? this.settings.wheel.now() + ms : 0;
  }

  /** A running idle deadline is brought forward to `ms` from now if that is sooner; returns whether it moved. */
  shortenIdle(ms: number): boolean {
    if (this.kind !== DEADLINE_IDLE || this.state === 0) return false;
    const by = this.settings.wheel.now() + ms;
    if (by >= this.state) return false;
    this.state = by;
    return true;
  }

  /** Drops the state deadline. */
  clearState(): void {
    this.kind = NO_DEADLINE;
    this.state = 0;
  }

  /** Starts (or restarts) the wait for the client's next body bytes. */
  armBody(): void {
    const ms = this.settings.bodyTimeoutMs;
    this.body = ms > 0 ? this.settings.wheel.now() + ms : 0;
  }

  /** Body bytes arrived: a running body deadline starts over. */
  bodyProgress(): void {
    if (this.body !== 0) this.body = this.settings.wheel.now() + this.settings.bodyTimeoutMs;
  }

  /** Starts the send deadline unless one runs already; `unsent` is the socket's queued byte count. */
  armSend(unsent: number): void {
    if (this.send === 0 && this.settings.sendTimeoutMs > 0) {
      this.unsentMark = unsent;
      this.sendQuiet = 0;
      this.send = this.settings.wheel.now() + this.sendCheckMs();
    }
  }

  /**
   * A send check is due at `now`: returns true when `send_timeout` has passed
   * without the client reading (`unsent` did not shrink over {@link SEND_CHECKS}
   * checks in a row); otherwise schedules the next check and returns false.
   */
  sendExpired(now: number, unsent: number): boolean {
    const every = this.sendCheckMs();
    if (unsent < this.unsentMark) {
      this.unsentMark = unsent;
      this.sendQuiet = 0;
    } else if (now - this.send >= every) {
      // More than a check late: the event loop was stalled, so the socket could
      // not have seen the client read. Not counted; the checks start over.
    } else if (++this.sendQuiet >= this.sendChecks()) {
      return true;
    }
    // Keep the cadence (a check runs on the first wheel tick after it is due).
    const next = this.send + every;
    this.send = next > now ? next : now + every;
    return false;
  }

  private sendChecks(): number {
    return Math.max(1, Math.min(SEND_CHECKS, Math.floor(this.settings.sendTimeoutMs / this.settings.wheel.tickMs)));
  }

  private sendCheckMs(): number {
    return this.settings.sendTimeoutMs / this.sendChecks();
  }

  /** Drops every deadline. */
  clear(): void {
    this.kind = NO_DEADLINE;
    this.state = this.body = this.send = 0;
  }

  /** The earliest deadline, or 0 when none runs. */
  earliest(): number {
    let next = this.state;
    const body = this.body;
    if (body !== 0 && (next === 0 || body < next)) next = body;
    const send = this.send;
    if (send !== 0 && (next === 0 || send < next)) next = send;
    return next;
  }
}
