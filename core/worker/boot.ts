/**
 * Booting one serving process on the core engine: settings → app handler →
 * ServerCore → listeners, with the graceful stop; `--engine native` goes to
 * engine.ts instead. Runtime services come in through a
 * {@link WorkerRuntime}; nothing here touches a runtime API.
 */
import { ServerCore, defaultServerOptions } from "../server/server.ts";
import type { ServerOptions } from "../server/server.ts";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../log/logger.ts";
import type { RequestHandler } from "../server/types.ts";
import { listenAll } from "../server/listen.ts";
import { ConnectionGate } from "../server/accept-gate.ts";
import { bootNative } from "./engine.ts";
import { loadHandler } from "./load-app.ts";
import { websocketConfigFrom } from "../../adapters/ws/config.ts";
import { boundedStop, listenSettings, type BootOptions, type ServingProcess, type WorkerRuntime } from "./serving.ts";

/** Settings mapped onto ServerCore's options. */
export function serverOptionsFrom(settings: Settings): ServerOptions {
  return {
    ...defaultServerOptions(),
    limits: {
      limitRequestLine: settings.limit_request_line,
      limitRequestFields: settings.limit_request_fields,
      limitRequestFieldSize: settings.limit_request_field_size,
      limitRequestBody: settings.limit_request_body,
      permitBareLf: settings.permit_bare_lf,
    },
    keepalive: settings.keepalive,
    headerTimeout: settings.header_timeout,
    bodyTimeout: settings.body_timeout,
    sendTimeout: settings.send_timeout,
    serverHeader: settings.server_header,
    headerMap: settings.header_map,
    forwardedAllowIps: settings.forwarded_allow_ips,
    proxyProtocol: settings.proxy_protocol,
    proxyAllowIps: settings.proxy_allow_ips,
  };
}

/**
 * Load the app, create the server and bind every address — the sequence
 * each serving process runs, with the engine `settings.engine` names
 * (core/server/native-engine.ts). Throws {@link StartupError}.
 */
export async function bootServer(
  rt: WorkerRuntime,
  settings: Settings,
  app: string,
  logger: Logger,
  boot: BootOptions = {},
): Promise<ServingProcess> {
  // Before the app is imported, so every `Response` it makes is the light one.
  if (settings.light_response && rt.installLightResponse !== undefined && (settings.engine === "core" || rt.nativeSendsLightResponse === true)) {
    rt.installLightResponse();
  }
  if (settings.engine === "native") return bootNative(rt, settings, app, logger, boot);
  let exported: { value: unknown; label: string } = { value: undefined, label: "export default" };
  const handler = await loadHandler(
    rt,
    app,
    settings.interface,
    logger,
    {
      headerMap: settings.header_map,
      multiprocess: boot.multiprocess ?? false,
      nodeStreams: rt.nodeStreams,
      websocket: websocketConfigFrom(settings, rt.deflateCodec),
    },
    (value, label) => (exported = { value, label }),
  );
  return serveHandler(rt, await listenSettings(settings, exported.value, exported.label, logger, boot), handler, logger, boot);
}

/**
 * Serve a ready {@link RequestHandler} on the core engine: ServerCore and
 * every bind of `settings` (also the programmatic `serve()` of an app
 * object, core/command/api.ts). Throws {@link StartupError}.
 */
export async function serveHandler(
  rt: WorkerRuntime,
  settings: Settings,
  handler: RequestHandler,
  logger: Logger,
  boot: BootOptions = {},
): Promise<ServingProcess> {
  const server = new ServerCore({
    handler,
    timers: rt.timers,
    logger,
    options: serverOptionsFrom(settings),
    onRequestDone: boot.onRequestDone,
    accessLog: boot.accessLog,
    // Two clock reads per request cost ~1 µs each on machines without a vDSO clock: only for metrics.
    timeRequests: settings.metrics_bind !== null,
  });
  // At worker_connections the listeners pause (connections wait in the backlog or go to a sibling).
  const gate = new ConnectionGate(server, settings.worker_connections, settings.backlog, logger);
  const listeners = await listenAll(rt, settings, gate.accept, logger);
  for (const listener of listeners) gate.watch(listener);
  let shuttingDown: Promise<void> | null = null;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      await Promise.allSettled(listeners.map((listener) => listener.close()));
      server.closeIdle();
      gate.release(); // connections parked at the cap get their one response too
      await server.drain();
      server.stopTimers();
    })());
  return {
    listeners,
    server,
    stats: server.stats,
    inFlight: () => server.inFlight,
    connections: () => server.connections,
    shutdown,
    stop: boundedStop(rt, settings, shutdown),
  };
}
