/**
 * Intern tables for field names and methods. Common names are recognised by
 * comparing bytes, so parsing them allocates no string; the entry also tells
 * the parser which names carry framing or connection semantics.
 */
import { latin1 } from "./chars.ts";

/** Field-name ids the parser acts on; every other name is {@link FIELD_OTHER}. */
export const FIELD_OTHER = 0;
/** `host` */
export const FIELD_HOST = 1;
/** `content-length` */
export const FIELD_CONTENT_LENGTH = 2;
/** `transfer-encoding` */
export const FIELD_TRANSFER_ENCODING = 3;
/** `connection` */
export const FIELD_CONNECTION = 4;
/** `expect` */
export const FIELD_EXPECT = 5;

/** Longest value remembered per known name (longer values are always decoded afresh). */
const VALUE_CACHE_MAX = 256;

/** One interned field name, with a one-entry cache of its last value. */
export class KnownField {
  /** Lower-case ASCII bytes of the name. */
  readonly bytes: Uint8Array;
  /** DataView over {@link bytes}, for word-at-a-time comparison. */
  readonly nameView: DataView;
  /** Raw bytes of the last value decoded for this name (first {@link cachedLength} valid; already validated). */
  readonly cachedBytes = new Uint8Array(VALUE_CACHE_MAX);
  /** DataView over {@link cachedBytes}, for word-at-a-time comparison. */
  readonly cachedView = new DataView(this.cachedBytes.buffer);
  /** Length of the cached value, -1 when nothing is cached. */
  cachedLength = -1;
  /** The cached value as a string. */
  cachedValue = "";
  /** True when the cached value is pure ASCII. */
  cachedAscii = true;
  /**
   * What the parser made of the cached value (a parsed Content-Length, a flag
   * mask, 1 for a valid Host), so a repeated value is not interpreted again;
   * -1 until the parser stores one. Only stored after the value was accepted.
   */
  cachedMeaning = -1;

  /**
   * @param name Lower-case field name.
   * @param id One of the `FIELD_*` ids.
   * @param dropInTrailer True for fields that must not take effect when sent as a trailer (RFC 9110 §6.5.1).
   */
  constructor(readonly name: string, readonly id: number, readonly dropInTrailer: boolean) {
    this.bytes = new Uint8Array(name.length);
    for (let i = 0; i < name.length; i++) this.bytes[i] = name.charCodeAt(i);
    this.nameView = new DataView(this.bytes.buffer);
  }

  /** Times the cached value matched since it was stored. */
  private hits = 0;
  /** Misses since the cached value was stored. */
  private misses = 0;
  /** Whether the last {@link decode} stored its value (then its meaning may be remembered). */
  stored = false;

  /** Records that the cached value matched again. */
  hit(): void {
    this.hits++;
  }

  /**
   * Decodes a value that did not match the cache. It replaces the cached value
   * when the old one had been useful (matched at least once) or on every 8th
   * miss, so a field whose value changes every request (request ids, varying
   * cookies) costs no copy most of the time, while a value that changed once
   * and then repeats is picked up at once.
   */
  decode(buf: Uint8Array, start: number, end: number, asciiOnly: boolean): string {
    const s = latin1(buf, start, end, asciiOnly);
    const n = end - start;
    if (n <= VALUE_CACHE_MAX && (this.hits > 0 || this.misses++ % 8 === 0)) {
      this.cachedBytes.set(buf.subarray(start, end));
      this.cachedLength = n;
      this.cachedValue = s;
      this.cachedAscii = asciiOnly;
      this.cachedMeaning = -1;
      this.hits = 0;
      this.misses = 1;
      this.stored = true;
    } else {
      this.stored = false;
    }
    return s;
  }
}

const MAX_NAME = 32;
const EMPTY: KnownField[] = [];
/** Buckets indexed by `length * 32 + (firstByte & 0x1f)` (the mask folds ASCII case). */
const NAME_BUCKETS: KnownField[][] = new Array<KnownField[]>((MAX_NAME + 1) * 32).fill(EMPTY);

function addName(name: string, id = FIELD_OTHER, dropInTrailer = false): void {
  const f = new KnownField(name, id, dropInTrailer);
  const k = name.length * 32 + (name.charCodeAt(0) & 0x1f);
  NAME_BUCKETS[k] = NAME_BUCKETS[k] === EMPTY ? [f] : [...NAME_BUCKETS[k], f];
}

addName("host", FIELD_HOST, true);
addName("content-length", FIELD_CONTENT_LENGTH, true);
addName("transfer-encoding", FIELD_TRANSFER_ENCODING, true);
addName("connection", FIELD_CONNECTION, true);
addName("expect", FIELD_EXPECT, true);
// Framing, routing, control, authentication and content-format fields: dropped when seen as trailers.
for (const n of [
  "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "content-type", "content-encoding",
  "content-range", "authorization", "proxy-authorization", "cookie", "range", "max-forwards",
  "cache-control", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
]) addName(n, FIELD_OTHER, true);
for (const n of [
  "user-agent", "accept", "accept-encoding", "accept-language", "accept-charset", "referer", "origin",
  "pragma", "dnt", "priority", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip",
  "x-request-id", "forwarded", "via", "date", "etag", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest",
  "sec-fetch-user", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "upgrade-insecure-requests",
  "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "x-requested-with",
]) addName(n);

/**
 * Returns the interned entry for the field name `buf[start, end)` (ASCII
 * case-insensitive), or null. The name must already be known to be a token:
 * then `byte | 0x20` equals a known name's byte exactly when the two match
 * ignoring case (known names use only `a-z`, `0-9` and `-`), which lets long
 * names be compared four bytes at a time through `view` (a DataView over `buf`).
 */
export function lookupField(buf: Uint8Array, start: number, end: number, view: DataView | null): KnownField | null {
  const n = end - start;
  if (n > MAX_NAME) return null;
  const bucket = NAME_BUCKETS[n * 32 + (buf[start] & 0x1f)];
  for (let b = 0; b < bucket.length; b++) {
    const f = bucket[b];
    let i = 0;
    if (view !== null) {
      const fv = f.nameView;
      while (i <= n - 4 && (view.getInt32(start + i, true) | 0x20202020) === fv.getInt32(i, true)) i += 4;
    }
    const fb = f.bytes;
    while (i < n && (buf[start + i] | 0x20) === fb[i]) i++;
    if (i === n) return f;
  }
  return null;
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"];
const METHOD_BYTES = METHODS.map((m) => Uint8Array.from(m, (c) => c.charCodeAt(0)));

/** Returns the method token `buf[start, end)` as a string, interned for the standard methods (case-sensitive). */
export function methodString(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  const first = buf[start];
  for (let m = 0; m < METHOD_BYTES.length; m++) {
    const mb = METHOD_BYTES[m];
    if (mb.length !== n || mb[0] !== first) continue;
    let i = 1;
    while (i < n && buf[start + i] === mb[i]) i++;
    if (i === n) return METHODS[m];
  }
  return latin1(buf, start, end, true);
}
