/**
 * The operator's view on every runtime: `tricorn ctl` over the control
 * socket (status, stats, workers add/remove, reload, stop; human and JSON
 * output; errors), the same answers from a script and a config hook,
 * Prometheus metrics checked against the requests sent (and by `promtool
 * check metrics` when installed), health answers and the drain sequence.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, ensureBuilt, runCli, startServersPerTest, until, type RunningServer, type RuntimeName } from "./harness.ts";

const APP = "test/fixtures/faults-app.js";
const start = startServersPerTest();
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-ops-"));
  dirs.push(dir);
  return dir;
}

function metricsPort(server: RunningServer): number {
  const match = /Metrics at: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(server.stderr());
  if (!match) throw new Error(`no "Metrics at" line:\n${server.stderr()}`);
  return Number(match[1]);
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

/** The value of one sample (`name{labels}`) in a scrape, or null. */
function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

function ctl(runtime: RuntimeName, args: string[], cwd?: string) {
  return runCli({ runtime, args: ["ctl", ...args], cwd, timeoutMs: 30_000 });
}

async function ctlJson(runtime: RuntimeName, socket: string, command: string[]): Promise<Record<string, unknown>> {
  const result = await ctl(runtime, ["--control-socket", socket, "--json", ...command]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Send raw bytes, resolve with everything the server answered before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.setEncoding("latin1").on("data", (text: string) => (out += text));
    socket.on("close", () => resolve(out)).on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer in 10 s")));
  });
}

/** True when nothing accepts connections on 127.0.0.1:`port`. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** `ctl` from a script on `runtime`, imported from the package entry (`import { ctl } from "tricorn"`: dist/api-<runtime>.js). */
async function scriptCtl(runtime: RuntimeName, socket: string, command: string): Promise<Record<string, unknown>> {
  const script = path.join(tmpDir(), "script.mjs");
  fs.writeFileSync(
    script,
    `import { ctl } from ${JSON.stringify(path.join(ROOT, "dist", `api-${runtime}.js`))};\n` +
      `console.log(JSON.stringify(await ctl(${JSON.stringify(command)}, { controlSocket: ${JSON.stringify(socket)} })));\n`,
  );
  const [bin, args] = runtime === "node" ? [process.execPath, [script]] : [path.join(ROOT, "node_modules", ".bin", runtime), runtime === "deno" ? ["run", "-A", script] : [script]];
  const run = spawnSync(bin, args, { encoding: "utf8", timeout: 30_000 });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const promtool = spawnSync("promtool", ["--version"]).status === 0;
/** The last scrape of the first test, per runtime, for the promtool check. */
const scraped = new Map<RuntimeName, string>();

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  test("ctl and metrics: status, stats, counts against the requests sent, scaling, reload, stop", async () => {
    const dir = tmpDir();
    const socket = path.join(dir, "server.ctl");
    const config = path.join(dir, "hooks.config.js");
    fs.writeFileSync(config, 'export default { async when_ready(server) { console.log("[ctl] " + JSON.stringify(await server.ctl("status"))); } };\n');
    const server = await start({
      runtime,
      app: APP,
      args: ["-w", "2", "-c", config, "--control-socket", socket, "--metrics-bind", "127.0.0.1:0"],
    });
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    const metrics = metricsPort(server);

    // The hook got the same status object ctl prints.
    await until(() => server.stdout().includes("[ctl] "), () => server.stdout());
    const fromHook = JSON.parse(server.stdout().split("[ctl] ")[1]!.split("\n")[0]!) as { workers: unknown[] };
    expect(fromHook.workers).toHaveLength(2);

    const base = `http://127.0.0.1:${server.port}`;
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/x`, { method: "POST", body: "hello" })).status).toBe(200);
    expect(await raw(server.port, "GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 /);

    // Workers report with their heartbeats (at least every second).
    let text = "";
    await until(
      async () => {
        text = await scrape(metrics);
        return (
          sample(text, 'tricorn_http_requests_total{method="GET",status="2xx"}') === 5 &&
          sample(text, 'tricorn_http_requests_total{method="POST",status="2xx"}') === 1 &&
          sample(text, 'tricorn_http_rejected_requests_total{reason="bad_request"}') === 1
        );
      },
      () => text,
      15_000,
    );
    expect(sample(text, "tricorn_http_request_duration_seconds_count")).toBe(6);
    expect(sample(text, 'tricorn_http_request_duration_seconds_bucket{le="+Inf"}')).toBe(6);
    expect(sample(text, "tricorn_http_received_bytes_total")).toBeGreaterThan(6 * 20);
    expect(sample(text, "tricorn_http_response_body_bytes_total")).toBeGreaterThan(0);
    expect(sample(text, "tricorn_workers")).toBe(2);
    expect(sample(text, 'tricorn_worker_starts_total{reason="start"}')).toBe(2);
    expect(sample(text, "tricorn_ready")).toBe(1);
    scraped.set(runtime, text);

    const status = (await ctlJson(runtime, socket, ["status"])) as { pid: number; workers: Record<string, unknown>[] };
    expect(status.pid).toBe(server.pid);
    expect(status.workers).toHaveLength(2);
    for (const w of status.workers) {
      expect(w).toMatchObject({ state: "serving", startedBecause: "start", inFlight: 0, generation: 0 });
      for (const key of ["id", "pid", "age", "lastHeartbeat", "requests", "connections", "rss"]) expect(typeof w[key]).toBe("number");
      expect(w.rss as number).toBeGreaterThan(1024 * 1024);
    }
    expect(status.workers.reduce((sum, w) => sum + (w.requests as number), 0)).toBe(6);
    const human = await ctl(runtime, ["--control-socket", socket, "status"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^master ${server.pid}: running, ready, generation 0, 2 worker\\(s\\) \\(target 2\\)\\nID +PID +STATE +AGE`));
    expect(human.stdout.match(/ serving /g)).toHaveLength(2);
    expect(await ctlJson(runtime, socket, ["stats"])).toMatchObject({ requests: 6, workers: 2, ready: true });
    await ensureBuilt(); // the package entries (dist/api-*.js) for every runtime
    expect(await scriptCtl(runtime, socket, "stats")).toMatchObject({ requests: 6, workers: 2 });

    expect((await ctl(runtime, ["--control-socket", socket, "workers", "add", "1"])).stdout).toBe("workers: 2 -> 3\n");
    await until(async () => sample(await scrape(metrics), 'tricorn_worker_starts_total{reason="scale_up"}') === 1, "a scale_up start");
    expect((await ctl(runtime, ["--control-socket", socket, "workers", "remove", "1"])).stdout).toBe("workers: 3 -> 2\n");
    await until(async () => sample(await scrape(metrics), 'tricorn_worker_exits_total{reason="scale_down"}') === 1, "a scale_down exit");
    const below = await ctl(runtime, ["--control-socket", socket, "workers", "remove", "5"]);
    expect([below.code, below.stderr]).toEqual([1, "tricorn: the server refused: cannot go below 1 worker (2 now)\n"]);

    expect((await ctl(runtime, ["--control-socket", socket, "reload"])).stdout).toBe("reloading\n");
    await until(async () => {
      const after = await scrape(metrics);
      return sample(after, "tricorn_reloads_total") === 1 && sample(after, 'tricorn_worker_exits_total{reason="reload"}') === 2;
    }, "the reload to replace both workers");
    // Counters survive the workers that counted them.
    expect(sample(await scrape(metrics), 'tricorn_http_requests_total{method="GET",status="2xx"}')).toBe(5);

    expect((await ctl(runtime, ["--control-socket", socket, "stop"])).stdout).toBe("stopping\n");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(socket)).toBe(false);
  }, 120_000);

  test.skipIf(!promtool)(`promtool check metrics accepts the scrape${promtool ? "" : " (skipped: promtool is not installed; Debian package prometheus)"}`, () => {
    const text = scraped.get(runtime);
    expect(text, "the scrape of the test above").toBeDefined();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  test("drain: readyz turns 503 at once, listeners close after --drain-delay, in-flight requests finish", async () => {
    const delayS = 3;
    const server = await start({ runtime, app: APP, args: ["-w", "1", "--drain-delay", String(delayS), "--metrics-bind", "127.0.0.1:0"] });
    const metrics = metricsPort(server);
    const readyz = async () => (await fetch(`http://127.0.0.1:${metrics}/readyz`)).status;
    expect(await readyz()).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${metrics}/healthz`)).text()).toBe("ok\n");
    const slow = fetch(`http://127.0.0.1:${server.port}/slow?ms=${delayS * 1000 + 2000}`);
    await until(async () => sample(await scrape(metrics), "tricorn_http_requests_in_flight") === 1, "the slow request in flight");

    const signalled = Date.now();
    process.kill(server.pid, "SIGTERM");
    await until(async () => (await readyz()) === 503, "readyz 503", 10_000);
    // Not ready, but still serving: a load balancer that has not noticed yet loses nothing.
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${metrics}/healthz`)).text()).toBe("ok\n");
    await until(() => refused(server.port), "the listeners to close", 20_000);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(delayS * 1000);
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  test("ctl errors are one line; a default socket in the working directory; a busy default is only a warning", async () => {
    const dir = tmpDir();
    const missing = await ctl(runtime, ["--control-socket", path.join(dir, "none.ctl"), "status"]);
    expect([missing.code, missing.stderr]).toEqual([1, `tricorn: no control socket at ${path.join(dir, "none.ctl")}; is tricorn running here? pass the server's --control-socket PATH\n`]);
    const usage = await ctl(runtime, ["frobnicate"]);
    expect([usage.code, usage.stderr.split("\n").length]).toEqual([2, 2]);
    expect(usage.stderr).toMatch(/^tricorn: ctl: unknown command "frobnicate"/);

    // A socket that accepts and never answers: the wait is bounded by --timeout.
    const silentPath = path.join(dir, "silent.ctl");
    const silent = net.createServer(() => {}).listen(silentPath);
    try {
      const hung = await ctl(runtime, ["--control-socket", silentPath, "--timeout", "0.5", "status"]);
      expect([hung.code, hung.stderr]).toEqual([1, `tricorn: no answer from the control socket ${silentPath}: no answer within 500 ms\n`]);
    } finally {
      silent.close();
    }

    const badDir = await runCli({ runtime, args: ["--control-socket", path.join(dir, "no", "such.ctl"), "-b", "127.0.0.1:0", path.join(ROOT, APP)] });
    expect([badDir.code, badDir.stderr]).toEqual([
      1,
      `tricorn: cannot open control socket ${path.join(dir, "no", "such.ctl")}: directory ${path.join(dir, "no")} does not exist; create it or choose another socket path\n`,
    ]);

    const taken = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    const takenPort = (taken.address() as net.AddressInfo).port;
    try {
      const busy = await runCli({ runtime, args: ["--metrics-bind", `127.0.0.1:${takenPort}`, "-b", "127.0.0.1:0", path.join(ROOT, APP)] });
      expect([busy.code, busy.stderr]).toEqual([1, `tricorn: cannot bind --metrics-bind 127.0.0.1:${takenPort}: address already in use; choose another address\n`]);
    } finally {
      taken.close();
    }
    const badBind = await runCli({ runtime, args: ["--metrics-bind", "unix:/tmp/x.sock", path.join(ROOT, APP)] });
    expect([badBind.code, badBind.stderr]).toEqual([2, 'tricorn: --metrics-bind: expected HOST:PORT (a TCP address), got "unix:/tmp/x.sock"\n']);

    const first = await start({ runtime, app: path.join(ROOT, APP), cwd: dir });
    expect(fs.statSync(path.join(dir, "tricorn.ctl")).mode & 0o777).toBe(0o600);
    const status = await ctl(runtime, ["status", "--json"], dir);
    expect(JSON.parse(status.stdout)).toMatchObject({ pid: first.pid });
    const second = await start({ runtime, app: path.join(ROOT, APP), cwd: dir });
    expect(second.stderr()).toContain(
      "No control socket (tricorn ctl): cannot use tricorn.ctl: address already in use (another tricorn runs in this directory?); choose one with --control-socket PATH",
    );
    expect((await fetch(`http://127.0.0.1:${second.port}/`)).status).toBe(200);
    // A master killed outright leaves its socket file behind; the next one replaces it.
    await first.stop("SIGKILL");
    const third = await start({ runtime, app: path.join(ROOT, APP), cwd: dir });
    expect(third.stderr()).not.toContain("No control socket");
    expect(JSON.parse((await ctl(runtime, ["status", "--json"], dir)).stdout)).toMatchObject({ pid: third.pid });
  }, 90_000);

  test("--engine native: ctl and metrics count requests by method and status; connections are unknown", async () => {
    const dir = tmpDir();
    const socket = path.join(dir, "native.ctl");
    const server = await start({ runtime, app: APP, args: ["--engine", "native", "--control-socket", socket, "--metrics-bind", "127.0.0.1:0"] });
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
    let status: { workers: Record<string, unknown>[] } = { workers: [] };
    await until(async () => {
      status = (await ctlJson(runtime, socket, ["status"])) as typeof status;
      return status.workers[0]?.requests === 3;
    }, () => JSON.stringify(status));
    expect(status.workers[0]).toMatchObject({ inFlight: 0, connections: null });
    expect(status.workers[0]!.rss as number).toBeGreaterThan(0);
    const text = await scrape(metricsPort(server));
    expect(sample(text, 'tricorn_http_requests_total{method="GET",status="2xx"}')).toBe(3);
    expect(sample(text, "tricorn_http_request_duration_seconds_count")).toBe(3);
  }, 60_000);
});
