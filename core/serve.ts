/**
 * Booting one serving process, shared by every runtime's main.ts (and later
 * by arbiter workers): settings → logger → app → handler → ServerCore →
 * listeners, and the graceful stop. Runtime services come in through a
 * {@link Runtime}; nothing here touches a runtime API.
 *
 * Exit codes: 0 normal, 1 environment failure (cannot bind, cannot write a
 * file), 2 usage error (bad option, bad APP, app fails to load).
 */
import { AppLoadError, baseName, parseAppSpec, pickExport } from "./app-spec.ts";
import { bindErrorReason, formatBind } from "./bind.ts";
import { renderHelp, parseCommandLine } from "./cli.ts";
import { createLogger, describeError, errorMessage } from "./logger.ts";
import type { AppLoader, Runtime } from "./runtime.ts";
import { ServerCore, defaultServerOptions } from "./server.ts";
import type { ServerOptions } from "./server.ts";
import { SettingError } from "./settings.ts";
import type { Settings } from "./settings.ts";
import type { ConnectionAcceptor, Listener, Logger, RequestHandler, SocketHandlers } from "./types.ts";
import { VERSION } from "./version.ts";
import { isWorkerProcess, runMaster, runWorkerProcess } from "./arbiter-main.ts";
import { createHandler } from "../adapters/detect.ts";
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

/** Writer for the error log: stderr for `-`, else the file opened for appending. */
export function openErrorLog(rt: Runtime, settings: Settings): (text: string) => void {
  if (settings.errorlog === "-") return (text) => rt.writeStderr(text);
  try {
    return rt.openAppend(settings.errorlog);
  } catch (error) {
    throw new StartupError(`cannot open error log ${JSON.stringify(settings.errorlog)}: ${bindErrorReason(error)}`, EXIT_FAILURE);
  }
}

/**
 * Import APP and turn its export into a {@link RequestHandler}. Every failure
 * becomes a one-line {@link StartupError} (exit 2); the stack of an error
 * thrown while importing goes to the log at debug level.
 */
export async function loadHandler(
  loader: AppLoader,
  app: string,
  iface: Settings["interface"],
  logger: Logger,
  handlerOptions: Partial<HandlerOptions> = {},
): Promise<RequestHandler> {
  try {
    const spec = parseAppSpec(app);
    const path = loader.resolveFile(spec.file);
    if (path === null) throw new AppLoadError(`cannot find app file ${JSON.stringify(spec.file)}`);
    let namespace: Record<string, unknown>;
    try {
      namespace = await loader.importModule(path);
    } catch (error) {
      if (error instanceof AppLoadError) throw error;
      logger.debug(`importing ${path} failed:\n${describeError(error)}`);
      throw new AppLoadError(`cannot load app ${JSON.stringify(spec.file)}: ${errorMessage(error)}`);
    }
    const picked = pickExport(namespace, spec);
    try {
      return createHandler(picked.value, iface, { ...handlerOptions, logger }, picked.name);
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
  };
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
 * closed and a {@link StartupError} names the address and the reason
 * (`cannot bind 127.0.0.1:8000: address already in use`, exit 1).
 */
export async function listenAll(rt: Runtime, settings: Settings, accept: ConnectionAcceptor, logger: Logger): Promise<Listener[]> {
  const listeners: Listener[] = [];
  for (const bind of settings.bind) {
    try {
      listeners.push(
        await rt.listen(bind, accept, {
          backlog: settings.backlog,
          reusePort: settings.reuse_port,
          onError: (error) => logger.error(`error on ${formatBind(bind)}: ${errorMessage(error)}`),
        }),
      );
    } catch (error) {
      await Promise.allSettled(listeners.map((listener) => listener.close()));
      throw new StartupError(`cannot bind ${formatBind(bind)}: ${bindErrorReason(error)}`, EXIT_FAILURE);
    }
  }
  return listeners;
}

/** A process that is serving: its listeners and connection server. */
export interface ServingProcess {
  readonly listeners: readonly Listener[];
  readonly server: ServerCore;
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
}

/**
 * Load the app, create the server and bind every address — the sequence
 * each serving process runs. Throws {@link StartupError}.
 */
export async function bootServer(
  rt: Runtime,
  settings: Settings,
  app: string,
  logger: Logger,
  boot: BootOptions = {},
): Promise<ServingProcess> {
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
  const stop = async () => {
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = rt.timers.setTimeout(() => resolve(false), settings.graceful_timeout * 1000);
    });
    const drained = await Promise.race([shutdown().then(() => true), timedOut]);
    rt.timers.clearTimeout(timer);
    return drained;
  };
  return { listeners, server, shutdown, stop };
}

/**
 * The `tricorn` command: parse the command line, then run as the master
 * (arbiter, core/arbiter-main.ts) or, in a process the master spawned, as a
 * worker. Resolves with the exit code; start-up errors are printed as one
 * `tricorn: …` line, never a stack trace.
 */
export async function runCli(rt: Runtime): Promise<number> {
  let settings: Settings;
  let app: string | null;
  try {
    ({ settings, app } = parseCommandLine(rt.args, rt.env));
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (settings.help) {
    rt.writeStdout(renderHelp());
    return 0;
  }
  if (settings.version || app === null) {
    rt.writeStdout(`tricorn ${VERSION}\n`);
    return 0;
  }

  let logger: Logger;
  try {
    logger = createLogger({ write: openErrorLog(rt, settings), level: settings.loglevel, pid: rt.pid, wallNow: rt.timers.wallNow });
    if (!isWorkerProcess(rt.env)) checkAppFile(rt, app);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return error.exitCode;
  }
  if (isWorkerProcess(rt.env)) return runWorkerProcess(rt, rt.processes, settings, app, logger);
  logger.info(`Starting tricorn ${VERSION} (${rt.name})`);
  return runMaster(rt, rt.processes, settings, logger);
}

/**
 * The master does not import the app (workers do, like gunicorn without
 * preload), but a wrong APP spec or a missing file is a usage error worth
 * one line and exit 2 before anything forks.
 */
function checkAppFile(loader: AppLoader, app: string): void {
  try {
    const spec = parseAppSpec(app);
    if (loader.resolveFile(spec.file) === null) throw new AppLoadError(`cannot find app file ${JSON.stringify(spec.file)}`);
  } catch (error) {
    throw new StartupError(errorMessage(error), EXIT_USAGE);
  }
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
