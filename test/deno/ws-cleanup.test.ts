/**
 * WebSocket sessions leave nothing behind on Deno's listener (test/neutral/ws-cleanup-cases.ts).
 * Deno's op and resource sanitizers (off by default in Deno 2.9, switched on
 * here) also fail this test on a `conn.read`/`conn.write`/timer still pending
 * or a connection still open once the listener closed.
 */
import { checkWebSocketCleanup } from "../neutral/ws-cleanup-cases.ts";
import { listen } from "../../runtimes/deno/socket.ts";
import { timers } from "../../runtimes/deno/timers.ts";

Deno.test({
  name: "websocket: sessions that ended leave no connection, wheel entry, subscription, op or resource",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: () => checkWebSocketCleanup(listen, timers),
});
