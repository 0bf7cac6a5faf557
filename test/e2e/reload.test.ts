/**
 * `--reload` end to end, on Node, Deno and Bun: editing a copied app (and a
 * module it imports from a subdirectory) restarts the workers, which then
 * serve the new code; a `--reload-extra-file` change reloads too, while
 * non-source files next to the app do not.
 *
 *   node_modules/.bin/vitest run test/e2e/reload
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { RELOAD_DEBOUNCE_MS } from "../../core/reloader.ts";
import { RUNTIMES, startServer, type RunningServer, type RuntimeName } from "./harness.ts";

const ONLY = process.env.TRICORN_RUNTIMES?.split(",").map((s) => s.trim());
const runtimes = RUNTIMES.filter((rt) => !ONLY || ONLY.includes(rt));

/** Bound on every wait in this file. */
const WAIT_MS = 20_000;

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => void (body += chunk));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`no answer within ${WAIT_MS} ms`)));
    req.on("error", reject);
  });
}

/** Poll `check` every 100 ms until it is true; fail with `what` after {@link WAIT_MS}. */
async function until(check: () => boolean | Promise<boolean>, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const countOf = (text: string, needle: string) => text.split(needle).length - 1;

let root = "";
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-reload-"));
});
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop("SIGKILL", 0);
  server = null;
});

describe.each(runtimes)("--reload on %s", (runtime: RuntimeName) => {
  test("an edited app and an edited imported module are served after the reload", async () => {
    const dir = fs.mkdtempSync(path.join(root, `${runtime}-`));
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib", "word.js"), 'export const word = "one";\n');
    const app = path.join(dir, "app.js");
    const source = (greeting: string) =>
      `import { word } from "./lib/word.js";\nexport default { fetch: () => new Response(\`${greeting} \${word}\`) };\n`;
    fs.writeFileSync(app, source("hello"));
    server = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--reload"] });
    const running = server;
    expect(await get(server.port)).toBe("hello one");

    // Not a source file: no reload (a wrong one would show within a few debounce periods).
    fs.writeFileSync(path.join(dir, "notes.txt"), "ignored\n");
    await new Promise((resolve) => setTimeout(resolve, 4 * RELOAD_DEBOUNCE_MS));
    expect(server.stderr()).not.toContain("Reloading");
    fs.writeFileSync(app, source("bye"));
    await until(async () => (await get(running.port)) === "bye one", () => running.stderr());
    expect(server.stderr()).toContain(`Reloading: ${app} changed`);

    fs.writeFileSync(path.join(dir, "lib", "word.js"), 'export const word = "two";\n');
    await until(async () => (await get(running.port)) === "bye two", () => running.stderr());
    expect(countOf(server.stderr(), "Reload complete")).toBeGreaterThanOrEqual(2);
  });

  test("--reload-extra-file: a change to that file reloads too", async () => {
    const dir = fs.mkdtempSync(path.join(root, `${runtime}-extra-`));
    fs.writeFileSync(path.join(dir, "app.js"), "export default { fetch: () => new Response('ok') };\n");
    const extra = path.join(dir, "settings.toml");
    fs.writeFileSync(extra, "a = 1\n");
    server = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--reload", "--reload-extra-file", "settings.toml"] });
    const running = server;
    fs.writeFileSync(extra, "a = 2\n");
    await until(() => running.stderr().includes("Reload complete"), () => running.stderr());
    expect(server.stderr()).toContain(`Reloading: ${extra} changed`);
    expect(await get(server.port)).toBe("ok");
  });
});
