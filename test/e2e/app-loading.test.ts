/**
 * Friendly app loading on every runtime: Bun.serve/Deno.serve-style export
 * fields (`error(err)` honoured on both engines, `routes` named in a warning,
 * and `port` too as the bind was given — test/e2e/app-bind.test.ts has the rest), load errors with file:line:column, and hints for ESM/CommonJS
 * mix-ups (Bun runs both kinds in either file, so it just serves).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, runCli, startServersPerTest } from "./harness.ts";
import { request } from "./http-client.ts";

const SERVE_FIELDS_APP = path.join(ROOT, "test/fixtures/serve-fields-app.js");
const start = startServersPerTest();

/** Broken apps in an ES-module project (package.json "type": "module"). */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-load-"));
fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
const APPS: Record<string, string> = {
  "syntax.js": 'export default {\n  fetch() { return new Response("x") }\n  oops here\n};\n',
  "throws.js": "const settings = undefined;\n\nsettings.port;\nexport default { fetch() { return new Response('x'); } };\n",
  "cjs.js": 'const fs = require("node:fs");\nmodule.exports = { fetch() { return new Response("cjs\\n"); } };\n',
  "esm.cjs": 'import fs from "node:fs";\nexport default { fetch() { return new Response("esm\\n"); } };\n',
};
for (const [name, source] of Object.entries(APPS)) fs.writeFileSync(path.join(dir, name), source);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The one `tricorn:` line of a failed start, from the app's directory. */
async function loadError(runtime: string, app: string): Promise<string> {
  const result = await runCli({ runtime, args: ["-b", "127.0.0.1:0", app], cwd: dir });
  expect(result.code).toBe(3);
  return result.stderr.split("\n").filter((line) => line.startsWith("tricorn:")).join("\n");
}

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  for (const engine of ["core", "native"]) {
    test(`error(err) answers what fetch throws or rejects; port and routes are warned about (--engine ${engine})`, async () => {
      const server = await start({ runtime, app: SERVE_FIELDS_APP, args: ["--engine", engine] });
      expect(await request(server.port, "/")).toMatchObject({ status: 200, body: "ok\n" });
      expect(await request(server.port, "/throw")).toMatchObject({ status: 503, body: "handled: thrown at /throw\n" });
      expect(await request(server.port, "/reject")).toMatchObject({ status: 503, body: "handled: rejected\n" });
      expect((await request(server.port, "/error-throws")).status).toBe(500);
      expect(server.stderr()).toMatch(/`port` is not used: a bind was given \(-b\/--bind, TRICORN_BIND or the config file\) and wins/);
      expect(server.stderr()).toMatch(/`routes` is a Bun\.serve\/Deno\.serve option that tricorn does not use; route inside fetch\(\)/);
    }, 60_000);
  }

  test("a syntax error names file:line:column", async () => {
    expect(await loadError(runtime, "syntax.js")).toMatch(/^tricorn: cannot load app "syntax\.js": .*\(?(at )?(\/.*\/)?syntax\.js:3:3\)$/);
  }, 60_000);

  test("an exception while importing names where it was thrown", async () => {
    const line = await loadError(runtime, "throws.js");
    expect(line).toMatch(/^tricorn: cannot load app "throws\.js": .* \(at throws\.js:\d+:\d+\)$/);
    // Bun reports the position in its transpiled output; Node and Deno the source's.
    if (runtime !== "bun") expect(line).toMatch(/\(at throws\.js:3:\d+\)$/);
  }, 60_000);

  if (runtime === "bun") {
    test("Bun runs require() in an ES module and import in a .cjs file: both serve", async () => {
      for (const [app, body] of [["cjs.js", "cjs\n"], ["esm.cjs", "esm\n"]]) {
        const server = await start({ runtime, app: path.join(dir, app) });
        expect(await request(server.port, "/")).toMatchObject({ status: 200, body });
      }
    }, 60_000);
  } else {
    test("require() in an ES module and import in a .cjs file get a hint", async () => {
      expect(await loadError(runtime, "cjs.js")).toMatch(
        /\(at cjs\.js:1:12\); cjs\.js is loaded as an ES module \(package\.json "type": "module", or \.mjs\): use import\/export instead of require\/module\.exports, or rename it to \.cjs$/,
      );
      expect(await loadError(runtime, "esm.cjs")).toMatch(/\(at esm\.cjs:1(:1)?\); esm\.cjs is loaded as CommonJS: rename it to \.mjs, or set "type": "module" in its package\.json$/);
    }, 60_000);
  }
});
