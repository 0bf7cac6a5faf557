/**
 * Per-message semantics of a request head: collects the request line and
 * header fields, interprets the fields that change framing or connection
 * handling, and settles them into a {@link RequestHead} (RFC 9112 §3, §6, §9;
 * RFC 9110 §7.2, §10.1.1).
 */
import type { HeaderList, RequestHead } from "./types.ts";
import { latin1 } from "./chars.ts";
import { HttpError } from "./errors.ts";
import { CONN_CLOSE, CONN_KEEP_ALIVE, EXPECT_CONTINUE, EXPECT_NONE, EXPECT_UNSUPPORTED, TE_CHUNKED_COUNT, TE_LAST_CHUNKED, TE_OTHER, isValidHost, parseContentLength, scanConnection, scanExpect, scanTransferCodings } from "./parse-fields.ts";
import { FIELD_CONNECTION, FIELD_CONTENT_LENGTH, FIELD_EXPECT, FIELD_HOST, FIELD_TRANSFER_ENCODING, type KnownField } from "./parse-names.ts";

/** Collects one request head; {@link build} hands it out and starts afresh. */
export class HeadBuilder {
  /** Method token as sent. */
  method = "";
  /** Request-target as sent. */
  target = "";
  /** Minor version (major is always 1). */
  versionMinor = 1;
  /** Header fields so far, flat `[name, value, …]`, names lower-cased. */
  headers: HeaderList = [];
  private host = "";
  private hostCount = 0;
  private contentLength = -1;
  private sawTransferEncoding = false;
  private teMask = 0;
  private connMask = 0;
  private expect = EXPECT_NONE;

  /**
   * Interprets a header that affects framing, Host, keep-alive or
   * expectations. `meaning` is the remembered interpretation of an identical
   * earlier value (-1 = none, see {@link KnownField.cachedMeaning}); when
   * `remember` (the value is the one cached in `known`) the interpretation is
   * stored for the next request.
   * @throws HttpError 400 for an invalid or conflicting value.
   */
  apply(known: KnownField, value: string, buf: Uint8Array, start: number, end: number, meaning: number, remember: boolean): void {
    const m = this.interpret(known.id, value, buf, start, end, meaning);
    if (remember) known.cachedMeaning = m;
  }

  private interpret(id: number, value: string, buf: Uint8Array, start: number, end: number, meaning: number): number {
    switch (id) {
      case FIELD_HOST:
        if (++this.hostCount > 1) throw new HttpError(400, "multiple Host headers");
        if (meaning < 0 && !isValidHost(buf, start, end)) throw new HttpError(400, "invalid Host header");
        this.host = value;
        return 1;
      case FIELD_CONTENT_LENGTH: {
        const n = meaning >= 0 ? meaning : parseContentLength(buf, start, end);
        if (this.contentLength !== -1 && n !== this.contentLength) throw new HttpError(400, "conflicting Content-Length values");
        this.contentLength = n;
        return n;
      }
      case FIELD_TRANSFER_ENCODING: {
        const m = meaning >= 0 ? meaning : scanTransferCodings(buf, start, end);
        const count = (this.teMask & TE_CHUNKED_COUNT) + (m & TE_CHUNKED_COUNT);
        this.teMask = (count > 2 ? 2 : count) | (m & TE_LAST_CHUNKED) | ((this.teMask | m) & TE_OTHER);
        this.sawTransferEncoding = true;
        return m;
      }
      case FIELD_CONNECTION: {
        const m = meaning >= 0 ? meaning : scanConnection(buf, start, end);
        this.connMask |= m;
        return m;
      }
      case FIELD_EXPECT: {
        const e = meaning >= 0 ? meaning : scanExpect(buf, start, end);
        if (e === EXPECT_UNSUPPORTED || (e === EXPECT_CONTINUE && this.expect === EXPECT_NONE)) this.expect = e;
        return e;
      }
    }
    return -1;
  }

  /**
   * Settles framing (RFC 9112 §6.1-6.3), Host, Expect and keep-alive, returns
   * the head and resets the builder for the next message.
   * @throws HttpError 400 (framing, Host), 501 (unknown transfer coding),
   * 417 (expectation) or 413 (Content-Length over `maxBody`).
   */
  build(maxBody: number): RequestHead {
    const http10 = this.versionMinor === 0;
    let chunked = false;
    if (this.sawTransferEncoding) {
      if (http10) throw new HttpError(400, "Transfer-Encoding in HTTP/1.0 request");
      if (this.contentLength !== -1) throw new HttpError(400, "Transfer-Encoding with Content-Length");
      if ((this.teMask & TE_CHUNKED_COUNT) > 1) throw new HttpError(400, "chunked applied more than once");
      if ((this.teMask & TE_LAST_CHUNKED) === 0) throw new HttpError(400, "final transfer coding is not chunked");
      if ((this.teMask & TE_OTHER) !== 0) throw new HttpError(501, "unsupported transfer coding");
      chunked = true;
    }
    if (this.hostCount === 0 && !http10) throw new HttpError(400, "missing Host header");
    if (this.expect === EXPECT_UNSUPPORTED) throw new HttpError(417, "unsupported expectation");
    if (this.contentLength > maxBody) throw new HttpError(413, "request body too large");
    const close = (this.connMask & CONN_CLOSE) !== 0;
    const head: RequestHead = {
      method: this.method,
      target: this.target,
      versionMinor: this.versionMinor,
      headers: this.headers,
      contentLength: this.contentLength,
      chunked,
      keepAlive: http10 ? !close && (this.connMask & CONN_KEEP_ALIVE) !== 0 : !close,
      expectContinue: this.expect === EXPECT_CONTINUE && !http10,
      host: this.host,
    };
    this.method = "";
    this.target = "";
    this.versionMinor = 1;
    this.headers = [];
    this.host = "";
    this.hostCount = 0;
    this.contentLength = -1;
    this.sawTransferEncoding = false;
    this.teMask = 0;
    this.connMask = 0;
    this.expect = EXPECT_NONE;
    return head;
  }
}

/**
 * Parses `HTTP/` DIGIT `.` DIGIT and returns the minor version.
 * @throws HttpError 505 for a well-formed version whose major is not 1, 400 for anything malformed.
 */
export function parseVersion(buf: Uint8Array, start: number, end: number): number {
  if (
    end - start !== 8 || buf[start] !== 0x48 || buf[start + 1] !== 0x54 || buf[start + 2] !== 0x54 ||
    buf[start + 3] !== 0x50 || buf[start + 4] !== 0x2f || buf[start + 6] !== 0x2e
  ) throw new HttpError(400, "invalid HTTP version");
  const major = buf[start + 5] - 0x30;
  const minor = buf[start + 7] - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) throw new HttpError(400, "invalid HTTP version");
  if (major !== 1) throw new HttpError(505, "HTTP version not supported");
  return minor;
}

/** Targets up to this length are remembered. */
const TARGET_CACHE_MAX = 64;

/** Remembers the last request-target so a repeated one is not decoded again. */
export class TargetCache {
  private readonly bytes = new Uint8Array(TARGET_CACHE_MAX);
  private length = -1;
  private value = "";
  private hits = 0;
  private misses = 0;

  /** The target `buf[start, end)` (visible ASCII, already validated) as a string. */
  string(buf: Uint8Array, start: number, end: number): string {
    const n = end - start;
    if (n === this.length) {
      const t = this.bytes;
      let i = 0;
      while (i < n && t[i] === buf[start + i]) i++;
      if (i === n) {
        this.hits++;
        return this.value;
      }
    }
    const s = latin1(buf, start, end, true);
    // As for field values: replace a useful entry at once, a useless one every 8th miss.
    if (n <= TARGET_CACHE_MAX && (this.hits > 0 || this.misses++ % 8 === 0)) {
      this.bytes.set(buf.subarray(start, end));
      this.length = n;
      this.value = s;
      this.hits = 0;
      this.misses = 1;
    }
    return s;
  }
}
