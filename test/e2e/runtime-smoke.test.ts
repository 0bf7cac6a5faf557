/**
 * End-to-end smoke tests of the `tricorn` command on Node, Deno and Bun:
 * the examples answer, start-up errors are one line with the right exit
 * code, unix sockets and graceful shutdown work, and each runtime's socket
 * layer (runtimes/<rt>/socket.ts) passes an echo test with backpressure,
 * half-close and destroy. Every process is stopped by PID, even on failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, runCli, startServersPerTest, until, type RunningServer, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";

const HELLO = "examples/hello/app.js";
const HONO = "examples/hono/app.ts";
const SMOKE_APP = "test/fixtures/smoke-app.js";
/** What a "cannot bind …: address already in use" line suggests. */
const IN_USE_FIX = "is another server running there? choose another address with -b";

const startServer = startServersPerTest();
const serve = (runtime: RuntimeName, app: string, args: string[] = []): Promise<RunningServer> => startServer({ runtime, app, args });

/** Leave a stale socket file at `socketPath`: a process binds it and is killed with SIGKILL. */
async function leaveStaleSocket(socketPath: string): Promise<void> {
  const holder = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("up"))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("socket holder did not start")), 10_000);
      holder.stdout!.once("data", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    holder.kill("SIGKILL");
    await new Promise((resolve) => (holder.exitCode !== null || holder.signalCode !== null ? resolve(null) : holder.once("exit", resolve)));
  }
}

/** Whether something accepts connections on the unix socket at `socketPath`. */
function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

const connectRefused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = net.connect(port, "127.0.0.1");
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", () => resolve(true));
  });

const tmpSocket = (name: string) => path.join(os.tmpdir(), `tricorn-${name}-${process.pid}-${Date.now()}.sock`);

describe.each(TESTED_RUNTIMES)("tricorn on %s", (runtime) => {
  test("serves the gateway hello example and logs gunicorn-style", async () => {
    const server = await serve(runtime, HELLO);
    const res = await request(server, "/?name=Ada");
    expect(res.status).toBe(200);
    expect(res.body).toBe("Hello, Ada!\n");
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.headers.server).toBe("tricorn");
    expect((await request(server, "/")).body).toBe("Hello, world!\n");
    expect(server.stderr()).toMatch(
      new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\\] \\[${server.pid}\\] \\[INFO\\] Listening at: http://127\\.0\\.0\\.1:${server.port} \\(pid ${server.pid}\\)$`, "m"),
    );
    const status = await server.stop();
    expect(status.code).toBe(0);
    expect(server.stderr()).toContain("[INFO] Handling signal: term");
  });

  test("serves the Hono example (TypeScript, JSON, POST, 404)", async () => {
    const server = await serve(runtime, HONO);
    expect((await request(server, "/")).body).toBe("Hello from Hono on tricorn!\n");
    const list = await request(server, "/todos");
    expect(list.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(list.body)).toEqual([{ id: 1, title: "try tricorn", done: true }]);
    const created = await request(server, "/todos", {
      method: "POST",
      body: JSON.stringify({ title: "ship it" }),
      headers: { "content-type": "application/json" },
    });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toEqual({ id: 2, title: "ship it", done: false });
    expect((await request(server, "/todos/2")).status).toBe(200);
    expect((await request(server, "/todos/99")).status).toBe(404);
    expect((await request(server, "/todos", { method: "POST", body: "nope" })).status).toBe(400);
  });

  test("SIGTERM is graceful: stops accepting, finishes the in-flight response, exits 0", async () => {
    const server = await serve(runtime, SMOKE_APP);
    const client = net.connect(server.port, "127.0.0.1");
    let received = "";
    client.setEncoding("utf8").on("data", (text: string) => void (received += text));
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    client.write("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n");
    await until(() => received.includes("started"), "the streamed start of /hold", 10_000);

    process.kill(server.pid, "SIGTERM");
    await until(() => server.stderr().includes("Handling signal: term"), "the signal log line", 10_000);
    await until(() => connectRefused(server.port), "the listener to close", 10_000);
    expect(received).not.toContain("done");

    client.write("ok"); // completes the request body; the response can finish now
    await closed;
    expect(received).toMatch(/started\n[\s\S]*done:ok\n/);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  test("binds a unix socket, replaces a stale one, refuses a live one", async () => {
    const socketPath = tmpSocket(runtime);
    try {
      const first = await serve(runtime, HELLO, ["-b", `unix:${socketPath}`]);
      expect(first.url).toBe(`unix:${socketPath}`);
      expect((await request({ socketPath }, "/")).body).toBe("Hello, world!\n");

      const busy = await runCli({ runtime, args: ["-b", `unix:${socketPath}`, HELLO] });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toBe(`tricorn: cannot bind unix:${socketPath}: address already in use; ${IN_USE_FIX}\n`);

      await first.stop();
      await leaveStaleSocket(socketPath);
      expect(fs.existsSync(socketPath)).toBe(true);
      expect(await accepts(socketPath)).toBe(false);
      await serve(runtime, HELLO, ["-b", `unix:${socketPath}`]);
      expect((await request({ socketPath }, "/?name=again")).body).toBe("Hello, again!\n");
    } finally {
      fs.rmSync(socketPath, { force: true });
    }
  });

  test("listens on several binds", async () => {
    const server = await serve(runtime, HELLO, ["-b", "127.0.0.1:0", "-b", "127.0.0.1:0"]);
    const listening = () => [...server.stderr().matchAll(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    // The harness returns at the first Listening line; the second follows.
    await until(() => listening().length >= 2, "a second Listening line", 10_000);
    const ports = listening();
    expect(ports).toHaveLength(2);
    expect(ports[0]).not.toBe(ports[1]);
    for (const port of ports) expect((await request({ port }, "/")).status).toBe(200);
  });

  test("--worker-connections caps open connections: the next one waits (not reset) until a slot frees", async () => {
    const server = await serve(runtime, HELLO, ["--worker-connections", "1"]);
    const first = net.connect(server.port, "127.0.0.1");
    await new Promise((resolve) => first.once("connect", resolve));
    first.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // answered, then idle in keep-alive
    await new Promise((resolve) => first.once("data", resolve));
    const second = net.connect(server.port, "127.0.0.1");
    let got = "";
    let gone = "";
    second.on("data", (d) => void (got += d));
    second.on("error", (error: NodeJS.ErrnoException) => void (gone ||= error.code ?? "error"));
    second.on("close", () => void (gone ||= "closed"));
    second.once("connect", () => second.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([got, gone]).toEqual(["", ""]);
      first.destroy();
      await until(() => got.startsWith("HTTP/1.1 200"), () => `the waiting connection to be served (got ${JSON.stringify(got)}, ${gone})`, 10_000);
    } finally {
      first.destroy();
      second.destroy();
    }
    // The worker's log is buffered (flushed at the end of its tick): poll for the line, bounded.
    await until(() => server.stderr().includes("worker_connections (1) reached"), "the worker_connections log line", 10_000);
  });

  describe("start-up errors: one line, no stack trace", () => {
    test.each([
      [["--foo", HELLO], 2, "tricorn: unknown option --foo (see tricorn --help)\n"],
      [["-w", "abc", HELLO], 2, 'tricorn: --workers: expected a positive integer or "auto", got "abc"\n'],
      [["-b", "x:99999", HELLO], 2, 'tricorn: --bind: invalid bind "x:99999": port must be 0-65535\n'],
      [[], 2, "tricorn: missing APP argument (usage: tricorn [OPTIONS] APP; see --help)\n"],
      [["missing-app.js"], 2, `tricorn: cannot find app file "missing-app.js" in ${ROOT}; check the path\n`],
      [[`${HELLO}:nothere`], 3, 'tricorn: app.js has no export "nothere" (exports: default)\n'],
      [["package.json"], 2, 'tricorn: APP file "package.json" must end in .js, .mjs, .cjs, .ts, .mts\n'],
    ])("%j → exit %i", async (args, code, stderr) => {
      const result = await runCli({ runtime, args });
      expect(result.stderr).toBe(stderr);
      expect(result.code).toBe(code);
      expect(result.stdout).toBe("");
    });

    test("an app that throws while loading", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-smoke-"));
      try {
        fs.writeFileSync(path.join(dir, "throws.js"), 'throw new Error("boom while importing");\n');
        fs.writeFileSync(path.join(dir, "number.js"), "export default 42;\n");
        const thrown = await runCli({ runtime, args: [path.join(dir, "throws.js")] });
        // gunicorn's WORKER_BOOT_ERROR: the workers import the app, the master halts with 3.
        expect(thrown.code).toBe(3);
        expect(thrown.stderr).toMatch(new RegExp(`^tricorn: cannot load app ${JSON.stringify(path.join(dir, "throws.js")).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: boom while importing \\(at throws\\.js:1:\\d+\\)\\n$`));
        const notApp = await runCli({ runtime, args: [path.join(dir, "number.js")] });
        expect(notApp.code).toBe(3);
        expect(notApp.stderr).toBe(
          "tricorn: number.js: export default is not an app: expected {fetch}, an Express, Koa or Fastify app, an http.Server or a function, got a number; choose the interface with --interface fetch, gateway or node\n",
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test("port in use → exit 1", async () => {
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
      const port = (holder.address() as net.AddressInfo).port;
      try {
        const result = await runCli({ runtime, args: ["-b", `127.0.0.1:${port}`, HELLO] });
        expect(result.stderr).toBe(`tricorn: cannot bind 127.0.0.1:${port}: address already in use; ${IN_USE_FIX}\n`);
        expect(result.code).toBe(1);
      } finally {
        holder.close();
      }
    });
  });

  test("--help and --version", async () => {
    const help = await runCli({ runtime, args: ["--help"] });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: tricorn \[OPTIONS\] APP\n/);
    expect(help.stdout).toContain("--graceful-timeout SECONDS");
    const version = await runCli({ runtime, args: ["--version"] });
    expect(version).toMatchObject({ code: 0, stdout: `tricorn ${JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version}\n` });
  });
});

/* ------------------------------------------------------------------ */
/* Socket layer: test/e2e/socket-echo-server.ts on every runtime      */
/* ------------------------------------------------------------------ */

interface EchoServer {
  child: ChildProcess;
  port: number;
  stdout(): string;
}

async function startEchoServer(runtime: RuntimeName, nodeBundle: string): Promise<EchoServer> {
  const script = path.join(ROOT, "test", "e2e", "socket-echo-server.ts");
  const [command, args] =
    runtime === "node"
      ? [process.execPath, [nodeBundle]]
      : runtime === "deno"
        ? [path.join(ROOT, "node_modules/.bin/deno"), ["run", "-A", script]]
        : [path.join(ROOT, "node_modules/.bin/bun"), [script]];
  const child = spawn(command, [...args, "127.0.0.1:0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => void (out += text));
  child.stderr?.setEncoding("utf8").on("data", (text: string) => void (err += text));
  try {
    await until(() => /LISTENING http:\/\/127\.0\.0\.1:\d+/.test(out) || child.exitCode !== null, `${runtime} echo server`, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const port = /LISTENING http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
  if (!port) throw new Error(`${runtime} echo server failed:\n${err}`);
  return { child, port: Number(port), stdout: () => out };
}

/** Connect, run `script`, collect everything until the server closes; resolves with the bytes and how it ended. */
function echoSession(
  port: number,
  script: (socket: net.Socket) => void,
): Promise<{ data: Buffer; gotEnd: boolean; error: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let gotEnd = false;
    let error: string | null = null;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`echo session timed out after ${Buffer.concat(chunks).length} bytes`));
    }, 20_000);
    socket.on("data", (chunk: Buffer) => void chunks.push(chunk));
    socket.on("end", () => {
      gotEnd = true;
      socket.end();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => void (error = e.code ?? e.message));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), gotEnd, error });
    });
    script(socket);
  });
}

describe.each(TESTED_RUNTIMES)("socket layer on %s", (runtime) => {
  let server: EchoServer;
  let bundleDir: string;

  beforeAll(async () => {
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-echo-"));
    const nodeBundle = path.join(bundleDir, "echo.mjs");
    if (runtime === "node") {
      await build({
        entryPoints: [path.join(ROOT, "test/e2e/socket-echo-server.ts")],
        bundle: true,
        platform: "node",
        format: "esm",
        outfile: nodeBundle,
        logLevel: "error",
      });
    }
    server = await startEchoServer(runtime, nodeBundle);
  }, 60_000);

  afterAll(() => {
    if (server?.child.pid !== undefined && server.child.exitCode === null) process.kill(server.child.pid, "SIGKILL");
    fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  test("echo, then peer half-close gets BYE and a FIN", async () => {
    const result = await echoSession(server.port, (s) => {
      s.write("hello ");
      s.end("world");
    });
    expect(result.data.toString()).toBe("hello worldBYE\n");
    expect(result.gotEnd).toBe(true);
  });

  test("large reply to a slow reader arrives complete (partial writes, drain, end after flush)", async () => {
    const size = 5_000_000;
    const result = await echoSession(server.port, (s) => {
      s.write(`BIG ${size}\n`);
      s.pause();
      setTimeout(() => s.resume(), 300);
    });
    // The server sends 64 KiB pieces of "0123456789…", each starting over at "0".
    const piece = Buffer.from("0123456789".repeat(6554).slice(0, 65536));
    const expected = Buffer.concat(Array.from({ length: Math.ceil(size / piece.length) }, () => piece)).subarray(0, size);
    expect(result.data.length).toBe(size);
    expect(result.data.equals(expected)).toBe(true);
    expect(result.gotEnd).toBe(true);
  });

  test("16 MiB each way with a client that reads late stays intact (pause/resume, chunk ownership)", async () => {
    const payload = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = 97 + ((i * 7 + (i >> 12)) % 26);
    const result = await echoSession(server.port, (s) => {
      // Read nothing at first: the server's writes back up, so it must pause
      // reading (our write stalls too) and resume once we drain it.
      s.pause();
      setTimeout(() => s.resume(), 300);
      s.write(payload, () => s.end());
    });
    expect(result.data.length).toBe(payload.length + 4);
    expect(result.data.subarray(0, payload.length).equals(payload)).toBe(true);
    expect(result.data.subarray(payload.length).toString()).toBe("BYE\n");
  });

  test("destroy closes the connection without a reply", async () => {
    const result = await echoSession(server.port, (s) => s.write("KILL"));
    expect(result.data.length).toBe(0);
  });

  test("every connection reports close exactly once", async () => {
    const before = (server.stdout().match(/^CLOSED /gm) ?? []).length;
    for (let i = 0; i < 5; i++) await echoSession(server.port, (s) => s.end("x"));
    await until(() => (server.stdout().match(/^CLOSED /gm) ?? []).length >= before + 5, "5 CLOSED lines", 10_000);
    const ids = [...server.stdout().matchAll(/^CLOSED (\d+) /gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
