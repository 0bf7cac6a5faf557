/**
 * The seam through which a response switches its connection to another
 * protocol (`101 Switching Protocols`, used for WebSocket): the connection
 * writes the 101 head, stops speaking HTTP and forwards every later socket
 * event and deadline to an {@link UpgradedProtocol}. The connection stays
 * registered with its server, so it still counts toward
 * `worker_connections`, still gets the graceful-stop signal (`goingAway`) and
 * still keeps the worker's drain waiting until it closes.
 *
 * {@link UpgradableResponse.takeOver} is the same hand-over without the 101:
 * the protocol writes its own response on the socket (node:http's
 * `'upgrade'` listeners, adapters/node/upgrade.ts, answer 101 or a refusal
 * themselves).
 */
import type { AccessLogger, AccessRecord } from "../log/access-log.ts";
import type { ByteStream } from "../runtime/socket.ts";

/** What an upgraded protocol gets from the connection it took over. */
export interface UpgradeHost {
  /** The connection's socket (writes, pause/resume, end, destroy). */
  readonly socket: ByteStream;
  /** Monotonic (coarse) ms, the server's timeout-wheel clock. */
  now(): number;
  /** Call the protocol's `onTimeout` once monotonic time `at` has passed (0 = no deadline). */
  setDeadline(at: number): void;
  /** Logs an error raised by app code running on the protocol. */
  appError(message: string, error: unknown): void;
}

/** A protocol running on a connection after a 101 (a WebSocket session). */
export interface UpgradedProtocol {
  data(chunk: Uint8Array): void;
  drain(): void;
  /** The peer half-closed. */
  end(): void;
  /** The socket is gone. Called exactly once. */
  closed(): void;
  /** A deadline set through {@link UpgradeHost.setDeadline} passed. */
  onTimeout(now: number): void;
  /** The server is stopping gracefully (TERM, HUP, max_requests): close politely, soon. */
  goingAway(): void;
  /** Bytes sent after the handshake (access log). */
  readonly bytesOut: number;
  /** After a take-over: the status of the response the protocol wrote itself (access log; default 101). */
  readonly status?: number;
}

/** Creates the protocol once the 101 head is queued (right away for a take-over). */
export type UpgradeFactory = (host: UpgradeHost) => UpgradedProtocol;

/** A response writer that can switch protocols (core engine responses; not `--engine native` on Node). */
export interface UpgradableResponse {
  /**
   * Writes `head` (a complete `101` response head) and hands the connection to
   * the protocol `create` returns. Returns null, writing nothing, when the
   * connection cannot switch (response already started, request body still
   * arriving, server draining, connection gone).
   */
  upgrade(head: Uint8Array, create: UpgradeFactory): UpgradedProtocol | null;
  /**
   * Hands the connection as it is to the protocol `create` returns, writing
   * nothing: the protocol answers the request itself on the socket. Null
   * under the same conditions as {@link upgrade}.
   */
  takeOver(create: UpgradeFactory): UpgradedProtocol | null;
}

/** Whether `res` supports {@link UpgradableResponse.upgrade}. */
export function canUpgrade(res: unknown): res is UpgradableResponse {
  return typeof (res as Partial<UpgradableResponse> | null)?.upgrade === "function";
}

/** Whether `res` supports {@link UpgradableResponse.takeOver}. */
export function canTakeOver(res: unknown): res is UpgradableResponse {
  return typeof (res as Partial<UpgradableResponse> | null)?.takeOver === "function";
}

/**
 * Starts the protocol `create` returns on a connection that has queued its
 * 101 head. Bytes the client sent right after its request (`held`) already
 * belong to the new protocol: they are passed on in a microtask, so the
 * caller's response (`upgrade()` returning) comes first; `gone()` says whether
 * the socket closed meanwhile.
 */
export function startProtocol(host: UpgradeHost, create: UpgradeFactory, held: Uint8Array[], gone: () => boolean): UpgradedProtocol {
  const protocol = create(host);
  if (held.length > 0) {
    queueMicrotask(() => {
      for (const data of held) if (!gone()) protocol.data(data);
    });
  }
  return protocol;
}

/**
 * The upgraded connection's socket closed: tells the protocol (an error it
 * raises goes to `logError`) and logs the session as the request `ex` that
 * switched protocols (status 101 or the protocol's own, bytes it sent).
 */
export function endProtocol(
  protocol: UpgradedProtocol,
  logError: (message: string, error: unknown) => void,
  ex: (AccessRecord & { bodyBytes: number; status: number }) | null,
  accessLog: AccessLogger | null,
): void {
  try {
    protocol.closed();
  } catch (error) {
    logError("Error while closing an upgraded connection", error);
  }
  if (ex === null || accessLog === null) return;
  ex.bodyBytes = protocol.bytesOut;
  if (protocol.status !== undefined) ex.status = protocol.status;
  accessLog.log(ex);
}
