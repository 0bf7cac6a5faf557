/**
 * WebSocket echo with the portable `upgradeWebSocket(request)` API (the shape
 * of `Deno.upgradeWebSocket`), plus a page that tries it from a browser:
 *
 *   node dist/node.js examples/websocket/app.ts
 *   deno run -A runtimes/deno/main.ts examples/websocket/app.ts
 *   bun runtimes/bun/main.ts examples/websocket/app.ts
 *
 *   open http://127.0.0.1:8000/         → the page sends text and binary, shows the echoes
 *   ws://127.0.0.1:8000/ws              → echoes every message (subprotocol "echo" if offered)
 *
 * The page POSTs what it received to /result; GET /result shows the last one
 * (the headless-browser test reads it there).
 */
import { upgradeWebSocket } from "../../adapters/websocket.ts";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>tricorn WebSocket echo</title>
<pre id="log">connecting…</pre>
<script>
const log = (line) => { document.getElementById("log").textContent += "\\n" + line; };
const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws", ["echo"]);
ws.binaryType = "arraybuffer";
const got = [];
ws.onopen = () => {
  log("open, protocol " + ws.protocol);
  ws.send("héllo ✓");
  ws.send(new Uint8Array([0, 1, 2, 254, 255]));
};
ws.onmessage = (event) => {
  const item = typeof event.data === "string" ? "text:" + event.data : "binary:" + Array.from(new Uint8Array(event.data)).join(",");
  got.push(item);
  log(item);
  if (got.length === 2) ws.close(1000, "done");
};
ws.onclose = (event) => {
  log("closed " + event.code);
  fetch("/result", { method: "POST", body: JSON.stringify({ protocol: ws.protocol, got, code: event.code }) });
};
</script>
`;

let lastResult = "none";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("expected a WebSocket upgrade\n", { status: 426, headers: { upgrade: "websocket" } });
      }
      const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
      const { socket, response } = upgradeWebSocket(request, offered.includes("echo") ? { protocol: "echo" } : {});
      socket.onmessage = (event) => socket.send(event.data as string | ArrayBuffer);
      return response;
    }
    if (url.pathname === "/result") {
      if (request.method === "POST") lastResult = await request.text();
      return new Response(lastResult, { headers: { "content-type": "application/json" } });
    }
    if (url.pathname === "/") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    return new Response("Not Found\n", { status: 404 });
  },
};
