/**
 * `--engine native` on Deno: one `Deno.serve` per bind (SO_REUSEPORT in
 * workers, as the core engine's listener), handing each Request straight to
 * the prepared app (adapters/native.ts) with Deno's own `info`. Graceful
 * stop is `server.shutdown()`: stop accepting, finish in-flight responses.
 */
import { listenerUrl } from "../../core/net/bind.ts";
import type { ServeNativeFn } from "../../core/server/native-engine.ts";

/** An error for a TLS feature Deno cannot provide (core reports its message as is). */
function tlsUnsupported(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_TLS_UNSUPPORTED" });
}

/**
 * Serve `app` on `bind` with Deno.serve. `reusePort` needs `--unstable-net`
 * (workers get it); fd:// binds and TLS on unix sockets are not supported.
 */
export const serveNative: ServeNativeFn = async (bind, app, options) => {
  if (bind.kind === "fd") throw new Error("--engine native cannot serve fd:// binds (socket activation) on Deno: Deno.serve cannot adopt a socket; use --engine core");
  const tls = options.tls;
  if (tls !== undefined && bind.kind === "unix") throw tlsUnsupported("TLS on unix sockets is not supported on Deno");
  const handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.Addr>) => app.fetch(request, info as Deno.ServeHandlerInfo<Deno.NetAddr>);
  const common = {
    onListen() {},
    // Only reached if the prepared app itself fails; it answers every app error.
    onError(error: unknown) {
      app.logger.error("Error in Deno.serve", error);
      return new Response("Internal Server Error", { status: 500 });
    },
    // Same bytes as the core engine: no compression unless the app compresses.
    automaticCompression: false,
  };
  let server: Deno.HttpServer<Deno.Addr>;
  if (bind.kind === "unix") {
    server = Deno.serve({ ...common, transport: "unix", path: bind.path }, handler);
  } else {
    const tcp: Deno.ServeTcpOptions = { ...common, hostname: bind.host, port: bind.port, tcpBacklog: options.backlog };
    if (options.reusePort) tcp.reusePort = true;
    server = Deno.serve(tls === undefined ? tcp : { ...tcp, cert: tls.cert, key: tls.key }, handler);
  }
  const port = bind.kind === "tcp" ? (server.addr as Deno.NetAddr).port : undefined;
  let stopped: Promise<void> | null = null;
  return {
    url: listenerUrl(bind, port),
    shutdown: () =>
      (stopped ??= server.shutdown().then(() => {
        if (bind.kind !== "unix") return;
        try {
          Deno.removeSync(bind.path); // the next worker binds this path again
        } catch {
          // gone already
        }
      })),
  };
};
