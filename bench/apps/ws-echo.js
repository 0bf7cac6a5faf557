/**
 * WebSocket echo for tricorn, in Bun's shape (no imports; runs on every
 * runtime under tricorn): GET / answers "ws echo", /ws upgrades and echoes
 * every message back.
 */
export default {
  fetch(request, server) {
    if (new URL(request.url).pathname === "/ws" && server.upgrade(request)) return undefined;
    return new Response("ws echo");
  },
  websocket: {
    message(ws, message) {
      ws.send(message);
    },
  },
};
