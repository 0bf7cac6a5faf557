/**
 * What the systemd unit in deploy/systemd relies on, on every runtime:
 *
 * - sd_notify: with `$NOTIFY_SOCKET` set, the master sends `READY=1` (with
 *   `STATUS=` and `MAINPID=`) once workers listen, `RELOADING=1` then
 *   `READY=1` around a HUP reload, and `STOPPING=1` on TERM. A small Python
 *   datagram listener (test/fixtures/notify-listener.py) stands in for
 *   systemd; the messages are sent by systemd's own `systemd-notify`.
 * - socket activation: test/fixtures/socket-activate.py binds a port, passes
 *   it as fd 3 with LISTEN_FDS/LISTEN_PID and execs tricorn, as systemd does.
 *   Two workers serve it (Deno and Bun through their node:net), and a HUP
 *   reload hands it to new workers without refusing a connection.
 *
 * Skips (saying why) without python3 or systemd-notify.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, runCli, signalProcess, startServersPerTest, until } from "./harness.ts";
import { request } from "./http-client.ts";

const FIXTURES = path.join(ROOT, "test/fixtures");
const APP = path.join(FIXTURES, "drain-app.js");
const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: "ignore" }).status === 0;
const PYTHON = has("python3", ["-c", "pass"]);
const SYSTEMD_NOTIFY = has("systemd-notify", ["--version"]);
const start = startServersPerTest();

const listeners: ChildProcess[] = [];
afterEach(() => {
  for (const child of listeners.splice(0)) signalProcess(child.pid, "SIGKILL");
});

/** Start the stand-in notification socket; resolves with its path and the messages so far. */
async function notifySocket(): Promise<{ path: string; messages(): string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-notify-"));
  const socketPath = path.join(dir, "notify.sock");
  const child = spawn("python3", [path.join(FIXTURES, "notify-listener.py"), socketPath], { stdio: ["ignore", "pipe", "inherit"] });
  listeners.push(child);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => void (out += text));
  await until(() => out.startsWith("listening\n"), "the notification listener");
  return { path: socketPath, messages: () => out.split("\n").slice(1).filter((line) => line !== "" && !line.startsWith("BARRIER=")) };
}

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  test.skipIf(!PYTHON || !SYSTEMD_NOTIFY)("sd_notify: READY, RELOADING then READY on HUP, STOPPING on TERM (needs python3 and systemd-notify)", async () => {
    const notify = await notifySocket();
    const server = await start({ runtime, app: APP, args: ["-w", "2"], env: { NOTIFY_SOCKET: notify.path } });
    const seen = () => `notifications ${JSON.stringify(notify.messages())}`;
    await until(() => notify.messages().length >= 1, seen);
    expect(notify.messages()[0]).toBe(`READY=1 STATUS=Listening at ${server.url} with 2 worker(s) MAINPID=${server.pid}`);

    signalProcess(server.pid, "SIGHUP");
    await until(() => notify.messages().length >= 3, seen);
    expect(notify.messages().slice(1, 3)).toEqual([
      `RELOADING=1 STATUS=Reloading MAINPID=${server.pid}`,
      `READY=1 STATUS=Listening at ${server.url} with 2 worker(s) MAINPID=${server.pid}`,
    ]);
    expect(server.stderr()).toContain("Reload complete");

    signalProcess(server.pid, "SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await until(() => notify.messages().length >= 4, seen);
    expect(notify.messages()[3]).toBe(`STOPPING=1 STATUS=Stopping MAINPID=${server.pid}`);
  }, 60_000);

  test.skipIf(!PYTHON)("socket activation: 2 workers serve the inherited socket, and a HUP reload keeps serving it (needs python3)", async () => {
    const server = await start({ runtime, app: APP, args: ["-w", "2"], launcher: ["python3", path.join(FIXTURES, "socket-activate.py")] });
    const port = Number(/activated port (\d+)/.exec(server.stderr())![1]);
    expect(server.url).toBe("fd://3");
    expect(server.stderr()).toContain("Serving 1 socket(s) from systemd (LISTEN_FDS) instead of --bind");
    for (let i = 0; i < 4; i++) expect(await request(port, "/")).toMatchObject({ status: 200, body: "ok\n" });
    expect(server.stderr().match(/Booting worker with pid/g)).toHaveLength(2);
    // The new workers inherit the same socket from the master: it never stops accepting.
    signalProcess(server.pid, "SIGHUP");
    let served = 0;
    const failed: string[] = [];
    const deadline = Date.now() + 30_000;
    while (!server.stderr().includes("Reload complete") && Date.now() < deadline) {
      try {
        expect(await request(port, "/", { timeoutMs: 5000 })).toMatchObject({ status: 200, body: "ok\n" });
        served++;
      } catch (error) {
        failed.push(String(error));
      }
    }
    expect(server.stderr()).toContain("Reload complete");
    expect(failed, server.stderr()).toEqual([]);
    expect(served).toBeGreaterThan(0);
    expect(server.stderr().match(/Booting worker with pid/g)).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(await request(port, "/")).toMatchObject({ status: 200, body: "ok\n" });
  }, 60_000);

  test.skipIf(!PYTHON || runtime === "node")("socket activation with --engine native: one line where the runtime's server cannot adopt a socket (needs python3)", async () => {
    const result = await runCli({ runtime, args: ["--engine", "native", APP], launcher: ["python3", path.join(FIXTURES, "socket-activate.py")] });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split("\n").at(-1)).toMatch(/^tricorn: cannot bind fd:\/\/3: --engine native cannot serve fd:\/\/ binds \(socket activation\) on (Deno|Bun).*use --engine core$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  test.skipIf(!PYTHON)("socket activation of a unix socket, as deploy/systemd/tricorn.socket does (needs python3)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-activate-"));
    const socketPath = path.join(dir, "app.sock");
    try {
      const launcher = ["python3", path.join(FIXTURES, "socket-activate.py"), "--unix", socketPath];
      const server = await start({ runtime, app: APP, args: ["-w", "2"], launcher });
      expect(server.url).toBe("fd://3");
      for (let i = 0; i < 4; i++) expect(await request({ socketPath }, "/")).toMatchObject({ status: 200, body: "ok\n" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
