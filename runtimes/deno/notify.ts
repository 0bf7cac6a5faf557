/**
 * sd_notify for Deno: unix datagram sockets are unstable in Deno, so
 * systemd's `systemd-notify` sends the fields (core/arbiter/service-notify.ts;
 * needs `--allow-run=systemd-notify`).
 */
import type { NotifyFn } from "../../core/runtime/platform.ts";

/** Run `systemd-notify FIELD…` (not keeping the process alive); report a failure to start or a non-zero exit. */
export const notifyServiceManager: NotifyFn = async (fields, onError) => {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("systemd-notify", { args: [...fields], stdin: "null", stdout: "null", stderr: "null" }).spawn();
  } catch (error) {
    onError(error instanceof Deno.errors.NotFound ? "systemd-notify is not installed" : `systemd-notify: ${(error as Error).message}`);
    return;
  }
  child.unref();
  const status = await child.status;
  if (!status.success) onError(`systemd-notify exited with code ${status.code}`);
};
