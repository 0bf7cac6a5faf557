/**
 * The master process ({@link runMaster}): test-binds every address (so
 * `port in use` is one clear line before anything forks), then runs the
 * {@link Arbiter} until a stop signal. Workers are the other role
 * (core/worker/worker-main.ts); the command (core/command/) picks one.
 */
import { Arbiter } from "./arbiter.ts";
import type { ArbiterConfig, ArbiterHooks, ArbiterView } from "./arbiter-types.ts";
import { parseCommandLine } from "../config/cli.ts";
import { WORKER_BIND_FROM_APP_ENV, WORKER_BINDS_ENV } from "../config/worker-env.ts";
import { singleWorker, type ProcessLayer } from "./process.ts";
import { OperationsError, startOperations } from "./operations.ts";
import { MasterRegistry } from "./registry.ts";
import type { Platform } from "../runtime/platform.ts";
import { EXIT_FAILURE, EXIT_USAGE, StartupError } from "../config/errors.ts";
import { listenAll, type ListenRuntime } from "../server/listen.ts";
import { SETTINGS, type Settings } from "../config/settings.ts";
import { formatBind, type BindAddress } from "../net/bind.ts";
import type { ConnectionAcceptor, SocketHandlers } from "../runtime/socket.ts";
import type { Logger } from "../log/logger.ts";
import type { Timers } from "../runtime/timers.ts";
import { holdStartupLog } from "../log/startup-log.ts";
import { VERSION } from "../config/version.ts";
import { serviceNotifier } from "./service-notify.ts";
import { activatedBinds } from "./socket-activation.ts";
import { secureUnixSockets, workerCredentials } from "./privileges.ts";
import type { Credentials } from "../config/credentials.ts";
import { launchedByNpm, watchLauncher } from "./launcher-watch.ts";
import { answeringAppBinds } from "./bind-from-app.ts";
import { appBindAddress, appBindSource, describeAppBind, type AppBindFields } from "../net/app-bind.ts";
import { errorMessage } from "../log/logger.ts";

/** How long the master holds its start-up log lines at most (see core/log/startup-log.ts). */
const STARTUP_LOG_HOLD_MS = 10_000;

/** What the master needs from a runtime (workers are spawned through the {@link ProcessLayer}). */
export interface MasterRuntime extends Platform, ListenRuntime {
  readonly timers: Timers;
}

/** Options of {@link runMaster}. */
export interface MasterOptions {
  /** Server hooks (from the config file). */
  hooks?: ArbiterHooks;
  /** Reopen the master's log files on USR1/HUP. */
  reopenLogs?: () => void;
  /**
   * HUP: re-read the settings and hooks (config file included); binds stay as
   * they are. Default: re-parse the command line and environment.
   */
  reload?: () => Promise<{ settings: Settings; hooks?: ArbiterHooks }>;
  /** Extra environment for every worker; read at each spawn, so `reload` may update it in place. */
  workerEnv?: Record<string, string>;
  /** Lines for the start-up log, after `Starting tricorn` (how `--workers auto` was resolved). */
  notes?: readonly string[];
  /** Called once the arbiter runs (start a `--reload` watcher); the function returned is called when it stops. */
  onRunning?: (arbiter: Arbiter) => (() => void) | void;
  /**
   * False when no layer gave a bind (command line, TRICORN_BIND,
   * TRICORN_CMD_ARGS, config file): unless systemd passes sockets, the app's
   * `port`/`hostname` export then decides it (core/arbiter/bind-from-app.ts).
   * Default true: `settings.bind` as it is.
   */
  bindGiven?: boolean;
}

const IGNORE: SocketHandlers = { data() {}, drain() {}, end() {}, close() {} };
/** Test binds accept nothing: a connection that slips in during the probe is closed. */
const refuse: ConnectionAcceptor = (socket) => {
  socket.destroy();
  return IGNORE;
};

/** The arbiter's part of the settings. */
export function arbiterConfig(settings: Settings, hooks?: ArbiterHooks): ArbiterConfig {
  return {
    workers: settings.workers,
    timeout: settings.timeout,
    gracefulTimeout: settings.graceful_timeout,
    pidfile: settings.pidfile,
    drainDelay: settings.drain_delay,
    hooks,
  };
}

/**
 * Bind every TCP and Unix address once and close it again (SO_REUSEPORT only
 * with `--reuse-port`): fails with a {@link StartupError} (`cannot bind
 * 127.0.0.1:8000: address already in use`, exit 1) when another process
 * holds one. Returns the binds with port 0 resolved, and the URLs for the
 * `Listening at` lines.
 */
export async function probeBinds(rt: ListenRuntime, settings: Settings, logger: Logger): Promise<{ binds: BindAddress[]; urls: string[] }> {
  // fd:// binds are inherited sockets: binding and closing one here would close it for good.
  const probed = settings.bind.filter((bind) => bind.kind !== "fd");
  // Without SO_REUSEPORT any holder of the port makes this fail, unless the user asked to share it (--reuse-port).
  const listeners = await listenAll(rt, { ...settings, bind: probed }, refuse, logger);
  await Promise.allSettled(listeners.map((listener) => listener.close()));
  const urls: string[] = [];
  const binds = settings.bind.map((bind) => {
    if (bind.kind === "fd") {
      urls.push(`fd://${bind.fd}`);
      return bind;
    }
    const url = listeners[probed.indexOf(bind)]!.url;
    urls.push(url);
    const port = /:(\d+)$/.exec(url);
    return bind.kind === "tcp" && bind.port === 0 && port ? { ...bind, port: Number(port[1]) } : bind;
  });
  return { binds, urls };
}

/**
 * With systemd socket activation (core/arbiter/socket-activation.ts) the
 * inherited sockets replace the `--bind` addresses; every worker inherits
 * them (Node through node:cluster, Deno and Bun from their spawn).
 */
function withActivatedSockets(rt: MasterRuntime, settings: Settings, log: Logger): Settings {
  const binds = activatedBinds(rt.env, rt.pid);
  if (binds === null) return settings;
  log.info(`Serving ${binds.length} socket(s) from systemd (LISTEN_FDS) instead of --bind`);
  return { ...settings, bind: binds };
}

/**
 * `-w N` (N > 1) where the workers cannot share the addresses (unix binds on
 * Deno and Bun, fd:// mixed with other binds, no SO_REUSEPORT outside Linux): a one-line
 * {@link StartupError} (exit 2) rather than silently fewer workers.
 */
function refuseUnshareable(rt: MasterRuntime, layer: ProcessLayer, settings: Settings): void {
  if (settings.workers <= 1 || !singleWorker(layer.sharing(settings.bind))) return;
  const bind = settings.bind.find((b) => b.kind !== "tcp") ?? settings.bind[0];
  const where = bind === undefined ? "these addresses" : formatBind(bind);
  throw new StartupError(
    `-w ${settings.workers}: ${rt.name} workers cannot share ${where} (only TCP binds on Linux, through SO_REUSEPORT, and inherited fd:// sockets); use -w 1 there, or bind TCP`,
    EXIT_USAGE,
  );
}

/**
 * Master process: test-bind, then spawn and supervise the workers until a
 * stop signal. Resolves with the exit code (0 stop, 1 cannot bind / pidfile,
 * 3 a worker failed to boot). Start-up failures are one `tricorn: …` line.
 */
export async function runMaster(
  rt: MasterRuntime,
  layer: ProcessLayer,
  settings: Settings,
  logger: Logger,
  options: MasterOptions = {},
): Promise<number> {
  const log = holdStartupLog(logger);
  log.info(`Starting tricorn ${VERSION} (${rt.name})`);
  for (const note of options.notes ?? []) log.info(note);
  let probed: { binds: BindAddress[]; urls: string[] } = { binds: [], urls: [] };
  let credentials: Credentials | null;
  const bindFromApp = options.bindGiven === false && activatedBinds(rt.env, rt.pid) === null;
  try {
    settings = withActivatedSockets(rt, settings, log);
    refuseUnshareable(rt, layer, settings);
    credentials = workerCredentials(rt, settings);
    // From the app: bound once the first worker reported its port/hostname (resolveFromApp below).
    if (!bindFromApp) probed = await probeBinds(rt, settings, log);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    log.discard();
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return error.exitCode;
  }
  // The probe bind is closed again, so the port only accepts once workers listen: announce
  // "Listening at" then (when_ready), so that line means a client can connect now.
  const notifier = serviceNotifier(rt.env, rt.pid, rt.notifyServiceManager, log);
  const readyStatus = (arbiter: ArbiterView) => `Listening at ${probed.urls.join(", ")} with ${arbiter.numWorkers} worker(s)`;
  const withReadyLine = (userHooks: ArbiterHooks | undefined): ArbiterHooks => ({
    ...userHooks,
    when_ready: (arbiter) => {
      secureUnixSockets(rt, settings, credentials, log);
      for (const url of probed.urls) log.info(`Listening at: ${url} (pid ${rt.pid})`);
      notifier?.ready(readyStatus(arbiter));
      log.release();
      return userHooks?.when_ready?.(arbiter);
    },
  });
  const hooks = withReadyLine(options.hooks);
  const workerEnv = options.workerEnv ?? {};
  if (bindFromApp) workerEnv[WORKER_BIND_FROM_APP_ENV] = "1";
  else workerEnv[WORKER_BINDS_ENV] = JSON.stringify(probed.binds);
  // The first `app-bind` report decides; a failure stops the master with its one line (exit 1 or 2).
  const resolveFromApp = async (fields: AppBindFields): Promise<BindAddress[] | null> => {
    const bind = appBindAddress(fields, settings.bind[0]!);
    log.info(describeAppBind(bind, fields));
    try {
      settings = { ...settings, bind: [bind] };
      probed = await probeBinds(rt, settings, log);
    } catch (error) {
      arbiter.startupFailure = `${errorMessage(error)} (the address is ${appBindSource(fields)})`;
      arbiter.stop(true, error instanceof StartupError ? error.exitCode : EXIT_FAILURE, "Cannot bind the app's address.");
      return null;
    }
    workerEnv[WORKER_BINDS_ENV] = JSON.stringify(probed.binds);
    return probed.binds;
  };
  if (credentials !== null) log.info(`Workers run as ${credentials.userLabel}, group ${credentials.groupLabel}`);
  // An app that takes long to boot still gets its log lines shown.
  const releaseTimer = rt.timers.setTimeout(() => log.release(), STARTUP_LOG_HOLD_MS);
  const registry = new MasterRegistry();
  const processes = await layer.createProcessManager(bindFromApp ? settings.bind : probed.binds, credentials ?? undefined);
  const arbiter: Arbiter = new Arbiter({
    processes: bindFromApp ? answeringAppBinds(processes, resolveFromApp) : processes,
    timers: rt.timers,
    logger: log,
    config: arbiterConfig(settings, hooks),
    // HUP: re-read the command line, environment and config file; binds stay as they are.
    reloadConfig: async () => {
      if (!options.reload) return arbiterConfig(parseCommandLine(rt.args, rt.env).settings, hooks);
      const next = await options.reload();
      return arbiterConfig(next.settings, withReadyLine(next.hooks));
    },
    reopenLogs: options.reopenLogs,
    workerEnv,
    lifecycle: {
      reloading: () => {
        notifier?.reloading();
        registry.reloading();
      },
      draining: () => registry.draining(),
      workerStarted: (worker, reason) => registry.workerStarted(worker, reason),
      workerExited: (worker, reason, stats) => registry.workerExited(worker, reason, stats),
      reloaded: () => {
        // Deno and Bun workers re-create a unix socket when they replace each other.
        secureUnixSockets(rt, settings, credentials, log);
        notifier?.ready(readyStatus(arbiter));
      },
      stopping: () => notifier?.stopping(),
    },
  });
  let operations;
  try {
    operations = await startOperations(arbiter, registry, {
      listen: rt.listen,
      chmod: (path, mode) => rt.chmod(path, mode),
      timers: rt.timers,
      logger: log,
      controlSocket: settings.control_socket,
      controlSocketIsDefault: settings.control_socket === SETTINGS.control_socket.default,
      metricsBind: settings.metrics_bind,
    });
  } catch (error) {
    if (!(error instanceof OperationsError)) throw error;
    rt.timers.clearTimeout(releaseTimer);
    log.discard();
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  if (operations.metricsUrl !== null) log.info(`Metrics at: ${operations.metricsUrl}/metrics (pid ${rt.pid})`);
  const running = arbiter.run();
  const stopRunning = options.onRunning?.(arbiter);
  const stopWatching = launchedByNpm(rt.env)
    ? watchLauncher(rt.timers, () => rt.parentPid(), () => {
        log.info("The npm process that started tricorn exited; stopping gracefully");
        arbiter.stop(true);
      })
    : null;
  const code = await running;
  stopWatching?.();
  stopRunning?.();
  await operations.close();
  rt.timers.clearTimeout(releaseTimer);
  if (arbiter.startupFailure !== null) {
    log.discard();
    rt.writeStderr(`tricorn: ${arbiter.startupFailure}\n`);
  } else {
    log.release();
  }
  return code;
}
