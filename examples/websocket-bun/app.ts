/**
 * A chat room in Bun's WebSocket shape — `server.upgrade(request, { data })`
 * in `fetch` and a `websocket` object with the handlers — served by tricorn
 * on Node, Deno and Bun alike (topics reach the sockets of one worker):
 *
 *   node dist/node.js examples/websocket-bun/app.ts
 *   deno run -A runtimes/deno/main.ts examples/websocket-bun/app.ts
 *   bun runtimes/bun/main.ts examples/websocket-bun/app.ts
 *
 *   ws://127.0.0.1:8000/chat?name=ada   → "ada joined", then every message as "ada: text"
 */

/** What tricorn (like Bun) passes as the second argument of `fetch`. */
interface Server {
  upgrade(request: Request, options?: { data?: unknown; headers?: HeadersInit }): boolean;
  publish(topic: string, data: string): number;
}

/** The socket handed to the `websocket` handlers (Bun's ServerWebSocket, the parts used here). */
interface ChatSocket {
  data: { name: string };
  send(data: string): number;
  subscribe(topic: string): void;
  publish(topic: string, data: string): number;
}

export default {
  fetch(request: Request, server: Server): Response | undefined {
    const url = new URL(request.url);
    if (url.pathname === "/chat") {
      const name = url.searchParams.get("name") || "anonymous";
      if (server.upgrade(request, { data: { name }, headers: { "x-chat-room": "lobby" } })) return undefined;
      return new Response("expected a WebSocket upgrade\n", { status: 400 });
    }
    return new Response("chat at ws://HOST/chat?name=NAME\n");
  },
  websocket: {
    open(ws: ChatSocket): void {
      ws.subscribe("lobby");
      ws.send(`welcome, ${ws.data.name}`);
      ws.publish("lobby", `${ws.data.name} joined`);
    },
    message(ws: ChatSocket, message: string | Uint8Array): void {
      const text = typeof message === "string" ? message : new TextDecoder().decode(message);
      // To everyone else in the room, and back to the sender.
      ws.publish("lobby", `${ws.data.name}: ${text}`);
      ws.send(`you: ${text}`);
    },
    close(ws: ChatSocket, code: number): void {
      void code;
      ws.publish("lobby", `${ws.data.name} left`);
    },
  },
};
