/**
 * systemd socket activation (sd_listen_fds(3)): a `.socket` unit binds the
 * address itself and starts tricorn with the listening sockets as file
 * descriptors 3, 4, … and `LISTEN_FDS=N`, `LISTEN_PID=<our pid>`. tricorn
 * then serves those sockets instead of its `--bind` addresses, so the
 * address is held across restarts and can be privileged without root.
 */
import type { BindAddress } from "../net/bind.ts";

/** First inherited descriptor (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

/** The variables systemd sets; the master removes them so workers and the app do not see them. */
export const SOCKET_ACTIVATION_ENV = ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"] as const;

/**
 * The `fd://N` binds systemd passed to this process, or null when there
 * are none or they are meant for another process (`LISTEN_PID` names a
 * different pid, as when a wrapper passed them on).
 */
export function activatedBinds(env: Readonly<Record<string, string | undefined>>, pid: number): BindAddress[] | null {
  const count = env.LISTEN_FDS;
  if (count === undefined || !/^[1-9]\d{0,3}$/.test(count)) return null;
  if (env.LISTEN_PID !== undefined && env.LISTEN_PID !== String(pid)) return null;
  return Array.from({ length: Number(count) }, (_, i) => ({ kind: "fd", fd: LISTEN_FDS_START + i }) as BindAddress);
}
