/**
 * Logs end to end, on Node, Deno and Bun: access log lines in an exact
 * format and as JSON written to a file; USR1 reopening the access and error
 * logs after they were renamed (logrotate's move-then-signal).
 *
 *   node_modules/.bin/vitest run test/e2e/logging
 *   TRICORN_RUNTIMES=bun node_modules/.bin/vitest run test/e2e/logging
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, ensureBuilt, startServersPerTest, tricornCommand, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";

/** Bound on every wait in this file. */
const WAIT_MS = 20_000;

/** One request; resolves with its status. */
async function statusOf(port: number, target: string, headers: Record<string, string> = {}, method = "GET"): Promise<number> {
  return (await request(port, target, { headers, method, timeoutMs: WAIT_MS })).status;
}

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");

/** Poll `file` until it has at least `count` lines; returns them. */
async function lines(file: string, count: number): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = read(file).split("\n").filter((line) => line !== "");
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`${file}: ${found.length} of ${count} lines after ${WAIT_MS} ms:\n${found.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Poll `get` every 100 ms until it returns a value other than null/undefined; fail with `what` after {@link WAIT_MS}. */
async function poll<T>(get: () => T | null | undefined | Promise<T | null | undefined>, what: () => string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await get();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `promise`, or a rejection after {@link WAIT_MS}. */
function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no result within ${WAIT_MS} ms`)), WAIT_MS))]);
}

/** An app answering `/status/NNN` with that status and a 5-byte body, and a response header. */
const APP = `export default {
  fetch(request) {
    const status = Number(new URL(request.url).pathname.split("/")[2] ?? 200) || 200;
    return new Response(status === 204 ? null : "hello", { status, headers: { "x-served-by": "tricorn-test" } });
  },
};
`;

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-logging-"));
  fs.writeFileSync(path.join(dir, "app.js"), APP);
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const startServer = startServersPerTest();

const FORMAT = '%(h)s %(l)s %(u)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(m)s %(U)s %(q)s %(H)s %({x-trace}i)s %({x-served-by}o)s %(p)s';

describe.each(TESTED_RUNTIMES)("logs on %s", (runtime: RuntimeName) => {
  test("access log lines in the exact format, in a file", async () => {
    const file = path.join(dir, `${runtime}-access.log`);
    const server = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--access-logfile", file, "--access-logformat", FORMAT] });
    const auth = `Basic ${Buffer.from("ada:pw").toString("base64")}`;
    expect(await statusOf(server.port, "/status/201?q=1&r=2", { "user-agent": 'agent "quoted"', referer: "http://r/", "x-trace": "t-1", authorization: auth })).toBe(201);
    expect(await statusOf(server.port, "/status/204", { "user-agent": "ua" })).toBe(204);
    expect(await statusOf(server.port, "/status/404", { "user-agent": "ua" }, "HEAD")).toBe(404);
    const found = await lines(file, 3);
    // One worker: every line carries its pid, which is not the master's.
    const pid = /<(\d+)>$/.exec(found[0])?.[1];
    expect(pid).toBeDefined();
    expect(Number(pid)).not.toBe(server.pid);
    expect(found).toEqual([
      `127.0.0.1 - ada "GET /status/201?q=1&r=2 HTTP/1.1" 201 5 "http://r/" "agent \\"quoted\\"" GET /status/201 q=1&r=2 HTTP/1.1 t-1 tricorn-test <${pid}>`,
      `127.0.0.1 - - "GET /status/204 HTTP/1.1" 204 0 "-" "ua" GET /status/204  HTTP/1.1 - tricorn-test <${pid}>`,
      `127.0.0.1 - - "HEAD /status/404 HTTP/1.1" 404 0 "-" "ua" HEAD /status/404  HTTP/1.1 - tricorn-test <${pid}>`,
    ]);
  });

  test("the default format and --access-log-json", async () => {
    const file = path.join(dir, `${runtime}-access.jsonl`);
    const server = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--access-logfile", file, "--access-log-json"] });
    expect(await statusOf(server.port, "/status/200?a=b", { "user-agent": "json-ua" })).toBe(200);
    const [line] = await lines(file, 1);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toEqual({
      remote_addr: "127.0.0.1",
      ident: null,
      user: null,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      request: "GET /status/200?a=b HTTP/1.1",
      status: 200,
      bytes: 5,
      referer: null,
      user_agent: "json-ua",
    });
    expect(Math.abs(Date.parse(entry.time as string) - Date.now())).toBeLessThan(60_000);
  });

  test("USR1 reopens the access and error logs after they were moved away", async () => {
    const access = path.join(dir, `${runtime}-rotate-access.log`);
    const errors = path.join(dir, `${runtime}-rotate-error.log`);
    // The error log goes to a file, so the harness cannot see "Listening at" on stderr: spawn here.
    if (runtime === "node") await ensureBuilt();
    const [command, argv] = tricornCommand(runtime, [
      "-b", "127.0.0.1:0", "--access-logfile", access, "--access-logformat", "%(U)s", "--error-logfile", errors, "app.js",
    ]);
    const child = spawn(command, argv, { cwd: dir, stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const pid = child.pid!;
      const port = Number(await poll(() => /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(read(errors))?.[1], () => read(errors)));
      expect(await statusOf(port, "/before")).toBe(200);
      await lines(access, 1);
      fs.renameSync(access, `${access}.1`);
      fs.renameSync(errors, `${errors}.1`);
      process.kill(pid, "SIGUSR1");
      // Workers reopen when the master's message arrives; until then lines still go to the moved file.
      let n = 0;
      await poll(async () => {
        expect(await statusOf(port, `/after-${++n}`)).toBe(200);
        return read(access).includes("/after-") || null;
      }, () => `no line in a new ${access}; moved file:\n${read(`${access}.1`)}`);
      process.kill(pid, "SIGTERM");
      expect(await withTimeout(exited)).toBe(0);
      // Every request was logged exactly once, in order, across the moved and the new file.
      const all = (read(`${access}.1`) + read(access)).split("\n").filter((line) => line !== "");
      expect(all).toEqual(["/before", ...Array.from({ length: n }, (_, i) => `/after-${i + 1}`)]);
      expect(read(access)).toMatch(/^(\/after-\d+\n)+$/);
      expect(read(`${errors}.1`)).toContain("[INFO] Handling signal: usr1");
      // Master and worker both write to the new error log after the reopen.
      expect(read(errors)).toContain("[INFO] Shutting down: Master");
      expect(read(errors)).toMatch(/\[INFO\] Worker exiting \(pid: \d+\)/);
      expect(read(errors)).not.toContain("Listening at");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    }
  });
});
