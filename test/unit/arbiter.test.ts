/**
 * The arbiter's logic against a fake ProcessManager and a manual clock
 * (worker side: worker-control.test.ts).
 */
import { describe, expect, it } from "vitest";
import { Arbiter } from "../../core/arbiter/arbiter.ts";
import type { ArbiterConfig, ArbiterOptions } from "../../core/arbiter/arbiter-types.ts";
import { reusePortSharing, reusePortWarnings, type ListenSharing } from "../../core/arbiter/process.ts";
import { FakeProcessManager, FakeTimers, MemoryLogger, flush } from "./arbiter-fakes.ts";
import type { FakeWorker } from "./arbiter-fakes.ts";

interface Harness {
  arbiter: Arbiter;
  pm: FakeProcessManager;
  timers: FakeTimers;
  log: MemoryLogger;
  /** Resolves with run()'s exit code. */
  exit: Promise<number>;
  /** Exit code once known, else undefined. */
  code(): number | undefined;
}

async function start(
  config: Partial<ArbiterConfig> = {},
  extra: Partial<ArbiterOptions> = {},
  pm = new FakeProcessManager(),
): Promise<Harness> {
  const timers = new FakeTimers();
  const log = new MemoryLogger();
  const arbiter = new Arbiter({
    processes: pm,
    timers,
    logger: log,
    config: { workers: 2, timeout: 30, gracefulTimeout: 30, pidfile: null, ...config },
    tuning: { tickMs: 1000 },
    ...extra,
  });
  let code: number | undefined;
  const exit = arbiter.run().then((c) => (code = c));
  await flush();
  return { arbiter, pm, timers, log, exit, code: () => code };
}

/** Boot every live worker that has not booted yet. */
function bootAll(pm: FakeProcessManager): void {
  for (const w of pm.alive()) w.boot();
}

/** Every live worker answers its pending SIGTERM/SIGKILL/SIGABRT by exiting. */
function obeyKills(pm: FakeProcessManager): void {
  for (const w of pm.alive()) {
    const last = w.kills.at(-1);
    if (last === "SIGTERM") w.exit(0);
    else if (last !== undefined) w.exit(null, last);
  }
}

function heartbeatAll(pm: FakeProcessManager): void {
  for (const w of pm.alive()) w.heartbeat();
}

describe("Arbiter: start and respawn", () => {
  it("spawns the configured number of workers with worker env and logs their pids", async () => {
    const h = await start({ workers: 3 });
    expect(h.pm.spawned).toHaveLength(3);
    expect(h.pm.spawned.map((w) => w.env.TRICORN_WORKER)).toEqual(["1", "1", "1"]);
    expect(h.pm.spawned.map((w) => w.env.TRICORN_WORKER_ID)).toEqual(["1", "2", "3"]);
    for (const w of h.pm.spawned) expect(h.log.has(`Booting worker with pid: ${w.pid}`)).toBe(true);
    expect(h.pm.keptAlive).toBe(1);
  });

  it("replaces a killed worker at once and logs gunicorn's OOM hint", async () => {
    const h = await start();
    bootAll(h.pm);
    const victim = h.pm.spawned[0]!;
    victim.exit(null, "SIGKILL");
    expect(h.log.has(`Worker (pid:${victim.pid}) was sent SIGKILL! Perhaps out of memory?`)).toBe(true);
    expect(h.pm.alive()).toHaveLength(2);
    expect(h.pm.spawned).toHaveLength(3);
    expect(h.code()).toBeUndefined();
  });

  it("backs off exponentially when workers keep dying", async () => {
    const h = await start({ workers: 1 }, { tuning: { tickMs: 1000, backoffBaseMs: 500, backoffMaxMs: 2000 } });
    bootAll(h.pm);
    // 1st and 2nd deaths: immediate replacement.
    for (let i = 0; i < 2; i++) {
      h.pm.alive()[0]!.boot();
      h.pm.alive()[0]!.exit(1);
      expect(h.pm.alive()).toHaveLength(1);
    }
    // 3rd death: 500 ms wait.
    h.pm.alive()[0]!.boot();
    h.pm.alive()[0]!.exit(1);
    expect(h.pm.alive()).toHaveLength(0);
    expect(h.log.has("waiting 500 ms")).toBe(true);
    h.timers.advance(499);
    expect(h.pm.alive()).toHaveLength(0);
    h.timers.advance(1);
    expect(h.pm.alive()).toHaveLength(1);
    // 4th: 1000 ms, 5th: 2000 (cap), 6th: still 2000.
    for (const wait of [1000, 2000, 2000]) {
      h.pm.alive()[0]!.boot();
      h.pm.alive()[0]!.exit(null, "SIGSEGV");
      h.timers.advance(wait - 1);
      expect(h.pm.alive()).toHaveLength(0);
      h.timers.advance(1);
      expect(h.pm.alive()).toHaveLength(1);
    }
    expect(h.log.has("was sent SIGSEGV!")).toBe(true);
    expect(h.log.has("exited with code 1")).toBe(true);
  });

  it("replaces a worker that died after serving at once, however often (backoff is for crash loops)", async () => {
    const h = await start({ workers: 1 }, { tuning: { tickMs: 1000, backoffBaseMs: 500, backoffMaxMs: 2000 } });
    for (let i = 0; i < 6; i++) {
      const w = h.pm.alive()[0]!;
      w.boot();
      w.emit({ type: "served" });
      w.exit(null, "SIGKILL");
      expect(h.pm.alive()).toHaveLength(1);
    }
    expect(h.log.has("waiting")).toBe(false);
  });

  it("forgets old crashes after the crash window", async () => {
    const h = await start({ workers: 1 }, { tuning: { tickMs: 1000, crashWindowMs: 10_000 } });
    for (let i = 0; i < 5; i++) {
      h.pm.alive()[0]!.boot();
      h.timers.advance(10_000);
      heartbeatAll(h.pm);
      h.pm.alive()[0]!.exit(1);
      expect(h.pm.alive()).toHaveLength(1);
    }
  });
});

describe("Arbiter: boot failure", () => {
  it("halts with exit code 3 when a worker reports a boot error and exits", async () => {
    const h = await start({ workers: 2 });
    const [a, b] = h.pm.spawned as [FakeWorker, FakeWorker];
    a.emit({ type: "boot-error", message: "SyntaxError: Unexpected token" });
    a.exit(3);
    expect(h.log.has(`Worker (pid:${a.pid}) failed to boot: SyntaxError: Unexpected token`)).toBe(true);
    // No respawn loop: nothing new, the other worker is told to stop.
    expect(h.pm.spawned).toHaveLength(2);
    expect(b.kills).toEqual(["SIGTERM"]);
    b.exit(null, "SIGTERM");
    expect(await h.exit).toBe(3);
    expect(h.log.has("ERROR Shutting down: Master")).toBe(true);
    expect(h.log.has("ERROR Reason: Worker failed to boot.")).toBe(true);
  });

  it("treats an exit before 'booted' without a message as a boot failure too", async () => {
    const h = await start({ workers: 1 });
    const w = h.pm.spawned[0]!;
    w.exit(1);
    expect(await h.exit).toBe(3);
    expect(h.log.has(`Worker (pid:${w.pid}) failed to boot: exited with code 1`)).toBe(true);
  });

  it("halts with exit code 1 when the very first spawn fails", async () => {
    const pm = new FakeProcessManager();
    pm.failSpawns = 1;
    const h = await start({ workers: 1 }, {}, pm);
    expect(await h.exit).toBe(1);
    expect(h.log.has("Cannot start a worker process: spawn EAGAIN")).toBe(true);
  });
});

describe("Arbiter: heartbeat timeout", () => {
  it("sends SIGABRT to a silent worker, SIGKILL after the grace, then replaces it", async () => {
    const h = await start({ workers: 2, timeout: 5 }, { tuning: { tickMs: 1000, abortGraceMs: 1500 } });
    bootAll(h.pm);
    const [stuck, fine] = h.pm.spawned as [FakeWorker, FakeWorker];
    for (let t = 0; t < 4; t++) {
      h.timers.advance(1000);
      fine.heartbeat();
    }
    expect(stuck.kills).toEqual([]);
    h.timers.advance(1000); // 5 s of silence
    fine.heartbeat();
    expect(stuck.kills).toEqual(["SIGABRT"]);
    expect(h.log.has(`CRITICAL WORKER TIMEOUT (pid:${stuck.pid})`)).toBe(true);
    expect(fine.kills).toEqual([]);
    h.timers.advance(1499);
    expect(stuck.kills).toEqual(["SIGABRT"]);
    h.timers.advance(1);
    expect(stuck.kills).toEqual(["SIGABRT", "SIGKILL"]);
    stuck.exit(null, "SIGKILL");
    // We sent the KILL ourselves: no OOM hint. A replacement starts at once.
    expect(h.log.has("Perhaps out of memory")).toBe(false);
    expect(h.pm.alive()).toHaveLength(2);
    expect(h.pm.spawned).toHaveLength(3);
  });

  it("does not kill a worker whose SIGABRT already ended it", async () => {
    const h = await start({ workers: 1, timeout: 2 }, { tuning: { tickMs: 500, abortGraceMs: 1000 } });
    bootAll(h.pm);
    const w = h.pm.spawned[0]!;
    h.timers.advance(2000);
    expect(w.kills).toEqual(["SIGABRT"]);
    w.exit(null, "SIGABRT");
    h.timers.advance(5000);
    expect(w.kills).toEqual(["SIGABRT"]);
    expect(h.log.has(`Worker (pid:${w.pid}) was sent SIGABRT!`)).toBe(true);
    expect(h.pm.spawned).toHaveLength(2);
  });

  it("timeout 0 disables the check", async () => {
    const h = await start({ workers: 1, timeout: 0 });
    bootAll(h.pm);
    h.timers.advance(3_600_000);
    expect(h.pm.spawned[0]!.kills).toEqual([]);
  });

  it("a worker that hangs while booting is killed and respawned, not treated as a boot failure", async () => {
    const h = await start({ workers: 1, timeout: 3 }, { tuning: { tickMs: 1000, abortGraceMs: 1000 } });
    const w = h.pm.spawned[0]!;
    h.timers.advance(3000);
    expect(w.kills).toEqual(["SIGABRT"]);
    w.exit(null, "SIGABRT");
    expect(h.code()).toBeUndefined();
    expect(h.pm.alive()).toHaveLength(1);
  });
});

describe("Arbiter: stop signals", () => {
  it("TERM stops gracefully: SIGTERM, wait, exit 0, pidfile removed", async () => {
    const h = await start({ workers: 2, pidfile: "/run/t.pid" });
    expect(h.pm.pidfiles.get("/run/t.pid")).toBe(1000);
    bootAll(h.pm);
    h.pm.raise("SIGTERM");
    expect(h.log.has("Handling signal: term")).toBe(true);
    for (const w of h.pm.spawned) expect(w.kills).toEqual(["SIGTERM"]);
    h.timers.advance(10_000);
    h.pm.spawned[0]!.exit(0);
    expect(h.code()).toBeUndefined();
    h.pm.spawned[1]!.exit(0);
    expect(await h.exit).toBe(0);
    expect(h.pm.pidfiles.size).toBe(0);
    expect(h.log.has("INFO Shutting down: Master")).toBe(true);
    expect(h.pm.keptAlive).toBe(0);
    expect(h.pm.closed).toBe(true);
    expect(h.timers.size).toBe(0);
    // No respawn happened during the stop.
    expect(h.pm.spawned).toHaveLength(2);
  });

  it("TERM kills workers still running after graceful_timeout", async () => {
    const h = await start({ workers: 2, gracefulTimeout: 30, timeout: 0 });
    bootAll(h.pm);
    h.pm.raise("SIGTERM");
    const [a, b] = h.pm.spawned as [FakeWorker, FakeWorker];
    a.exit(0);
    h.timers.advance(29_999);
    expect(b.kills).toEqual(["SIGTERM"]);
    h.timers.advance(1);
    expect(b.kills).toEqual(["SIGTERM", "SIGKILL"]);
    expect(h.log.has(`Worker (pid:${b.pid}) still running after graceful_timeout`)).toBe(true);
    b.exit(null, "SIGKILL");
    expect(await h.exit).toBe(0);
  });

  it("a second TERM/INT stops immediately", async () => {
    const h = await start({ workers: 2 });
    bootAll(h.pm);
    h.pm.raise("SIGINT");
    h.pm.raise("SIGTERM");
    for (const w of h.pm.spawned) expect(w.kills).toEqual(["SIGTERM", "SIGKILL"]);
    obeyKills(h.pm);
    expect(await h.exit).toBe(0);
  });

  it("QUIT is graceful too", async () => {
    const h = await start({ workers: 1 });
    bootAll(h.pm);
    h.pm.raise("SIGQUIT");
    expect(h.pm.spawned[0]!.kills).toEqual(["SIGTERM"]);
    obeyKills(h.pm);
    expect(await h.exit).toBe(0);
  });

  it("an immediate stop does not hang when exit notices never come", async () => {
    const h = await start({ workers: 1 }, { tuning: { tickMs: 1000, killWaitMs: 2000 } });
    h.pm.raise("SIGTERM");
    h.pm.raise("SIGTERM");
    h.timers.advance(2000);
    expect(await h.exit).toBe(0);
  });

  it("cannot write the pidfile → exit 1 before spawning", async () => {
    const h = await start({ pidfile: "/nonexistent/x.pid" });
    expect(await h.exit).toBe(1);
    expect(h.pm.spawned).toHaveLength(0);
    expect(h.log.has("Cannot write pidfile: /nonexistent/x.pid")).toBe(true);
  });
});

describe("Arbiter: HUP reload", () => {
  it("boots a full new set before gracefully stopping the old one", async () => {
    const h = await start({ workers: 2 });
    bootAll(h.pm);
    const old = [...h.pm.spawned];
    h.pm.raise("SIGHUP");
    await flush();
    expect(h.log.has("Hang up: Master")).toBe(true);
    expect(h.pm.spawned).toHaveLength(4);
    const fresh = h.pm.spawned.slice(2);
    fresh[0]!.boot();
    // One of two booted: the old set keeps serving.
    for (const w of old) expect(w.kills).toEqual([]);
    fresh[1]!.boot();
    for (const w of old) expect(w.kills).toEqual(["SIGTERM"]);
    for (const w of fresh) expect(w.kills).toEqual([]);
    obeyKills(h.pm);
    // The old ones exiting does not cause respawns.
    expect(h.pm.spawned).toHaveLength(4);
    expect(h.arbiter.workers().map((w) => w.generation)).toEqual([1, 1]);
  });

  it("re-reads the config: new worker count and hooks", async () => {
    const calls: string[] = [];
    const h = await start(
      { workers: 1 },
      {
        reloadConfig: async () => ({
          workers: 3,
          timeout: 30,
          gracefulTimeout: 30,
          pidfile: null,
          hooks: {
            on_reload: () => calls.push("on_reload"),
            nworkers_changed: (_a, n, o) => calls.push(`nworkers ${o}->${n}`),
          },
        }),
      },
    );
    bootAll(h.pm);
    h.pm.raise("SIGHUP");
    await flush();
    expect(h.pm.alive()).toHaveLength(4);
    // The re-read hooks are in force from the moment the config is applied.
    expect(calls).toEqual(["nworkers 1->3", "on_reload"]);
    bootAll(h.pm);
    expect(h.pm.spawned[0]!.kills).toEqual(["SIGTERM"]);
  });

  it("a config error aborts the reload and keeps the workers", async () => {
    const h = await start(
      { workers: 2 },
      {
        reloadConfig: () => {
          throw new Error("config.js: workers must be a positive integer");
        },
      },
    );
    bootAll(h.pm);
    h.pm.raise("SIGHUP");
    await flush();
    expect(h.pm.spawned).toHaveLength(2);
    expect(h.log.has("Reload failed, keeping the current workers: config.js: workers must be")).toBe(true);
  });

  it("a new worker failing to boot drops the new set and keeps the old one (no halt)", async () => {
    const h = await start({ workers: 2 });
    bootAll(h.pm);
    const old = [...h.pm.spawned];
    h.pm.raise("SIGHUP");
    await flush();
    const [n1, n2] = h.pm.spawned.slice(2) as [FakeWorker, FakeWorker];
    n1.boot();
    n2.emit({ type: "boot-error", message: "Error: broken app" });
    n2.exit(3);
    expect(h.log.has("failed to boot: Error: broken app")).toBe(true);
    expect(h.log.has("Reload failed")).toBe(true);
    expect(n1.kills).toEqual(["SIGTERM"]);
    for (const w of old) expect(w.kills).toEqual([]);
    n1.exit(0);
    expect(h.code()).toBeUndefined();
    expect(h.pm.alive()).toEqual(old);
    // A later HUP works again.
    h.pm.raise("SIGHUP");
    await flush();
    bootAll(h.pm);
    for (const w of old) expect(w.kills).toEqual(["SIGTERM"]);
  });

  it("a HUP during a reload is queued and runs after it", async () => {
    const h = await start({ workers: 1 });
    bootAll(h.pm);
    h.pm.raise("SIGHUP");
    await flush();
    h.pm.raise("SIGHUP");
    await flush();
    expect(h.pm.spawned).toHaveLength(2);
    h.pm.spawned[1]!.boot();
    await flush();
    expect(h.pm.spawned).toHaveLength(3);
    h.pm.spawned[2]!.boot();
    expect(h.pm.spawned[1]!.kills).toEqual(["SIGTERM"]);
  });

  it("TERM during a reload stops old and new workers", async () => {
    const h = await start({ workers: 1 });
    bootAll(h.pm);
    h.pm.raise("SIGHUP");
    await flush();
    h.pm.raise("SIGTERM");
    for (const w of h.pm.spawned) expect(w.kills).toEqual(["SIGTERM"]);
    obeyKills(h.pm);
    expect(await h.exit).toBe(0);
  });
});

/** One booted worker under `sharing`, then a HUP (flushed). */
async function hupOneWorker(sharing: ListenSharing) {
  const h = await start({ workers: 1 }, {}, new FakeProcessManager(sharing));
  bootAll(h.pm);
  h.pm.raise("SIGHUP");
  await flush();
  return h;
}

describe("Arbiter: TTIN / TTOU / USR1", () => {
  it("TTIN adds a worker, TTOU stops the oldest, never below 1", async () => {
    const changes: string[] = [];
    const h = await start({ workers: 2, hooks: { nworkers_changed: (_a, n, o) => changes.push(`${o}->${n}`) } });
    bootAll(h.pm);
    h.pm.raise("SIGTTIN");
    expect(h.pm.alive()).toHaveLength(3);
    expect(h.arbiter.numWorkers).toBe(3);
    h.pm.raise("SIGTTOU");
    expect(h.pm.spawned[0]!.kills).toEqual(["SIGTERM"]);
    obeyKills(h.pm);
    h.pm.raise("SIGTTOU");
    obeyKills(h.pm);
    expect(h.pm.alive()).toHaveLength(1);
    h.pm.raise("SIGTTOU");
    expect(h.pm.alive()[0]!.kills).toEqual([]);
    expect(h.arbiter.numWorkers).toBe(1);
    expect(changes).toEqual(["2->3", "3->2", "2->1"]);
    expect(h.log.has("Handling signal: ttin")).toBe(true);
    expect(h.log.has("Handling signal: ttou")).toBe(true);
  });

  it.each(["none", "handover"] as const)("without port sharing (%s) runs one worker and says so", async (sharing) => {
    const h = await start({ workers: 4 }, {}, new FakeProcessManager(sharing));
    expect(h.pm.spawned).toHaveLength(1);
    expect(h.log.has("running 1 worker instead of 4")).toBe(true);
    h.pm.raise("SIGTTIN");
    expect(h.pm.spawned).toHaveLength(1);
  });

  it("without port sharing, HUP and max_requests stop the old worker before starting the new one", async () => {
    const h = await hupOneWorker("none");
    expect(h.pm.spawned).toHaveLength(1);
    expect(h.pm.spawned[0]!.kills).toEqual(["SIGTERM"]);
    h.pm.spawned[0]!.exit(0);
    expect(h.pm.spawned).toHaveLength(2);
    h.pm.spawned[1]!.boot();
    expect(h.log.has("Reload complete")).toBe(true);
    h.pm.spawned[1]!.emit({ type: "retire", requests: 100 });
    expect(h.pm.spawned).toHaveLength(2);
    expect(h.pm.spawned[1]!.kills).toEqual(["SIGTERM"]);
    h.pm.spawned[1]!.exit(0);
    expect(h.pm.alive()).toHaveLength(1);
    expect(h.pm.spawned).toHaveLength(3);
  });

  it("with a unix-socket handover: one worker, but HUP and max_requests start the successor before stopping the old one", async () => {
    const h = await hupOneWorker("handover");
    expect(h.pm.spawned).toHaveLength(2);
    expect(h.pm.spawned[0]!.kills).toEqual([]);
    h.pm.spawned[1]!.boot();
    expect(h.pm.spawned[0]!.kills).toEqual(["SIGTERM"]);
    expect(h.log.has("Reload complete")).toBe(true);
    h.pm.spawned[0]!.exit(0);
    h.pm.spawned[1]!.emit({ type: "retire", requests: 100 });
    expect(h.pm.spawned).toHaveLength(3);
    expect(h.pm.spawned[1]!.kills).toEqual([]);
    h.pm.spawned[2]!.boot();
    expect(h.pm.spawned[1]!.kills).toEqual(["SIGTERM"]);
  });

  it("USR1 reopens the master's logs and forwards to workers", async () => {
    let reopened = 0;
    const h = await start({ workers: 2 }, { reopenLogs: () => reopened++ });
    h.pm.raise("SIGUSR1");
    expect(reopened).toBe(1);
    for (const w of h.pm.spawned) expect(w.sent).toEqual([{ type: "reopen-logs" }]);
  });
});

describe("Arbiter: max_requests retirement", () => {
  it("starts the replacement first and stops the retiring worker once it booted", async () => {
    const h = await start({ workers: 1 });
    bootAll(h.pm);
    const old = h.pm.spawned[0]!;
    old.emit({ type: "retire", requests: 1000 });
    expect(h.pm.spawned).toHaveLength(2);
    expect(old.kills).toEqual([]);
    const fresh = h.pm.spawned[1]!;
    fresh.boot();
    expect(old.kills).toEqual(["SIGTERM"]);
    old.exit(0);
    expect(h.pm.spawned).toHaveLength(2);
    expect(h.log.lines.filter((l) => l.startsWith("ERROR"))).toEqual([]);
  });

  it("a retiring worker's exit is not counted as a crash", async () => {
    const h = await start({ workers: 1 }, { tuning: { tickMs: 1000, backoffBaseMs: 500 } });
    for (let i = 0; i < 6; i++) {
      const w = h.pm.alive().at(-1)!;
      w.boot();
      w.emit({ type: "retire", requests: 10 });
      h.pm.alive().at(-1)!.boot();
      obeyKills(h.pm);
      expect(h.pm.alive()).toHaveLength(1);
    }
    expect(h.log.has("waiting")).toBe(false);
  });
});

describe("Arbiter: hooks", () => {
  it("calls on_starting, pre_fork, post_fork, when_ready, worker_exit, on_exit; hook errors are logged", async () => {
    const calls: string[] = [];
    const h = await start({
      workers: 1,
      hooks: {
        on_starting: () => calls.push("on_starting"),
        pre_fork: (_a, w) => calls.push(`pre_fork ${w.id}`),
        post_fork: (_a, w) => calls.push(`post_fork ${w.id} ${w.pid}`),
        when_ready: () => {
          calls.push("when_ready");
          throw new Error("oops");
        },
        worker_exit: (_a, w) => calls.push(`worker_exit ${w.pid}`),
        on_exit: async () => {
          calls.push("on_exit");
        },
      },
    });
    bootAll(h.pm);
    h.pm.raise("SIGTERM");
    obeyKills(h.pm);
    expect(await h.exit).toBe(0);
    expect(calls).toEqual(["on_starting", "pre_fork 1", "post_fork 1 2000", "when_ready", "worker_exit 2000", "on_exit"]);
    expect(h.log.has("Hook when_ready failed: oops")).toBe(true);
  });
});

describe("reusePortSharing", () => {
  it("shares TCP binds with SO_REUSEPORT on Linux only", () => {
    const tcp = { kind: "tcp", host: "127.0.0.1", port: 0 } as const;
    expect(reusePortSharing("linux", [tcp, tcp])).toBe("reuseport");
    expect(reusePortSharing("linux", [tcp, { kind: "unix", path: "/run/a.sock" }])).toBe("none");
    expect(reusePortSharing("linux", [{ kind: "fd", fd: 3 }, tcp])).toBe("none");
    expect(reusePortSharing("darwin", [tcp])).toBe("none");
  });

  it("lets every worker inherit fd:// sockets (not on Windows)", () => {
    expect(reusePortSharing("linux", [{ kind: "fd", fd: 3 }])).toBe("inherited");
    expect(reusePortSharing("darwin", [{ kind: "fd", fd: 3 }, { kind: "fd", fd: 4 }])).toBe("inherited");
    expect(reusePortSharing("windows", [{ kind: "fd", fd: 3 }])).toBe("none");
  });

  it("hands unix sockets over by rename (not on Windows)", () => {
    const unix = { kind: "unix", path: "/run/a.sock" } as const;
    expect(reusePortSharing("linux", [unix])).toBe("handover");
    expect(reusePortSharing("darwin", [unix, unix])).toBe("handover");
    expect(reusePortSharing("windows", [unix])).toBe("none");
    expect(reusePortSharing("linux", [])).toBe("reuseport");
  });
});

describe("reusePortWarnings", () => {
  it("warns for SO_REUSEPORT sharing unless tcp_migrate_req is 1", () => {
    const reads: string[] = [];
    const file = (text: string) => (path: string) => (reads.push(path), text);
    expect(reusePortWarnings("reuseport", file("1\n"))).toEqual([]);
    expect(reads).toEqual(["/proc/sys/net/ipv4/tcp_migrate_req"]);
    expect(reusePortWarnings("cluster", file("0\n"))).toEqual([]);
    expect(reusePortWarnings("reuseport", file("0\n"))[0]).toContain("net.ipv4.tcp_migrate_req is 0");
    const missing = () => {
      throw new Error("ENOENT");
    };
    expect(reusePortWarnings("reuseport", missing)[0]).toContain("is unavailable");
  });

  it("the arbiter logs the process layer's warnings at start", async () => {
    const h = await start({ workers: 1 }, {}, new FakeProcessManager("reuseport"));
    expect(h.log.lines).toContain("WARNING reuseport caveat");
  });
});
