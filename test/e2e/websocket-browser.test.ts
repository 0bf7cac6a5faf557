/**
 * A real browser against tricorn: headless Chromium loads the page of
 * examples/websocket/app.ts, which opens a WebSocket (subprotocol "echo"),
 * sends a text and a binary message, reads both echoes, closes with 1000 and
 * POSTs what it saw to /result; the test reads it there. On Node, Deno and Bun.
 *
 * Skipped, saying so, when no Chromium is installed (Debian package
 * `chromium`; `.ci/run` installs it, best effort). `TRICORN_CHROMIUM=/path`
 * picks the binary, `TRICORN_CHROMIUM=none` skips. Chromium runs in its own
 * process group with a temporary profile and is killed (group and all) after
 * each test, also when it fails.
 *
 *   node_modules/.bin/vitest run test/e2e/websocket-browser
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, startServersPerTest, until } from "./harness.ts";
import { request } from "./http-client.ts";

function findChromium(): string | null {
  const forced = process.env.TRICORN_CHROMIUM;
  if (forced === "none") return null;
  if (forced) return forced;
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/bin", "/usr/local/bin"]) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      const candidate = path.join(dir || ".", name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

const CHROMIUM = findChromium();
const SKIP_REASON = "Chromium is not installed (no chromium on PATH); install it (apt-get install -y chromium) to run the browser test";
if (!CHROMIUM) console.warn(`test/e2e/websocket-browser.test.ts skipped: ${SKIP_REASON}`);

const browsers: { child: ChildProcess; profile: string }[] = [];
afterEach(async () => {
  for (const { child, profile } of browsers.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL"); // the whole group: Chromium's renderer and GPU processes too
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

function startChromium(url: string): ChildProcess {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-chromium-"));
  const child = spawn(CHROMIUM!, [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
    "--disable-dev-shm-usage", `--user-data-dir=${profile}`, url,
  ], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.resume();
  browsers.push({ child, profile });
  return child;
}

describe.skipIf(!CHROMIUM).each(TESTED_RUNTIMES)("headless Chromium [%s]", (runtime) => {
  const start = startServersPerTest();

  test("a page opens a WebSocket, exchanges text and binary, closes cleanly", async () => {
    const server = await start({ runtime, app: "examples/websocket/app.ts" });
    const base = `http://127.0.0.1:${server.port}`;
    const browser = startChromium(`${base}/`);
    let result = "none";
    await until(async () => {
      if (browser.exitCode !== null) throw new Error(`Chromium exited with ${browser.exitCode}`);
      result = (await request(server.port, "/result")).body;
      return result !== "none";
    }, () => `no result from the browser; server log:\n${server.stderr()}`, 45_000);
    expect(JSON.parse(result)).toEqual({ protocol: "echo", got: ["text:héllo ✓", "binary:0,1,2,254,255"], code: 1000 });
  }, 60_000);
});
