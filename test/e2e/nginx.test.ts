/**
 * docs/deploy.md's nginx set-up, run for real: nginx (from the snippet between
 * the `nginx.conf:begin`/`end` markers in docs/deploy.md, so docs and test
 * stay identical) proxies to tricorn on a unix socket, on Node, Deno and Bun.
 * Only the socket path and the listen address are substituted: nginx itself
 * listens on a unix socket too, so no port is needed. The WebSocket test adds
 * docs/websocket.md's `location /ws` block (between its
 * `nginx-websocket.conf:begin`/`end` markers) to that server block, verbatim,
 * and runs text, binary and both directions of the close handshake through it
 * with the `ws` npm client.
 *
 * Skipped, with a message saying so, when no nginx binary is installed
 * (`apt-get install -y nginx`). nginx runs in the foreground with a temporary
 * prefix (`TRICORN_NGINX=/path/to/nginx` picks the binary, `TRICORN_NGINX=none`
 * skips). nginx and tricorn are stopped by PID (nginx's workers too) even when
 * a test fails.
 *
 *   node_modules/.bin/vitest run test/e2e/nginx
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { ROOT, TESTED_RUNTIMES, signalProcess as kill, startServer, until, type RunningServer, type RuntimeName } from "./harness.ts";
import { request as send, type Answer, type RequestOptions } from "./http-client.ts";

/** Path of the nginx binary, or null. `TRICORN_NGINX` overrides the search (`none` = pretend it is absent). */
function findNginx(): string | null {
  const forced = process.env.TRICORN_NGINX;
  if (forced === "none") return null;
  if (forced) return forced;
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];
  for (const dir of dirs) {
    const candidate = path.join(dir || ".", "nginx");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const NGINX = findNginx();
const SKIP_REASON = "nginx is not installed (no nginx on PATH or in /usr/sbin); install it (apt-get install -y nginx) to run these tests";
if (!NGINX) console.warn(`test/e2e/nginx.test.ts skipped: ${SKIP_REASON}`);

/** Placeholders in the documented snippet that the test replaces. */
const DOC_SOCKET = "server unix:/run/tricorn/tricorn.sock ";
const DOC_LISTEN = "listen 80;";

/** The ```nginx block of `doc` (under docs/) between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, exactly as documented. */
function documentedSnippet(doc = "deploy.md", name = "nginx.conf"): string {
  const text = fs.readFileSync(path.join(ROOT, "docs", doc), "utf8");
  const marker = name.replaceAll(".", "\\.");
  const block = new RegExp(`<!-- ${marker}:begin -->\\s*\`\`\`nginx\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${marker}:end -->`).exec(text);
  if (!block) throw new Error(`docs/${doc} has no \`\`\`nginx block between <!-- ${name}:begin --> and <!-- ${name}:end -->`);
  return block[1];
}

/** Where docs/websocket.md's `location /ws` goes: in front of deploy.md's `location /`. */
const DOC_LOCATION = "    location / {";

/**
 * A whole nginx.conf: the documented snippet inside an `http {}` whose files
 * all live under `prefix`; with `websocket`, docs/websocket.md's location
 * block added to its server block.
 */
function nginxConf(prefix: string, tricornSocket: string, nginxSocket: string, websocket = false): string {
  let snippet = documentedSnippet();
  for (const token of [DOC_SOCKET, DOC_LISTEN, ...(websocket ? [DOC_LOCATION] : [])]) {
    if (snippet.split(token).length !== 2) throw new Error(`the docs snippet must contain ${JSON.stringify(token)} exactly once`);
  }
  if (websocket) snippet = snippet.replace(DOC_LOCATION, `${documentedSnippet("websocket.md", "nginx-websocket.conf")}\n${DOC_LOCATION}`);
  const http = snippet.replace(DOC_SOCKET, `server unix:${tricornSocket} `).replace(DOC_LISTEN, `listen unix:${nginxSocket};`);
  // Tests run as root: without `user root` nginx's workers would run as nobody and could not
  // reach the socket in our private temp directory. (Ignored, with a notice, when not root.)
  return `daemon off;
${process.getuid?.() === 0 ? "user root;" : ""}
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log notice;
events { worker_connections 64; }
http {
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/client_body;
    proxy_temp_path ${prefix}/proxy;
    fastcgi_temp_path ${prefix}/fastcgi;
    uwsgi_temp_path ${prefix}/uwsgi;
    scgi_temp_path ${prefix}/scgi;
${http}
}
`;
}

/** A gateway app reporting what reached it through nginx: method, path, the proxy headers, body size and hash. */
const PROBE_APP = `
export default async function probe(environ, startResponse) {
  let bytes = 0;
  const parts = [];
  for await (const chunk of environ["tricorn.input"]) { bytes += chunk.length; parts.push(chunk); }
  const whole = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) { whole.set(part, at); at += part.length; }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", whole));
  const body = JSON.stringify({
    method: environ.REQUEST_METHOD,
    path: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    host: environ.HTTP_HOST,
    forwardedFor: environ.HTTP_X_FORWARDED_FOR ?? null,
    forwardedProto: environ.HTTP_X_FORWARDED_PROTO ?? null,
    connection: environ.HTTP_CONNECTION ?? null,
    bytes,
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  });
  startResponse("200 OK", [["Content-Type", "application/json"], ["X-Served-By", "tricorn"]]);
  return [body];
}
`;

/**
 * A Bun-shaped WebSocket app (runs on every runtime under tricorn): /ws echoes
 * every message, answers "close-me" with its own Close 4001, and records the
 * close code and reason of every socket, which GET /closes lists.
 */
const WS_APP = `
const closes = [];
export default {
  fetch(request, server) {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      if (server.upgrade(request)) return undefined;
      return new Response("expected a WebSocket upgrade\\n", { status: 426 });
    }
    if (url.pathname === "/closes") return Response.json(closes);
    return new Response("ws probe");
  },
  websocket: {
    message(ws, message) {
      if (message === "close-me") ws.close(4001, "bye from server");
      else ws.send(message);
    },
    close(ws, code, reason) {
      closes.push([code, reason]);
    },
  },
};
`;

/** A `ws` client on nginx's unix socket; collects messages and the close; every wait is bounded. */
async function openWebSocket(nginxSocket: string) {
  const ws = new WebSocket(`ws+unix:${nginxSocket}:/ws`, { headers: { host: "example.com" } });
  const messages: (string | Buffer)[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.on("message", (data: Buffer, binary: boolean) => messages.push(binary ? data : data.toString()));
  ws.on("close", (code, reason) => void (closed = { code, reason: reason.toString() }));
  // Rejects on an 'error' event (e.g. nginx answered the upgrade without a 101) or after 10 s.
  await once(ws, "open", { signal: AbortSignal.timeout(10_000) });
  ws.on("error", () => {});
  return { ws, messages, closed: () => closed };
}

/** One request to nginx's unix socket as `Host: example.com`; `agent` lets several requests share a connection. */
function request(socketPath: string, reqPath: string, options: RequestOptions = {}): Promise<Answer> {
  return send({ socketPath }, reqPath, { ...options, headers: { host: "example.com", ...options.headers } });
}

/** PIDs whose parent is `ppid` (nginx's workers), read from /proc. */
function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command: state, ppid, …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** A running nginx master (foreground) and a way to stop it and its workers. */
interface RunningNginx {
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

async function startNginx(prefix: string, confPath: string, socketPath: string): Promise<RunningNginx> {
  const child = spawn(NGINX as string, ["-p", prefix, "-c", confPath, "-e", path.join(prefix, "error.log")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => void (stderr += text));
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => {
    child.once("close", () => resolve());
    child.once("error", () => resolve());
  });
  const stop = async () => {
    const pid = child.pid;
    if (pid === undefined) return;
    const workers = childrenOf(pid);
    kill(pid, "SIGTERM"); // fast shutdown: the master stops its workers
    const timer = setTimeout(() => {
      kill(pid, "SIGKILL");
      for (const worker of workers) kill(worker, "SIGKILL");
    }, 5_000);
    await exited;
    clearTimeout(timer);
    for (const worker of workers) kill(worker, "SIGKILL"); // no-op when the master already reaped them
  };
  // Ready when its socket accepts a connection; bounded.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = fs.existsSync(path.join(prefix, "error.log")) ? fs.readFileSync(path.join(prefix, "error.log"), "utf8") : "";
      throw new Error(`nginx exited at start:\n${stderr}\n${log}`);
    }
    const connected = await new Promise<boolean>((resolve) => {
      const probe = http.get({ socketPath, path: "/__ready", agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      probe.on("error", () => resolve(false));
    });
    if (connected) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not accept on ${socketPath} within 15 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, stderr: () => stderr, stop };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!NGINX)(NGINX ? "nginx (docs/deploy.md) → tricorn on a unix socket" : `nginx → tricorn: SKIPPED, ${SKIP_REASON}`, () => {
  test.each([false, true])("the documented snippet is what nginx -t accepts (with the WebSocket location: %s)", async (websocket) => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-nginx-"));
    cleanups.push(() => fs.rmSync(prefix, { recursive: true, force: true }));
    const conf = path.join(prefix, "nginx.conf");
    fs.writeFileSync(conf, nginxConf(prefix, path.join(prefix, "tricorn.sock"), path.join(prefix, "nginx.sock"), websocket));
    const checked = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(NGINX as string, ["-t", "-p", prefix, "-c", conf, "-e", path.join(prefix, "error.log")], { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout?.setEncoding("utf8").on("data", (t: string) => void (output += t));
      child.stderr?.setEncoding("utf8").on("data", (t: string) => void (output += t));
      const timer = setTimeout(() => child.pid !== undefined && kill(child.pid, "SIGKILL"), 15_000);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
    expect(checked.output).toContain("test is successful");
    expect(checked.code).toBe(0);
  });

  describe.each(TESTED_RUNTIMES)("through nginx to tricorn on %s", (runtime: RuntimeName) => {
    /**
     * tricorn serving `appSource` on a unix socket with `workers`, and nginx in
     * front of it (with docs/websocket.md's location when `websocket`); both
     * stopped after the test. Resolves nginx's socket and its prefix directory.
     */
    async function serveBehindNginx(appSource: string, workers: string, websocket: boolean) {
      const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-nginx-"));
      cleanups.push(() => fs.rmSync(prefix, { recursive: true, force: true }));
      const tricornSocket = path.join(prefix, "tricorn.sock");
      const nginxSocket = path.join(prefix, "nginx.sock");
      const app = path.join(prefix, "app.js");
      fs.writeFileSync(app, appSource);
      const conf = path.join(prefix, "nginx.conf");
      fs.writeFileSync(conf, nginxConf(prefix, tricornSocket, nginxSocket, websocket));
      const tricorn: RunningServer = await startServer({ runtime, app, args: ["-w", workers, "-b", `unix:${tricornSocket}`] });
      cleanups.push(async () => void (await tricorn.stop("SIGTERM", 5_000)));
      expect(tricorn.url).toBe(`unix:${tricornSocket}`);
      const nginx = await startNginx(prefix, conf, nginxSocket);
      cleanups.push(() => nginx.stop());
      return { prefix, nginxSocket };
    }

    test("requests, proxy headers, keep-alive reuse and an 8 MiB upload", async () => {
      // Two workers on Node, as in production (docs/deploy.md's unit runs several); Deno and Bun
      // workers cannot share a unix socket, so there -w 2 is refused and one worker serves.
      const { prefix, nginxSocket } = await serveBehindNginx(PROBE_APP, runtime === "node" ? "2" : "1", false);

      const hello = await request(nginxSocket, "/hello/world?x=1");
      expect(hello.status).toBe(200);
      expect(hello.headers["x-served-by"]).toBe("tricorn");
      expect(JSON.parse(hello.body)).toMatchObject({
        method: "GET",
        path: "/hello/world",
        query: "x=1",
        host: "example.com", // proxy_set_header Host $http_host
        forwardedProto: "http",
        // A unix-socket client has no address: nginx sends "unix:" as $remote_addr.
        forwardedFor: "unix:",
        bytes: 0,
      });
      // `proxy_set_header Connection ""` strips the header, so upstream keep-alive is possible.
      expect(JSON.parse(hello.body).connection).toBeNull();

      // Several requests: nginx reuses its upstream connections (keepalive 16) without errors.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 20; i++) {
          const res = await request(nginxSocket, `/n/${i}`, { agent });
          expect(res.status).toBe(200);
          expect(JSON.parse(res.body).path).toBe(`/n/${i}`);
        }
      } finally {
        agent.destroy();
      }

      const upload = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < upload.length; i++) upload[i] = (i * 31 + (i >>> 11)) & 0xff;
      const posted = await request(nginxSocket, "/upload", {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": String(upload.length) },
        body: upload,
      });
      expect(posted.status).toBe(200);
      expect(JSON.parse(posted.body)).toMatchObject({
        method: "POST",
        bytes: upload.length,
        sha256: createHash("sha256").update(upload).digest("hex"),
      });

      // So far nginx logged no errors at all (e.g. "upstream prematurely closed connection").
      const errorLog = fs.readFileSync(path.join(prefix, "error.log"), "utf8");
      expect(errorLog).not.toMatch(/\[(error|crit|alert|emerg)\]/);

      // client_max_body_size 64m: nginx answers 413 itself, tricorn never sees the body.
      const tooBig = await request(nginxSocket, "/upload", {
        method: "POST",
        headers: { "content-length": String(65 * 1024 * 1024) },
      }).catch((error: Error) => ({ status: -1, headers: {}, body: error.message }));
      expect(tooBig.status).toBe(413);
    }, 60_000);

    test("a WebSocket through docs/websocket.md's location: text, binary and the close handshake both ways", async () => {
      // One worker: GET /closes must reach the worker that served the sockets.
      const { prefix, nginxSocket } = await serveBehindNginx(WS_APP, "1", true);

      // Text, a small and a large binary message (the large one above nginx's proxy buffers), echoed in order.
      const first = await openWebSocket(nginxSocket);
      cleanups.push(() => first.ws.terminate());
      const small = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
      const large = Buffer.alloc(256 * 1024);
      for (let i = 0; i < large.length; i++) large[i] = (i * 31 + (i >>> 9)) & 0xff;
      first.ws.send("héllo through nginx ✓");
      first.ws.send(small);
      first.ws.send(large);
      await until(() => first.messages.length === 3, () => `3 echoes through nginx, got ${first.messages.length}`, 15_000);
      expect(first.messages[0]).toBe("héllo through nginx ✓");
      expect(Buffer.isBuffer(first.messages[1]) && first.messages[1].equals(small)).toBe(true);
      expect(Buffer.isBuffer(first.messages[2]) && first.messages[2].equals(large)).toBe(true);

      // The server closes: its Close (code and reason) reaches the client, whose answer reaches the app.
      first.ws.send("close-me");
      await until(() => first.closed() !== null, "the server's Close through nginx", 15_000);
      expect(first.closed()).toEqual({ code: 4001, reason: "bye from server" });

      // The client closes: the app sees its code and reason, and the client gets the echo (not 1006).
      const second = await openWebSocket(nginxSocket);
      cleanups.push(() => second.ws.terminate());
      second.ws.send("still open");
      await until(() => second.messages.length === 1, "an echo on the second socket", 15_000);
      second.ws.close(4000, "bye from client");
      await until(() => second.closed() !== null, "the echo of the client's Close through nginx", 15_000);
      expect(second.closed()?.code).toBe(4000);

      let closes: unknown = [];
      await until(async () => {
        closes = JSON.parse((await request(nginxSocket, "/closes")).body);
        return Array.isArray(closes) && closes.length === 2;
      }, () => `both closes reported by the app, got ${JSON.stringify(closes)}`, 15_000);
      expect((closes as [number, string][])[0][0]).toBe(4001);
      expect((closes as [number, string][])[1]).toEqual([4000, "bye from client"]);

      const errorLog = fs.readFileSync(path.join(prefix, "error.log"), "utf8");
      expect(errorLog).not.toMatch(/\[(error|crit|alert|emerg)\]/);
    }, 60_000);
  });
});
