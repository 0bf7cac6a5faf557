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
  /** `socket.unsentBytes` when the send deadline was last armed: less at expiry means the client is reading. */
  unsentMark = 0;
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
      this.send = this.settings.wheel.now() + this.settings.sendTimeoutMs;
      this.unsentMark = unsent;
    }
  }

  /**
   * The send deadline expired at `now`: if the client read something since it
   * was armed (`unsent` shrank), grants another send_timeout and returns false;
   * returns true when the client stopped reading.
   */
  sendExpired(now: number, unsent: number): boolean {
    if (unsent < this.unsentMark) {
      this.unsentMark = unsent;
      this.send = now + this.settings.sendTimeoutMs;
      return false;
    }
    return true;
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
