/**
 * `--user`, `--group` and `--umask` in the master: check that the workers'
 * user can be switched to before anything forks, and give the unix sockets
 * their owner and mode once workers listen, so a proxy running as another
 * user (nginx as www-data) can connect.
 *
 * On Node the master creates the listening sockets (cluster) and hands them
 * to the workers, so workers serve ports below 1024 without privileges. On
 * Deno and Bun each worker binds itself, already as `--user`.
 */
import { formatBind } from "../net/bind.ts";
import { CredentialsError, resolveCredentials, type Credentials } from "../config/credentials.ts";
import { errorMessage } from "../log/logger.ts";
import type { Platform } from "../runtime/platform.ts";
import { EXIT_USAGE, StartupError } from "../config/errors.ts";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../log/logger.ts";

/**
 * The workers' credentials from `--user`/`--group` (null when neither is
 * set). A name that does not exist, or a switch this process is not
 * allowed to make (not root), is a one-line {@link StartupError} (exit 2).
 */
export function workerCredentials(rt: Pick<Platform, "ids" | "readTextFile">, settings: Pick<Settings, "user" | "group">): Credentials | null {
  if (settings.user === null && settings.group === null) return null;
  const current = rt.ids();
  let credentials: Credentials | null;
  try {
    credentials = resolveCredentials(settings.user, settings.group, (path) => rt.readTextFile(path), current);
  } catch (error) {
    if (error instanceof CredentialsError) throw new StartupError(error.message, EXIT_USAGE);
    throw error;
  }
  if (credentials === null || current.uid === 0) return credentials;
  if (credentials.uid !== current.uid || credentials.gid !== current.gid) {
    throw new StartupError(
      `--user/--group: switching the workers to ${credentials.userLabel}, group ${credentials.groupLabel} needs root; tricorn runs as uid ${current.uid}`,
      EXIT_USAGE,
    );
  }
  return credentials;
}

/**
 * Give every unix socket of `settings.bind` the workers' owner and group and
 * the mode `0777 & ~umask`. Failures are logged, not fatal: the server
 * still serves, but the proxy may be refused — the warning says so.
 */
export function secureUnixSockets(rt: Pick<Platform, "chmod" | "chown">, settings: Pick<Settings, "bind" | "umask">, credentials: Credentials | null, log: Logger): void {
  if (credentials === null && settings.umask === null) return;
  for (const bind of settings.bind) {
    if (bind.kind !== "unix" || bind.path.startsWith("@")) continue;
    try {
      if (credentials !== null) rt.chown(bind.path, credentials.uid, credentials.gid);
      if (settings.umask !== null) rt.chmod(bind.path, 0o777 & ~settings.umask);
    } catch (error) {
      log.warning(`Cannot set the owner or mode of ${formatBind(bind)}: ${errorMessage(error)}; a proxy running as another user may be refused`);
    }
  }
}
