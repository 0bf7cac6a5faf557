/**
 * Config files (`-c FILE`, else `./tricorn.config.{ts,js,mjs,json}` when
 * present): a JS/TS module whose default export (or, without one, whose
 * named exports) is an object of settings by gunicorn name plus server
 * hooks, or a JSON object of settings.
 *
 * ```js
 * export default {
 *   workers: 2,
 *   bind: ["127.0.0.1:8000"],
 *   on_starting(server) { console.log("starting"); },
 * };
 * ```
 *
 * Values go through the same validators as the command line; a bad value or
 * an unknown name is a one-line {@link SettingError} naming the file, the
 * setting and the value. The resulting values sit between the per-setting
 * environment variables and $TRICORN_CMD_ARGS (core/config/cli.ts).
 *
 * Workers never read the config file: the master hands them its resolved
 * settings as JSON in {@link WORKER_SETTINGS_ENV}, so a worker started after
 * a HUP runs exactly what the master re-read, and hooks stay in the master.
 */
import { distance, parseCommandLine } from "./cli.ts";
import { WORKER_ENV, WORKER_SETTINGS_ENV } from "./worker-env.ts";
import { errorMessage } from "../log/logger.ts";
import type { AppLoader, Platform } from "../runtime/platform.ts";
import { SETTINGS, SETTING_ENTRIES, SettingError } from "./settings.ts";
import type { SettingDef, SettingName, Settings } from "./settings.ts";
import { InvalidValue } from "./settings-types.ts";

/** Config files looked for in the working directory when `-c` is not given, in this order. */
export const DEFAULT_CONFIG_FILES = ["tricorn.config.ts", "tricorn.config.js", "tricorn.config.mjs", "tricorn.config.json"] as const;


/** Hook names a config file may define (the arbiter's; core/arbiter/arbiter-types.ts checks both lists agree). */
export const HOOK_NAMES = [
  "on_starting",
  "on_reload",
  "when_ready",
  "pre_fork",
  "post_fork",
  "worker_exit",
  "nworkers_changed",
  "on_exit",
] as const;

/**
 * Hook functions read from a config file, by name; the arbiter calls them
 * with its own arguments (core/arbiter/arbiter-types.ts `ArbiterHooks`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each hook has its own signature, checked by the arbiter
export type ConfigHooks = { [K in (typeof HOOK_NAMES)[number]]?: (...args: any[]) => unknown };

/** gunicorn names tricorn knowingly lacks, with the reason shown instead of "unknown setting". */
const UNSUPPORTED: Record<string, string> = {
  preload_app: "workers are spawned, not forked, so every worker loads the app itself",
  worker_class: "every worker is one event loop; there are no worker classes",
  threads: "every worker is one event loop; run more workers instead",
  capture_output: "app output goes to the worker's own stdout and stderr",
  wsgi_app: "give APP on the command line",
  child_exit: "use worker_exit",
  pre_request: "hooks run in the master; per-request hooks belong in the app (middleware)",
  post_request: "hooks run in the master; per-request hooks belong in the app (middleware)",
  post_worker_init: "hooks run in the master; run worker set-up code at the top of the app module",
  worker_int: "hooks run in the master",
  worker_abort: "hooks run in the master",
  pre_exec: "workers are not re-executed on upgrade",
};

/** Settings a config file cannot set: command-line actions and the config file itself. */
function notInConfig(name: SettingName, def: SettingDef<unknown>): boolean {
  return name === "config" || (def.type === "bool" && def.negatable === false);
}

/** Settings and hooks read from one config file. */
export interface ConfigFileValues {
  /** Validated setting values. */
  values: Partial<Settings>;
  hooks: ConfigHooks;
}

/** The resolved command: settings after every layer, APP, and the config file's hooks. */
export interface ResolvedCommand {
  settings: Settings;
  /** APP; null only with --help, --version or --print-config and no APP. */
  app: string | null;
  hooks: ConfigHooks;
  /** Absolute path of the config file read, or null. */
  configFile: string | null;
  /** Settings a layer set, the rest being defaults (core/config/cli.ts); empty in a worker. */
  given: ReadonlySet<SettingName>;
}

/** A value as shown in messages: JSON for data, a word for the rest. */
function show(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (value === undefined) return "undefined";
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

/** Validate one config value with the setting's own parser. Throws {@link InvalidValue}. */
function convert(def: SettingDef<unknown>, value: unknown): unknown {
  switch (def.type) {
    case "int":
    case "float":
      if (typeof value === "number") return def.parse(String(value));
      if (typeof value === "string") return def.parse(value);
      throw new InvalidValue(`expected a number, got ${show(value)}`);
    case "bool":
      if (typeof value === "boolean") return value;
      if (typeof value === "string") return def.parse(value);
      throw new InvalidValue(`expected true or false, got ${show(value)}`);
    case "string":
    case "choice":
      if (typeof value === "string") return def.parse(value);
      if (value === null && def.default === null) return null;
      throw new InvalidValue(`expected a string, got ${show(value)}`);
    case "list": {
      const items = typeof value === "string" ? [value] : value;
      if (!Array.isArray(items)) throw new InvalidValue(`expected a list of strings, got ${show(value)}`);
      return items.flatMap((item) => {
        if (typeof item !== "string") throw new InvalidValue(`expected a list of strings, got ${show(item)} in it`);
        return def.parse(item) as unknown[];
      });
    }
  }
}

/** Closest known name within edit distance 2, for "did you mean". */
function suggest(name: string): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const known of [...Object.keys(SETTINGS), ...HOOK_NAMES]) {
    const d = distance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

/**
 * Validate the object a config file exported. `label` names the file in
 * messages; `allowHooks` is false for JSON. Throws {@link SettingError}.
 */
export function readConfigObject(source: Record<string, unknown>, label: string, allowHooks = true): ConfigFileValues {
  const values: Record<string, unknown> = {};
  const hooks: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if ((HOOK_NAMES as readonly string[]).includes(key)) {
      if (!allowHooks) throw new SettingError(`${label}: ${key}: hooks need a JS or TS config file`);
      if (typeof value !== "function") throw new SettingError(`${label}: ${key}: expected a function, got ${show(value)}`);
      hooks[key] = value;
      continue;
    }
    const def = Object.hasOwn(SETTINGS, key) ? (SETTINGS[key as SettingName] as SettingDef<unknown>) : undefined;
    if (def === undefined) {
      if (Object.hasOwn(UNSUPPORTED, key)) throw new SettingError(`${label}: ${key} is not supported: ${UNSUPPORTED[key]}`);
      const hint = suggest(key);
      throw new SettingError(`${label}: unknown setting ${JSON.stringify(key)}${hint ? ` (did you mean ${hint}?)` : ""}`);
    }
    if (notInConfig(key as SettingName, def)) throw new SettingError(`${label}: ${key} can only be given on the command line`);
    try {
      values[key] = convert(def, value);
    } catch (error) {
      if (error instanceof InvalidValue) throw new SettingError(`${label}: ${key}: ${error.message}`);
      throw error;
    }
  }
  return { values: values as Partial<Settings>, hooks: hooks as ConfigHooks };
}

/** Pick the settings object out of a module namespace: the default export, else the named exports. */
function settingsObject(namespace: Record<string, unknown>, label: string): Record<string, unknown> {
  if ("default" in namespace) {
    const value = namespace.default;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new SettingError(`${label}: the default export must be an object of settings, got ${show(value)}`);
    }
    return value as Record<string, unknown>;
  }
  return { ...namespace };
}

/**
 * Path of the config file to read: `given` (`-c`), which must exist, else
 * the first of {@link DEFAULT_CONFIG_FILES} present. Null when none applies.
 */
export function findConfigFile(rt: Pick<Platform & AppLoader, "resolveFile">, given: string | null): string | null {
  if (given !== null) {
    const path = rt.resolveFile(given);
    if (path === null) throw new SettingError(`cannot find config file ${JSON.stringify(given)}; check the -c path`);
    return path;
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const path = rt.resolveFile(name);
    if (path !== null) return path;
  }
  return null;
}

/**
 * Read and validate the config file at `path` (absolute); `label` names it in
 * messages. `fresh` re-evaluates a module read before (HUP).
 */
export async function loadConfigFile(
  rt: Pick<Platform & AppLoader, "importModule" | "readTextFile">,
  path: string,
  label: string,
  options: { fresh?: boolean } = {},
): Promise<ConfigFileValues> {
  if (/\.json$/i.test(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rt.readTextFile(path));
    } catch (error) {
      throw new SettingError(`${label}: cannot read config file: ${errorMessage(error)}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SettingError(`${label}: expected a JSON object of settings, got ${show(parsed)}`);
    }
    return readConfigObject(parsed as Record<string, unknown>, label, false);
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await rt.importModule(path, { fresh: options.fresh });
  } catch (error) {
    throw new SettingError(`${label}: cannot load config file: ${errorMessage(error)}`);
  }
  return readConfigObject(settingsObject(namespace, label), label);
}

/** The settings a worker got from its master, or null when this process is not such a worker. */
function workerCommand(env: Readonly<Record<string, string | undefined>>): ResolvedCommand | null {
  const text = env[WORKER_SETTINGS_ENV];
  if (!text || env[WORKER_ENV] !== "1") return null;
  const { settings, app } = JSON.parse(text) as { settings: Settings; app: string };
  return { settings, app, hooks: {}, configFile: null, given: new Set() };
}

/** JSON for {@link WORKER_SETTINGS_ENV}. */
export function workerSettingsJson(settings: Settings, app: string): string {
  return JSON.stringify({ settings, app });
}

/** Options of {@link resolveCommand}. */
export interface ResolveOptions {
  /** Re-evaluate a config module read before (HUP). */
  fresh?: boolean;
  /**
   * The config file found at start-up (HUP): read it again by its absolute
   * path, since `--chdir` may have moved the working directory since.
   */
  previous?: ResolvedCommand;
}

/**
 * Resolve the command: command line and environment, then the config file
 * (named by `config` or found by default) layered under $TRICORN_CMD_ARGS
 * and argv. `--help` and `--version` skip the config file, so they work
 * even when it is broken. Throws {@link SettingError}.
 */
export async function resolveCommand(
  rt: Pick<Platform & AppLoader, "args" | "env" | "resolveFile" | "importModule" | "readTextFile">,
  options: ResolveOptions = {},
): Promise<ResolvedCommand> {
  const fromMaster = workerCommand(rt.env);
  if (fromMaster !== null) return fromMaster;
  const first = parseCommandLine(rt.args, rt.env);
  if (first.settings.help || first.settings.version) return { ...first, hooks: {}, configFile: null };
  const previous = options.previous?.configFile ? options.previous : null;
  const path = previous?.configFile ?? findConfigFile(rt, first.settings.config);
  if (path === null) return { ...first, hooks: {}, configFile: null };
  const label = previous?.settings.config ?? first.settings.config ?? path.slice(path.lastIndexOf("/") + 1);
  const { values, hooks } = await loadConfigFile(rt, path, label, options);
  const { settings, app, given } = parseCommandLine(rt.args, rt.env, values);
  settings.config = label; // so --print-config shows which file was read
  return { settings, app, hooks, configFile: path, given };
}

/** `name = value` lines of the effective settings in table order (`--print-config`); actions are left out. */
export function renderEffectiveSettings(settings: Settings, hooks: ConfigHooks): string {
  const lines: string[] = [];
  for (const [name, def] of SETTING_ENTRIES) {
    if (def.type === "bool" && def.negatable === false) continue;
    lines.push(`${name} = ${def.showDefault(settings[name])}`);
  }
  for (const name of HOOK_NAMES) if (typeof hooks[name] === "function") lines.push(`${name} = <function>`);
  return lines.join("\n") + "\n";
}
