/**
 * sd_notify for Node (and Bun, which reuses it): Node cannot send unix
 * datagrams, so systemd's `systemd-notify` sends the fields
 * (core/arbiter/service-notify.ts). It waits until systemd processed the
 * message, so systemd can still tell which unit sent it.
 */
import { spawn } from "node:child_process";
import type { NotifyFn } from "../../core/runtime/platform.ts";

/** Run `systemd-notify FIELD…` (not keeping the process alive); report a failure to start or a non-zero exit. */
export const notifyServiceManager: NotifyFn = (fields, onError) =>
  new Promise((resolve) => {
    const child = spawn("systemd-notify", [...fields], { stdio: "ignore" });
    child.once("error", (error: NodeJS.ErrnoException) => {
      onError(error.code === "ENOENT" ? "systemd-notify is not installed" : `systemd-notify: ${error.message}`);
      resolve();
    });
    child.once("exit", (code) => {
      if (code !== null && code !== 0) onError(`systemd-notify exited with code ${code}`);
      resolve();
    });
    child.unref();
  });
