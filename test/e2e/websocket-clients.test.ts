/**
 * WebSocket clients and app shapes against tricorn on every runtime: the
 * `ws` npm client (text, binary, subprotocol, permessage-deflate with context
 * takeover), the runtimes' built-in WebSocket clients (`deno eval`, `bun -e`),
 * the Bun-shaped chat example (server.upgrade, data, headers, topics), Hono's
 * hono/bun and hono/deno helpers unchanged, and `Deno.upgradeWebSocket`.
 *
 *   node_modules/.bin/vitest run test/e2e/websocket-clients
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, test } from "vitest";
import WebSocket from "ws";
import { ROOT, TESTED_RUNTIMES, startServersPerTest } from "./harness.ts";

const ECHO_APP = "examples/websocket/app.ts";
const CHAT_APP = "examples/websocket-bun/app.ts";

/** Opens a `ws` client and collects its messages; every wait is bounded. */
async function connect(url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, protocols, options);
  const messages: { data: string | Buffer; binary: boolean }[] = [];
  let closed: { code: number; reason: string } | null = null;
  let upgradeHeaders: Record<string, string | string[] | undefined> = {};
  ws.on("upgrade", (res) => {
    upgradeHeaders = res.headers;
  });
  ws.on("message", (data: Buffer, binary: boolean) => messages.push({ data: binary ? data : data.toString(), binary }));
  ws.on("close", (code, reason) => {
    closed = { code, reason: reason.toString() };
  });
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no open within 10 s: ${url}`)), 10_000);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const until = async (condition: () => boolean, what: string, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages.map((m) => String(m.data).slice(0, 80)))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { ws, messages, closed: () => closed, headers: () => upgradeHeaders, until };
}

/** Runs a runtime's own client script; resolves with its stdout (killed after 15 s). */
function runClient(command: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** A WebSocket client script using only the global WebSocket (runs under deno eval / bun -e). */
function builtinClientScript(url: string): string {
  return `
const ws = new WebSocket(${JSON.stringify(url)}, ["echo"]);
ws.binaryType = "arraybuffer";
const got = [];
ws.onopen = () => { ws.send("built-in ✓"); ws.send(new Uint8Array([5, 6, 7])); };
ws.onmessage = (e) => {
  got.push(typeof e.data === "string" ? e.data : Array.from(new Uint8Array(e.data)).join(","));
  if (got.length === 2) ws.close(1000, "done");
};
ws.onclose = (e) => { console.log(JSON.stringify({ protocol: ws.protocol, got, code: e.code })); };
ws.onerror = () => console.log("error");
setTimeout(() => { console.log("timeout"); }, 10000);
`;
}

describe.each(TESTED_RUNTIMES)("WebSocket clients and APIs [%s]", (runtime) => {
  const start = startServersPerTest();

  test("the ws npm client: text, binary, subprotocol, clean close", async () => {
    const server = await start({ runtime, app: ECHO_APP });
    const client = await connect(`ws://127.0.0.1:${server.port}/ws`, ["chat", "echo"]);
    expect(client.ws.protocol).toBe("echo");
    client.ws.send("héllo");
    client.ws.send(Buffer.from([0, 1, 255]));
    client.ws.send("x".repeat(200_000));
    await client.until(() => client.messages.length === 3, "3 echoes");
    expect(client.messages[0]).toEqual({ data: "héllo", binary: false });
    expect(client.messages[1]).toEqual({ data: Buffer.from([0, 1, 255]), binary: true });
    expect(client.messages[2].data).toBe("x".repeat(200_000));
    client.ws.close(4001, "bye");
    await client.until(() => client.closed() !== null, "close");
    expect(client.closed()).toEqual({ code: 4001, reason: "" });
  });

  test("the ws npm client with permessage-deflate (context takeover over many messages)", async () => {
    const server = await start({ runtime, app: ECHO_APP, args: ["--websocket-compression"] });
    const client = await connect(`ws://127.0.0.1:${server.port}/ws`, [], { perMessageDeflate: { threshold: 0 } });
    expect(client.ws.extensions).toContain("permessage-deflate");
    const sent = Array.from({ length: 50 }, (_, i) => `message ${i} `.repeat(20 + i));
    for (const m of sent) client.ws.send(m);
    client.ws.send(Buffer.alloc(70_000, 9));
    await client.until(() => client.messages.length === 51, "51 echoes");
    expect(client.messages.slice(0, 50).map((m) => m.data)).toEqual(sent);
    expect(client.messages[50].data).toEqual(Buffer.alloc(70_000, 9));
    client.ws.close();
  });

  test("the runtime's built-in WebSocket client", async () => {
    if (runtime === "node") {
      // Node 20 has no global WebSocket without a flag; the ws client above covers Node.
      expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function" || process.versions.node.startsWith("20")).toBe(true);
      return;
    }
    const server = await start({ runtime, app: ECHO_APP });
    const script = builtinClientScript(`ws://127.0.0.1:${server.port}/ws`);
    const bin = path.join(ROOT, "node_modules", ".bin", runtime);
    const result = runtime === "deno" ? await runClient(bin, ["eval", script]) : await runClient(bin, ["-e", script]);
    const line = result.out.split("\n").find((l) => l.startsWith("{"));
    expect(line, result.out + result.err).toBeDefined();
    expect(JSON.parse(line!)).toEqual({ protocol: "echo", got: ["built-in ✓", "5,6,7"], code: 1000 });
  });

  test("Bun-shaped chat example: server.upgrade data and headers, topics between sockets", async () => {
    const server = await start({ runtime, app: CHAT_APP });
    const ada = await connect(`ws://127.0.0.1:${server.port}/chat?name=ada`);
    expect(ada.headers()["x-chat-room"]).toBe("lobby");
    await ada.until(() => ada.messages.length === 1, "welcome");
    const bob = await connect(`ws://127.0.0.1:${server.port}/chat?name=bob`);
    await ada.until(() => ada.messages.some((m) => m.data === "bob joined"), "join notice");
    bob.ws.send("hi all");
    await ada.until(() => ada.messages.some((m) => m.data === "bob: hi all"), "bob's message");
    await bob.until(() => bob.messages.some((m) => m.data === "you: hi all"), "echo to sender");
    expect(bob.messages.map((m) => m.data)).not.toContain("bob: hi all"); // publish skips the sender
    bob.ws.close();
    await ada.until(() => ada.messages.some((m) => m.data === "bob left"), "leave notice");
    ada.ws.close();
  });

  // hono/bun reads the global Bun when imported, so it only loads on Bun; hono/deno likewise on Deno (below).
  test.runIf(runtime === "bun")("a Hono app using hono/bun's upgradeWebSocket runs unchanged", async () => {
    const server = await start({ runtime, app: "test/fixtures/ws-hono-bun.ts" });
    const client = await connect(`ws://127.0.0.1:${server.port}/ws`);
    client.ws.send("ping");
    await client.until(() => client.messages.length === 2, "open + echo");
    expect(client.messages.map((m) => m.data)).toEqual(["hono-bun: open", "hono-bun: ping"]);
    client.ws.close();
  });

  test.runIf(runtime === "deno")("Deno.upgradeWebSocket and hono/deno's helper work on tricorn's requests", async () => {
    for (const [app, prefix] of [["test/fixtures/ws-deno-native.js", "deno"], ["test/fixtures/ws-hono-deno.ts", "hono-deno"]]) {
      const server = await start({ runtime, app });
      const client = await connect(`ws://127.0.0.1:${server.port}/ws`);
      client.ws.send("hello");
      await client.until(() => client.messages.length === 1, "echo");
      expect(client.messages[0].data).toBe(`${prefix}: hello`);
      client.ws.close();
    }
  });
});
