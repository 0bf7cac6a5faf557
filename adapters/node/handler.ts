/**
 * Serves a Node-style `(req, res)` listener on core's engine: one request,
 * socket and response object per exchange (classes built once per runtime
 * from its EventEmitter/Readable), `'close'`/`'aborted'` when the client
 * leaves early, and errors contained to the request: a listener that throws
 * (or whose promise rejects) before the head is sent gets a logged 500, after
 * it the connection is aborted — where node:http would crash the process.
 */
import type { IncomingRequest, RequestHandler, ResponseWriter } from "../../core/server/types.ts";
import type { Logger } from "../../core/log/logger.ts";
import { defineRequestClass, type NodeRequest, type NodeRequestClass } from "./request.ts";
import { defineResponseClass, type NodeResponse, type NodeResponseClass } from "./response.ts";
import { defineSocketClass, type NodeSocketClass } from "./socket.ts";
import type { NodeStreamClasses } from "./streams.ts";
import { defaultWebSocketConfig } from "../ws/config.ts";
import { takeoverLimitsFrom, type TakeoverLimits } from "./takeover.ts";
import { emitUpgrade, type UpgradeContext, type UpgradeTarget } from "./upgrade.ts";
import { defineUpgradeSocketClass, type UpgradeSocketClass } from "./upgrade-socket.ts";

/** A node:http `'request'` listener. */
export type NodeListener = (req: NodeRequest, res: NodeResponse) => unknown;

/** The per-request classes, built on one runtime's stream classes. */
export interface NodeClasses {
  readonly Socket: NodeSocketClass;
  readonly Request: NodeRequestClass;
  readonly Response: NodeResponseClass;
  /** The socket of an `'upgrade'` (a Duplex). */
  readonly UpgradeSocket: UpgradeSocketClass;
}

const built = new WeakMap<NodeStreamClasses, NodeClasses>();

/** The per-request classes for `streams` (built once and cached). */
export function nodeClasses(streams: NodeStreamClasses): NodeClasses {
  let classes = built.get(streams);
  if (classes === undefined) {
    const Socket = defineSocketClass(streams.EventEmitter);
    classes = {
      Socket,
      Request: defineRequestClass(streams.Readable, Socket),
      Response: defineResponseClass(streams.EventEmitter),
      UpgradeSocket: defineUpgradeSocketClass(streams.Duplex),
    };
    built.set(streams, classes);
  }
  return classes;
}

/** Options of {@link nodeHandler}. */
export interface NodeHandlerOptions {
  /** The runtime's EventEmitter, Readable, Duplex and Buffer. */
  streams: NodeStreamClasses;
  logger: Logger;
  /** Bounds of connections handed to `'upgrade'` listeners (default: from the default WebSocket settings). */
  takeoverLimits?: TakeoverLimits;
}

/** The bounds the default `websocket_ping_*` settings give. */
const DEFAULT_TAKEOVER_LIMITS: TakeoverLimits = takeoverLimitsFrom(defaultWebSocketConfig());

/** A listener failed: 500 if nothing was sent yet, else the connection is aborted. */
function listenerFailed(logger: Logger, incoming: IncomingRequest, writer: ResponseWriter, error: unknown): void {
  const label = `${incoming.head.method} ${incoming.head.target}`;
  if (writer.closed) return;
  if (writer.headersSent) {
    logger.error(`Error handling ${label} after the response started; aborting the connection`, error);
    writer.abort(error);
    return;
  }
  logger.error(`Error handling ${label}`, error);
  writer.send(500, undefined, ["content-type", "text/plain"], "Internal Server Error\n");
}

/**
 * Wraps a `(req, res)` listener as a {@link RequestHandler} (see the module
 * comment). With `upgradeTarget`, upgrade requests go to its `'upgrade'`
 * listeners while it has any (adapters/node/upgrade.ts).
 */
export function nodeHandler(listener: NodeListener, options: NodeHandlerOptions, upgradeTarget: UpgradeTarget | null = null): RequestHandler {
  const classes = nodeClasses(options.streams);
  const { Request, Response } = classes;
  const logger = options.logger;
  const upgrade: UpgradeContext | null = upgradeTarget === null ? null : {
    target: upgradeTarget,
    Request,
    Socket: classes.UpgradeSocket,
    Buffer: options.streams.Buffer,
    limits: options.takeoverLimits ?? DEFAULT_TAKEOVER_LIMITS,
    logger,
  };
  return (incoming: IncomingRequest, writer: ResponseWriter): void => {
    if (upgrade !== null && emitUpgrade(upgrade, incoming, writer)) return;
    const req = new Request(incoming, writer);
    const res = new Response(req, writer);
    writer.onClose(() => res.connectionClosed());
    let result: unknown;
    try {
      result = listener(req, res);
    } catch (error) {
      listenerFailed(logger, incoming, writer, error);
      return;
    }
    // The response is what answers, not the listener's promise (Koa's resolves when it is done).
    if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
      (result as Promise<unknown>).then(undefined, (error: unknown) => listenerFailed(logger, incoming, writer, error));
    }
  };
}
