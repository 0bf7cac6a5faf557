/**
 * The portable WebSocket API for fetch apps served by tricorn:
 *
 * ```ts
 * import { upgradeWebSocket } from "tricorn/ws"; // the package's sub-path (dist/ws.js)
 * export default {
 *   fetch(request) {
 *     if (request.headers.get("upgrade") !== "websocket") return new Response("hello");
 *     const { socket, response } = upgradeWebSocket(request);
 *     socket.onmessage = (event) => socket.send(event.data);
 *     return response;
 *   },
 * };
 * ```
 *
 * The request finds tricorn's implementation through a global symbol, so this
 * works even when the app's copy of this file is not the server's copy (a
 * bundled server). On a request tricorn did not make, it falls back to
 * `Deno.upgradeWebSocket` when running on Deno (`--engine native`, plain Deno.serve).
 */
import type { UpgradeWebSocketOptions, UpgradeWebSocketResult } from "./ws/upgrade.ts";

export type { UpgradeWebSocketOptions, UpgradeWebSocketResult } from "./ws/upgrade.ts";
export type { BunWebSocketHandlers, BunServerWebSocket } from "./ws/bun-socket.ts";
export type { ServerSocket } from "./ws/web-socket.ts";

const HOOK = Symbol.for("tricorn.upgradeWebSocket");

type Upgrader = (request: Request, options?: UpgradeWebSocketOptions) => UpgradeWebSocketResult;

/**
 * Upgrades `request` to a WebSocket: returns the server-side `socket`
 * (WHATWG WebSocket-like) and the `response` the fetch handler must return.
 * @throws TypeError when the request is not a valid WebSocket handshake
 */
export function upgradeWebSocket(request: Request, options?: UpgradeWebSocketOptions): UpgradeWebSocketResult {
  const hook = (request as unknown as Record<symbol, unknown>)[HOOK];
  if (typeof hook === "function") return (hook as (o?: UpgradeWebSocketOptions) => UpgradeWebSocketResult).call(request, options);
  const deno = (globalThis as { Deno?: { upgradeWebSocket?: Upgrader } }).Deno;
  if (deno !== undefined && typeof deno.upgradeWebSocket === "function") return deno.upgradeWebSocket(request, options);
  throw new TypeError("upgradeWebSocket: this request was not made by tricorn (or the engine cannot upgrade it)");
}
