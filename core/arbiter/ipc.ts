/**
 * Messages between the arbiter (master) and its workers, and the
 * newline-delimited JSON framing used where the runtime has no built-in IPC
 * channel (Deno). Node (cluster) and Bun (spawn with built-in IPC) carry these
 * objects over their own channels.
 *
 * Stopping a worker is done with signals (SIGTERM graceful, SIGKILL now,
 * SIGABRT on timeout), not messages: a signal reaches a worker at any stage,
 * even before it has set up its message listener, and needs no cooperation.
 */

import { isStatsCounters, type StatsCounters } from "../server/stats.ts";
import type { AppBindFields } from "../net/app-bind.ts";
import type { BindAddress } from "../net/bind.ts";

/** What a worker reports about itself with each heartbeat (`tricorn ctl status`, metrics). */
export interface WorkerStats {
  /** Requests completed since the worker started. */
  served: number;
  /** Requests being handled now (-1: the engine cannot tell). */
  inFlight: number;
  /** Open client connections (-1: the engine cannot tell). */
  connections: number;
  /** Resident set size in bytes (-1: unknown). */
  rss: number;
  /** Request counters of the core engine (null with `--engine native`). */
  counters: StatsCounters | null;
}

/** Master → worker. */
export type MasterMessage =
  /** Reopen log files (the master got SIGUSR1). */
  | { type: "reopen-logs" }
  /** The answer to `app-bind`: listen on these addresses (ports resolved by the master's test bind). */
  | { type: "binds"; binds: BindAddress[] };

/** Worker → master. */
export type WorkerMessage =
  /**
   * "My event loop is alive." Sent at least every `timeout / 2` seconds (and
   * every second at most), with the worker's counters once it serves.
   */
  | { type: "heartbeat"; stats?: WorkerStats }
  /** The app is loaded and the worker listens on every bind. */
  | { type: "booted" }
  /**
   * No bind was given: the app is loaded and exports these `port`/`hostname`
   * (validated; absent when it does not). The worker listens once the master
   * answers with `binds` (core/arbiter/bind-from-app.ts).
   */
  | ({ type: "app-bind" } & AppBindFields)
  /** The worker completed its first request (sent once): its death is then no crash loop. */
  | { type: "served" }
  /** Loading the app or binding failed; the worker exits with {@link WORKER_BOOT_ERROR} next. */
  | { type: "boot-error"; message: string }
  /**
   * Please start my replacement, then stop me: `max_requests` reached, or
   * (`reason` set) my state may be corrupt, e.g. after an uncaught exception.
   */
  | { type: "retire"; requests: number; reason?: string };

/** Exit code of a worker whose app failed to load; the master halts with it (gunicorn's WORKER_BOOT_ERROR). */
export const WORKER_BOOT_ERROR = 3;

/** True when `value` is a well-formed {@link WorkerMessage}. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== "object" || value === null) return false;
  const msg = value as Record<string, unknown>;
  switch (msg.type) {
    case "heartbeat":
      return msg.stats === undefined || isWorkerStats(msg.stats);
    case "booted":
    case "served":
      return true;
    case "boot-error":
      return typeof msg.message === "string";
    case "app-bind":
      return (msg.port === undefined || typeof msg.port === "number") && (msg.hostname === undefined || typeof msg.hostname === "string");
    case "retire":
      return typeof msg.requests === "number" && (msg.reason === undefined || typeof msg.reason === "string");
    default:
      return false;
  }
}

function isWorkerStats(value: unknown): value is WorkerStats {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.served === "number" &&
    typeof s.inFlight === "number" &&
    typeof s.connections === "number" &&
    typeof s.rss === "number" &&
    (s.counters === null || isStatsCounters(s.counters))
  );
}

/** True when `value` is a well-formed {@link MasterMessage}. */
export function isMasterMessage(value: unknown): value is MasterMessage {
  if (typeof value !== "object" || value === null) return false;
  const msg = value as Record<string, unknown>;
  if (msg.type === "reopen-logs") return true;
  return msg.type === "binds" && Array.isArray(msg.binds) && msg.binds.every(isBindAddress);
}

/** A {@link BindAddress} as it arrives over IPC. */
function isBindAddress(value: unknown): value is BindAddress {
  if (typeof value !== "object" || value === null) return false;
  const bind = value as Record<string, unknown>;
  switch (bind.kind) {
    case "tcp":
      return typeof bind.host === "string" && typeof bind.port === "number";
    case "unix":
      return typeof bind.path === "string";
    case "fd":
      return typeof bind.fd === "number";
    default:
      return false;
  }
}

const encoder = new TextEncoder();

/** One message as a JSON line (`{…}\n`), UTF-8 encoded. */
export function encodeFrame(message: MasterMessage | WorkerMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message) + "\n");
}

/**
 * Splits a byte stream into JSON lines and parses them. Lines that are not
 * valid JSON are reported to `onGarbage` (they would mean a bug or a stray
 * writer on the channel) instead of throwing.
 */
export class FrameDecoder {
  private readonly decoder = new TextDecoder();
  private pending = "";

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onGarbage: (line: string) => void = () => {},
  ) {}

  /** Feed the next chunk; calls `onMessage` once per complete line. */
  push(chunk: Uint8Array): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      if (line.length > 0) {
        let parsed: unknown;
        let ok = true;
        try {
          parsed = JSON.parse(line);
        } catch {
          ok = false;
        }
        if (ok) this.onMessage(parsed);
        else this.onGarbage(line);
      }
      newline = this.pending.indexOf("\n");
    }
  }
}
