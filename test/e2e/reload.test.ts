/**
 * `--reload` end to end, on Node, Deno and Bun: editing a copied app (and a
 * module it imports from a subdirectory) restarts the workers, which then
 * serve the new code; a `--reload-extra-file` change reloads too, while
 * non-source files next to the app do not.
 *
 *   node_modules/.bin/vitest run test/e2e/reload
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RELOAD_DEBOUNCE_MS } from "../../core/arbiter/reloader.ts";
import { TESTED_RUNTIMES, startServersPerTest, until, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";

/** The body of `GET /`. */
const get = async (port: number): Promise<string> => (await request(port, "/")).body;

const countOf = (text: string, needle: string) => text.split(needle).length - 1;

let root = "";
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-reload-"));
});
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const startServer = startServersPerTest();

describe.each(TESTED_RUNTIMES)("--reload on %s", (runtime: RuntimeName) => {
  test("an edited app and an edited imported module are served after the reload", async () => {
    const dir = fs.mkdtempSync(path.join(root, `${runtime}-`));
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib", "word.js"), 'export const word = "one";\n');
    const app = path.join(dir, "app.js");
    const source = (greeting: string) =>
      `import { word } from "./lib/word.js";\nexport default { fetch: () => new Response(\`${greeting} \${word}\`) };\n`;
    fs.writeFileSync(app, source("hello"));
    const server = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--reload"] });
    expect(await get(server.port)).toBe("hello one");

    // Not a source file: no reload (a wrong one would show within a few debounce periods).
    fs.writeFileSync(path.join(dir, "notes.txt"), "ignored\n");
    await new Promise((resolve) => setTimeout(resolve, 4 * RELOAD_DEBOUNCE_MS));
    expect(server.stderr()).not.toContain("Reloading");
    fs.writeFileSync(app, source("bye"));
    await until(async () => (await get(server.port)) === "bye one", () => server.stderr());
    expect(server.stderr()).toContain(`Reloading: ${app} changed`);

    fs.writeFileSync(path.join(dir, "lib", "word.js"), 'export const word = "two";\n');
    await until(async () => (await get(server.port)) === "bye two", () => server.stderr());
    expect(countOf(server.stderr(), "Reload complete")).toBeGreaterThanOrEqual(2);
  });

  test("--reload-extra-file: a change to that file reloads too", async () => {
    const dir = fs.mkdtempSync(path.join(root, `${runtime}-extra-`));
    fs.writeFileSync(path.join(dir, "app.js"), "export default { fetch: () => new Response('ok') };\n");
    const extra = path.join(dir, "settings.toml");
    fs.writeFileSync(extra, "a = 1\n");
    const server = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--reload", "--reload-extra-file", "settings.toml"] });
    fs.writeFileSync(extra, "a = 2\n");
    await until(() => server.stderr().includes("Reload complete"), () => server.stderr());
    expect(server.stderr()).toContain(`Reloading: ${extra} changed`);
    expect(await get(server.port)).toBe("ok");
  });
});
