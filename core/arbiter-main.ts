/**
 * The two process roles of a multi-process `tricorn`, each run by the
 * runtime entry point after it parsed the command line:
 *
 * - {@link runMaster}: test-binds every address (so `port in use` is one
 *   clear line before anything forks), then runs the {@link Arbiter}.
 * - {@link runWorkerProcess}: boots one serving process (core/serve.ts)
 *   under {@link runWorker} (heartbeats, max_requests, graceful stop).
 *
 * A process is a worker when its environment has `TRICORN_WORKER=1`
 * ({@link isWorkerProcess}); the master sets it on every child it spawns.
 */
import type { AccessLogger } from "./access-log.ts";
import { Arbiter } from "./arbiter.ts";
import type { ArbiterConfig, ArbiterHooks } from "./arbiter.ts";
import { parseCommandLine } from "./cli.ts";
import { WORKER_ENV, WORKER_ID_ENV } from "./ipc.ts";
import type { ProcessLayer } from "./process.ts";
import type { Runtime } from "./runtime.ts";
import { StartupError, bootServer, checkEngine, listenAll } from "./serve.ts";
import type { Settings } from "./settings.ts";
import type { BindAddress, ConnectionAcceptor, Logger, SocketHandlers } from "./types.ts";
import { runWorker } from "./worker-control.ts";
import { holdStartupLog } from "./startup-log.ts";
import { VERSION } from "./version.ts";

/** How long the master holds its start-up log lines at most (see core/startup-log.ts). */
const STARTUP_LOG_HOLD_MS = 10_000;

/**
 * Environment variable with the binds a worker must use, as JSON: the
 * master's `--bind` list with port 0 replaced by the port its test bind got,
 * so every worker shares one port.
 */
export const WORKER_BINDS_ENV = "TRICORN_WORKER_BINDS";

/** True when this process was spawned by a tricorn master as a worker. */
export function isWorkerProcess(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[WORKER_ENV] === "1";
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
  /** Called once the arbiter runs (start a `--reload` watcher); the function returned is called when it stops. */
  onRunning?: (arbiter: Arbiter) => (() => void) | void;
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
export async function probeBinds(rt: Runtime, settings: Settings, logger: Logger): Promise<{ binds: BindAddress[]; urls: string[] }> {
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
 * Master process: test-bind, then spawn and supervise the workers until a
 * stop signal. Resolves with the exit code (0 stop, 1 cannot bind / pidfile,
 * 3 a worker failed to boot). Start-up failures are one `tricorn: …` line.
 */
export async function runMaster(
  rt: Runtime,
  layer: ProcessLayer,
  settings: Settings,
  logger: Logger,
  options: MasterOptions = {},
): Promise<number> {
  const log = holdStartupLog(logger);
  log.info(`Starting tricorn ${VERSION} (${rt.name})`);
  let probed: { binds: BindAddress[]; urls: string[] };
  try {
    checkEngine(rt, settings);
    probed = await probeBinds(rt, settings, log);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    log.discard();
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return error.exitCode;
  }
  // The probe bind is closed again, so the port only accepts once workers listen: announce
  // "Listening at" then (when_ready), so that line means a client can connect now.
  const withReadyLine = (userHooks: ArbiterHooks | undefined): ArbiterHooks => ({
    ...userHooks,
    when_ready: (arbiter) => {
      for (const url of probed.urls) log.info(`Listening at: ${url} (pid ${rt.pid})`);
      log.release();
      return userHooks?.when_ready?.(arbiter);
    },
  });
  const hooks = withReadyLine(options.hooks);
  const workerEnv = options.workerEnv ?? {};
  workerEnv[WORKER_BINDS_ENV] = JSON.stringify(probed.binds);
  // An app that takes long to boot still gets its log lines shown.
  const releaseTimer = rt.timers.setTimeout(() => log.release(), STARTUP_LOG_HOLD_MS);
  const arbiter = new Arbiter({
    processes: layer.createProcessManager(probed.binds),
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
  });
  const running = arbiter.run();
  const stopRunning = options.onRunning?.(arbiter);
  const code = await running;
  stopRunning?.();
  rt.timers.clearTimeout(releaseTimer);
  if (arbiter.startupFailure !== null) {
    log.discard();
    rt.writeStderr(`tricorn: ${arbiter.startupFailure}\n`);
  } else {
    log.release();
  }
  return code;
}

/**
 * Worker process: connect to the master, load the app and listen, then serve
 * until told to stop. Resolves with the exit code (0, or 3 when the app or a
 * bind failed; the master reports the error).
 */
export async function runWorkerProcess(
  rt: Runtime,
  layer: ProcessLayer,
  settings: Settings,
  app: string,
  logger: Logger,
  logs: { accessLog?: AccessLogger | null; reopenLogs?: () => void } = {},
): Promise<number> {
  const host = await layer.createWorkerHost(Number(rt.env[WORKER_ID_ENV] ?? 0));
  const binds = rt.env[WORKER_BINDS_ENV] ? (JSON.parse(rt.env[WORKER_BINDS_ENV]!) as BindAddress[]) : settings.bind;
  const sharing = layer.sharing(binds);
  const serving: Settings = {
    ...settings,
    bind: binds,
    // reuseport: every worker binds the port itself. cluster: the master shares one handle.
    reuse_port: sharing === "reuseport" ? true : sharing === "cluster" ? false : settings.reuse_port,
  };
  return runWorker({
    host,
    timers: rt.timers,
    logger,
    settings: {
      timeout: settings.timeout,
      gracefulTimeout: settings.graceful_timeout,
      maxRequests: settings.max_requests,
      maxRequestsJitter: settings.max_requests_jitter,
    },
    boot: async (context) => {
      const process = await bootServer(rt, serving, app, logger, {
        onRequestDone: context.requestDone,
        multiprocess: settings.workers > 1,
        accessLog: logs.accessLog,
      });
      return { shutdown: () => process.shutdown(), reopenLogs: logs.reopenLogs };
    },
  });
}
