/**
 * The `tricorn` command (called by every runtime's main.ts through
 * core/command/main.ts `runMain`): resolve settings (command line, environment,
 * config file), answer the informational options (`--help`, `--version`,
 * `--print-config`, `--check-config`), prepare the process (`--chdir`,
 * `-e KEY=VALUE`), open the logs, then run as the master (arbiter) or, in a
 * process the master spawned, as a worker.
 *
 * Exit codes: 0 normal, 1 environment failure (cannot bind, cannot open a
 * log file, cannot read a TLS file), 2 usage error (bad option or config
 * file, bad APP, app fails to load — also for `--check-config`), 3 a worker
 * failed to boot.
 */
import { locateApp } from "../config/app-spec.ts";
import type { Arbiter } from "../arbiter/arbiter.ts";
import { bindErrorReason, formatBind } from "../net/bind.ts";
import { appBindAddress, appBindFields, appBindSource, overriddenAppBindWarnings } from "../net/app-bind.ts";
import { activatedBinds } from "../arbiter/socket-activation.ts";
import { runMaster } from "../arbiter/master.ts";
import type { MasterOptions } from "../arbiter/master.ts";
import { runWorkerProcess } from "../worker/worker-main.ts";
import { isWorkerProcess, WORKER_SETTINGS_ENV } from "../config/worker-env.ts";
import type { ArbiterHooks } from "../arbiter/arbiter-types.ts";
import { renderHelp } from "../config/cli.ts";
import { renderEffectiveSettings, resolveCommand, workerSettingsJson } from "../config/config-file.ts";
import type { ResolvedCommand } from "../config/config-file.ts";
import { LogOpenError, openLogs } from "../log/log-files.ts";
import type { Logs } from "../log/log-files.ts";
import { errorMessage } from "../log/logger.ts";
import { startReloader } from "../arbiter/reloader.ts";
import type { Runtime } from "./runtime.ts";
import { EXIT_FAILURE, EXIT_USAGE, StartupError } from "../config/errors.ts";
import { checkEngine, loadNativeApp } from "../worker/engine.ts";
import { loadHandler } from "../worker/load-app.ts";
import { loadTls } from "../server/listen.ts";
import { SettingError } from "../config/settings.ts";
import type { Settings } from "../config/settings.ts";
import { VERSION } from "../config/version.ts";
import { resolveAutoWorkers } from "../config/workers-auto.ts";
import { runCtl } from "./ctl.ts";

/**
 * Run the command; resolves with the exit code. Start-up errors are printed
 * as one `tricorn: …` line, never a stack trace.
 */
export async function runCli(rt: Runtime): Promise<number> {
  if (rt.args[0] === "ctl") return runCtl(rt, rt.args.slice(1));
  let command: ResolvedCommand;
  try {
    command = await resolveCommand(rt);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const { settings, app, hooks } = command;
  const autoWorkersNote = resolveAutoWorkers(rt, settings);
  if (settings.help) {
    rt.writeStdout(renderHelp());
    return 0;
  }
  if (settings.print_config) {
    rt.writeStdout(renderEffectiveSettings(settings, hooks));
    return 0;
  }
  if (settings.version || app === null) {
    rt.writeStdout(`tricorn ${VERSION}\n`);
    return 0;
  }

  const worker = isWorkerProcess(rt.env);
  let logs: Logs;
  try {
    prepareProcess(rt, settings);
    if (!worker) checkAppFile(rt, app);
    // --check-config creates no files: its few lines go to stderr.
    logs = settings.check_config
      ? openLogs(rt, { ...settings, errorlog: "-", accesslog: null }, { access: false })
      : openLogs(rt, settings, { access: worker });
  } catch (error) {
    if (!(error instanceof StartupError || error instanceof LogOpenError)) throw error;
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return error instanceof StartupError ? error.exitCode : EXIT_FAILURE;
  }
  try {
    if (settings.check_config) return await checkConfig(rt, command, app, logs);
    if (worker) {
      return await runWorkerProcess(rt, rt.processes, settings, app, logs.logger, {
        accessLog: logs.accessLog,
        reopenLogs: logs.reopen,
      });
    }
    checkEngine(rt, settings);
    const options = masterOptions(rt, command, app, logs);
    return await runMaster(rt, rt.processes, settings, logs.logger, {
      ...options,
      notes: autoWorkersNote === null ? [] : [autoWorkersNote],
      bindGiven: command.given.has("bind"),
    });
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    logs.flush();
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return error.exitCode;
  } finally {
    logs.close();
  }
}

/**
 * `--chdir` (made absolute, so workers and HUP see the same directory) and
 * `-e KEY=VALUE` (set here; workers inherit it and set it again from their
 * settings).
 */
function prepareProcess(rt: Runtime, settings: Settings): void {
  if (settings.chdir !== null) {
    try {
      rt.chdir(settings.chdir);
    } catch (error) {
      const reason = bindErrorReason(error);
      throw new StartupError(`--chdir: cannot change to ${JSON.stringify(settings.chdir)}: ${reason}; check the directory`, EXIT_USAGE);
    }
    settings.chdir = rt.cwd();
  }
  for (const item of settings.raw_env) {
    const eq = item.indexOf("=");
    rt.setEnv(item.slice(0, eq), item.slice(eq + 1));
  }
}

/**
 * The master does not import the app (workers do, like gunicorn without
 * preload), but a wrong APP spec, a missing file or a file this runtime
 * cannot import (TypeScript on Node without esbuild) is a usage error worth
 * one line and exit 2 before anything forks. Returns the app file's path.
 */
function checkAppFile(rt: Runtime, app: string): string {
  try {
    const { path } = locateApp(rt, app);
    rt.checkLoadable?.(path);
    return path;
  } catch (error) {
    throw new StartupError(errorMessage(error), EXIT_USAGE);
  }
}

/**
 * `--check-config`: read the TLS files (if any), load the app and build its
 * handler, without binding or serving; one line either way, naming the
 * addresses the server would bind and where they come from.
 */
async function checkConfig(rt: Runtime, command: ResolvedCommand, app: string, logs: Logs): Promise<number> {
  const { settings } = command;
  let binds: string;
  try {
    loadTls(rt, settings);
    let exported: { value: unknown; label: string } = { value: undefined, label: "export default" };
    const onExport = (value: unknown, label: string) => (exported = { value, label });
    if (checkEngine(rt, settings) !== undefined) {
      await loadNativeApp(rt, settings, app, logs.logger, onExport);
    } else {
      await loadHandler(rt, app, settings.interface, logs.logger, { headerMap: settings.header_map, multiprocess: settings.workers > 1, nodeStreams: rt.nodeStreams }, onExport);
    }
    binds = bindsToCheck(rt, command, exported.value, exported.label, logs);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    logs.flush();
    rt.writeStderr(`tricorn: ${error.message}\n`);
    return error.exitCode;
  }
  const config = command.configFile === null ? "no config file" : `config file ${settings.config}`;
  rt.writeStdout(`config OK: app ${app}, ${config}, ${binds}\n`);
  return 0;
}

/**
 * `bind 127.0.0.1:3000 (from the app's port export)`: what `--check-config`
 * says the master would bind (core/arbiter/master.ts decides the same way).
 * A bad `port`/`hostname` export is a {@link StartupError} naming it.
 */
function bindsToCheck(rt: Runtime, command: ResolvedCommand, exported: unknown, label: string, logs: Logs): string {
  const activated = activatedBinds(rt.env, rt.pid);
  if (activated !== null) return `bind ${activated.map(formatBind).join(", ")} (systemd sockets, LISTEN_FDS)`;
  const given = command.settings.bind.map(formatBind).join(", ");
  if (command.given.has("bind")) {
    for (const warning of overriddenAppBindWarnings(exported, label)) logs.logger.warning(warning);
    return `bind ${given}`;
  }
  let fields;
  try {
    fields = appBindFields(exported, label);
  } catch (error) {
    throw new StartupError(errorMessage(error), EXIT_USAGE);
  }
  return `bind ${formatBind(appBindAddress(fields, command.settings.bind[0]!))} (${appBindSource(fields)})`;
}

/** Hooks, log reopening, HUP re-reading and the `--reload` watcher for the master. */
function masterOptions(rt: Runtime, command: ResolvedCommand, app: string, logs: Logs): MasterOptions {
  const { settings } = command;
  const workerEnv: Record<string, string> = { [WORKER_SETTINGS_ENV]: workerSettingsJson(settings, app) };
  return {
    hooks: command.hooks,
    reopenLogs: logs.reopen,
    workerEnv,
    reload: async () => {
      const next = await resolveCommand(rt, { fresh: true, previous: command });
      resolveAutoWorkers(rt, next.settings);
      // The working directory was chosen at start-up and stays.
      next.settings.chdir = settings.chdir;
      workerEnv[WORKER_SETTINGS_ENV] = workerSettingsJson(next.settings, app);
      return next;
    },
    onRunning: settings.reload ? (arbiter) => watchForReload(rt, command, app, logs, arbiter) : undefined,
  };
}

/** `--reload`: a graceful reload (as on HUP) after a source file in the app's tree changed. */
function watchForReload(rt: Runtime, command: ResolvedCommand, app: string, logs: Logs, arbiter: Arbiter): () => void {
  const appFile = checkAppFile(rt, app);
  const extra = [...command.settings.reload_extra_files];
  if (command.configFile !== null) extra.push(command.configFile);
  const reloader = startReloader({
    rt,
    roots: [appFile.slice(0, appFile.lastIndexOf("/")) || "/"],
    extra,
    logger: logs.logger,
    onChange(path) {
      logs.logger.info(`Reloading: ${path} changed`);
      arbiter.signal("SIGHUP");
    },
  });
  logs.logger.debug(`--reload: watching ${reloader.watched} directories`);
  return () => reloader.close();
}
