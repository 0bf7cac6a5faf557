/**
 * The programmatic API of the npm package — `import { serve, defineConfig }
 * from "tricorn"` — built on the same settings table, validators and boot
 * path as the `tricorn` command. Each runtime's `runtimes/<rt>/api.ts`
 * binds it to that runtime's services ({@link createApi}).
 *
 * `serve()` serves in the calling process: one event loop, no master and
 * no worker processes (for the pre-fork model, heartbeats, HUP and
 * TTIN/TTOU run the `tricorn` command). It reads no environment variables
 * and no config file: the options are the settings. It installs no signal
 * handlers and never exits the process; stop it with `server.stop()`.
 */
import type { ArbiterHooks } from "../arbiter/arbiter-types.ts";
import { readConfigObject } from "../config/config-file.ts";
import { SettingError, defaultSettings, type Settings } from "../config/settings.ts";
import { openLogs } from "../log/log-files.ts";
import { formatBind } from "../net/bind.ts";
import { errorMessage } from "../log/logger.ts";
import { buildHandler } from "../../adapters/detect.ts";
import type { FetchApp } from "../../adapters/fetch.ts";
import type { GatewayApp } from "../../adapters/gateway.ts";
import { bootServer, serveHandler } from "../worker/boot.ts";
import { listenSettings, type ServingProcess, type WorkerRuntime } from "../worker/serving.ts";
import { appBindAddress, type AppBindFields } from "../net/app-bind.ts";

/** How a config file (or `serve()`) may write a setting's value: lists as one string or an array, numbers also as text. */
export type ConfigValue<T> = T extends readonly unknown[] ? string | readonly string[] : T extends number ? number | string : T extends boolean ? boolean : T extends string ? T : never;

/** Every setting of the settings table (docs/settings.md), by its config-file name. */
export type SettingsConfig = { [K in Exclude<keyof Settings, "config">]?: ConfigValue<Settings[K]> };

/** A config file's default export (`tricorn.config.ts`): settings and server hooks. */
export interface TricornConfig extends SettingsConfig, ArbiterHooks {}

/**
 * An app `serve()` can run: a fetch app, a gateway app, a node app
 * (Express, Fastify, Koa, `http.Server`, `(req, res)`; docs/node-apps.md),
 * or the path of a module exporting one (`"app.ts:handler"`).
 */
export type ServeApp = FetchApp | GatewayApp | object | string;

/** Options of `serve()`: the app and any settings (hooks are for the `tricorn` command's master). */
export interface ServeOptions extends SettingsConfig {
  app: ServeApp;
}

/** A server started by `serve()`. */
export interface TricornServer {
  /** The first listening address (`http://127.0.0.1:41234`, `unix:/run/app.sock`). */
  readonly url: string;
  /** Every listening address, in `bind` order. */
  readonly urls: readonly string[];
  /**
   * Graceful stop: stop accepting, let requests in flight finish (at most
   * `graceful_timeout` seconds), close the logs. Resolves true when every
   * connection finished in time.
   */
  stop(): Promise<boolean>;
}

/** The API bound to one runtime. */
export interface TricornApi {
  serve(options: ServeOptions): Promise<TricornServer>;
  defineConfig<const T extends TricornConfig>(config: T): T;
}

/**
 * Type a config file: `export default defineConfig({ workers: 4, bind: "unix:/run/app.sock" })`.
 * Returns its argument; the `tricorn` command validates the values when it reads the file.
 */
export function defineConfig<const T extends TricornConfig>(config: T): T {
  return config;
}

/** Settings from `serve()` options, through the config-file validators (one-line {@link SettingError}s naming `serve()`). */
function settingsOf(options: Omit<ServeOptions, "app">): Settings {
  const { values } = readConfigObject(options as Record<string, unknown>, "serve()", false);
  return { ...defaultSettings(), ...values };
}

/**
 * Start serving `options.app` in this process; resolves once every bind
 * listens. Rejects with a one-line error for a bad setting, an app that
 * cannot be loaded or an address that cannot be bound.
 */
export async function serveWith(rt: WorkerRuntime, options: ServeOptions): Promise<TricornServer> {
  if (options === null || typeof options !== "object" || !("app" in options)) throw new SettingError("serve(): expected { app, ...settings }");
  const { app, ...rest } = options;
  let settings = settingsOf(rest);
  const logs = openLogs(rt, settings, { access: true });
  // No `bind` option: an app object's port/hostname (as Bun's `serve` takes them) decide it, as with the tricorn command.
  const fallback = settings.bind[0]!;
  const bindsFromApp = rest.bind === undefined ? (fields: AppBindFields) => [appBindAddress(fields, fallback)] : undefined;
  let serving: ServingProcess;
  try {
    if (typeof app === "string") {
      serving = await bootServer(rt, settings, app, logs.logger, { accessLog: logs.accessLog, bindsFromApp });
    } else {
      if (settings.engine === "native") throw new SettingError("serve(): engine native needs `app` as a module path");
      settings = await listenSettings(settings, app, "serve(): app", logs.logger, { bindsFromApp });
      let built;
      try {
        const options = { headerMap: settings.header_map, multiprocess: false, logger: logs.logger, nodeStreams: rt.nodeStreams };
        built = await buildHandler(app, settings.interface, options, "app");
      } catch (error) {
        throw new SettingError(`serve(): ${errorMessage(error)}`);
      }
      serving = await serveHandler(rt, settings, built.handler, logs.logger, { accessLog: logs.accessLog });
    }
  } catch (error) {
    logs.close();
    throw error;
  }
  const urls = serving.listeners.map((listener) => listener.url);
  return {
    url: urls[0] ?? formatBind(settings.bind[0]!),
    urls: urls.length > 0 ? urls : settings.bind.map(formatBind),
    async stop() {
      const drained = await serving.stop();
      logs.close();
      return drained;
    },
  };
}

/** `serve` and `defineConfig` for one runtime's services. */
export function createApi(rt: WorkerRuntime): TricornApi {
  return { serve: (options) => serveWith(rt, options), defineConfig };
}
