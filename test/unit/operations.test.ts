/**
 * The master's operator view against a fake ProcessManager and a manual
 * clock: arbiter status and scaling, start/exit reasons, the drain delay,
 * the registry's totals, control commands and the control connection's
 * bounds, and the Prometheus rendering.
 */
import { describe, expect, it } from "vitest";
import { Arbiter } from "../../core/arbiter/arbiter.ts";
import type { ArbiterConfig } from "../../core/arbiter/arbiter-types.ts";
import type { WorkerStats } from "../../core/arbiter/ipc.ts";
import { ControlUsageError, parseControlCommand, runControlCommand } from "../../core/arbiter/control.ts";
import { CONTROL_REQUEST_TIMEOUT_MS, startControlServer } from "../../core/arbiter/control-server.ts";
import { answerOperations } from "../../core/arbiter/health-server.ts";
import { renderMetrics } from "../../core/arbiter/prometheus.ts";
import { MasterRegistry } from "../../core/arbiter/registry.ts";
import { emptyCounters } from "../../core/server/stats.ts";
import type { ConnectionAcceptor } from "../../core/runtime/socket.ts";
import type { IncomingRequest, ResponseWriter } from "../../core/server/types.ts";
import { FakeProcessManager, FakeTimers, MemoryLogger, flush } from "./arbiter-fakes.ts";
import { FakeSocket } from "./fake-socket.ts";

async function start(config: Partial<ArbiterConfig> = {}) {
  const pm = new FakeProcessManager();
  const timers = new FakeTimers();
  const log = new MemoryLogger();
  const registry = new MasterRegistry();
  const arbiter = new Arbiter({
    processes: pm,
    timers,
    logger: log,
    lifecycle: registry,
    config: { workers: 2, timeout: 30, gracefulTimeout: 30, pidfile: null, ...config },
    tuning: { tickMs: 1000 },
  });
  const exit = arbiter.run();
  await flush();
  for (const w of pm.alive()) w.boot();
  return { pm, timers, log, registry, arbiter, exit };
}

function stats(served: number, extra: Partial<WorkerStats> = {}): WorkerStats {
  const counters = emptyCounters();
  counters.requests[1] = served; // GET 2xx
  counters.latency[0] = served;
  return { served, inFlight: 1, connections: 2, rss: 1000, counters, ...extra };
}

describe("arbiter status and control", () => {
  it("reports each worker's state, age, heartbeat, counters and why it started", async () => {
    const { pm, timers, arbiter } = await start();
    timers.advance(1500);
    pm.alive()[0]!.emit({ type: "heartbeat", stats: stats(7) });
    timers.advance(500);
    const status = arbiter.status();
    expect(status).toMatchObject({ pid: 1000, state: "running", ready: true, targetWorkers: 2, generation: 0 });
    expect(status.workers[0]).toEqual({
      id: 1,
      pid: pm.alive()[0]!.pid,
      generation: 0,
      state: "serving",
      age: 2,
      lastHeartbeat: 0.5,
      startedBecause: "start",
      requests: 7,
      inFlight: 1,
      connections: 2,
      rss: 1000,
    });
    expect(status.workers[1]).toMatchObject({ requests: null, rss: null });
  });

  it("names the worker a replacement replaces and why; counts starts and exits by reason", async () => {
    const { pm, arbiter, registry } = await start();
    const first = pm.alive()[0]!;
    first.emit({ type: "heartbeat", stats: stats(5) });
    first.exit(1);
    expect(arbiter.status().workers.map((w) => w.startedBecause)).toEqual(["start", `replace: worker 1 (pid ${first.pid}): exit (code 1)`]);
    const totals = registry.totals(arbiter.liveStats(), true);
    expect(totals.requests).toBe(5); // the dead worker's last report is kept
    expect(totals.workerStarts).toMatchObject({ start: 2, replace: 1 });
    expect(totals.workerExits).toMatchObject({ exit: 1 });
  });

  it("scales up and down through control commands, never below one worker", async () => {
    const { pm, arbiter, registry } = await start();
    const target = { arbiter, registry };
    const now = (fn: () => void) => fn();
    expect(runControlCommand({ command: "workers", action: "add", count: 2 }, target, now)).toEqual({ ok: true, result: { previous: 2, total: 4 } });
    expect(pm.alive()).toHaveLength(4);
    expect(arbiter.status().workers.at(-1)!.startedBecause).toBe("scale_up");
    expect(runControlCommand({ command: "workers", action: "remove", count: 4 }, target, now)).toEqual({
      ok: false,
      error: "cannot go below 1 worker (4 now)",
    });
    expect(runControlCommand({ command: "workers", action: "remove", count: 3 }, target, now)).toEqual({ ok: true, result: { previous: 4, total: 1 } });
    for (const w of pm.alive()) if (w.kills.includes("SIGTERM")) w.exit(0);
    expect(registry.totals(arbiter.liveStats(), true).workerExits.scale_down).toBe(3);
  });

  it("defers reload and stop until the answer is out", async () => {
    const { pm, arbiter, registry } = await start();
    const later: (() => void)[] = [];
    expect(runControlCommand({ command: "stop" }, { arbiter, registry }, (fn) => later.push(fn))).toEqual({ ok: true, result: { stopping: true } });
    expect(pm.alive().every((w) => w.kills.length === 0)).toBe(true);
    later.forEach((fn) => fn());
    expect(pm.alive().every((w) => w.kills.includes("SIGTERM"))).toBe(true);
  });

  it("parses ctl command words and names a bad one", () => {
    expect(parseControlCommand(["workers", "add", "3"])).toEqual({ command: "workers", action: "add", count: 3 });
    expect(parseControlCommand(["status"])).toEqual({ command: "status" });
    expect(() => parseControlCommand([])).toThrow(/missing command/);
    expect(() => parseControlCommand(["restart"])).toThrow(ControlUsageError);
    expect(() => parseControlCommand(["workers", "add", "0"])).toThrow(/expected a number of workers 1-1024, got "0"/);
    expect(() => parseControlCommand(["workers", "add", "x"])).toThrow(/got "x"/);
    expect(() => parseControlCommand(["workers", "double", "2"])).toThrow(/expected "add N" or "remove N"/);
    expect(() => parseControlCommand(["status", "now"])).toThrow(/unexpected argument "now"/);
  });
});

describe("drain delay", () => {
  it("turns readiness off at once, keeps the workers serving for drain_delay, then stops them", async () => {
    const { pm, timers, arbiter, registry } = await start({ drainDelay: 5 });
    expect(registry.totals(arbiter.liveStats(), arbiter.status().ready).ready).toBe(true);
    pm.raise("SIGTERM");
    expect(arbiter.status().state).toBe("draining");
    expect(registry.totals(arbiter.liveStats(), arbiter.status().ready).ready).toBe(false);
    timers.advance(4900);
    expect(pm.alive().every((w) => w.kills.length === 0)).toBe(true);
    timers.advance(100);
    expect(pm.alive().every((w) => w.kills.includes("SIGTERM"))).toBe(true);
  });

  it("a second TERM during the delay stops at once; QUIT never waits", async () => {
    const a = await start({ drainDelay: 60 });
    a.pm.raise("SIGTERM");
    a.pm.raise("SIGTERM");
    expect(a.pm.alive().every((w) => w.kills.includes("SIGTERM"))).toBe(true);
    const b = await start({ drainDelay: 60 });
    b.pm.raise("SIGQUIT");
    expect(b.pm.alive().every((w) => w.kills.includes("SIGTERM"))).toBe(true);
    expect(b.registry.drainBegun).toBe(true);
  });
});

describe("control connection", () => {
  async function controlServer() {
    const { arbiter, registry, timers } = await start();
    let accept: ConnectionAcceptor | null = null;
    const modes: [string, number][] = [];
    await startControlServer("/run/x.ctl", { arbiter, registry }, {
      listen: async (_bind, acceptor) => {
        accept = acceptor;
        return { url: "unix:/run/x.ctl", close: async () => {}, pauseAccepting() {}, resumeAccepting() {} };
      },
      chmod: (path, mode) => modes.push([path, mode]),
      timers,
      logger: new MemoryLogger(),
    });
    const connect = () => {
      const socket = new FakeSocket();
      socket.handlers = accept!(socket);
      return socket;
    };
    return { connect, timers, modes };
  }

  it("answers one JSON line and closes; the socket file is made 0600", async () => {
    const { connect, modes } = await controlServer();
    expect(modes).toEqual([["/run/x.ctl", 0o600]]);
    const socket = connect();
    socket.send('{"command":"status"}');
    socket.send("\n");
    const reply = JSON.parse(socket.text()) as { ok: boolean; result: { workers: unknown[] } };
    expect(reply.ok).toBe(true);
    expect(reply.result.workers).toHaveLength(2);
    expect(socket.ended).toBe(true);
    const bad = connect();
    bad.send('{"command":"explode"}\n');
    expect(JSON.parse(bad.text())).toEqual({ ok: false, error: expect.stringContaining('unknown command "explode"') });
  });

  it("closes a client that sends no complete request within the bound", async () => {
    const { connect, timers } = await controlServer();
    const socket = connect();
    socket.send('{"command":');
    timers.advance(CONTROL_REQUEST_TIMEOUT_MS - 1);
    expect(socket.destroyed).toBe(false);
    timers.advance(1);
    expect(socket.destroyed).toBe(true);
  });
});

describe("metrics and health answers", () => {
  function ask(target: string, totals: ReturnType<MasterRegistry["totals"]>, method = "GET") {
    const sent: { status: number; headers: unknown[]; body: string }[] = [];
    const res = { send: (status: number, _r: unknown, headers: unknown[], body: string) => sent.push({ status, headers, body }) } as unknown as ResponseWriter;
    answerOperations({ head: { method, target } } as unknown as IncomingRequest, res, () => totals);
    return sent[0]!;
  }

  it("renders counters, a cumulative histogram and the readiness", async () => {
    const { pm, arbiter, registry } = await start();
    pm.alive()[0]!.emit({ type: "heartbeat", stats: stats(3) });
    const totals = registry.totals(arbiter.liveStats(), true);
    const text = renderMetrics(totals);
    expect(text).toContain('tricorn_http_requests_total{method="GET",status="2xx"} 3\n');
    expect(text).toContain('tricorn_http_request_duration_seconds_bucket{le="0.001"} 3\n');
    expect(text).toContain('tricorn_http_request_duration_seconds_bucket{le="+Inf"} 3\n');
    expect(text).toContain("tricorn_http_request_duration_seconds_count 3\n");
    expect(text).toContain('tricorn_worker_starts_total{reason="start"} 2\n');
    expect(text).toContain("tricorn_ready 1\n");
    expect(ask("/metrics", totals).body).toBe(text);
    expect(ask("/readyz", totals).status).toBe(200);
    expect(ask("/readyz", { ...totals, ready: false }).status).toBe(503);
    expect(ask("/healthz", { ...totals, ready: false }).status).toBe(200);
    expect(ask("/", totals).status).toBe(404);
    expect(ask("/metrics", totals, "POST").status).toBe(405);
  });
});
