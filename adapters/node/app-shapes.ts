/**
 * Which Node-style app an export is, and the `(req, res)` listener that
 * serves it:
 * - an Express app (a function with `handle`, `set`, `request`, `response`)
 * - a Koa app (`callback()`, `middleware` array, `context`): `app.callback()`
 * - a Fastify instance (`routing`, `ready`, `server`): its router after
 *   `await ready()`
 * - an `http.Server`/`https.Server` created but not listening: its
 *   `'request'` listeners (and its `'upgrade'` ones, adapters/node/upgrade.ts)
 * - a bare `(req, res)` function (see {@link parameterNames} for how it is
 *   told apart from a gateway app).
 */
import type { NodeListener } from "./handler.ts";
import type { UpgradeTarget } from "./upgrade.ts";

/** The Node-style app shapes tricorn recognises. */
export type NodeAppShape = "express" | "koa" | "fastify" | "http.Server" | "listener";

type AnyRecord = Record<string, unknown>;

function isObjectLike(value: unknown): boolean {
  return (typeof value === "object" || typeof value === "function") && value !== null;
}

function hasFunctions(value: AnyRecord, names: readonly string[]): boolean {
  for (const name of names) if (typeof value[name] !== "function") return false;
  return true;
}

/** The shape of a framework app or server, or null (bare functions are classified by the caller). */
export function frameworkShape(value: unknown): Exclude<NodeAppShape, "listener"> | null {
  if (!isObjectLike(value)) return null;
  const app = value as AnyRecord;
  if (typeof value === "function" && hasFunctions(app, ["handle", "set", "use"]) && isObjectLike(app.request) &&
    isObjectLike(app.response)) {
    return "express";
  }
  if (hasFunctions(app, ["callback", "use"]) && Array.isArray(app.middleware) && isObjectLike(app.context)) return "koa";
  if (hasFunctions(app, ["routing", "ready", "register"]) && isObjectLike(app.server)) return "fastify";
  if (hasFunctions(app, ["listen", "listeners", "address", "emit"]) && typeof app.listening === "boolean") return "http.Server";
  return null;
}

/**
 * The declared parameter names of a function, read from its source (null
 * when the source does not show a plain parameter list: native or bound
 * functions, destructuring).
 */
export function parameterNames(fn: (...args: never[]) => unknown): string[] | null {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return null;
  }
  const open = source.indexOf("(");
  const arrow = source.indexOf("=>");
  if (arrow >= 0 && (open < 0 || arrow < open)) {
    const single = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
    return single === null ? null : [single[1]];
  }
  if (open < 0) return null;
  const close = source.indexOf(")", open);
  if (close < 0) return null;
  const inside = source.slice(open + 1, close).replace(/\/\*[\s\S]*?\*\//g, "").trim();
  if (inside === "") return [];
  const names: string[] = [];
  for (const part of inside.split(",")) {
    const match = /^\s*([A-Za-z_$][\w$]*)\s*(?:=.*)?$/.exec(part);
    if (match === null) return null;
    names.push(match[1]);
  }
  return names;
}

const NODE_FIRST = /^_*(req|request)$/i;
const NODE_SECOND = /^_*(res|response)$/i;
const GATEWAY_FIRST = /^_*(e|env|environ)$/i;
const GATEWAY_SECOND = /^_*(s|sr|start|startresponse|start_response)$/i;

/**
 * The rule for a bare function of two parameters under `--interface auto`:
 * `(req, res)` / `(request, response)` is a node listener, `(environ,
 * startResponse)` (also `env`, `start`, `start_response`) a gateway app,
 * leading underscores ignored; any other pair is ambiguous (null).
 */
export function twoParameterKind(fn: (...args: never[]) => unknown): "node" | "gateway" | null {
  const names = parameterNames(fn);
  if (names === null || names.length < 2) return null;
  if (NODE_FIRST.test(names[0]) && NODE_SECOND.test(names[1])) return "node";
  if (GATEWAY_FIRST.test(names[0]) && GATEWAY_SECOND.test(names[1])) return "gateway";
  return null;
}

/** What serving a Node-style app needs: its request listener and where `'upgrade'` goes. */
export interface NodeAppListeners {
  readonly shape: NodeAppShape;
  readonly request: NodeListener;
  /**
   * The exported http.Server (a Fastify instance's `server`): upgrade
   * requests go to its `'upgrade'` listeners while it has any; null for
   * apps without a server (Express, Koa, functions).
   */
  readonly upgradeTarget: UpgradeTarget | null;
}

/** Calls every listener in order, like `server.emit('request', req, res)`. */
function allOf(listeners: readonly NodeListener[]): NodeListener {
  if (listeners.length === 1) return listeners[0];
  return (req, res) => {
    for (const listener of listeners) listener(req, res);
  };
}

/**
 * Resolves a Node-style app to its listeners (awaiting Fastify's `ready()`).
 * @throws Error naming what is wrong (a listening server, a server without `'request'` listeners)
 */
export async function nodeListeners(app: unknown): Promise<NodeAppListeners> {
  const shape = frameworkShape(app);
  const target = app as AnyRecord;
  switch (shape) {
    case "express":
      return { shape, request: app as NodeListener, upgradeTarget: null };
    case "koa":
      return { shape, request: (target.callback as () => NodeListener).call(app), upgradeTarget: null };
    case "fastify": {
      await (target.ready as () => Promise<unknown>).call(app);
      const routing = target.routing as NodeListener;
      return { shape, request: (req, res) => routing.call(app, req, res), upgradeTarget: target.server as UpgradeTarget };
    }
    case "http.Server": {
      if (target.listening) throw new Error("the exported server is already listening; export it without calling listen()");
      const listeners = (target.listeners as (e: string) => NodeListener[]).call(app, "request");
      if (listeners.length === 0) {
        throw new Error("the exported server has no 'request' listener; pass the app to createServer(app)");
      }
      return { shape, request: allOf(listeners), upgradeTarget: app as UpgradeTarget };
    }
    default:
      if (typeof app === "function") return { shape: "listener", request: app as NodeListener, upgradeTarget: null };
      throw new Error("expected an Express, Koa or Fastify app, an http.Server or a (req, res) function");
  }
}
