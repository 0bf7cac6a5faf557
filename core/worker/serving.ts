/**
 * What a booted serving process is ({@link ServingProcess}), what booting it
 * needs from a runtime ({@link WorkerRuntime}) and the graceful stop bounded
 * by `graceful_timeout`, shared by both engines (boot.ts, engine.ts).
 */
import type { DeflateCodec } from "../ws/deflate.ts";
import type { AccessLogger } from "../log/access-log.ts";
import type { AppLoader, Platform } from "../runtime/platform.ts";
import type { ListenFn } from "../net/listen-types.ts";
import type { ServeNativeFn } from "../server/native-engine.ts";
import type { ServerCore } from "../server/server.ts";
import type { ServerStats } from "../server/stats.ts";
import type { Settings } from "../config/settings.ts";
import type { Listener } from "../runtime/socket.ts";
import type { Timers } from "../runtime/timers.ts";
import type { NodeStreamClasses } from "../../adapters/node/streams.ts";
import type { Logger } from "../log/logger.ts";
import { errorMessage } from "../log/logger.ts";
import type { BindAddress } from "../net/bind.ts";
import { appBindFields, overriddenAppBindWarnings, type AppBindFields } from "../net/app-bind.ts";
import { EXIT_USAGE, StartupError } from "../config/errors.ts";

/** What booting a serving process needs from a runtime. */
export interface WorkerRuntime extends Platform, AppLoader {
  readonly timers: Timers;
  listen: ListenFn;
  /** The runtime's own HTTP server for `--engine native` (core/server/native-engine.ts); absent: not available. */
  serveNative?: ServeNativeFn;
  /**
   * Installs adapters/light-response.ts as the global `Response` (setting
   * `light_response`, before the app is imported; with `--engine native` only
   * where {@link nativeSendsLightResponse}). A worker entry's decision:
   * library code never patches globals, so the runtime's main.ts provides it;
   * absent: never installed.
   */
  installLightResponse?: () => void;
  /**
   * True when {@link serveNative} sends the app's responses through tricorn's
   * fetch adapter (`NativeApp.handler`: Node's node:http), which sends a light
   * Response from its fields, so `light_response` applies to `--engine native`
   * too. Servers that take the fetch Response themselves (Deno's and Bun's
   * serve) need the runtime's own class: leave it unset.
   */
  readonly nativeSendsLightResponse?: boolean;
  /** The runtime's node:events EventEmitter and node:stream Readable, for node apps (adapters/node/streams.ts). */
  readonly nodeStreams: NodeStreamClasses;
  /** Raw deflate streams for WebSocket permessage-deflate; absent: no compression. */
  deflateCodec?: DeflateCodec;
}

/** A process that is serving: its listeners and connection server. */
export interface ServingProcess {
  /** The core engine's listeners (empty with `--engine native`: the runtime's server owns its sockets). */
  readonly listeners: readonly Listener[];
  /** The core engine's connection server (null with `--engine native`). */
  readonly server: ServerCore | null;
  /** Request counters (both engines). */
  readonly stats: ServerStats;
  /** Requests in progress now (native: until the app's Response exists). */
  inFlight(): number;
  /** Open client connections now; -1 where the engine cannot tell (native). */
  connections(): number;
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
  /** The access log (core/log/log-files.ts), or null/absent when it is off. */
  accessLog?: AccessLogger | null;
  /**
   * Set when no bind was given (no `--bind`, TRICORN_BIND, `bind` in a
   * config file or socket activation): the app's `port`/`hostname`
   * (validated) decide the addresses, which this returns once the app is
   * loaded (a worker asks its master). Absent: `settings.bind` was given,
   * and a `port`/`hostname` export is only warned about.
   */
  bindsFromApp?: (fields: AppBindFields) => Promise<readonly BindAddress[]> | readonly BindAddress[];
}

/**
 * The settings to listen with once the app is loaded ({@link BootOptions.bindsFromApp}):
 * a bad `port`/`hostname` is a one-line {@link StartupError} naming the value.
 */
export async function listenSettings(settings: Settings, exported: unknown, label: string, logger: Logger, boot: BootOptions): Promise<Settings> {
  if (boot.bindsFromApp === undefined) {
    for (const warning of overriddenAppBindWarnings(exported, label)) logger.warning(warning);
    return settings;
  }
  let fields: AppBindFields;
  try {
    fields = appBindFields(exported, label);
  } catch (error) {
    throw new StartupError(errorMessage(error), EXIT_USAGE);
  }
  return { ...settings, bind: [...(await boot.bindsFromApp(fields))] };
}

/** `shutdown` bounded by `graceful_timeout`: resolves false when time ran out. */
export function boundedStop(rt: Pick<WorkerRuntime, "timers">, settings: Settings, shutdown: () => Promise<void>): () => Promise<boolean> {
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
