/**
 * `'upgrade'` for an exported http.Server (or a Fastify instance's server):
 * as in node:http 20, a request carrying `Connection: upgrade` and an
 * `Upgrade` header goes to `server.emit('upgrade', req, socket, head)` when
 * the server has `'upgrade'` listeners at that moment, else to `'request'`
 * as an ordinary request. Core hands the connection over
 * (core/server/upgrade.ts, `takeOver`): the listener writes its own
 * response (`101` or a refusal) on `socket` and owns the byte stream from
 * then on (takeover.ts, upgrade-socket.ts).
 */
import type { Logger } from "../../core/log/logger.ts";
import type { RequestHead } from "../../core/http/types.ts";
import type { IncomingRequest, ResponseWriter } from "../../core/server/types.ts";
import { canTakeOver } from "../../core/server/upgrade.ts";
import type { NodeRequestClass } from "./request.ts";
import type { BufferClass } from "./streams.ts";
import { RawTakeover, type TakeoverLimits } from "./takeover.ts";
import type { UpgradeSocketClass } from "./upgrade-socket.ts";

/** The emitter `'upgrade'` goes to: the exported server. */
export interface UpgradeTarget {
  listenerCount(event: string): number;
  emit(event: string, ...args: unknown[]): boolean;
}

/** What {@link emitUpgrade} needs besides the request. */
export interface UpgradeContext {
  readonly target: UpgradeTarget;
  readonly Request: NodeRequestClass;
  readonly Socket: UpgradeSocketClass;
  readonly Buffer: BufferClass;
  readonly limits: TakeoverLimits;
  readonly logger: Logger;
}

/** True when one comma-separated value of header `name` is `token` (case-insensitive). */
function listsToken(headers: readonly string[], name: string, token: string): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== name) continue;
    for (const part of headers[i + 1].split(",")) if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

/** node:http's rule: `Connection` lists `upgrade` and an `Upgrade` header is present. */
export function isUpgradeRequest(head: RequestHead): boolean {
  const headers = head.headers;
  let upgrade = false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === "upgrade") {
      upgrade = true;
      break;
    }
  }
  return upgrade && listsToken(headers, "connection", "upgrade");
}

/**
 * Hands `incoming` to the target's `'upgrade'` listeners when it is an
 * upgrade request and there are listeners; returns false (serve it as a
 * request) otherwise. A request with a body stays an ordinary request.
 */
export function emitUpgrade(ctx: UpgradeContext, incoming: IncomingRequest, writer: ResponseWriter): boolean {
  // Cheapest test first: a scan of the header names (interned strings) rules out ordinary requests.
  if (!isUpgradeRequest(incoming.head) || !incoming.body.empty) return false;
  const target = ctx.target;
  if (target.listenerCount("upgrade") === 0) return false;
  if (!canTakeOver(writer)) return false;
  const taken = writer.takeOver((host) => new RawTakeover(host, ctx.limits));
  if (taken === null) {
    // The connection cannot be handed over (server stopping, client gone).
    if (!writer.headersSent && !writer.closed) {
      writer.send(503, undefined, ["content-type", "text/plain; charset=utf-8", "connection", "close"], "Service Unavailable\n");
    }
    return true;
  }
  const takeover = taken as RawTakeover;
  const socket = new ctx.Socket(takeover, incoming);
  takeover.attach(socket);
  const req = new ctx.Request(incoming, writer);
  req.socket = socket as never;
  req.upgrade = true;
  try {
    target.emit("upgrade", req, socket, ctx.Buffer.alloc(0));
  } catch (error) {
    // node:http would crash the process; here the error stays with this connection.
    ctx.logger.error(`Error in an 'upgrade' listener for ${incoming.head.method} ${incoming.head.target}; closing the connection`, error);
    socket.destroy();
  }
  return true;
}
