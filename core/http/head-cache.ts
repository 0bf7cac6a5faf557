/**
 * Remembers the serialized start of the last response head — status line and
 * the app's header lines — keyed by status, reason and header strings. Apps
 * mostly answer with the same status and headers again and again; a repeat
 * then costs one string comparison per header and one byte copy, instead of
 * validating and copying every character once more.
 *
 * What the header loop learned (an app Content-Length, `Connection: close`,
 * app-set Date/Server) is stored with the bytes, since it follows from the
 * same key.
 */
import type { HeaderList } from "./types.ts";

/** Header lists longer than this (name and value entries) are never cached. */
const MAX_ENTRIES = 32;

/** One cached head prefix; see the module comment. */
export class HeadCache {
  /** Bytes of the status line and header lines (null while nothing is cached). */
  bytes: Uint8Array | null = null;
  /** The app's Content-Length, -1 when it set none. */
  appLength = -1;
  /** The app sent `Connection: close`. */
  appClose = false;
  /** The app set its own Date header. */
  hasDate = false;
  /** The app set its own Server header. */
  hasServer = false;

  private status = 0;
  private reason: string | undefined = undefined;
  private readonly headers: string[] = [];
  private hits = 0;
  private misses = 0;

  /** True when `status`, `reason` and `headers` equal the cached key (then {@link bytes} etc. apply). */
  match(status: number, reason: string | undefined, headers: HeaderList): boolean {
    if (this.bytes === null || status !== this.status || reason !== this.reason) return false;
    const cached = this.headers;
    const n = headers.length;
    if (n !== cached.length) return false;
    for (let i = 0; i < n; i++) if (headers[i] !== cached[i]) return false;
    this.hits++;
    return true;
  }

  /**
   * Whether a head that missed should replace the cached one: at once when the
   * cached one was useful, else on every 8th miss, so heads that differ every
   * time (request ids) cost no copy most of the time.
   */
  wants(headers: HeaderList): boolean {
    if (headers.length > MAX_ENTRIES) return false;
    return this.hits > 0 || this.misses++ % 8 === 0;
  }

  /** Stores `bytes` (a copy the caller no longer touches) as the head of this key. */
  store(
    status: number, reason: string | undefined, headers: HeaderList, bytes: Uint8Array,
    appLength: number, appClose: boolean, hasDate: boolean, hasServer: boolean,
  ): void {
    this.status = status;
    this.reason = reason;
    const cached = this.headers;
    cached.length = headers.length;
    for (let i = 0; i < headers.length; i++) cached[i] = headers[i];
    this.bytes = bytes;
    this.appLength = appLength;
    this.appClose = appClose;
    this.hasDate = hasDate;
    this.hasServer = hasServer;
    this.hits = 0;
    this.misses = 1;
  }
}
