/**
 * A connection handed over to an `'upgrade'` listener: the protocol side
 * (core's {@link UpgradedProtocol}: socket events and deadlines in) and the
 * wire the listener's socket stream drives ({@link RawWire}: bytes out).
 * Core does not know the protocol spoken on it, so the connection stays
 * bounded here without understanding it:
 * - idle: no byte received, no write accepted and no drain for `idleMs`
 *   (`websocket_ping_interval` + `websocket_ping_timeout`) → destroyed;
 * - graceful stop (TERM, HUP, max_requests): the connection is ended (FIN
 *   after what was written) and destroyed if still open `closeMs` later;
 *   so is one whose stream the app destroyed right after writing to it;
 * - it stays registered with the server, so it counts toward
 *   `worker_connections` and keeps the worker's drain waiting until it closes.
 */
import type { UpgradeHost, UpgradedProtocol } from "../../core/server/upgrade.ts";
import type { WebSocketConfig } from "../ws/config.ts";
import type { RawWire, UpgradeSocket } from "./upgrade-socket.ts";

/** Bounds of a taken-over connection, in ms (0 = no bound). */
export interface TakeoverLimits {
  /** Longest time without traffic before the connection is dropped. */
  idleMs: number;
  /** After a graceful stop began: how long an ended connection may take to close. */
  closeMs: number;
}

/**
 * The bounds from the WebSocket settings (most upgrades are WebSockets):
 * idle = `websocket_ping_interval` + `websocket_ping_timeout` (none when
 * pings are off), close = `websocket_ping_timeout`.
 */
export function takeoverLimitsFrom(config: WebSocketConfig): TakeoverLimits {
  return {
    idleMs: config.pingInterval > 0 ? config.pingInterval + config.pingTimeout : 0,
    closeMs: config.pingTimeout,
  };
}

/** `HTTP/1.x NNN` at the start of the first bytes the app wrote: its status (access log), else 0. */
function sniffStatus(chunk: Uint8Array): number {
  if (chunk.length < 12 || chunk[0] !== 0x48 || chunk[4] !== 0x2f || chunk[8] !== 0x20) return 0;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const digit = chunk[i] - 0x30;
    if (digit < 0 || digit > 9) return 0;
    status = status * 10 + digit;
  }
  return status;
}

/** See the module comment. Created inside the response's take-over call. */
export class RawTakeover implements UpgradedProtocol, RawWire {
  bytesRead = 0;
  bytesWritten = 0;
  /** Status line of the app's own response on the socket (101, 401, …); 101 until it wrote one. */
  status = 101;
  private stream: UpgradeSocket | null = null;
  private readonly host: UpgradeHost;
  private readonly limits: TakeoverLimits;
  private lastActive: number;
  private appTimeoutMs = 0;
  /** `lastActive` when the app's `'timeout'` last fired (it fires once per quiet spell). */
  private appTimedOutAt = -1;
  private paused = false;
  private pendingDone: ((error?: Error | null) => void) | null = null;
  /** Graceful stop: destroy at this monotonic time (0 = not stopping). */
  private closeBy = 0;
  private ending = false;
  private gone = false;
  private wroteHead = false;

  constructor(host: UpgradeHost, limits: TakeoverLimits) {
    this.host = host;
    this.limits = limits;
    this.lastActive = host.now();
    this.arm();
  }

  /** Connects the listener's socket stream (right after the connection was handed over). */
  attach(stream: UpgradeSocket): void {
    this.stream = stream;
  }

  get bytesOut(): number {
    return this.bytesWritten;
  }

  /* ---------------- UpgradedProtocol: the connection's events ---------------- */

  data(chunk: Uint8Array): void {
    const stream = this.stream;
    if (stream === null || stream.destroyed) return;
    this.bytesRead += chunk.length;
    this.lastActive = this.host.now();
    if (!stream.push(chunk) && !this.paused) {
      this.paused = true;
      this.host.socket.pause();
    }
  }

  drain(): void {
    this.lastActive = this.host.now();
    const done = this.pendingDone;
    if (done !== null) {
      this.pendingDone = null;
      done();
    }
  }

  end(): void {
    const stream = this.stream;
    if (stream !== null && !stream.destroyed) stream.push(null);
  }

  closed(): void {
    this.gone = true;
    this.host.setDeadline(0);
    const stream = this.stream;
    if (stream !== null && !stream.destroyed) stream.destroy();
    // A write waiting for drain completes (as destroyed) rather than never.
    this.drain();
  }

  onTimeout(now: number): void {
    if (this.gone) return;
    if (this.closeBy !== 0 && now >= this.closeBy) {
      this.host.socket.destroy();
      return;
    }
    const idleMs = this.limits.idleMs;
    if (idleMs > 0 && now - this.lastActive >= idleMs) {
      this.host.socket.destroy();
      return;
    }
    const appMs = this.appTimeoutMs;
    if (appMs > 0 && now - this.lastActive >= appMs && this.appTimedOutAt !== this.lastActive) {
      this.appTimedOutAt = this.lastActive;
      try {
        this.stream?.emit("timeout");
      } catch (error) {
        this.host.appError("Error in an upgraded socket's 'timeout' listener", error);
      }
    }
    this.arm();
  }

  goingAway(): void {
    if (this.gone || this.closeBy !== 0) return;
    const closeMs = this.limits.closeMs;
    this.closeBy = this.host.now() + (closeMs > 0 ? closeMs : 1);
    this.finish();
    this.arm();
  }

  /* ---------------- RawWire: the listener's stream ---------------- */

  send(chunk: Uint8Array, done: (error?: Error | null) => void): void {
    if (this.gone || this.ending) {
      done(); // dropped, as bytes written to a closing net.Socket are; 'close' follows
      return;
    }
    if (!this.wroteHead) {
      this.wroteHead = true;
      const status = sniffStatus(chunk);
      if (status !== 0) this.status = status;
    }
    this.bytesWritten += chunk.length;
    if (this.host.socket.write(chunk)) {
      this.lastActive = this.host.now();
      done();
    } else {
      this.pendingDone = done;
    }
  }

  finish(): void {
    if (this.gone || this.ending) return;
    this.ending = true;
    this.host.socket.end();
  }

  wantMore(): void {
    if (this.paused && !this.gone) {
      this.paused = false;
      this.host.socket.resume();
    }
  }

  discard(): void {
    if (this.gone) return;
    if (this.bytesWritten > 0 && this.pendingDone === null && !this.ending) {
      // `socket.write(refusal); socket.destroy()` delivers the refusal on node:http (small writes reach
      // the kernel at once); here they may still be queued, so flush them, close, and bound the wait.
      this.finish();
      const closeMs = this.limits.closeMs;
      const by = this.host.now() + (closeMs > 0 ? closeMs : 1);
      if (this.closeBy === 0 || by < this.closeBy) this.closeBy = by;
      this.arm();
      return;
    }
    this.host.socket.destroy();
  }

  setAppTimeout(ms: number): void {
    this.appTimeoutMs = ms;
    this.appTimedOutAt = -1;
    this.arm();
  }

  /** Asks for {@link onTimeout} at the earliest of the idle bound, the app's timeout and the close deadline. */
  private arm(): void {
    if (this.gone) return;
    let at = this.closeBy;
    const idleMs = this.limits.idleMs;
    if (idleMs > 0) {
      const idleAt = this.lastActive + idleMs;
      if (at === 0 || idleAt < at) at = idleAt;
    }
    const appMs = this.appTimeoutMs;
    if (appMs > 0) {
      // After it fired, look again one period later: traffic in between starts a new quiet spell.
      const appAt = (this.appTimedOutAt === this.lastActive ? this.host.now() : this.lastActive) + appMs;
      if (at === 0 || appAt < at) at = appAt;
    }
    this.host.setDeadline(at);
  }
}
