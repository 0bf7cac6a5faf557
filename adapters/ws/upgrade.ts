/**
 * Both upgrade APIs of fetch apps on the core engine, per request:
 * - Deno's: `upgradeWebSocket(request, options)` → `{ socket, response }`;
 *   the upgrade happens when the app returns that `response`.
 * - Bun's: `server.upgrade(request, { data, headers })` → boolean on the
 *   second fetch argument; the socket runs on the app's `websocket` handlers
 *   and whatever `fetch` returns afterwards is ignored (as in Bun).
 * Either way the handshake is checked first (a bad one: Deno's shape throws,
 * Bun's returns false) and the 101 is written only after `fetch` returned.
 */
import type { Logger } from "../../core/log/logger.ts";
import type { IncomingRequest, ResponseWriter } from "../../core/server/types.ts";
import type { UpgradeRefusal } from "../../core/ws/handshake.ts";
import { acceptUpgrade, checkRequest, upgradable, type AcceptChoices, type CheckedUpgrade } from "./accept.ts";
import { BunServerWebSocket, type BunWebSocketHandlers } from "./bun-socket.ts";
import { defaultWebSocketConfig, type WebSocketConfig } from "./config.ts";
import { Topics } from "./topics.ts";
import { ServerSocket } from "./web-socket.ts";

/** Global symbol of the request method behind `upgradeWebSocket` (found across bundle copies). */
export const UPGRADE_WEBSOCKET = Symbol.for("tricorn.upgradeWebSocket");

/** Options of `upgradeWebSocket` (Deno's, plus `headers`). */
export interface UpgradeWebSocketOptions {
  /** Subprotocol to accept (one the client offered). */
  protocol?: string;
  /** Seconds without traffic before a ping; 0 turns pings off. Default: the `websocket_ping_interval` setting. */
  idleTimeout?: number;
  /** Extra headers for the 101 response. */
  headers?: HeadersInit;
  /** Negotiate permessage-deflate when the setting allows (default true). */
  compression?: boolean;
}

/** What `upgradeWebSocket` returns. */
export interface UpgradeWebSocketResult {
  socket: ServerSocket;
  response: Response;
}

/** Options of Bun's `server.upgrade`. */
export interface BunUpgradeOptions {
  data?: unknown;
  headers?: HeadersInit;
}

/** Shared by every request of one fetch handler. */
export class WebSocketContext {
  readonly config: WebSocketConfig;
  readonly logger: Logger | undefined;
  /** The app's Bun-style `websocket` handlers, or null. */
  readonly bun: BunWebSocketHandlers | null;
  readonly topics = new Topics();

  constructor(config: WebSocketConfig | undefined, logger: Logger | undefined, bun: BunWebSocketHandlers | null) {
    this.config = config ?? defaultWebSocketConfig();
    this.logger = logger;
    this.bun = bun;
  }

  /** Logs an app error raised in a WebSocket handler. */
  readonly report = (message: string, error: unknown): void => {
    if (this.logger !== undefined) this.logger.error(message, error);
    else console.error(message, error);
  };
}

/** An upgrade the app asked for, completed once `fetch` returned. */
export interface PendingUpgrade {
  /** Completes the upgrade for the value `fetch` returned; false = not handled here (send `response` as usual). */
  finish(response: unknown): boolean;
  /** `fetch` threw: the socket never opens. */
  fail(): void;
}

function headerPairs(init: HeadersInit | undefined): string[] {
  const out: string[] = [];
  if (init === undefined) return out;
  new Headers(init).forEach((value, name) => out.push(name, value));
  return out;
}

const REFUSAL = Symbol("tricorn.websocketRefusal");

/** The error `upgradeWebSocket` throws for a bad handshake; it carries the 400/426 answer. */
function refusalError(refusal: UpgradeRefusal): TypeError {
  const error = new TypeError(`not a valid WebSocket upgrade request: ${refusal.message}`);
  (error as TypeError & { [REFUSAL]?: UpgradeRefusal })[REFUSAL] = refusal;
  return error;
}

/**
 * When `error` is a bad-handshake error from `upgradeWebSocket` that the app
 * let through, answers its 400/426 (with `Sec-WebSocket-Version`) on `res`
 * and returns true; false for any other error.
 */
export function answerRefusal(error: unknown, res: ResponseWriter): boolean {
  const refusal = (error as { [REFUSAL]?: UpgradeRefusal } | null)?.[REFUSAL];
  if (refusal === undefined || res.headersSent) return false;
  res.send(refusal.status, undefined, refusal.headers, refusal.message + "\n");
  return true;
}


/**
 * Deno's shape. `setPending` records the pending upgrade on the request.
 * @throws TypeError for an invalid handshake or an engine that cannot upgrade
 */
export function upgradeWebSocket(
  req: IncomingRequest, res: ResponseWriter, url: string, ctx: WebSocketContext,
  setPending: (pending: PendingUpgrade) => void, options: UpgradeWebSocketOptions = {},
): UpgradeWebSocketResult {
  if (!upgradable(res)) throw new TypeError("WebSocket upgrades need tricorn's core engine (this response cannot switch protocols)");
  const checked = checkRequest(req, res);
  if (!("offer" in checked)) throw refusalError(checked);
  const socket = new ServerSocket(url.replace(/^http/, "ws"), ctx.report);
  // Deno answers with a 101 Response; fetch Responses cannot carry 1xx, so a marker stands in for it.
  const response = new Response(null, { status: 200, headers: { "x-tricorn-websocket": "pending" } });
  const choices: AcceptChoices = {
    protocol: options.protocol ?? "",
    headers: headerPairs(options.headers),
    compression: options.compression !== false,
    pingInterval: options.idleTimeout === undefined ? undefined : Math.max(0, options.idleTimeout) * 1000,
  };
  setPending({
    finish(returned: unknown): boolean {
      if (returned !== response) {
        socket.abandon("the fetch handler did not return the upgrade response");
        return false;
      }
      let accepted;
      try {
        accepted = acceptUpgrade(checked, ctx.config, choices);
      } catch (error) {
        socket.abandon((error as Error).message);
        throw error;
      }
      if (accepted === null) {
        socket.abandon("the connection could not be upgraded (client gone or server stopping)");
        refuseUnavailable(res);
        return true;
      }
      socket.attach(accepted.session, accepted.protocol, accepted.extensions);
      return true;
    },
    fail(): void {
      socket.abandon("the fetch handler failed");
    },
  });
  return { socket, response };
}

/**
 * Bun's `server.upgrade(request, { data, headers })`: true when the request
 * is a valid WebSocket handshake (it is then upgraded after `fetch` returns).
 * @throws TypeError when the app has no `websocket` handlers
 */
export function bunUpgrade(
  req: IncomingRequest, res: ResponseWriter, ctx: WebSocketContext,
  setPending: (pending: PendingUpgrade) => void, options: BunUpgradeOptions = {},
): boolean {
  const handlers = ctx.bun;
  if (handlers === null) throw new TypeError('server.upgrade() needs a "websocket" object with handlers exported next to fetch');
  if (!upgradable(res)) return false;
  const checked = checkRequest(req, res);
  if (!("offer" in checked)) return false;
  const choices: AcceptChoices = {
    protocol: "",
    headers: headerPairs(options.headers),
    compression: handlers.perMessageDeflate !== undefined && handlers.perMessageDeflate !== false,
    maxMessage: handlers.maxPayloadLength,
    maxBuffer: handlers.backpressureLimit,
    overflow: handlers.closeOnBackpressureLimit === true ? "close" : handlers.backpressureLimit !== undefined ? "drop" : undefined,
    pingInterval: handlers.idleTimeout === undefined ? undefined : Math.max(0, handlers.idleTimeout) * 1000,
  };
  // Bun answers the first offered subprotocol when the app sets it in headers; take it from there.
  const chosen = choices.headers.findIndex((name, i) => i % 2 === 0 && name === "sec-websocket-protocol");
  if (chosen >= 0) choices.protocol = choices.headers[chosen + 1];
  setPending({
    finish(): boolean {
      startBun(checked, ctx, handlers, choices, options.data);
      return true;
    },
    fail(): void {},
  });
  return true;
}

function startBun(
  checked: CheckedUpgrade, ctx: WebSocketContext, handlers: BunWebSocketHandlers, choices: AcceptChoices, data: unknown,
): void {
  const accepted = acceptUpgrade(checked, ctx.config, choices);
  if (accepted === null) {
    refuseUnavailable(checked.res);
    return;
  }
  const ws = new BunServerWebSocket(accepted.session, handlers, ctx.topics, data, checked.req.remoteAddress, ctx.report);
  accepted.session.attach(ws);
  ws.opened();
}

/** The connection could not switch (server draining): answer 503 if nothing was sent. */
function refuseUnavailable(res: ResponseWriter): void {
  if (!res.headersSent && !res.closed) res.send(503, undefined, ["content-type", "text/plain; charset=utf-8"], "Service Unavailable");
}
