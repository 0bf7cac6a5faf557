/**
 * The node interface: Express, Koa, Fastify, http.Server and `(req, res)`
 * apps on core's engine (docs/node-apps.md). {@link nodeAppHandler} turns
 * an export into a {@link RequestHandler}.
 */
import type { RequestHandler } from "../../core/server/types.ts";
import { nodeListeners, type NodeAppShape } from "./app-shapes.ts";
import { bridgeExpress } from "./express.ts";
import { nodeClasses, nodeHandler, type NodeHandlerOptions } from "./handler.ts";

export { frameworkShape, parameterNames, twoParameterKind, type NodeAppShape } from "./app-shapes.ts";
export { nodeClasses, nodeHandler, type NodeHandlerOptions, type NodeListener } from "./handler.ts";
export type { NodeStreamClasses } from "./streams.ts";
export { takeoverLimitsFrom, type TakeoverLimits } from "./takeover.ts";

/** A served Node-style app: its shape (for the start-up log) and handler. */
export interface NodeApp {
  readonly shape: NodeAppShape;
  readonly handler: RequestHandler;
}

/**
 * Resolves `app` (awaiting Fastify's `ready()`), links an Express app's
 * request/response prototypes to tricorn's objects, and wraps it.
 */
export async function nodeAppHandler(app: unknown, options: NodeHandlerOptions): Promise<NodeApp> {
  const listeners = await nodeListeners(app);
  if (listeners.shape === "express") {
    const classes = nodeClasses(options.streams);
    bridgeExpress(app as { request: object; response: object }, classes.Request.prototype, classes.Response.prototype);
  }
  return { shape: listeners.shape, handler: nodeHandler(listeners.request, options, listeners.upgradeTarget) };
}
