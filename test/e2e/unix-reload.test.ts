/**
 * HUP with one worker on a unix socket loses no request, on every runtime.
 * Node's cluster master holds the socket; on Deno and Bun each worker binds
 * its own, so the successor binds beside the path and renames its socket over
 * it while the old worker still serves (core/net/unix-handover.ts). Clients
 * open a new connection for every request, so each HUP is crossed by connects.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, signalProcess, startServersPerTest, until } from "./harness.ts";
import { request } from "./http-client.ts";

const APP = path.join(ROOT, "test/fixtures/faults-app.js");
const CLIENTS = 4;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** One GET over a new connection to the unix socket: `v1 PID` body or the error's code. */
function get(socketPath: string): Promise<{ pid: number } | { error: string }> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: "/", agent: false, timeout: 5_000 }, (response) => {
      let body = "";
      response.setEncoding("latin1");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        const pid = /^v1 (\d+)/.exec(body)?.[1];
        resolve(response.statusCode === 200 && pid !== undefined ? { pid: Number(pid) } : { error: `status ${response.statusCode}` });
      });
      response.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    request.on("timeout", () => request.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    request.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

describe.each(TESTED_RUNTIMES)("unix socket reload [%s]", (runtime) => {
  const start = startServersPerTest();

  test("-w 1: two HUPs under continuous load, no failed request, the path stays", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-unix-"));
    dirs.push(dir);
    const socketPath = path.join(dir, "app.sock");
    const server = await start({ runtime, app: APP, args: ["-w", "1", "-b", `unix:${socketPath}`, "--log-level", "debug"] });
    const results: ({ pid: number } | { error: string })[] = [];
    let running = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (running) results.push(await get(socketPath));
    });
    try {
      for (let hup = 1; hup <= 2; hup++) {
        await until(() => results.length >= 100 * hup, "requests before the HUP", 20_000);
        signalProcess(server.pid, "SIGHUP");
        await until(() => (server.stderr().match(/Reload complete/g) ?? []).length >= hup, () => `reload ${hup}\n${server.stderr()}`, 30_000);
      }
      const afterReloads = results.length;
      await until(() => results.length >= afterReloads + 100, "requests after the reloads", 20_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    const failed = results.filter((r) => "error" in r);
    const pids = new Set(results.flatMap((r) => ("pid" in r ? [r.pid] : [])));
    console.log(`[unix-reload] ${runtime}: ${results.length} requests, ${failed.length} failed, ${pids.size} worker pids`);
    expect(failed, server.stderr()).toEqual([]);
    expect(pids.size).toBe(3);
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(["app.sock"]);
  }, 120_000);

  if (runtime === "deno") {
    test("Deno without write access to the socket's directory: no handover, the old worker stops first; reload still works", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-unix-"));
      dirs.push(dir);
      const socketPath = path.join(dir, "app.sock");
      const control = path.join(dir, "ctl");
      // Reading the directory is needed anyway (the start-up check of the bind); writing only the socket itself.
      const denoFlags = ["--allow-net", `--allow-read=${ROOT},${dir}`, `--allow-write=${socketPath},${control}`, "--allow-env", "--allow-run"];
      const server = await start({ runtime, app: APP, denoFlags, args: ["-b", `unix:${socketPath}`, "--control-socket", control] });
      const pidOf = async () => Number(/^v1 (\d+)/.exec((await request({ socketPath }, "/")).body)?.[1]);
      const first = await pidOf();
      signalProcess(server.pid, "SIGHUP");
      await until(() => server.stderr().includes("Reload complete"), () => server.stderr(), 30_000);
      expect(await pidOf()).not.toBe(first);
      const log = server.stderr();
      expect(log.indexOf(`Worker exiting (pid: ${first})`), "the old worker stopped before its successor started").toBeLessThan(log.lastIndexOf("Booting worker"));
      expect(fs.readdirSync(dir).sort()).toEqual(["app.sock", "ctl"]);
    }, 60_000);
  }
});
