/**
 * Config files end to end, on Node, Deno and Bun: the example config
 * (examples/config) with its hooks, raw_env and access log; the default
 * `./tricorn.config.*` lookup; `--check-config` and `--print-config`; a
 * TypeScript config; HUP re-reading the config file.
 *
 *   node_modules/.bin/vitest run test/e2e/config
 *   TRICORN_RUNTIMES=deno node_modules/.bin/vitest run test/e2e/config
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, runCli, startServersPerTest, until, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";

/** One GET; resolves with just its status and body. */
async function get(port: number, target: string): Promise<{ status: number; body: string }> {
  const { status, body } = await request(port, target);
  return { status, body };
}

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-config-"));
  fs.writeFileSync(path.join(dir, "app.js"), "export default { fetch: () => new Response('ok\\n') };\n");
  fs.writeFileSync(path.join(dir, "broken-app.js"), "throw new Error('app exploded at import');\n");
  fs.writeFileSync(path.join(dir, "gateway-app.js"), "export default (environ, startResponse) => { startResponse('200 OK', []); return []; };\n");
  fs.writeFileSync(path.join(dir, "bad.config.js"), "export default { workers: 2, wokers: 3 };\n");
  fs.writeFileSync(path.join(dir, "bad-value.config.mjs"), "export const timeout = 'soon';\n");
  fs.writeFileSync(
    path.join(dir, "typed.config.ts"),
    "const workers: number = 3;\nexport default { workers, server_header: 'typed' satisfies string };\n",
  );
  fs.mkdirSync(path.join(dir, "site"));
  fs.writeFileSync(path.join(dir, "site", "app.js"), "export default { fetch: () => new Response('site\\n') };\n");
  fs.writeFileSync(path.join(dir, "site", "tricorn.config.json"), JSON.stringify({ workers: 2, keepalive: 7 }));
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const startServer = startServersPerTest();

const EXAMPLE_CONFIG = "examples/config/tricorn.config.js";
const EXAMPLE_APP = "examples/config/app.js";

describe.each(TESTED_RUNTIMES)("config files on %s", (runtime: RuntimeName) => {
  test("the example config: hooks run in order, raw_env reaches the app, the access log is written", async () => {
    const server = await startServer({ runtime, app: EXAMPLE_APP, args: ["-c", EXAMPLE_CONFIG, "-b", "127.0.0.1:0"] });
    const answer = await get(server.port, "/hello?x=1");
    expect(answer).toEqual({ status: 200, body: "Hello from the config file\n" });
    await until(() => server.stdout().includes("[hook] when_ready"), () => server.stdout());
    await until(() => server.stdout().includes('"GET /hello?x=1 HTTP/1.1" 200 27'), () => server.stdout());
    const status = await server.stop();
    expect(status.code).toBe(0);
    const hooks = server.stdout().split("\n").filter((line) => line.startsWith("[hook]"));
    const pid = server.pid;
    expect(hooks[0]).toBe(`[hook] on_starting: master pid ${pid}`);
    expect(hooks.filter((line) => line.startsWith("[hook] post_fork: worker "))).toHaveLength(2);
    expect(hooks).toContain("[hook] when_ready: 2 workers serving");
    expect(hooks.filter((line) => line.startsWith("[hook] worker_exit: worker "))).toHaveLength(2);
    expect(hooks.at(-1)).toBe(`[hook] on_exit: master pid ${pid}`);
    expect(server.stdout()).toMatch(/^127\.0\.0\.1 "GET \/hello\?x=1 HTTP\/1\.1" 200 27 \d+ms$/m);
  });

  test("--chdir moves before the app is loaded (workers too); -e on the command line replaces the config's raw_env", async () => {
    const site = await startServer({ runtime, app: "app.js", cwd: dir, args: ["--chdir", "site", "-w", "2"] });
    expect(await get(site.port, "/")).toEqual({ status: 200, body: "site\n" });
    await site.stop();
    const example = await startServer({ runtime, app: EXAMPLE_APP, args: ["-c", EXAMPLE_CONFIG, "-e", "GREETING=from the command line"] });
    expect(await get(example.port, "/")).toEqual({ status: 200, body: "from the command line\n" });
  });

  test("./tricorn.config.json is found in the working directory; the command line still wins", async () => {
    const result = await runCli({ runtime, args: ["--print-config", "--keep-alive", "9", "app.js"], cwd: path.join(dir, "site") });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("config = tricorn.config.json");
    expect(lines).toContain("workers = 2");
    expect(lines).toContain("keepalive = 9");
    expect(lines).toContain("bind = 127.0.0.1:8000");
    expect(result.stderr).toBe("");
  });

  test("--print-config shows a TypeScript config's values and needs no APP", async () => {
    const result = await runCli({ runtime, args: ["--print-config", "-c", "typed.config.ts"], cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\nworkers = 3\n");
    expect(result.stdout).toContain("\nserver_header = typed\n");
  });

  test("--check-config: a good setup prints one OK line and exits 0 without serving", async () => {
    const result = await runCli({ runtime, args: ["--check-config", "-c", EXAMPLE_CONFIG, EXAMPLE_APP] });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`config OK: app ${EXAMPLE_APP}, config file ${EXAMPLE_CONFIG}, bind 127.0.0.1:8000\n`);
    expect(result.stdout).not.toContain("[hook]");
  });

  test.each([
    [["-c", "bad.config.js", "app.js"], 'tricorn: bad.config.js: unknown setting "wokers" (did you mean workers?)'],
    [["-c", "bad-value.config.mjs", "app.js"], 'tricorn: bad-value.config.mjs: timeout: expected a non-negative integer, got "soon"'],
    [["-c", "missing.config.js", "app.js"], 'tricorn: cannot find config file "missing.config.js"; check the -c path'],
    // Where it was thrown: 1:7 on Node and Deno, Bun counts from its transpiled output.
    [["broken-app.js"], /^tricorn: cannot load app "broken-app\.js": app exploded at import \(at broken-app\.js:1:\d+\)$/],
    [["--engine", "native", "gateway-app.js"], "tricorn: --engine native serves fetch apps only; drop --engine native or export a fetch app"],
  ] as [string[], string | RegExp][])("--check-config %j fails with one line and exit 2", async (args, message) => {
    const result = await runCli({ runtime, args: ["--check-config", ...args], cwd: dir });
    expect(result.code).toBe(2);
    if (message instanceof RegExp) expect(result.stderr.replace(/\n$/, "")).toMatch(message);
    else expect(result.stderr).toBe(`${message}\n`);
    expect(result.stdout).toBe("");
  });

  test("serving with a bad config file fails the same way", async () => {
    const result = await runCli({ runtime, args: ["-c", "bad.config.js", "-b", "127.0.0.1:0", "app.js"], cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('tricorn: bad.config.js: unknown setting "wokers" (did you mean workers?)\n');
  });

  test("HUP re-reads the (TypeScript) config file: new workers, new settings", async () => {
    const work = fs.mkdtempSync(path.join(dir, "hup-"));
    fs.copyFileSync(path.join(dir, "app.js"), path.join(work, "app.js"));
    // TypeScript, so the re-import goes through each runtime's TypeScript loading too.
    const config = path.join(work, "tricorn.config.ts");
    fs.writeFileSync(config, "const workers: number = 1;\nexport default { workers, server_header: 'before' };\n");
    const server = await startServer({ runtime, app: "app.js", cwd: work });
    fs.writeFileSync(config, "const workers: number = 2;\nexport default { workers, server_header: 'after' };\n");
    process.kill(server.pid, "SIGHUP");
    await until(() => /Reload complete: 2 new worker\(s\) booted/.test(server.stderr()), () => server.stderr());
    expect((await request(server.port, "/")).headers.server).toBe("after");
  });
});
