/**
 * Native Bun WebSocket baseline: `Bun.serve` with `websocket` handlers,
 * echoing every message. Usage: `bun ws-native-bun.js PORT`.
 */
const port = Number(Bun.argv[2]);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  fetch(request, server) {
    if (new URL(request.url).pathname === "/ws" && server.upgrade(request)) return undefined;
    return new Response("ws echo");
  },
  websocket: {
    maxPayloadLength: 16 * 1024 * 1024,
    message(ws, message) {
      ws.send(message);
    },
  },
});
