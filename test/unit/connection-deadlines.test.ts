/**
 * The send deadline (`send_timeout`) of core/server/connection-deadlines.ts,
 * driven through a real TimeoutWheel on fake timers: a client that stops
 * reading is cut `send_timeout` after it last read (within one check), also
 * when the kernel still took bytes just after the deadline was armed.
 */
import { describe, expect, it } from "vitest";
import { ConnectionDeadlines } from "../../core/server/connection-deadlines.ts";
import { TimeoutWheel } from "../../core/server/timeout-wheel.ts";
import { FakeTimers } from "./fake-socket.ts";

/** A connection stand-in: the wheel calls it; `unsent` is what the socket has not handed to the kernel. */
class Watched {
  deadline = 0;
  closedAt = -1;
  unsent = 0;
  readonly deadlines: ConnectionDeadlines;

  constructor(
    private readonly wheel: TimeoutWheel,
    private readonly timers: FakeTimers,
    sendTimeoutMs: number,
  ) {
    this.deadlines = new ConnectionDeadlines({ wheel, bodyTimeoutMs: 0, sendTimeoutMs });
  }

  /** Writes backed up: arm the send deadline, as the connection does. */
  backedUp(unsent: number): void {
    this.unsent = unsent;
    this.deadlines.armSend(unsent);
    this.deadline = this.deadlines.earliest();
    this.wheel.add(this);
  }

  onTimeout(now: number): void {
    if (this.deadlines.sendExpired(now, this.unsent)) {
      this.closedAt = this.timers.now();
      this.deadline = 0;
      this.wheel.delete(this);
      return;
    }
    this.deadline = this.deadlines.earliest();
  }
}

function setup(sendTimeoutMs: number, tickMs = 500) {
  const timers = new FakeTimers();
  const wheel = new TimeoutWheel(timers, tickMs);
  const conn = new Watched(wheel, timers, sendTimeoutMs);
  return { timers, conn, start: timers.now() };
}

describe("send deadline", () => {
  it("a client that never reads is cut at send_timeout", () => {
    const { timers, conn, start } = setup(5000);
    conn.backedUp(100_000);
    timers.advance(4999);
    expect(conn.closedAt).toBe(-1);
    timers.advance(1);
    expect(conn.closedAt - start).toBe(5000);
  });

  it("bytes the kernel took just after arming do not double the wait", () => {
    const { timers, conn, start } = setup(5000);
    conn.backedUp(100_000);
    timers.advance(100);
    conn.unsent = 40_000; // the last progress, 0.1 s after arming
    timers.advance(20_000);
    const after = conn.closedAt - (start + 100);
    // Within one check (1.25 s) and one wheel tick of send_timeout. One check per
    // period granted a whole new send_timeout at 5 s instead: closed at 10 s.
    expect(after).toBeGreaterThanOrEqual(5000);
    expect(after).toBeLessThanOrEqual(5000 + 1250 + 500);
  });

  it("a slow but steady reader is never cut", () => {
    const { timers, conn } = setup(2000);
    conn.backedUp(1_000_000);
    for (let i = 0; i < 100; i++) {
      timers.advance(900);
      conn.unsent -= 1000;
    }
    expect(conn.closedAt).toBe(-1);
  });

  it("a stalled event loop starts the checks over instead of running them back to back", () => {
    const { timers, conn, start } = setup(5000);
    conn.backedUp(100);
    timers.time += 20_000; // the loop was blocked: no tick ran
    timers.advance(500); // one tick: a check, 1 quiet, the next one a full check later
    expect(conn.closedAt).toBe(-1);
    timers.advance(3000);
    expect(conn.closedAt).toBe(-1);
    timers.advance(2000);
    expect(conn.closedAt - start).toBeGreaterThan(20_000 + 4000);
  });

  it("short timeouts check once per wheel tick at most", () => {
    for (const [timeoutMs, closedAt] of [
      [1000, 1000],
      [700, 1000], // one check, 700 ms after arming, fires on the tick after it
      [300, 500],
    ] as const) {
      const { timers, conn, start } = setup(timeoutMs);
      conn.backedUp(10);
      timers.advance(3000);
      expect(conn.closedAt - start, `send_timeout ${timeoutMs} ms`).toBe(closedAt);
    }
  });
});
