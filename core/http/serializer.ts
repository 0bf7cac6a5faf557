/**
 * Response serializer: turns (status, reason, headers, body) into HTTP/1.1 wire
 * bytes and writes them to a {@link Socket}.
 *
 * Design notes (hot path):
 * - One serializer per server; JS is single-threaded and every call finishes
 *   synchronously, so one slab writer serves every connection.
 * - A head plus a small body leave as ONE Uint8Array (one socket write),
 *   written straight into a shared slab and handed out as a view (no
 *   per-response buffer allocation). Bodies above {@link COPY_LIMIT} bytes are
 *   written separately to avoid copying them.
 * - Header names/values from apps are validated while they are copied (single
 *   pass), so CR/LF injection throws {@link ResponseError} before any byte is sent.
 * - A head with the same status and header strings as a recent one is copied
 *   from the {@link HeadCache} instead (already validated); Date, Server and the
 *   blank line leave as one array rebuilt once a second.
 * - Framing decisions (length, chunked, close-delimited, none) are published in
 *   the serializer's `framing`/`length`/`close` fields after each head, so no
 *   result object is allocated per response.
 */
import type { HeaderList } from "./types.ts";
import type { Socket } from "../runtime/socket.ts";
import type { DateCache } from "./date.ts";
import { HeadCache } from "./head-cache.ts";
import { reasonPhrase } from "./status.ts";

/** An invalid response from the app (bad status, header, length). The connection answers 500. */
export class ResponseError extends Error {
  override name = "ResponseError";
}

/** No body bytes are sent (HEAD, 204, 304). */
export const FRAMING_NONE = 0;
/** Body delimited by Content-Length. */
export const FRAMING_LENGTH = 1;
/** Body sent with `Transfer-Encoding: chunked`. */
export const FRAMING_CHUNKED = 2;
/** Body delimited by closing the connection (HTTP/1.0 streaming without a length). */
export const FRAMING_CLOSE = 3;

/** Bits returned by writeHeaderLines: the app sent `Connection: close` / its own Date / its own Server. */
const FOUND_CLOSE = 1;
const FOUND_DATE = 2;
const FOUND_SERVER = 4;

/** Bodies larger than this are written in their own socket write instead of being copied. */
export const COPY_LIMIT = 16 * 1024;

/**
 * Outputs are carved out of shared slabs of this size (one backing-store
 * allocation per ~hundreds of small responses instead of one per response).
 * Views handed to a socket are never written again.
 */
const SLAB_SIZE = 64 * 1024;
/** A new slab is started when less than this is left in the current one. */
const SLAB_MIN_ROOM = 1024;

/**
 * String bodies up to this many chars are checked for ASCII and copied char by
 * char; longer ones go through `TextEncoder.encodeInto` (one native call). The
 * char loop only wins for short strings: V8's `JSON.stringify` returns a cons
 * string, on which every `charCodeAt` is several times slower than on a flat
 * one (a 43-char JSON body cost ~400 ns in the loop, ~130 ns encoded).
 */
const ASCII_INLINE_MAX = 32;

/** True when every char of `text` is below 0x80. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** What the serializer needs to know about the request being answered. */
export interface ResponseContext {
  /** The request method was HEAD: headers as for GET, no body bytes. */
  readonly isHead: boolean;
  /** Minor version of the request (0 → HTTP/1.0 rules for keep-alive and streaming). */
  readonly versionMinor: number;
  /** The connection intends to stay open after this response. */
  readonly keepAlive: boolean;
}

/** `1` for bytes allowed in a header-name token (RFC 9110 §5.6.2 tchar). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[c.charCodeAt(0)] = 1;
}

const encoder = new TextEncoder();

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const CRLF = ascii("\r\n");
const LAST_CHUNK = ascii("0\r\n\r\n");
const CRLF_LAST_CHUNK = ascii("\r\n0\r\n\r\n");
const CONNECTION_CLOSE = ascii("Connection: close\r\n");
const CONNECTION_KEEP_ALIVE = ascii("Connection: keep-alive\r\n");
const TE_CHUNKED = ascii("Transfer-Encoding: chunked\r\n");
const CONTENT_LENGTH = ascii("Content-Length: ");

/** Case-insensitive compare of `name` against a lower-case literal of the same length. */
function isName(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** True when a comma-separated header value lists `token` (case-insensitive). */
function hasToken(value: string, token: string): boolean {
  const parts = value.toLowerCase().split(",");
  for (let i = 0; i < parts.length; i++) if (parts[i].trim() === token) return true;
  return false;
}

/** Serializes response heads and body framing; see the module comment. */
export class ResponseSerializer {
  /** Framing chosen by the last {@link head}/{@link send} call (one of the FRAMING_* constants). */
  framing = FRAMING_NONE;
  /** Body length declared by the last head (-1 when not length-delimited). */
  length = -1;
  /** Body bytes of the last {@link send} (0 when its framing sends none). */
  sentBodyLength = 0;
  /** Whether the connection must close after the last serialized response. */
  close = false;

  /** Current slab: bytes before `start` were handed to sockets and are never touched again. */
  private buf = new Uint8Array(SLAB_SIZE);
  /** Start of the output being built in `buf`. */
  private start = 0;
  /** Write position in `buf`. */
  private pos = 0;
  private bodyScratch = new Uint8Array(4096);
  private readonly dates: DateCache;
  private readonly serverLine: Uint8Array | null;
  private readonly statusLines: (Uint8Array | undefined)[] = [];
  private readonly heads = new HeadCache();
  /** Content-Length found by the last {@link writeHeaderLines} (-1 = none). */
  private appLength = -1;
  /** The date line {@link endBytes} was built with. */
  private endDate: Uint8Array | null = null;
  private endBytes: Uint8Array = new Uint8Array(0);

  /**
   * @param dates shared Date header cache
   * @param serverHeader value of the `Server` header; empty → header omitted
   */
  constructor(dates: DateCache, serverHeader: string) {
    this.dates = dates;
    if (serverHeader !== "") {
      for (let i = 0; i < serverHeader.length; i++) {
        const c = serverHeader.charCodeAt(i);
        if ((c < 0x20 && c !== 9) || c === 0x7f || c > 0xff) {
          throw new ResponseError(`invalid character in server header ${JSON.stringify(serverHeader)}`);
        }
      }
    }
    this.serverLine = serverHeader === "" ? null : ascii("Server: " + serverHeader + "\r\n");
  }

  /**
   * Writes a whole response (head + body) to `socket`, in one write when the body
   * is at most {@link COPY_LIMIT} bytes. Throws {@link ResponseError} (nothing
   * written) for invalid status/headers or an app Content-Length that does not
   * match the body. Returns `socket.write`'s result.
   */
  send(
    socket: Socket,
    ctx: ResponseContext,
    status: number,
    reason: string | undefined,
    headers: HeaderList,
    body: Uint8Array | string | null,
  ): boolean {
    let bytes: Uint8Array | null = null;
    let bodyLength = 0;
    /** Short pure-ASCII string body: copied straight after the head, no encoding step. */
    let ascii: string | null = null;
    if (typeof body === "string") {
      const n = body.length;
      if (n === 0) {
        bodyLength = 0;
      } else if (n <= ASCII_INLINE_MAX && isAscii(body)) {
        ascii = body;
        bodyLength = n;
      } else if (n > COPY_LIMIT) {
        bytes = encoder.encode(body);
        bodyLength = bytes.length;
      } else {
        if (this.bodyScratch.length < n * 3) this.bodyScratch = new Uint8Array(n * 3);
        bodyLength = encoder.encodeInto(body, this.bodyScratch).written;
        bytes = this.bodyScratch;
      }
    } else if (body !== null) {
      bytes = body;
      bodyLength = body.length;
    }
    this.writeHead(ctx, status, reason, headers, bodyLength, body !== null);
    if (this.framing === FRAMING_NONE || bodyLength === 0) {
      this.sentBodyLength = 0;
      return socket.write(this.take());
    }
    this.sentBodyLength = bodyLength;
    if (bodyLength > COPY_LIMIT) {
      socket.write(this.take());
      return socket.write(bytes!);
    }
    // Head and body leave as one array: the body is appended right after the head in the slab.
    this.ensure(bodyLength);
    const buf = this.buf;
    const at = this.pos;
    if (ascii !== null) {
      for (let i = 0; i < bodyLength; i++) buf[at + i] = ascii.charCodeAt(i);
    } else if (bytes!.length === bodyLength) {
      buf.set(bytes!, at);
    } else {
      buf.set(bytes!.subarray(0, bodyLength), at);
    }
    this.pos = at + bodyLength;
    return socket.write(this.take());
  }

  /**
   * Serializes the head of a streamed response and returns it (a fresh array the
   * caller writes, possibly merged with the first chunk via {@link writeBody}).
   * Sets {@link framing}, {@link length} and {@link close}.
   */
  head(ctx: ResponseContext, status: number, reason: string | undefined, headers: HeaderList): Uint8Array {
    this.writeHead(ctx, status, reason, headers, -1, false);
    return this.take();
  }

  /**
   * Writes `prefix` (a pending head, or null), then `data` framed per `framing`,
   * then — when `last` — the chunked terminator, using as few socket writes as
   * possible (one unless `data` is a large byte array). Empty data adds no chunk.
   * With FRAMING_NONE the data is dropped. A chunked body's `last` write ends
   * with `lastChunk` when given (trailer fields: core/http/field-sections.ts)
   * instead of the empty last chunk. Returns `socket.write`'s last result.
   */
  writeBody(
    socket: Socket,
    prefix: Uint8Array | null,
    data: Uint8Array | string | null,
    framing: number,
    last: boolean,
    lastChunk: Uint8Array | null = null,
  ): boolean {
    if (lastChunk !== null && last && framing === FRAMING_CHUNKED) {
      this.writeBody(socket, prefix, data, framing, false);
      return socket.write(lastChunk);
    }
    let bytes: Uint8Array | null = null;
    if (framing !== FRAMING_NONE && data !== null && data.length > 0) {
      bytes = typeof data === "string" ? encoder.encode(data) : data;
    }
    const chunked = framing === FRAMING_CHUNKED;
    const tail = chunked ? (bytes !== null ? (last ? CRLF_LAST_CHUNK : CRLF) : last ? LAST_CHUNK : null) : null;
    const prefixLength = prefix === null ? 0 : prefix.length;
    let sizeLine: Uint8Array | null = null;
    if (chunked && bytes !== null) sizeLine = ascii(bytes.length.toString(16) + "\r\n");
    const sizeLength = sizeLine === null ? 0 : sizeLine.length;
    const tailLength = tail === null ? 0 : tail.length;
    if (bytes !== null && bytes.length > COPY_LIMIT) {
      if (prefixLength + sizeLength > 0) socket.write(concat(prefix, sizeLine));
      const ok = socket.write(bytes);
      return tail === null ? ok : socket.write(tail);
    }
    const bodyLength = bytes === null ? 0 : bytes.length;
    const total = prefixLength + sizeLength + bodyLength + tailLength;
    if (total === 0) return true;
    if (prefixLength === total) return socket.write(prefix!);
    if (bodyLength === total) return socket.write(bytes!);
    if (tailLength === total) return socket.write(tail!);
    this.begin();
    this.ensure(total);
    if (prefix !== null) this.writeBytes(prefix);
    if (sizeLine !== null) this.writeBytes(sizeLine);
    if (bytes !== null) this.writeBytes(bytes);
    if (tail !== null) this.writeBytes(tail);
    return socket.write(this.take());
  }

  /** Serializes a head into `buf[0..pos)`; see the module comment for the rules. */
  private writeHead(
    ctx: ResponseContext,
    status: number,
    reason: string | undefined,
    headers: HeaderList,
    bodyLength: number,
    hasBody: boolean,
  ): void {
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new ResponseError(`invalid status code ${String(status)}`);
    }
    if (status < 200) throw new ResponseError(`informational status ${status} cannot be sent by an app`);
    this.begin();
    const single = bodyLength >= 0;
    const noBody = ctx.isHead || status === 204 || status === 304;
    let appLength: number;
    let appClose: boolean;
    let hasDate: boolean;
    let hasServer: boolean;
    const cache = this.heads;
    if (cache.match(status, reason, headers)) {
      // Same status and headers as a recent response: copy its validated bytes.
      this.writeBytes(cache.bytes!);
      appLength = cache.appLength;
      appClose = cache.appClose;
      hasDate = cache.hasDate;
      hasServer = cache.hasServer;
    } else {
      this.writeStatusLine(status, reason);
      const found = this.writeHeaderLines(status, headers);
      appLength = this.appLength;
      appClose = (found & FOUND_CLOSE) !== 0;
      hasDate = (found & FOUND_DATE) !== 0;
      hasServer = (found & FOUND_SERVER) !== 0;
      if (cache.wants(headers)) {
        cache.store(status, reason, headers, this.buf.slice(this.start, this.pos), appLength, appClose, hasDate, hasServer);
      }
    }

    let framing: number;
    let length = -1;
    let close = !ctx.keepAlive || appClose;
    if (noBody) {
      framing = FRAMING_NONE;
      // HEAD keeps the app's length or the length of the body it would have sent.
      if (ctx.isHead && appLength < 0 && hasBody && status !== 204 && status !== 304) {
        this.writeContentLength(bodyLength);
      }
    } else if (single) {
      framing = FRAMING_LENGTH;
      length = bodyLength;
      if (appLength >= 0) {
        if (appLength !== bodyLength) {
          throw new ResponseError(`Content-Length ${appLength} does not match the body length ${bodyLength}`);
        }
      } else {
        this.writeContentLength(bodyLength);
      }
    } else if (appLength >= 0) {
      framing = FRAMING_LENGTH;
      length = appLength;
    } else if (ctx.versionMinor >= 1) {
      framing = FRAMING_CHUNKED;
      this.writeBytes(TE_CHUNKED);
    } else {
      framing = FRAMING_CLOSE;
      close = true;
    }

    if (close) this.writeBytes(CONNECTION_CLOSE);
    else if (ctx.versionMinor === 0) this.writeBytes(CONNECTION_KEEP_ALIVE);
    if (!hasDate && !hasServer) {
      this.writeBytes(this.dateServerEnd());
    } else {
      if (!hasDate) this.writeBytes(this.dates.line());
      if (!hasServer && this.serverLine !== null) this.writeBytes(this.serverLine);
      this.writeBytes(CRLF);
    }

    this.framing = framing;
    this.length = length;
    this.close = close;
  }

  /**
   * `Date`, `Server` (when configured) and the blank line ending a head, as
   * one array rebuilt when the date line changes (once a second).
   */
  private dateServerEnd(): Uint8Array {
    const date = this.dates.line();
    if (date !== this.endDate) {
      const server = this.serverLine;
      const serverLength = server === null ? 0 : server.length;
      const end = new Uint8Array(date.length + serverLength + 2);
      end.set(date, 0);
      if (server !== null) end.set(server, date.length);
      end[end.length - 2] = 0x0d;
      end[end.length - 1] = 0x0a;
      this.endDate = date;
      this.endBytes = end;
    }
    return this.endBytes;
  }

  /**
   * Validates and copies the app's header lines, leaving out hop-by-hop and
   * framing headers tricorn writes itself. Sets {@link appLength}; returns
   * FOUND_* bits for `Connection: close`, Date and Server.
   */
  private writeHeaderLines(status: number, headers: HeaderList): number {
    let appLength = -1;
    let found = 0;
    const count = headers.length;
    if ((count & 1) !== 0) throw new ResponseError("header list has an odd number of entries");
    for (let i = 0; i < count; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (typeof name !== "string" || typeof value !== "string") {
        throw new ResponseError(`header ${String(name)} must be a string name with a string value`);
      }
      switch (name.length) {
        case 4:
          if (isName(name, "date")) found |= FOUND_DATE;
          break;
        case 6:
          if (isName(name, "server")) found |= FOUND_SERVER;
          break;
        case 10:
          if (isName(name, "connection")) {
            if (hasToken(value, "close")) found |= FOUND_CLOSE;
            this.checkValue(value, name);
            continue; // hop-by-hop: tricorn writes its own Connection header
          }
          if (isName(name, "keep-alive")) {
            this.checkValue(value, name);
            continue;
          }
          break;
        case 14:
          if (isName(name, "content-length")) {
            const n = parseLength(value);
            if (n < 0 || (appLength >= 0 && n !== appLength)) {
              throw new ResponseError(`invalid Content-Length ${JSON.stringify(value)}`);
            }
            const repeated = appLength >= 0;
            appLength = n;
            if (repeated || status === 204) continue;
          }
          break;
        case 17:
          if (isName(name, "transfer-encoding")) {
            // Framing is tricorn's job: the app's value is replaced by our own.
            this.checkValue(value, name);
            continue;
          }
          break;
      }
      this.writeHeaderLine(name, value);
    }
    this.appLength = appLength;
    return found;
  }

  private writeStatusLine(status: number, reason: string | undefined): void {
    if (reason === undefined || reason === "" || reason === reasonPhrase(status)) {
      let line = this.statusLines[status];
      if (line === undefined) {
        line = ascii("HTTP/1.1 " + status + " " + reasonPhrase(status) + "\r\n");
        this.statusLines[status] = line;
      }
      this.writeBytes(line);
      return;
    }
    if (typeof reason !== "string") throw new ResponseError("reason phrase must be a string");
    this.writeLatin1("HTTP/1.1 " + status + " ");
    this.writeValue(reason, "reason phrase");
    this.writeBytes(CRLF);
  }

  private writeContentLength(length: number): void {
    this.writeBytes(CONTENT_LENGTH);
    let digits = 1;
    for (let n = length; n >= 10; n = Math.floor(n / 10)) digits++;
    this.ensure(digits + 2);
    const buf = this.buf;
    let at = this.pos + digits;
    this.pos = at + 2;
    buf[at] = 0x0d;
    buf[at + 1] = 0x0a;
    let n = length;
    do {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  /** Copies `name: value\r\n`, validating the name as a token and the value as field-content. */
  private writeHeaderLine(name: string, value: string): void {
    const n = name.length;
    if (n === 0) throw new ResponseError("empty header name");
    this.ensure(n + value.length + 4);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c > 0x7f || TOKEN[c] === 0) throw new ResponseError(`invalid header name ${JSON.stringify(name)}`);
      buf[pos++] = c;
    }
    buf[pos++] = 0x3a; // ':'
    buf[pos++] = 0x20;
    this.pos = pos;
    this.writeValue(value, name);
    this.buf[this.pos++] = 0x0d;
    this.buf[this.pos++] = 0x0a;
  }

  /** Copies a latin1 field value; rejects CTLs other than HTAB (CR/LF injection) and chars > 0xFF. */
  private writeValue(value: string, what: string): void {
    this.ensure(value.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
        throw new ResponseError(`invalid character in ${what} value ${JSON.stringify(value)}`);
      }
      buf[pos++] = c;
    }
    this.pos = pos;
  }

  private checkValue(value: string, name: string): void {
    const mark = this.pos;
    this.writeValue(value, name);
    this.pos = mark;
  }

  private writeLatin1(text: string): void {
    this.ensure(text.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  private writeBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Starts a new output at `start` (dropping a half-written one), on a fresh slab if little room is left. */
  private begin(): void {
    if (this.buf.length - this.start < SLAB_MIN_ROOM) {
      this.buf = new Uint8Array(SLAB_SIZE);
      this.start = 0;
    }
    this.pos = this.start;
  }

  /** Makes room for `extra` more bytes, moving the current output to a new, larger slab if needed. */
  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const used = this.pos - this.start;
    const grown = new Uint8Array(Math.max(SLAB_SIZE, (used + extra) * 2));
    grown.set(this.buf.subarray(this.start, this.pos));
    this.buf = grown;
    this.start = 0;
    this.pos = used;
  }

  /** Hands out the output built since {@link begin}; those bytes are never written again. */
  private take(): Uint8Array {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }
}

/** Parses a Content-Length value (digits only, no sign); -1 when invalid. */
function parseLength(value: string): number {
  const n = value.length;
  if (n === 0 || n > 15) return -1;
  let result = 0;
  for (let i = 0; i < n; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    result = result * 10 + d;
  }
  return result;
}

function concat(a: Uint8Array | null, b: Uint8Array | null): Uint8Array {
  if (a === null) return b!;
  if (b === null) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
