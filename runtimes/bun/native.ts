/**
 * `--engine native` on Bun: one `Bun.serve` per bind (SO_REUSEPORT in
 * workers, as the core engine's listener), handing each Request to the
 * prepared app (adapters/native.ts) with a small `info` shaped like Deno's
 * (`remoteAddr`) that also answers Bun's `requestIP` / `timeout`. Graceful
 * stop is `server.stop(false)`: stop accepting, close idle connections,
 * resolve once in-flight responses ended.
 */
import fs from "node:fs";
import { listenerUrl } from "../../core/net/bind.ts";
import type { NativeRequestInfo, ServeNativeFn } from "../../core/server/native-engine.ts";

/** The parts of Bun's HTTP server used here. */
interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(request: Request): { address: string; family: string; port: number } | null;
  timeout(request: Request, seconds: number): void;
}

const Bun = (globalThis as unknown as { Bun: { serve(options: Record<string, unknown>): BunServer } }).Bun;

/** Bun's `idleTimeout` is a whole number of seconds up to 255 (0 = none). */
const MAX_IDLE_TIMEOUT = 255;

/** The `info` argument of the app on Bun (see the module comment). */
class BunInfo implements NativeRequestInfo {
  constructor(
    private readonly request: Request,
    private readonly server: BunServer,
  ) {}

  get remoteAddr(): { transport: "tcp"; hostname: string; port: number } {
    const ip = this.server.requestIP(this.request);
    return { transport: "tcp", hostname: ip?.address ?? "", port: ip?.port ?? 0 };
  }

  /** Bun's `server.requestIP` (Hono's `getConnInfo` from `hono/bun` calls it). */
  requestIP(request: Request = this.request) {
    return this.server.requestIP(request);
  }

  /** Bun's `server.timeout`: `timeout(request, 0)` lets a stream pause longer than the idle timeout. */
  timeout(request: Request, seconds: number): void {
    this.server.timeout(request, seconds);
  }
}

/**
 * Bun's idle timeout covers both an idle keep-alive connection and pauses
 * inside a streaming response, so it is the larger of `keepalive` and
 * `header_timeout` (Bun's own default, 10 s, with tricorn's defaults).
 */
function idleTimeout(keepalive: number, headerTimeout: number): number {
  return Math.min(MAX_IDLE_TIMEOUT, Math.ceil(Math.max(keepalive, headerTimeout)));
}

/**
 * Serve `app` on `bind` with Bun.serve. fd:// binds are not supported;
 * `backlog` is not settable on Bun.
 */
export const serveNative: ServeNativeFn = async (bind, app, options) => {
  if (bind.kind === "fd") throw new Error("--engine native cannot serve fd:// binds (socket activation) on Bun: Bun.serve cannot adopt a socket; use --engine core");
  const tls = options.tls;
  const serveOptions: Record<string, unknown> = {
    development: false,
    idleTimeout: idleTimeout(options.keepalive, options.headerTimeout),
    // 0 = unlimited in tricorn; Bun's own default would be 128 MiB.
    maxRequestBodySize: options.limitRequestBody > 0 ? options.limitRequestBody : Number.MAX_SAFE_INTEGER,
    tls: tls === undefined ? undefined : { cert: tls.cert, key: tls.key },
    fetch: (request: Request, server: BunServer) => app.fetch(request, new BunInfo(request, server)),
    // Only reached if the prepared app itself fails; it answers every app error.
    error(error: unknown) {
      app.logger.error("Error in Bun.serve", error);
      return new Response("Internal Server Error", { status: 500 });
    },
  };
  if (bind.kind === "unix") serveOptions.unix = bind.path;
  else Object.assign(serveOptions, { hostname: bind.host, port: bind.port, reusePort: options.reusePort });
  const server = Bun.serve(serveOptions);
  let stopped: Promise<void> | null = null;
  return {
    url: listenerUrl(bind, bind.kind === "tcp" ? server.port : undefined),
    shutdown: () =>
      (stopped ??= Promise.resolve(server.stop(false)).then(() => {
        // the next worker binds this path again
        if (bind.kind === "unix") fs.rmSync(bind.path, { force: true });
      })),
  };
};
