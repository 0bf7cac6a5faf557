/**
 * The app's `port`/`hostname` as the bind when none was given: validation
 * and the address (core/net/app-bind.ts), which settings count as given
 * (core/config/cli.ts), the worker's wait for the master's answer
 * (core/arbiter/worker-control.ts, bounded) and the master's decorator that
 * answers every waiting worker from the first report
 * (core/arbiter/bind-from-app.ts), plus their IPC messages.
 */
import { describe, expect, it } from "vitest";
import { answeringAppBinds } from "../../core/arbiter/bind-from-app.ts";
import { isMasterMessage, isWorkerMessage } from "../../core/arbiter/ipc.ts";
import { runWorker, type WorkerBootContext } from "../../core/arbiter/worker-control.ts";
import { parseCommandLine } from "../../core/config/cli.ts";
import { appBindAddress, appBindFields, appBindSource, describeAppBind, overriddenAppBindWarnings } from "../../core/net/app-bind.ts";
import { parseBind, type BindAddress } from "../../core/net/bind.ts";
import { FakeHost, FakeProcessManager, FakeTimers, MemoryLogger, flush } from "./arbiter-fakes.ts";

const DEFAULT = parseBind("127.0.0.1:8000");
const fetch = () => new Response("x");

describe("appBindFields / appBindAddress", () => {
  it("reads port and hostname of an object literal; anything else has none", () => {
    expect(appBindFields({ port: 3000, hostname: "0.0.0.0", fetch }, "export default")).toEqual({ port: 3000, hostname: "0.0.0.0" });
    expect(appBindFields({ port: "8080", fetch }, "export default")).toEqual({ port: 8080 });
    expect(appBindFields({ hostname: "::1", fetch }, "export default")).toEqual({ hostname: "::1" });
    expect(appBindFields({ hostname: "LocalHost", port: 0, fetch }, "export default")).toEqual({ hostname: "localhost", port: 0 });
    expect(appBindFields({ fetch }, "export default")).toEqual({});
    expect(appBindFields(fetch, "export default")).toEqual({});
    class Framework {
      port = 1;
      fetch = fetch;
    }
    expect(appBindFields(new Framework(), "export default")).toEqual({});
  });

  it("a bad value is one line naming the export, the field and the value", () => {
    const cases: [unknown, string][] = [
      [{ port: 70000 }, "export default: `port` 70000 is not a port: expected an integer 0-65535"],
      [{ port: -1 }, "export default: `port` -1 is not a port: expected an integer 0-65535"],
      [{ port: 80.5 }, "export default: `port` 80.5 is not a port: expected an integer 0-65535"],
      [{ port: "http" }, 'export default: `port` "http" is not a port: expected an integer 0-65535'],
      [{ port: null }, "export default: `port` null is not a port: expected an integer 0-65535"],
      [{ port: [80] }, "export default: `port` an array is not a port: expected an integer 0-65535"],
      [{ hostname: 42 }, "export default: `hostname` 42 is not a host: expected a host name or an IP address"],
      [{ hostname: "" }, 'export default: `hostname` "" is not a host: expected a host name or an IP address'],
      [{ hostname: "bad host" }, 'export default: `hostname` "bad host" is not a host: expected a host name or an IP address'],
      [{ hostname: "unix:/tmp/x" }, 'export default: `hostname` "unix:/tmp/x" is not a host: expected a host name or an IP address'],
      [{ hostname: "300.1.1.1" }, 'export default: `hostname` "300.1.1.1" is not a host: expected a host name or an IP address'],
    ];
    for (const [app, message] of cases) expect(() => appBindFields(app, "export default")).toThrow(message);
  });

  it("the app's fields over the default; the log line and --check-config say where it came from", () => {
    expect(appBindAddress({}, DEFAULT)).toEqual(DEFAULT);
    expect(appBindAddress({ port: 3000 }, DEFAULT)).toEqual({ kind: "tcp", host: "127.0.0.1", port: 3000 });
    expect(appBindAddress({ hostname: "::1" }, DEFAULT)).toEqual({ kind: "tcp", host: "::1", port: 8000 });
    expect(describeAppBind(parseBind("[::1]:0"), { hostname: "::1", port: 0 })).toBe("Binding [::1]:0 (from the app's port and hostname export; no bind given)");
    expect(describeAppBind(DEFAULT, {})).toBe("Binding 127.0.0.1:8000 (the default; the app exports no port or hostname; no bind given)");
    expect(appBindSource({ port: 1 })).toBe("from the app's port export");
  });

  it("with a bind given, each field set is warned about", () => {
    expect(overriddenAppBindWarnings({ port: 3000, hostname: "x", fetch }, "export default")).toEqual([
      "export default: `port` is not used: a bind was given (-b/--bind, TRICORN_BIND or the config file) and wins over the app's port and hostname",
      "export default: `hostname` is not used: a bind was given (-b/--bind, TRICORN_BIND or the config file) and wins over the app's port and hostname",
    ]);
    expect(overriddenAppBindWarnings({ fetch }, "export default")).toEqual([]);
  });
});

describe("parseCommandLine: which settings were given", () => {
  it("counts the command line, TRICORN_CMD_ARGS, the environment and a config file; defaults are not given", () => {
    expect(parseCommandLine(["app.js"], {}).given.has("bind")).toBe(false);
    expect(parseCommandLine(["-b", "127.0.0.1:1", "app.js"], {}).given.has("bind")).toBe(true);
    expect(parseCommandLine(["app.js"], { TRICORN_BIND: "127.0.0.1:1" }).given.has("bind")).toBe(true);
    expect(parseCommandLine(["app.js"], { TRICORN_CMD_ARGS: "--bind 127.0.0.1:1" }).given.has("bind")).toBe(true);
    expect(parseCommandLine(["app.js"], {}, { bind: [parseBind("127.0.0.1:1")] }).given.has("bind")).toBe(true);
    expect(parseCommandLine(["-w", "2", "app.js"], {}).given.has("bind")).toBe(false);
  });
});

describe("IPC: app-bind and binds", () => {
  it("validates both messages", () => {
    expect(isWorkerMessage({ type: "app-bind" })).toBe(true);
    expect(isWorkerMessage({ type: "app-bind", port: 0, hostname: "127.0.0.1" })).toBe(true);
    expect(isWorkerMessage({ type: "app-bind", port: "0" })).toBe(false);
    expect(isWorkerMessage({ type: "app-bind", hostname: 1 })).toBe(false);
    expect(isMasterMessage({ type: "binds", binds: [parseBind("127.0.0.1:1"), parseBind("unix:/x"), parseBind("fd://3")] })).toBe(true);
    expect(isMasterMessage({ type: "binds", binds: [{ kind: "tcp", host: "x" }] })).toBe(false);
    expect(isMasterMessage({ type: "binds" })).toBe(false);
  });
});

/** runWorker with a boot that asks the master, as core/worker/worker-main.ts does (after `loaded`, if given). */
function askingWorker(bindsWaitMs?: number, loaded?: Promise<void>) {
  const host = new FakeHost();
  const timers = new FakeTimers();
  const log = new MemoryLogger();
  let listened: BindAddress[] | null = null;
  let code: number | undefined;
  const boot = async (context: WorkerBootContext) => {
    await loaded;
    listened = await context.bindsFromMaster({ port: 0, hostname: "127.0.0.1" });
    return { shutdown: async () => {} };
  };
  void runWorker({ host, timers, logger: log, settings: { timeout: 30, gracefulTimeout: 30, maxRequests: 0, maxRequestsJitter: 0 }, boot, bindsWaitMs }).then((c) => (code = c));
  return { host, timers, log, listened: () => listened, code: () => code };
}

describe("runWorker: bindsFromMaster", () => {
  it("reports the app's fields, listens on the master's answer, then reports booted", async () => {
    const w = askingWorker();
    await flush();
    expect(w.host.sent).toContainEqual({ type: "app-bind", port: 0, hostname: "127.0.0.1" });
    expect(w.host.types()).not.toContain("booted");
    const binds = [parseBind("127.0.0.1:41234")];
    w.host.deliver({ type: "binds", binds });
    await flush();
    expect(w.listened()).toEqual(binds);
    expect(w.host.types()).toContain("booted");
  });

  it("the wait is bounded: no answer within the bound is a boot error naming it", async () => {
    const w = askingWorker(2000);
    await flush();
    w.timers.advance(1999);
    await flush();
    expect(w.code()).toBeUndefined();
    w.timers.advance(1);
    await flush();
    expect(w.host.sent).toContainEqual({ type: "boot-error", message: "the master sent no address to listen on within 2 s" });
    expect(w.code()).toBe(3);
  });

  it("TERM while the app still loads: the worker does not wait for an address afterwards and exits 0", async () => {
    let appLoaded: () => void = () => {};
    const w = askingWorker(undefined, new Promise<void>((resolve) => (appLoaded = resolve)));
    await flush();
    w.host.raise("SIGTERM");
    await flush();
    appLoaded();
    await flush();
    expect(w.host.sent).not.toContainEqual({ type: "app-bind", port: 0, hostname: "127.0.0.1" });
    expect(w.code()).toBe(0);
    expect(w.timers.size).toBe(0);
  });

  it("TERM while waiting ends the wait at once and the worker exits 0", async () => {
    const w = askingWorker();
    await flush();
    w.host.raise("SIGTERM");
    await flush();
    expect(w.code()).toBe(0);
    expect(w.listened()).toBeNull();
    expect(w.timers.size).toBe(0);
  });
});

describe("answeringAppBinds", () => {
  it("resolves once, from the first report, and answers every waiting worker; other messages reach the arbiter", async () => {
    const inner = new FakeProcessManager("reuseport");
    const reports: unknown[] = [];
    const binds = [parseBind("127.0.0.1:41234")];
    let release: (value: BindAddress[] | null) => void = () => {};
    const manager = answeringAppBinds(inner, (fields) => {
      reports.push(fields);
      return new Promise((resolve) => (release = resolve));
    });
    expect([manager.pid, manager.sharing]).toEqual([inner.pid, "reuseport"]);
    const seen: string[] = [];
    const workers = [1, 2].map((id) => {
      const proc = manager.spawnWorker({ id, env: {} });
      proc.onMessage((message) => seen.push(`${id} ${message.type}`));
      return inner.spawned[id - 1]!;
    });
    workers[0]!.emit({ type: "app-bind", port: 0, hostname: "127.0.0.1" });
    workers[1]!.emit({ type: "app-bind", port: 9999 });
    workers[1]!.heartbeat();
    await flush();
    expect(reports).toEqual([{ port: 0, hostname: "127.0.0.1" }]);
    expect(workers.map((w) => w.sent)).toEqual([[], []]);
    release(binds);
    await flush();
    expect(workers.map((w) => w.sent)).toEqual([[{ type: "binds", binds }], [{ type: "binds", binds }]]);
    expect(seen).toEqual(["2 heartbeat"]);
  });

  it("a failed resolution answers nobody (the master stops the workers itself)", async () => {
    const inner = new FakeProcessManager();
    const manager = answeringAppBinds(inner, async () => null);
    manager.spawnWorker({ id: 1, env: {} }).onMessage(() => {});
    inner.spawned[0]!.emit({ type: "app-bind" });
    await flush();
    expect(inner.spawned[0]!.sent).toEqual([]);
  });
});
