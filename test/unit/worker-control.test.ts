/**
 * The worker side of the arbiter protocol (core/arbiter/worker-control.ts) against a
 * fake WorkerHost and a manual clock, and the IPC framing (core/arbiter/ipc.ts).
 */
import { describe, expect, it } from "vitest";
import { FrameDecoder, encodeFrame, isWorkerMessage } from "../../core/arbiter/ipc.ts";
import { runWorker } from "../../core/arbiter/worker-control.ts";
import type { ServingWorker, WorkerSettings } from "../../core/arbiter/worker-control.ts";
import { FakeHost, FakeTimers, MemoryLogger, flush } from "./arbiter-fakes.ts";

const WORKER_SETTINGS: WorkerSettings = { timeout: 30, gracefulTimeout: 30, maxRequests: 0, maxRequestsJitter: 0 };

function fakeServing() {
  let finish: () => void = () => {};
  let shutdowns = 0;
  const serving: ServingWorker = {
    shutdown: () => {
      shutdowns++;
      return new Promise<void>((resolve) => (finish = resolve));
    },
  };
  return { serving, drained: () => finish(), shutdowns: () => shutdowns };
}

describe("runWorker", () => {
  it("heartbeats every min(timeout/2, 1 s), reports booted, stops gracefully on TERM", async () => {
    const host = new FakeHost();
    const timers = new FakeTimers();
    const log = new MemoryLogger();
    const s = fakeServing();
    let code: number | undefined;
    void runWorker({ host, timers, logger: log, settings: { ...WORKER_SETTINGS, timeout: 1 }, boot: async () => s.serving }).then(
      (c) => (code = c),
    );
    await flush();
    expect(host.types()).toEqual(["heartbeat", "booted"]);
    timers.advance(500);
    expect(host.types()).toEqual(["heartbeat", "booted", "heartbeat"]);
    host.raise("SIGTERM");
    expect(s.shutdowns()).toBe(1);
    timers.advance(1000); // heartbeats continue while draining
    expect(host.types().filter((t) => t === "heartbeat")).toHaveLength(4);
    s.drained();
    await flush();
    expect(code).toBe(0);
    expect(log.has(`Worker exiting (pid: ${host.pid})`)).toBe(true);
    expect(host.closed).toBe(true);
    expect(timers.size).toBe(0);
  });

  it("an unhandled rejection is logged and the worker goes on; an uncaught exception asks for a replacement once", async () => {
    const host = new FakeHost();
    const timers = new FakeTimers();
    const log = new MemoryLogger();
    const s = fakeServing();
    void runWorker({ host, timers, logger: log, settings: WORKER_SETTINGS, boot: async () => s.serving });
    await flush();
    host.fault(new Error("nobody awaited me"), "rejection");
    expect(log.lines.some((l) => l.startsWith("ERROR Unhandled promise rejection in app code"))).toBe(true);
    expect(host.types()).not.toContain("retire");
    host.fault(new Error("thrown in a timer"), "exception");
    host.fault(new Error("thrown again"), "exception");
    expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", requests: 0, reason: "an uncaught exception" }]);
    expect(log.lines.filter((l) => l.startsWith("CRITICAL Uncaught exception in app code"))).toHaveLength(2);
    expect(s.shutdowns()).toBe(0); // the master stops it once the replacement listens
  });

  it("max_worker_memory: over the limit, asks once for a replacement, naming the figure", async () => {
    const host = new FakeHost();
    const timers = new FakeTimers();
    const log = new MemoryLogger();
    let rss = 50 * 1024 * 1024;
    const settings = { ...WORKER_SETTINGS, maxWorkerMemory: 100 };
    void runWorker({ host, timers, logger: log, settings, residentMemory: () => rss, boot: async () => fakeServing().serving });
    await flush();
    timers.advance(1000);
    expect(host.types()).not.toContain("retire");
    rss = 150 * 1024 * 1024;
    timers.advance(1000);
    timers.advance(1000);
    expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", requests: 0, reason: "max_worker_memory (150 MiB > 100 MiB)" }]);
    expect(log.lines.some((l) => l.includes("Worker uses 150 MiB, over max_worker_memory (100 MiB)"))).toBe(true);
  });

  it("sockets the runtime cannot close: at worker_connections of them, asks once for a replacement", async () => {
    const host = new FakeHost();
    const timers = new FakeTimers();
    const log = new MemoryLogger();
    let stranded = 0;
    const settings = { ...WORKER_SETTINGS, workerConnections: 3 };
    void runWorker({ host, timers, logger: log, settings, boot: async () => ({ ...fakeServing().serving, strandedSockets: () => stranded }) });
    await flush();
    stranded = 2;
    timers.advance(1000);
    expect(host.types()).not.toContain("retire");
    stranded = 3;
    timers.advance(1000);
    timers.advance(1000);
    expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", requests: 0, reason: "3 stranded TLS handshakes" }]);
    expect(log.lines.some((l) => l.includes("3 connections closed at a timeout are still open in the runtime") && l.includes("worker_connections is 3"))).toBe(true);
  });

  it("exits after graceful_timeout if draining never ends; a second TERM exits at once", async () => {
    for (const second of [false, true]) {
      const host = new FakeHost();
      const timers = new FakeTimers();
      const s = fakeServing();
      let code: number | undefined;
      void runWorker({
        host,
        timers,
        logger: new MemoryLogger(),
        settings: { ...WORKER_SETTINGS, gracefulTimeout: 5 },
        boot: async () => s.serving,
      }).then((c) => (code = c));
      await flush();
      host.raise("SIGTERM");
      if (second) {
        host.raise("SIGTERM");
      } else {
        timers.advance(4999);
        await flush();
        expect(code).toBeUndefined();
        timers.advance(1);
      }
      await flush();
      expect(code).toBe(0);
    }
  });

  it("QUIT exits at once", async () => {
    const host = new FakeHost();
    const s = fakeServing();
    const code = runWorker({ host, timers: new FakeTimers(), logger: new MemoryLogger(), settings: WORKER_SETTINGS, boot: async () => s.serving });
    await flush();
    host.raise("SIGQUIT");
    expect(await code).toBe(0);
    expect(s.shutdowns()).toBe(0);
  });

  it("a failing boot sends the error and resolves 3", async () => {
    const host = new FakeHost();
    const code = await runWorker({
      host,
      timers: new FakeTimers(),
      logger: new MemoryLogger(),
      settings: WORKER_SETTINGS,
      boot: async () => {
        throw new TypeError("app.fetch is not a function");
      },
    });
    expect(code).toBe(3);
    expect(host.sent).toContainEqual({ type: "boot-error", message: "app.fetch is not a function" });
    expect(host.types()).not.toContain("booted");
  });

  it("TERM while booting: shuts down once boot finishes", async () => {
    const host = new FakeHost();
    const s = fakeServing();
    let finishBoot: (v: ServingWorker) => void = () => {};
    let code: number | undefined;
    void runWorker({
      host,
      timers: new FakeTimers(),
      logger: new MemoryLogger(),
      settings: WORKER_SETTINGS,
      boot: () => new Promise((resolve) => (finishBoot = resolve)),
    }).then((c) => (code = c));
    await flush();
    host.raise("SIGTERM");
    finishBoot(s.serving);
    await flush();
    expect(s.shutdowns()).toBe(1);
    expect(host.types()).not.toContain("booted");
    s.drained();
    await flush();
    expect(code).toBe(0);
  });

  it("asks to retire once after max_requests + jitter requests", async () => {
    const host = new FakeHost();
    let done: () => void = () => {};
    void runWorker({
      host,
      timers: new FakeTimers(),
      logger: new MemoryLogger(),
      settings: { ...WORKER_SETTINGS, maxRequests: 10, maxRequestsJitter: 4 },
      random: () => 0.99, // jitter = floor(0.99 * 5) = 4
      boot: async (ctx) => {
        done = ctx.requestDone;
        return fakeServing().serving;
      },
    });
    await flush();
    for (let i = 0; i < 13; i++) done();
    expect(host.types()).not.toContain("retire");
    done();
    expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", requests: 14 }]);
    for (let i = 0; i < 20; i++) done();
    expect(host.types().filter((t) => t === "retire")).toHaveLength(1);
  });

  it("stops gracefully when the master goes away (channel closed or parent pid changed)", async () => {
    for (const how of ["channel", "ppid"]) {
      const host = new FakeHost();
      const timers = new FakeTimers();
      const s = fakeServing();
      void runWorker({ host, timers, logger: new MemoryLogger(), settings: WORKER_SETTINGS, boot: async () => s.serving });
      await flush();
      if (how === "channel") {
        host.masterGone();
      } else {
        host.ppid = 1;
        timers.advance(1000);
      }
      expect(s.shutdowns()).toBe(1);
    }
  });

  it("forwards reopen-logs from the master and USR1", async () => {
    const host = new FakeHost();
    let reopened = 0;
    void runWorker({
      host,
      timers: new FakeTimers(),
      logger: new MemoryLogger(),
      settings: WORKER_SETTINGS,
      boot: async () => ({ shutdown: async () => {}, reopenLogs: () => reopened++ }),
    });
    await flush();
    host.deliver({ type: "reopen-logs" });
    host.raise("SIGUSR1");
    expect(reopened).toBe(2);
  });
});

describe("ipc framing", () => {
  it("round-trips messages split at any byte and reports garbage lines", () => {
    const got: unknown[] = [];
    const garbage: string[] = [];
    const bytes = new Uint8Array([
      ...encodeFrame({ type: "boot-error", message: "ünïcode ✓" }),
      ...new TextEncoder().encode("not json\n"),
      ...encodeFrame({ type: "heartbeat" }),
    ]);
    for (let split = 0; split <= bytes.length; split++) {
      got.length = 0;
      garbage.length = 0;
      const d = new FrameDecoder((m) => got.push(m), (l) => garbage.push(l));
      d.push(bytes.subarray(0, split));
      d.push(bytes.subarray(split));
      expect(got).toEqual([{ type: "boot-error", message: "ünïcode ✓" }, { type: "heartbeat" }]);
      expect(garbage).toEqual(["not json"]);
    }
    expect(got.every(isWorkerMessage)).toBe(true);
    expect(isWorkerMessage({ type: "retire" })).toBe(false);
    expect(isWorkerMessage(null)).toBe(false);
  });
});
