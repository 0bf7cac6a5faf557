/**
 * `--engine native` in a worker: which settings the runtime's own server
 * can honour, loading a fetch app for it, and booting it on every bind
 * (the contract with the runtime is core/server/native-engine.ts).
 */
import { formatBind } from "../net/bind.ts";
import { errorMessage } from "../log/logger.ts";
import { bindFailure, loadTls } from "../server/listen.ts";
import type { NativeListener, NativeServeOptions } from "../server/native-engine.ts";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../log/logger.ts";
import type { TlsOptions } from "../net/tls.ts";
import { EXIT_USAGE, StartupError } from "../config/errors.ts";
import { loadApp, type ExportObserver } from "./load-app.ts";
import { boundedStop, listenSettings, type BootOptions, type ServingProcess, type WorkerRuntime } from "./serving.ts";
import { detectInterface } from "../../adapters/detect.ts";
import type { FetchApp } from "../../adapters/fetch.ts";
import { createNativeApp } from "../../adapters/native.ts";
import { ServerStats } from "../server/stats.ts";

/** The start-up error for a gateway app under `--engine native` (runtime servers speak fetch only). */
export const NATIVE_FETCH_ONLY = "--engine native serves fetch apps only; drop --engine native or export a fetch app";

/** The native server's part of the settings. */
export function nativeServeOptions(settings: Settings, tls: TlsOptions | undefined): NativeServeOptions {
  return {
    backlog: settings.backlog,
    reusePort: settings.reuse_port,
    tls,
    keepalive: settings.keepalive,
    headerTimeout: settings.header_timeout,
    limitRequestBody: settings.limit_request_body,
    workerConnections: settings.worker_connections,
  };
}

/**
 * Settings the native engine cannot honour at all, as a one-line start-up
 * error (null when there is none). Settings it merely maps approximately are
 * documented in docs/architecture.md instead.
 */
export function nativeSettingsProblem(settings: Settings): string | null {
  if (settings.proxy_protocol) return "--proxy-protocol needs --engine core (a runtime's own HTTP server cannot read PROXY headers)";
  if (settings.ca_certs !== null) return "--ca-certs needs --engine core (client certificates are not checked by the native engine)";
  return null;
}

/**
 * Throw a one-line {@link StartupError} (exit 2) when `settings.engine`
 * cannot serve with these settings on this runtime (checked by the master
 * before anything forks, and by every worker). Returns the runtime's native
 * server for `--engine native`, else undefined.
 */
export function checkEngine(rt: WorkerRuntime, settings: Settings): WorkerRuntime["serveNative"] {
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
export async function loadNativeApp(rt: WorkerRuntime, settings: Settings, app: string, logger: Logger, onExport?: ExportObserver): Promise<FetchApp> {
  const loaded = await loadApp(rt, app, logger, (picked) => {
    onExport?.(picked.value, `export ${picked.name}`);
    return { value: picked.value, kind: detectInterface(picked.value, settings.interface, picked.name) };
  });
  if (loaded.kind !== "fetch") throw new StartupError(NATIVE_FETCH_ONLY, EXIT_USAGE);
  return loaded.value as FetchApp;
}

/**
 * `--engine native`: the runtime's own HTTP server (`rt.serveNative`)
 * serves the fetch app on every bind; a gateway app, or a setting the
 * engine cannot honour, is a one-line {@link StartupError}.
 */
export async function bootNative(rt: WorkerRuntime, configured: Settings, app: string, logger: Logger, boot: BootOptions): Promise<ServingProcess> {
  const serveNative = checkEngine(rt, configured)!;
  let label = "export default";
  const fetchApp = await loadNativeApp(rt, configured, app, logger, (_value, name) => (label = name));
  const settings = await listenSettings(configured, fetchApp, label, logger, boot);
  const stats = new ServerStats(() => rt.timers.now(), settings.metrics_bind !== null);
  const nativeApp = createNativeApp(fetchApp, {
    stats,
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
  return {
    listeners: [],
    server: null,
    stats,
    inFlight: () => nativeApp.inFlight,
    connections: () => -1,
    shutdown,
    stop: boundedStop(rt, settings, shutdown),
  };
}
