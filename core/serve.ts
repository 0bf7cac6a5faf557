/**
 * Booting one serving process, shared by every runtime's main.ts (and later
 * by arbiter workers): settings → logger → app → handler → ServerCore →
 * listeners, and the graceful stop. Runtime services come in through a
 * {@link Runtime}; nothing here touches a runtime API.
 *
 * Exit codes: 0 normal, 1 environment failure (cannot bind, cannot write a
 * file), 2 usage error (bad option, bad APP, app fails to load). The command
 * itself (settings, config file, master or worker) is core/command.ts.
 */
import { AppLoadError, baseName, locateApp, missingPackage, pickExport } from "./app-spec.ts";
import type { AppFileLookup, PickedExport } from "./app-spec.ts";
import { describeBindFailure, formatBind } from "./bind.ts";
import type { AccessLogger } from "./access-log.ts";
import { runCli } from "./command.ts";
import { describeError, errorMessage } from "./logger.ts";
import type { AppLoader, Runtime } from "./runtime.ts";
import { ServerCore, defaultServerOptions } from "./server.ts";
import type { ServerOptions } from "./server.ts";
import type { Settings } from "./settings.ts";
import type { BindAddress, ConnectionAcceptor, Listener, Logger, RequestHandler, SocketHandlers } from "./types.ts";
import { TlsConfigError, describeTlsError, loadTlsOptions, type TlsOptions } from "./tls.ts";
import { NATIVE_FETCH_ONLY, nativeServeOptions, nativeSettingsProblem, type NativeListener } from "./engine.ts";
import { createHandler, detectInterface } from "../adapters/detect.ts";
import type { FetchApp } from "../adapters/fetch.ts";
import { createNativeApp } from "../adapters/native.ts";
import type { HandlerOptions } from "../adapters/detect.ts";

/** A start-up failure: one line for the user and the process exit code. */
export class StartupError extends Error {
  override name = "StartupError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Exit code for usage errors (bad option, bad APP). */
export const EXIT_USAGE = 2;
/** Exit code for environment failures (cannot bind, cannot write a file). */
export const EXIT_FAILURE = 1;

/**
 * Import APP and turn its export into a {@link RequestHandler}. Every failure
 * becomes a one-line {@link StartupError} (exit 2); the stack of an error
 * thrown while importing goes to the log at debug level.
 */
export function loadHandler(
  loader: AppLoader & AppFileLookup,
  app: string,
  iface: Settings["interface"],
  logger: Logger,
  handlerOptions: Partial<HandlerOptions> = {},
): Promise<RequestHandler> {
  return loadApp(loader, app, logger, (picked) => createHandler(picked.value, iface, { ...handlerOptions, logger }, picked.name));
}

/**
 * Import APP, pick its export and make something of it with `build`. Every
 * failure (`build` throwing included) becomes a one-line
 * {@link StartupError} (exit 2), as in {@link loadHandler}.
 */
export async function loadApp<T>(
  loader: AppLoader & AppFileLookup,
  app: string,
  logger: Logger,
  build: (picked: PickedExport) => T,
): Promise<T> {
  try {
    const { spec, path } = locateApp(loader, app);
    let namespace: Record<string, unknown>;
    try {
      namespace = await loader.importModule(path);
    } catch (error) {
      if (error instanceof AppLoadError) throw error;
      logger.debug(`importing ${path} failed:\n${describeError(error)}`);
      const reason = errorMessage(error);
      const pkg = missingPackage(reason);
      throw new AppLoadError(`cannot load app ${JSON.stringify(spec.file)}: ${reason}${pkg === null ? "" : ` (npm install ${pkg})`}`);
    }
    const picked = pickExport(namespace, spec);
    try {
      return build(picked);
    } catch (error) {
      throw new AppLoadError(`${baseName(spec.file)}: ${errorMessage(error)}`);
    }
  } catch (error) {
    throw new StartupError(errorMessage(error), EXIT_USAGE);
  }
}

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
    serverHeader: settings.server_header,
    headerMap: settings.header_map,
    forwardedAllowIps: settings.forwarded_allow_ips,
    proxyProtocol: settings.proxy_protocol,
    proxyAllowIps: settings.proxy_allow_ips,
  };
}

/**
 * The TLS files named by the settings, read and checked (undefined when TLS
 * is off). A bad combination of options is a usage error (exit 2); a
 * missing, unreadable or non-PEM file exits 1; both are one line naming it.
 */
export function loadTls(rt: Runtime, settings: Settings): TlsOptions | undefined {
  try {
    return loadTlsOptions((path) => rt.readTextFile(path), settings);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new StartupError(error.message, error.usage ? EXIT_USAGE : EXIT_FAILURE);
    throw error;
  }
}

/** Handlers for a connection refused over `worker_connections`: it is already destroyed. */
const REFUSED: SocketHandlers = { data() {}, drain() {}, end() {}, close() {} };

/**
 * `server.accept`, capped at `worker_connections` open connections: beyond
 * that, new connections are closed at once (the client may retry on
 * another worker) instead of letting one process take on unbounded work.
 */
export function limitConnections(server: ServerCore, max: number, logger: Logger): ConnectionAcceptor {
  let warned = false;
  return (socket) => {
    if (server.connections < max) {
      warned = false;
      return server.accept(socket);
    }
    if (!warned) logger.warning(`worker_connections (${max}) reached; closing new connections until some finish`);
    warned = true;
    socket.destroy();
    return REFUSED;
  };
}

/**
 * Bind every `--bind` address. If one fails, the ones already bound are
 * closed and a {@link StartupError} names the address, the reason and
 * the fix (`cannot bind 127.0.0.1:8000: address already in use; is
 * another server running there? …`, exit 1).
 */
export async function listenAll(rt: Runtime, settings: Settings, accept: ConnectionAcceptor, logger: Logger): Promise<Listener[]> {
  const tls = loadTls(rt, settings);
  const listeners: Listener[] = [];
  for (const bind of settings.bind) {
    let listener: Listener;
    try {
      listener = await rt.listen(bind, accept, {
        backlog: settings.backlog,
        reusePort: settings.reuse_port,
        tls,
        onError: (error) => logger.error(`error on ${formatBind(bind)}: ${errorMessage(error)}`),
      });
    } catch (error) {
      await Promise.allSettled(listeners.map((listener) => listener.close()));
      throw bindFailure(settings, bind, tls, error);
    }
    // Runtimes name what they bound; the scheme is core's business.
    listeners.push(tls === undefined ? listener : { url: listener.url.replace(/^http:/, "https:"), close: () => listener.close() });
  }
  return listeners;
}

/** The one-line {@link StartupError} (exit 1) for a bind that failed with `error`. */
function bindFailure(settings: Settings, bind: BindAddress, tls: TlsOptions | undefined, error: unknown): StartupError {
  const tlsReason = tls === undefined ? null : describeTlsError(error);
  if (tlsReason !== null) {
    const files = `certfile ${JSON.stringify(settings.certfile)}, keyfile ${JSON.stringify(settings.keyfile)}`;
    return new StartupError(`cannot serve TLS on ${formatBind(bind)}: ${tlsReason} (${files})`, EXIT_FAILURE);
  }
  return new StartupError(`cannot bind ${formatBind(bind)}: ${describeBindFailure(bind, error)}`, EXIT_FAILURE);
}

/** A process that is serving: its listeners and connection server. */
export interface ServingProcess {
  /** The core engine's listeners (empty with `--engine native`: the runtime's server owns its sockets). */
  readonly listeners: readonly Listener[];
  /** The core engine's connection server (null with `--engine native`). */
  readonly server: ServerCore | null;
  /**
   * Graceful stop: close the listeners, close idle connections and let busy
   * ones finish their response; resolves once no connection is left.
   */
  shutdown(): Promise<void>;
  /** {@link shutdown} bounded by `graceful_timeout`; resolves false when time ran out. */
  stop(): Promise<boolean>;
}

/** Extra hooks for {@link bootServer}. */
export interface BootOptions {
  /** Called after every completed request (max_requests accounting in workers). */
  onRequestDone?: () => void;
  /** True when several worker processes serve the app (`tricorn.multiprocess` in the environ). */
  multiprocess?: boolean;
  /** The access log (core/log-files.ts), or null/absent when it is off. */
  accessLog?: AccessLogger | null;
}

/**
 * Load the app, create the server and bind every address — the sequence
 * each serving process runs, with the engine `settings.engine` names
 * (core/engine.ts). Throws {@link StartupError}.
 */
export async function bootServer(
  rt: Runtime,
  settings: Settings,
  app: string,
  logger: Logger,
  boot: BootOptions = {},
): Promise<ServingProcess> {
  if (settings.engine === "native") return bootNative(rt, settings, app, logger, boot);
  const handler = await loadHandler(rt, app, settings.interface, logger, {
    headerMap: settings.header_map,
    multiprocess: boot.multiprocess ?? false,
  });
  const server = new ServerCore({
    handler,
    timers: rt.timers,
    logger,
    options: serverOptionsFrom(settings),
    onRequestDone: boot.onRequestDone,
    accessLog: boot.accessLog,
  });
  const listeners = await listenAll(rt, settings, limitConnections(server, settings.worker_connections, logger), logger);
  let shuttingDown: Promise<void> | null = null;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      await Promise.allSettled(listeners.map((listener) => listener.close()));
      server.closeIdle();
      await server.drain();
      server.stopTimers();
    })());
  return { listeners, server, shutdown, stop: boundedStop(rt, settings, shutdown) };
}

/** `shutdown` bounded by `graceful_timeout`: resolves false when time ran out. */
function boundedStop(rt: Runtime, settings: Settings, shutdown: () => Promise<void>): () => Promise<boolean> {
  return async () => {
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = rt.timers.setTimeout(() => resolve(false), settings.graceful_timeout * 1000);
    });
    const drained = await Promise.race([shutdown().then(() => true), timedOut]);
    rt.timers.clearTimeout(timer);
    return drained;
  };
}

/**
 * Throw a one-line {@link StartupError} (exit 2) when `settings.engine`
 * cannot serve with these settings on this runtime (checked by the master
 * before anything forks, and by every worker). Returns the runtime's native
 * server for `--engine native`, else undefined.
 */
export function checkEngine(rt: Runtime, settings: Settings): Runtime["serveNative"] {
  if (settings.engine !== "native") return undefined;
  if (rt.serveNative === undefined) throw new StartupError(`--engine native is not available on ${rt.name}; use --engine core`, EXIT_USAGE);
  const problem = nativeSettingsProblem(settings);
  if (problem !== null) throw new StartupError(problem, EXIT_USAGE);
  return rt.serveNative;
}

/**
 * Import APP for `--engine native`: it must be a fetch app (a gateway app is
 * a one-line {@link StartupError}). Used when booting and by `--check-config`.
 */
export async function loadNativeApp(rt: Runtime, settings: Settings, app: string, logger: Logger): Promise<FetchApp> {
  const loaded = await loadApp(rt, app, logger, (picked) => ({
    value: picked.value,
    kind: detectInterface(picked.value, settings.interface, picked.name),
  }));
  if (loaded.kind === "gateway") throw new StartupError(NATIVE_FETCH_ONLY, EXIT_USAGE);
  return loaded.value as FetchApp;
}

/**
 * `--engine native`: the runtime's own HTTP server (`rt.serveNative`)
 * serves the fetch app on every bind; a gateway app, or a setting the
 * engine cannot honour, is a one-line {@link StartupError}.
 */
async function bootNative(rt: Runtime, settings: Settings, app: string, logger: Logger, boot: BootOptions): Promise<ServingProcess> {
  const serveNative = checkEngine(rt, settings)!;
  const nativeApp = createNativeApp(await loadNativeApp(rt, settings, app, logger), {
    logger,
    accessLog: boot.accessLog ?? null,
    requestDone: boot.onRequestDone ?? (() => {}),
    limitRequestBody: settings.limit_request_body,
  });
  const options = nativeServeOptions(settings, loadTls(rt, settings));
  const served: NativeListener[] = [];
  for (const bind of settings.bind) {
    try {
      served.push(
        await serveNative(bind, nativeApp, {
          ...options,
          onError: (error) => logger.error(`error on ${formatBind(bind)}: ${errorMessage(error)}`),
        }),
      );
    } catch (error) {
      await Promise.allSettled(served.map((listener) => listener.shutdown()));
      throw bindFailure(settings, bind, options.tls, error);
    }
  }
  let shuttingDown: Promise<void> | null = null;
  const shutdown = () => (shuttingDown ??= Promise.allSettled(served.map((listener) => listener.shutdown())).then(() => {}));
  return { listeners: [], server: null, shutdown, stop: boundedStop(rt, settings, shutdown) };
}

/**
 * Entry-point body shared by every runtimes/<rt>/main.ts: run the command and
 * exit with its code. An unexpected error (a bug) is still reported as one
 * line; set TRICORN_DEBUG=1 to see its stack.
 */
export function runMain(rt: Runtime): void {
  runCli(rt).then(
    (code) => rt.exit(code),
    (error: unknown) => {
      const detail = rt.env.TRICORN_DEBUG ? describeError(error) : errorMessage(error);
      rt.writeStderr(`tricorn: internal error: ${detail}\n`);
      rt.exit(EXIT_FAILURE);
    },
  );
}
