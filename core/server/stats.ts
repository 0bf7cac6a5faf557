/**
 * Request counters of one serving process, kept cheap enough for the hot
 * path: plain numbers and typed arrays indexed by method and status class,
 * no allocation per request, no labels as strings until a snapshot is taken.
 * The connection records into them; the worker sends a {@link StatsCounters}
 * snapshot to the master with every heartbeat (core/ipc.ts), and the master
 * adds the workers up for `tricorn ctl stats` and `GET /metrics`.
 */

/** Methods counted under their own name; every other method is counted as `OTHER`. */
export const COUNTED_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"] as const;

/** Status classes, index = first digit - 1. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** Upper bounds (inclusive, milliseconds) of the request-duration histogram buckets; one more bucket holds the rest. */
export const LATENCY_BOUNDS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Names of parser rejections, by the status the connection answered with; other statuses are `other`. */
export const REJECTION_REASONS: Readonly<Record<number, string>> = {
  400: "bad_request",
  408: "header_timeout",
  413: "body_too_large",
  414: "uri_too_long",
  417: "expectation_failed",
  431: "header_too_large",
  501: "not_implemented",
  505: "version_not_supported",
};

/** Plain-JSON copy of a {@link ServerStats}, as sent over IPC. */
export interface StatsCounters {
  /** Responses by method and status class: `requests[method * 5 + class]` (orders of {@link COUNTED_METHODS}, {@link STATUS_CLASSES}). */
  requests: number[];
  /** Responses per duration bucket (not cumulative): one per {@link LATENCY_BOUNDS_MS} entry, then the overflow bucket. */
  latency: number[];
  /** Sum of all response durations, milliseconds. */
  latencySumMs: number;
  /** Bytes read from client connections (heads and bodies). */
  receivedBytes: number;
  /** Response body bytes handed to client sockets. */
  sentBodyBytes: number;
  /** Requests refused by the parser (or its head timeout), by reason name ({@link REJECTION_REASONS}). */
  rejections: Record<string, number>;
}

const CLASS_COUNT = STATUS_CLASSES.length;

function methodIndex(method: string): number {
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "DELETE":
      return 4;
    case "PATCH":
      return 5;
    case "OPTIONS":
      return 6;
    default:
      return 7;
  }
}

/** Live counters of one server (see the module comment). */
export class ServerStats {
  readonly requests = new Float64Array(COUNTED_METHODS.length * CLASS_COUNT);
  readonly latency = new Float64Array(LATENCY_BOUNDS_MS.length + 1);
  latencySumMs = 0;
  receivedBytes = 0;
  sentBodyBytes = 0;
  private readonly rejections = new Map<string, number>();

  /**
   * @param now monotonic clock in milliseconds (Timers.now)
   * @param timed record durations (two clock reads per request; see {@link responded})
   */
  constructor(
    readonly now: () => number,
    readonly timed: boolean,
  ) {}

  /**
   * One response ended: `startTime` is {@link now} when its head was parsed
   * (only read when {@link timed}; the latency histogram stays empty otherwise).
   */
  responded(method: string, status: number, bodyBytes: number, startTime: number): void {
    let cls = ((status / 100) | 0) - 1;
    if (cls < 0) cls = 0;
    else if (cls >= CLASS_COUNT) cls = CLASS_COUNT - 1;
    this.requests[methodIndex(method) * CLASS_COUNT + cls]++;
    this.sentBodyBytes += bodyBytes;
    if (!this.timed) return;
    const ms = this.now() - startTime;
    this.latencySumMs += ms;
    let bucket = 0;
    while (bucket < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[bucket]!) bucket++;
    this.latency[bucket]++;
  }

  /** The parser refused a request (or its head timed out) and the connection answered `status`. */
  rejected(status: number): void {
    const reason = REJECTION_REASONS[status] ?? "other";
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  /** A plain-JSON copy of the counters. */
  snapshot(): StatsCounters {
    return {
      requests: Array.from(this.requests),
      latency: Array.from(this.latency),
      latencySumMs: this.latencySumMs,
      receivedBytes: this.receivedBytes,
      sentBodyBytes: this.sentBodyBytes,
      rejections: Object.fromEntries(this.rejections),
    };
  }
}

/** Counters that are all zero (no worker reported yet). */
export function emptyCounters(): StatsCounters {
  return {
    requests: new Array<number>(COUNTED_METHODS.length * CLASS_COUNT).fill(0),
    latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
    latencySumMs: 0,
    receivedBytes: 0,
    sentBodyBytes: 0,
    rejections: {},
  };
}

/** Adds `from` into `into` (element-wise; rejection reasons merged). */
export function addCounters(into: StatsCounters, from: StatsCounters): void {
  for (let i = 0; i < into.requests.length; i++) into.requests[i]! += from.requests[i] ?? 0;
  for (let i = 0; i < into.latency.length; i++) into.latency[i]! += from.latency[i] ?? 0;
  into.latencySumMs += from.latencySumMs;
  into.receivedBytes += from.receivedBytes;
  into.sentBodyBytes += from.sentBodyBytes;
  for (const [reason, n] of Object.entries(from.rejections)) into.rejections[reason] = (into.rejections[reason] ?? 0) + n;
}

/** True when `value` has the shape of {@link StatsCounters} (it came over IPC). */
export function isStatsCounters(value: unknown): value is StatsCounters {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    Array.isArray(c.requests) &&
    c.requests.length === COUNTED_METHODS.length * CLASS_COUNT &&
    Array.isArray(c.latency) &&
    c.latency.length === LATENCY_BOUNDS_MS.length + 1 &&
    typeof c.latencySumMs === "number" &&
    typeof c.receivedBytes === "number" &&
    typeof c.sentBodyBytes === "number" &&
    typeof c.rejections === "object" &&
    c.rejections !== null
  );
}
