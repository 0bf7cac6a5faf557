/**
 * systemd's readiness protocol (sd_notify(3)) for the master: with
 * `Type=notify` systemd starts the units that depend on tricorn only once
 * it sent `READY=1`, shows `STATUS=` in `systemctl status`, and knows when a
 * reload (HUP) or a stop is under way.
 *
 * systemd names its socket in `$NOTIFY_SOCKET` (a datagram unix socket).
 * Neither Node nor Bun can send unix datagrams, so every runtime hands the
 * message to systemd's own `systemd-notify` command (present wherever
 * systemd is); the unit needs `NotifyAccess=all` because that helper, not
 * the master, is the sender. Messages carry `MAINPID=` so systemd keeps
 * watching the master.
 */
import type { NotifyFn } from "../runtime/platform.ts";
import type { Logger } from "../log/logger.ts";

/** Environment variable systemd sets to its notification socket. */
export const NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET";

/** What the master tells systemd. */
export interface ServiceNotifier {
  /** Serving (after start-up, and again after a reload). */
  ready(status: string): void;
  reloading(): void;
  stopping(): void;
}

/**
 * A {@link ServiceNotifier} when systemd asked for notifications
 * (`$NOTIFY_SOCKET` set), else null. `RELOADING=1` carries no
 * `MONOTONIC_USEC`, so the unit uses `Type=notify` with
 * `ExecReload=kill -HUP $MAINPID` (not `Type=notify-reload`).
 */
export function serviceNotifier(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
  notify: NotifyFn,
  logger: Logger,
): ServiceNotifier | null {
  if (!env[NOTIFY_SOCKET_ENV]) return null;
  let warned = false;
  const onError = (reason: string) => {
    if (!warned) logger.warning(`Cannot notify systemd (${NOTIFY_SOCKET_ENV} is set): ${reason}`);
    warned = true;
  };
  // One message at a time, so systemd sees READY after the RELOADING that preceded it.
  let queue = Promise.resolve();
  const send = (...fields: string[]) => {
    queue = queue.then(() => notify([...fields, `MAINPID=${pid}`], onError));
  };
  return {
    ready: (status) => send("READY=1", `STATUS=${oneLine(status)}`),
    reloading: () => send("RELOADING=1", "STATUS=Reloading"),
    stopping: () => send("STOPPING=1", "STATUS=Stopping"),
  };
}

/** STATUS is one line of text. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
