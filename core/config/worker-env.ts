/**
 * The environment contract between a master and the workers it spawns:
 * which variables mark a worker and carry its id, settings and binds.
 * Workers never parse argv or read the config file; everything they need
 * comes through these variables.
 */

/** Environment variable that marks a process as a worker (its value is `"1"`). */
export const WORKER_ENV = "TRICORN_WORKER";

/** Environment variable carrying the worker's id (its age: 1, 2, 3, … in spawn order). */
export const WORKER_ID_ENV = "TRICORN_WORKER_ID";

/** Environment variable with a worker's settings and APP, as JSON, set by the master. */
export const WORKER_SETTINGS_ENV = "TRICORN_WORKER_SETTINGS";

/**
 * Environment variable with the binds a worker must use, as JSON: the
 * master's `--bind` list with port 0 replaced by the port its test bind got,
 * so every worker shares one port.
 */
export const WORKER_BINDS_ENV = "TRICORN_WORKER_BINDS";

/**
 * Environment variable set to `"1"` for every worker when no bind was given
 * (no `--bind`, TRICORN_BIND, `bind` in a config file or socket
 * activation): the app's `port`/`hostname` export is the bind
 * (core/net/app-bind.ts). While {@link WORKER_BINDS_ENV} is not set yet, the
 * worker reports them to the master after loading the app and listens on the
 * addresses it answers (core/arbiter/bind-from-app.ts).
 */
export const WORKER_BIND_FROM_APP_ENV = "TRICORN_BIND_FROM_APP";

/** True when this process was spawned by a tricorn master as a worker. */
export function isWorkerProcess(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[WORKER_ENV] === "1";
}
