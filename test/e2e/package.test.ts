/**
 * The npm package as a user gets it: `npm pack` the repository (prepack
 * builds dist/), install the tarball into an empty project offline, and run
 * the installed `tricorn` — `npx tricorn` on Node, `bun node_modules/.bin/tricorn`
 * and `deno run -A npm:tricorn` (resolved from the local node_modules, no
 * registry), the last two natively (bin/tricorn.js picks dist/bun.js or
 * dist/deno.js) with two workers each. Checks that the tarball ships what the
 * entry points import, ships no tests, and has no runtime dependencies.
 *
 * Every process started here is stopped by PID in `finally`; npx runs tricorn
 * as a grandchild (npm → sh → node), so the PID from the `Listening at:` line
 * is the one signalled (then npx exits with it).
 *
 *   node_modules/.bin/vitest run test/e2e/package
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { ROOT, signalProcess as kill, until } from "./harness.ts";
import { request } from "./http-client.ts";

const run = promisify(execFile);
const BIN = path.join(ROOT, "node_modules", ".bin");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
/** Bound on each command and on waiting for a server to listen. */
const COMMAND_TIMEOUT_MS = 120_000;
const LISTEN_TIMEOUT_MS = 30_000;

let packDir = "";
let project = "";
let tarball = "";
let tarballFiles: string[] = [];

/** npm with a clean environment: no npm_* variables inherited from an outer `npm test`. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, NO_COLOR: "1", npm_config_update_notifier: "false" };
}

beforeAll(async () => {
  packDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-pack-"));
  project = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-consumer-"));
  const packed = await run("npm", ["pack", "--json", "--pack-destination", packDir], {
    cwd: ROOT,
    env: npmEnv(),
    timeout: COMMAND_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  // prepack's build output precedes the JSON on stdout.
  const json = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(packDir, json[0].filename);
  tarballFiles = json[0].files.map((file) => file.path).sort();

  fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  fs.copyFileSync(path.join(ROOT, "examples", "hello", "app.js"), path.join(project, "app.js"));
  fs.copyFileSync(path.join(ROOT, "examples", "hello-fetch", "app.ts"), path.join(project, "app.ts"));
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", tarball], {
    cwd: project,
    env: npmEnv(),
    timeout: COMMAND_TIMEOUT_MS,
  });
}, 2 * COMMAND_TIMEOUT_MS + 10_000);

afterAll(() => {
  for (const dir of [packDir, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** GET `/?name=…` from a listening URL (`http://127.0.0.1:PORT`); resolves with the body. */
async function get(url: string, query: string): Promise<string> {
  return (await request(Number(new URL(url).port), `/?${query}`, { timeoutMs: 10_000 })).body;
}

/**
 * Spawn `command` in the consumer project, wait for tricorn's `Listening at:`
 * line, call `use(url, stderr)`, then stop the server (by the PID it logged)
 * and wait for the spawned process to exit.
 */
async function withServer(
  command: string,
  args: string[],
  use: (url: string, stderr: () => string, child: ChildProcess) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const child: ChildProcess = spawn(command, args, { cwd: project, env: { ...npmEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let serverPid: number | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("close", () => resolve());
    child.once("error", () => resolve());
  });
  child.stdout?.resume();
  try {
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} did not listen within ${LISTEN_TIMEOUT_MS} ms:\n${stderr}`)), LISTEN_TIMEOUT_MS);
      child.stderr?.setEncoding("utf8").on("data", (text: string) => {
        stderr += text;
        const found = /Listening at: (\S+) \(pid (\d+)\)/.exec(stderr);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${command} ${args.join(" ")} exited before listening:\n${stderr}`));
      });
    });
    serverPid = Number(match[2]);
    await use(match[1], () => stderr, child);
  } finally {
    // SIGTERM first, so a master stops its workers; SIGKILL whatever is left after 10 s.
    kill(serverPid ?? child.pid, "SIGTERM");
    const gone = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!gone) {
      kill(serverPid, "SIGKILL");
      kill(child.pid, "SIGKILL");
      await exited;
    }
  }
}

/** Two workers booted (master log lines) and requests get answers. */
async function expectTwoWorkersServing(url: string, name: string, stderr: () => string): Promise<void> {
  for (let i = 0; i < 4; i++) expect(await get(url, `name=${name}${i}`)).toBe(`Hello, ${name}${i}!\n`);
  expect(stderr().match(/Booting worker with pid: \d+/g)).toHaveLength(2);
}

/** Open a WebSocket to `url` (with the `ws` client), send `text`, resolve with the first message back; bounded by 10 s. */
function echoOnce(url: string, text: string): Promise<string> {
  const socket = new WebSocket(url);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no WebSocket echo from ${url} within 10 s`)), 10_000);
    socket.once("open", () => socket.send(text));
    socket.once("message", (data) => {
      clearTimeout(timer);
      resolve(String(data));
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  }).finally(() => socket.terminate());
}

/** True while `pid` runs (a zombie waiting for its reaper counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** `npx tricorn …` as a user types it; `--` keeps npx from taking tricorn's flags (`-b`) as its own. */
const npx = (...args: string[]): [string, string[]] => ["npx", ["--offline", "--no", "--", "tricorn", ...args]];

describe("npm package", () => {
  test("the tarball ships the entry points and sources, no tests, no runtime dependencies", async () => {
    for (const file of ["bin/tricorn.js", "dist/node.js", "dist/deno.js", "dist/bun.js", "dist/api-node.js", "dist/api-deno.js", "dist/api-bun.js", "dist/ws.js", "dist/types/runtimes/node/api.d.ts", "dist/types/adapters/websocket.d.ts", "dist/types/core/command/api.d.ts", "runtimes/node/main.ts", "runtimes/deno/main.ts", "runtimes/bun/main.ts", "core/command/main.ts", "adapters/detect.ts", "package.json"]) {
      expect(tarballFiles).toContain(file);
    }
    expect(tarballFiles.filter((file) => /^(test|bench|scripts)\/|\.test\.ts$|node_modules/.test(file))).toEqual([]);
    const installed = JSON.parse(fs.readFileSync(path.join(project, "node_modules", PKG.name, "package.json"), "utf8")) as Record<string, unknown>;
    expect(installed.version).toBe(PKG.version);
    // Installed offline: anything in `dependencies` would have needed the registry. Keep it that way.
    expect(installed.dependencies ?? {}).toEqual({});
    expect(fs.readdirSync(path.join(project, "node_modules")).filter((name) => !name.startsWith("."))).toEqual([PKG.name]);
  });

  test("npx tricorn --version", async () => {
    const [command, args] = npx("--version");
    const { stdout } = await run(command, args, { cwd: project, env: npmEnv(), timeout: COMMAND_TIMEOUT_MS });
    expect(stdout).toBe(`tricorn ${PKG.version}\n`);
  });

  test("npx tricorn -b 127.0.0.1:0 app.js serves (Node)", async () => {
    const [command, args] = npx("-b", "127.0.0.1:0", "app.js");
    await withServer(command, args, async (url, stderr) => {
      expect(await get(url, "name=npx")).toBe("Hello, npx!\n");
      expect(stderr()).toContain(`Starting tricorn ${PKG.version} (node)`);
    });
  });

  test("TERM to the npx process stops tricorn and its workers: no orphans", async () => {
    const [command, args] = npx("-w", "2", "-b", "127.0.0.1:0", "app.js");
    await withServer(command, args, async (url, stderr, child) => {
      expect(await get(url, "name=npx")).toBe("Hello, npx!\n");
      const master = Number(/Listening at: \S+ \(pid (\d+)\)/.exec(stderr())![1]);
      const workers = [...stderr().matchAll(/Booting worker with pid: (\d+)/g)].map((match) => Number(match[1]));
      expect(workers).toHaveLength(2);
      // npm passes TERM to the shell it runs tricorn under, which dies without passing it on;
      // the master notices its launcher is gone and stops its workers gracefully.
      kill(child.pid, "SIGTERM");
      await until(() => ![master, ...workers].some(running), () => `tricorn processes ${[master, ...workers].filter(running).join(", ")} to exit:\n${stderr()}`, 15_000);
      expect(stderr()).toContain("The npm process that started tricorn exited; stopping gracefully");
    });
  });

  test("Node: a TypeScript app without esbuild is one line naming the fix; with esbuild it serves", async () => {
    const [command, args] = npx("-b", "127.0.0.1:0", "app.ts");
    const failed = await run(command, args, { cwd: project, env: npmEnv(), timeout: COMMAND_TIMEOUT_MS }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toBe('tricorn: cannot load TypeScript app "app.ts" on Node: esbuild is not installed (npm install -D esbuild)\n');

    // What `npm install -D esbuild` gives the project, without the registry: esbuild next to the app.
    const link = path.join(project, "node_modules", "esbuild");
    fs.symlinkSync(path.join(ROOT, "node_modules", "esbuild"), link, "dir");
    try {
      await withServer(command, args, async (url) => {
        expect(await get(url, "name=ts")).toBe("Hello, ts!\n");
      });
    } finally {
      fs.rmSync(link, { force: true });
    }
  });

  test("types: a consumer project type-checks against the tarball's declarations, and a wrong setting is a type error", async () => {
    const dir = path.join(project, "typed");
    fs.mkdirSync(dir, { recursive: true });
    const compilerOptions = { module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2022", "dom"], types: [], strict: true, noEmit: true, skipLibCheck: false };
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["good.ts"] }));
    fs.writeFileSync(path.join(dir, "tsconfig.bad.json"), JSON.stringify({ compilerOptions, files: ["bad.ts"] }));
    fs.writeFileSync(
      path.join(dir, "good.ts"),
      [
        'import { defineConfig, serve, type TricornConfig, type TricornServer } from "tricorn";',
        'import { upgradeWebSocket, type BunServerWebSocket, type BunWebSocketHandlers, type ServerSocket, type UpgradeWebSocketResult } from "tricorn/ws";',
        'export const config: TricornConfig = defineConfig({ workers: "auto", bind: ["127.0.0.1:0", "unix:/tmp/a.sock"], graceful_timeout: 5, engine: "native",',
        "  when_ready(arbiter) { console.log(arbiter.numWorkers.toFixed(0), arbiter.workers().map((worker) => worker.pid)); } });",
        'const server: TricornServer = await serve({ app: { fetch: (request: Request) => new Response(request.url) }, bind: "127.0.0.1:0" });',
        "const drained: boolean = await server.stop();",
        'await serve({ app: "app.js:handler", keepalive: 5, accesslog: "-" });',
        "console.log(server.url, server.urls.length, drained);",
        'const echo = { fetch(request: Request): Response {',
        '  const { socket, response }: UpgradeWebSocketResult = upgradeWebSocket(request, { protocol: "chat", idleTimeout: 30, compression: false });',
        "  const open: ServerSocket = socket;",
        "  open.onmessage = (event) => open.send(event.data);",
        '  open.onclose = (event) => console.log(event.code, event.reason);',
        "  return response;",
        "} };",
        "const bunStyle: BunWebSocketHandlers = { message(ws: BunServerWebSocket, message) { ws.send(message); } };",
        "console.log(echo, bunStyle);",
        "",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(dir, "bad.ts"),
      [
        'import { defineConfig, serve } from "tricorn";',
        'import { upgradeWebSocket } from "tricorn/ws";',
        "defineConfig({ workers: true });",
        'defineConfig({ engine: "turbo" });',
        'await serve({ bind: "127.0.0.1:0" });',
        'upgradeWebSocket(new Request("http://localhost/"), { protocol: 7 });',
        "",
      ].join("\n"),
    );
    const tsc = path.join(BIN, "tsc");
    await run(tsc, ["-p", dir], { cwd: dir, timeout: COMMAND_TIMEOUT_MS });
    const failed = await run(tsc, ["-p", path.join(dir, "tsconfig.bad.json")], { cwd: dir, timeout: COMMAND_TIMEOUT_MS }).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed?.code).toBeGreaterThan(0);
    for (const line of [3, 4, 5, 6]) expect(failed?.stdout).toMatch(new RegExp(`bad\\.ts\\(${line},\\d+\\): error TS`));
    // …and nowhere else (line 2, the tricorn/ws import, resolves).
    expect(new Set([...(failed?.stdout ?? "").matchAll(/bad\.ts\((\d+),/g)].map((match) => Number(match[1])))).toEqual(new Set([3, 4, 5, 6]));
  });

  test("serve() from the tarball serves and stops on Node, Deno and Bun; the process then exits by itself", async () => {
    const script = [
      'import { serve } from "tricorn";',
      "const runtime = globalThis.Deno ? \"deno\" : globalThis.Bun ? \"bun\" : \"node\";",
      'const server = await serve({ app: { fetch: (request) => new Response(`${runtime} ${new URL(request.url).pathname}`) }, bind: "127.0.0.1:0", graceful_timeout: 5 });',
      'const answer = await (await fetch(`${server.url}/api`)).text();',
      'console.log(answer, server.url.startsWith("http://127.0.0.1:"), await server.stop());',
      "",
    ].join("\n");
    fs.writeFileSync(path.join(project, "serve.mjs"), script);
    const denoDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-denodir-"));
    try {
      for (const [runtime, command, args] of [
        ["node", process.execPath, ["serve.mjs"]],
        ["deno", path.join(BIN, "deno"), ["run", "-A", "--cached-only", "serve.mjs"]],
        ["bun", path.join(BIN, "bun"), ["serve.mjs"]],
      ] as const) {
        const { stdout } = await run(command, [...args], { cwd: project, env: { ...npmEnv(), DENO_DIR: denoDir }, timeout: 30_000 });
        expect(stdout).toBe(`${runtime} /api true true\n`);
      }
    } finally {
      fs.rmSync(denoDir, { recursive: true, force: true });
    }
  });

  test("tricorn/ws from the tarball: a WebSocket echo app importing it serves on Node, Deno and Bun", async () => {
    fs.writeFileSync(
      path.join(project, "ws-echo.mjs"),
      [
        'import { upgradeWebSocket } from "tricorn/ws";',
        'const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";',
        "export default {",
        "  fetch(request) {",
        '    if (request.headers.get("upgrade") !== "websocket") return new Response(runtime);',
        "    const { socket, response } = upgradeWebSocket(request);",
        "    socket.onmessage = (event) => socket.send(`${runtime}: ${event.data}`);",
        "    return response;",
        "  },",
        "};",
        "",
      ].join("\n"),
    );
    const denoDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-denodir-"));
    const bin = path.join("node_modules", ".bin", "tricorn");
    const bind = ["-b", "127.0.0.1:0", "ws-echo.mjs"];
    try {
      for (const [runtime, command, args] of [
        ["node", process.execPath, [bin, ...bind]],
        ["deno", path.join(BIN, "deno"), ["run", "-A", "--cached-only", "node_modules/tricorn/dist/deno.js", ...bind]],
        ["bun", path.join(BIN, "bun"), [bin, ...bind]],
      ] as const) {
        await withServer(command, [...args], async (url, stderr) => {
          expect(stderr()).toContain(`(${runtime})`);
          expect(await get(url, "")).toBe(runtime);
          expect(await echoOnce(url.replace(/^http/, "ws"), "hello")).toBe(`${runtime}: hello`);
        }, { DENO_DIR: denoDir });
      }
    } finally {
      fs.rmSync(denoDir, { recursive: true, force: true });
    }
  });

  test("a config file typed with defineConfig from the package drives the tricorn command", async () => {
    fs.writeFileSync(path.join(project, "typed.config.js"), 'import { defineConfig } from "tricorn";\nexport default defineConfig({ workers: 2, bind: "127.0.0.1:0" });\n');
    await withServer(process.execPath, [path.join("node_modules", ".bin", "tricorn"), "-c", "typed.config.js", "app.js"], async (url, stderr) => {
      await expectTwoWorkersServing(url, "config", stderr);
    });
  });

  test("Bun: bun node_modules/.bin/tricorn runs natively with 2 workers", async () => {
    const bin = path.join("node_modules", ".bin", "tricorn");
    await withServer(path.join(BIN, "bun"), [bin, "-w", "2", "-b", "127.0.0.1:0", "app.ts"], async (url, stderr) => {
      await expectTwoWorkersServing(url, "bun", stderr);
      expect(stderr()).toContain(`Starting tricorn ${PKG.version} (bun)`);
    });
  });

  test("Deno: node_modules/tricorn/dist/deno.js with deploy/Dockerfile's permission flags (not -A) serves with 2 workers", async () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, "deploy", "Dockerfile"), "utf8");
    const entrypoint = JSON.parse(/^FROM .* AS runtime-deno\n(?:.*\n)*?ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const flags = entrypoint.filter((arg) => arg.startsWith("--"));
    expect(entrypoint.at(-1)).toBe("node_modules/tricorn/dist/deno.js");
    const denoDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-denodir-"));
    try {
      const args = ["run", ...flags, "--cached-only", "node_modules/tricorn/dist/deno.js", "-w", "2", "-b", "127.0.0.1:0", "--control-socket", path.join(denoDir, "ctl"), "app.js"];
      await withServer(path.join(BIN, "deno"), args, (url, stderr) => expectTwoWorkersServing(url, "denoflags", stderr), { DENO_DIR: denoDir });
    } finally {
      fs.rmSync(denoDir, { recursive: true, force: true });
    }
  });

  test("Deno: deno run -A npm:tricorn runs natively from the local node_modules with 2 workers", async () => {
    // --cached-only with an empty DENO_DIR proves nothing came from a registry.
    const denoDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-denodir-"));
    try {
      const args = ["run", "-A", "--cached-only", "npm:tricorn", "-w", "2", "-b", "127.0.0.1:0", "app.js"];
      await withServer(
        path.join(BIN, "deno"),
        args,
        async (url, stderr) => {
          await expectTwoWorkersServing(url, "deno", stderr);
          expect(stderr()).toContain(`Starting tricorn ${PKG.version} (deno)`);
        },
        { DENO_DIR: denoDir },
      );
    } finally {
      fs.rmSync(denoDir, { recursive: true, force: true });
    }
  });
});
