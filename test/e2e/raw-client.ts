/**
 * Raw TCP client helpers for the end-to-end HTTP/1.1 conformance suite.
 *
 * Everything here talks to the server over plain `node:net` sockets so the
 * tests control every byte (malformed requests, pipelining, split writes) and
 * see every byte of the answer. Every wait is bounded: helpers resolve with
 * what they have when their deadline passes instead of hanging the suite.
 *
 * The response parser is deliberately strict about framing (it is the test's
 * view of "what a correct client would understand") and lenient about nothing
 * else: anything it cannot frame is left in `rest` so assertions can show it.
 */
import net from "node:net";

/** One parsed response (interim or final). */
export interface RawResponse {
  /** `HTTP/1.1`, `HTTP/1.0`, … exactly as sent. */
  version: string;
  status: number;
  reason: string;
  /** Header fields in arrival order, names as sent. */
  headers: Array<[string, string]>;
  /** First value of a header (case-insensitive name), or undefined. */
  header(name: string): string | undefined;
  /** All values of a header (case-insensitive name). */
  headerAll(name: string): string[];
  /** Decoded body (chunked framing removed). */
  body: Buffer;
  /** Body decoded as UTF-8. */
  text: string;
  /** How the body was delimited. */
  framing: "none" | "length" | "chunked" | "close";
  /** Trailer fields after a chunked body. */
  trailers: Array<[string, string]>;
  /** True for 1xx responses. */
  interim: boolean;
  /** Exact bytes of this response (head + framed body). */
  raw: Buffer;
}

/** Outcome of {@link parseResponses}. */
export interface ParseResult {
  /** All fully parsed responses, interim (1xx) ones included, in order. */
  responses: RawResponse[];
  /** Only the final (non-1xx) responses. */
  finals: RawResponse[];
  /** Bytes after the last complete response (a partial or unparseable response). */
  rest: Buffer;
  /** Why parsing stopped before `rest`, when `rest` is not empty. */
  error?: string;
}

/** Options for {@link parseResponses}. */
export interface ParseOptions {
  /** The peer closed the connection, so a close-delimited body is complete. */
  closed: boolean;
  /**
   * Method of the request each final response answers, in order. Needed for
   * HEAD (no body whatever the headers say) and CONNECT (2xx has no body).
   * Missing entries count as GET.
   */
  methods?: string[];
}

const CRLF_CRLF = Buffer.from("\r\n\r\n");

function makeResponse(fields: Omit<RawResponse, "header" | "headerAll" | "text">): RawResponse {
  const lower = (n: string) => n.toLowerCase();
  return {
    ...fields,
    text: fields.body.toString("utf8"),
    header(name: string) {
      const hit = fields.headers.find(([n]) => lower(n) === lower(name));
      return hit?.[1];
    },
    headerAll(name: string) {
      return fields.headers.filter(([n]) => lower(n) === lower(name)).map(([, v]) => v);
    },
  };
}

type BodyParse =
  | { ok: true; body: Buffer; end: number; trailers: Array<[string, string]> }
  | { ok: false; error: string };

/** Decodes a chunked body starting at `start`; `ok: false` with error "incomplete" when more bytes are needed. */
function parseChunked(buf: Buffer, start: number): BodyParse {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const lineEnd = buf.indexOf("\r\n", pos, "latin1");
    if (lineEnd < 0) return { ok: false, error: "incomplete" };
    const sizeText = buf.toString("latin1", pos, lineEnd).split(";")[0]!;
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return { ok: false, error: `bad chunk size line ${JSON.stringify(sizeText)}` };
    const size = parseInt(sizeText, 16);
    pos = lineEnd + 2;
    if (size === 0) {
      const trailers: Array<[string, string]> = [];
      for (;;) {
        const tEnd = buf.indexOf("\r\n", pos, "latin1");
        if (tEnd < 0) return { ok: false, error: "incomplete" };
        if (tEnd === pos) return { ok: true, body: Buffer.concat(parts), end: tEnd + 2, trailers };
        const line = buf.toString("latin1", pos, tEnd);
        const colon = line.indexOf(":");
        trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
        pos = tEnd + 2;
      }
    }
    if (buf.length < pos + size + 2) return { ok: false, error: "incomplete" };
    parts.push(buf.subarray(pos, pos + size));
    if (buf[pos + size] !== 0x0d || buf[pos + size + 1] !== 0x0a) return { ok: false, error: "chunk data not followed by CRLF" };
    pos += size + 2;
  }
}

/**
 * Parses as many complete responses as `buf` holds. Interim 1xx responses
 * are returned as their own entries (flagged `interim`) and do not consume a
 * method from `opts.methods`.
 */
export function parseResponses(buf: Buffer, opts: ParseOptions): ParseResult {
  const responses: RawResponse[] = [];
  let pos = 0;
  let finalIndex = 0;
  let error: string | undefined;
  while (pos < buf.length) {
    const headEnd = buf.indexOf(CRLF_CRLF, pos);
    if (headEnd < 0) {
      error = "incomplete head";
      break;
    }
    const lines = buf.toString("latin1", pos, headEnd).split("\r\n");
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) {
      error = `bad status line ${JSON.stringify(lines[0])}`;
      break;
    }
    const headers: Array<[string, string]> = [];
    let badHeader: string | undefined;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) {
        badHeader = line;
        break;
      }
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    if (badHeader !== undefined) {
      error = `bad header line ${JSON.stringify(badHeader)}`;
      break;
    }
    const status = Number(m[2]);
    const interim = status >= 100 && status < 200;
    const method = interim ? "GET" : (opts.methods?.[finalIndex] ?? "GET").toUpperCase();
    const bodyStart = headEnd + 4;
    const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
    const te = get("transfer-encoding");
    const cl = get("content-length");
    let body: Buffer;
    let end: number;
    let framing: RawResponse["framing"];
    let trailers: Array<[string, string]> = [];
    if (interim || status === 204 || status === 304 || method === "HEAD" || (method === "CONNECT" && status < 300)) {
      framing = "none";
      body = Buffer.alloc(0);
      end = bodyStart;
    } else if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) {
        error = `unsupported response transfer-encoding ${JSON.stringify(te)}`;
        break;
      }
      const parsed = parseChunked(buf, bodyStart);
      if (!parsed.ok) {
        error = parsed.error === "incomplete" ? "incomplete chunked body" : parsed.error;
        break;
      }
      framing = "chunked";
      body = parsed.body;
      end = parsed.end;
      trailers = parsed.trailers;
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) {
        error = `bad response content-length ${JSON.stringify(cl)}`;
        break;
      }
      const n = Number(cl);
      if (buf.length < bodyStart + n) {
        error = "incomplete content-length body";
        break;
      }
      framing = "length";
      body = buf.subarray(bodyStart, bodyStart + n);
      end = bodyStart + n;
    } else {
      if (!opts.closed) {
        error = "incomplete close-delimited body";
        break;
      }
      framing = "close";
      body = buf.subarray(bodyStart);
      end = buf.length;
    }
    responses.push(
      makeResponse({
        version: m[1]!,
        status,
        reason: m[3] ?? "",
        headers,
        body,
        framing,
        trailers,
        interim,
        raw: buf.subarray(pos, end),
      }),
    );
    if (!interim) finalIndex++;
    pos = end;
  }
  return { responses, finals: responses.filter((r) => !r.interim), rest: buf.subarray(pos), error: pos < buf.length ? error : undefined };
}

/** Escapes bytes for assertion messages and reports: printable ASCII as is, CR/LF/others as escapes. */
export function showBytes(buf: Uint8Array | string, max = 1500): string {
  const b = typeof buf === "string" ? Buffer.from(buf, "latin1") : Buffer.from(buf);
  let out = "";
  for (let i = 0; i < Math.min(b.length, max); i++) {
    const c = b[i]!;
    if (c === 0x0d) out += "\\r";
    else if (c === 0x0a) out += "\\n\n";
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  if (b.length > max) out += `…(+${b.length - max} bytes)`;
  return out;
}

/**
 * A raw client connection that records everything the server sends.
 * Create with {@link RawConnection.open}; always {@link destroy} it (tests do
 * so in `finally`).
 */
export class RawConnection {
  /** Received bytes live in `buf[0, size)`; capacity doubles so big responses stay O(n). */
  private buf = Buffer.alloc(64 * 1024);
  private size = 0;
  private waiters = new Set<() => void>();
  /** True once the server ended (FIN) or the socket closed/errored. */
  closed = false;
  /** Socket error seen (ECONNRESET, EPIPE…), if any. */
  error?: string;
  /** `Date.now()` when the socket was closed by the peer. */
  closedAt?: number;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => {
      if (this.size + d.length > this.buf.length) {
        const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.size + d.length));
        this.buf.copy(grown, 0, 0, this.size);
        this.buf = grown;
      }
      d.copy(this.buf, this.size);
      this.size += d.length;
      this.wake();
    });
    const onGone = () => {
      if (!this.closed) {
        this.closed = true;
        this.closedAt = Date.now();
      }
      this.wake();
    };
    socket.on("end", onGone);
    socket.on("close", onGone);
    socket.on("error", (e: NodeJS.ErrnoException) => {
      this.error ??= e.code ?? e.message;
      onGone();
    });
  }

  /** Connects to 127.0.0.1:`port`; rejects after `timeoutMs`. */
  static open(port: number, timeoutMs = 5000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to 127.0.0.1:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new RawConnection(socket));
      });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Everything received so far. */
  get received(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  /** Number of bytes received so far. */
  get receivedLength(): number {
    return this.size;
  }

  /**
   * Sends bytes (strings are latin1 so every byte 0-255 is expressible).
   * Write errors are recorded in {@link error}, never thrown: a server that
   * closes early is something the assertions look at, not a crash.
   */
  write(data: string | Uint8Array): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve();
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    return new Promise((resolve) => {
      this.socket.write(bytes, (err) => {
        if (err) this.error ??= (err as NodeJS.ErrnoException).code ?? err.message;
        resolve();
      });
    });
  }

  /** Stops reading from the socket (the server then meets TCP backpressure). */
  pauseReading(): void {
    this.socket.pause();
  }

  /** Resumes reading after {@link pauseReading}. */
  resumeReading(): void {
    this.socket.resume();
  }

  /** Half-closes the client side (sends FIN). */
  endWrite(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  /**
   * Waits until `pred()` holds, the connection closes, or `timeoutMs` passes.
   * Returns whether `pred()` holds at the end.
   */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(pred());
      };
      const check = () => {
        if (pred() || this.closed) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Parses what has arrived so far. */
  parse(methods?: string[]): ParseResult {
    return parseResponses(this.received, { closed: this.closed, methods });
  }

  /** Waits for `n` final responses (bounded); returns the parse at that point. */
  async waitForResponses(n: number, timeoutMs: number, methods?: string[]): Promise<ParseResult> {
    await this.waitFor(() => this.parse(methods).finals.length >= n, timeoutMs);
    return this.parse(methods);
  }

  /** Waits for the server to close the connection (bounded); returns whether it did. */
  waitForClose(timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.closed, timeoutMs);
  }

  /** Waits until at least `bytes` bytes arrived in total (bounded); returns whether they did. */
  waitForBytes(bytes: number, timeoutMs: number): Promise<boolean> {
    return this.waitFor(() => this.size >= bytes, timeoutMs);
  }

  /** Closes the socket immediately. Idempotent. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** What {@link exchange} saw. */
export interface ExchangeResult extends ParseResult {
  /** Every byte received. */
  raw: Buffer;
  /** The server closed the connection before we stopped listening. */
  closed: boolean;
  /** The deadline passed before the wait's condition held (and the server had not closed). */
  timedOut: boolean;
  /** Socket error seen, if any (ECONNRESET…). */
  socketError?: string;
  /** Milliseconds from the first write to the end of the wait. */
  elapsedMs: number;
}

/** Options for {@link exchange}. */
export interface ExchangeOptions {
  /** Stop when the server closes (default) or when this many final responses arrived. */
  until?: "close" | number;
  /** Upper bound for the whole exchange (default 5000 ms). */
  timeoutMs?: number;
  /** Request methods, for parsing HEAD/CONNECT responses (see {@link ParseOptions.methods}). */
  methods?: string[];
  /** Pause between the parts of an array payload (default 0: written back to back). */
  delayMs?: number;
  /**
   * After `until: n` is reached, keep listening this long for anything more
   * (an extra response, a close). Default 0.
   */
  settleMs?: number;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Opens a connection, writes `payload` (an array is written part by part,
 * `delayMs` apart), and collects the answer until the `until` condition or the
 * deadline. Never throws for server behaviour; only for failing to connect.
 */
export async function exchange(
  port: number,
  payload: string | Uint8Array | Array<string | Uint8Array>,
  opts: ExchangeOptions = {},
): Promise<ExchangeResult> {
  const until = opts.until ?? "close";
  const timeoutMs = opts.timeoutMs ?? 5000;
  const conn = await RawConnection.open(port);
  const started = Date.now();
  const deadline = started + timeoutMs;
  try {
    const parts = Array.isArray(payload) ? payload : [payload];
    for (let i = 0; i < parts.length; i++) {
      if (conn.closed || Date.now() > deadline) break;
      if (i > 0 && opts.delayMs) await sleep(opts.delayMs);
      await conn.write(parts[i]!);
    }
    const reached =
      until === "close"
        ? () => conn.closed
        : () => conn.parse(opts.methods).finals.length >= until;
    const ok = await conn.waitFor(reached, Math.max(0, deadline - Date.now()));
    if (ok && until !== "close" && opts.settleMs) {
      await conn.waitFor(() => conn.closed, opts.settleMs);
    }
    const parsed = conn.parse(opts.methods);
    return {
      ...parsed,
      raw: conn.received,
      closed: conn.closed,
      timedOut: !ok && !conn.closed,
      socketError: conn.error,
      elapsedMs: Date.now() - started,
    };
  } finally {
    conn.destroy();
  }
}

/** Builds a request: `req("GET", "/echo", ["Host: x"], body)` with CRLFs and, for a string body, Content-Length. */
export function req(
  method: string,
  target: string,
  headers: string[] = ["Host: test"],
  body?: string,
  version = "HTTP/1.1",
): string {
  const lines = [`${method} ${target} ${version}`, ...headers];
  if (body !== undefined && !headers.some((h) => /^(content-length|transfer-encoding)\s*:/i.test(h))) {
    lines.push(`Content-Length: ${Buffer.byteLength(body, "latin1")}`);
  }
  return lines.join("\r\n") + "\r\n\r\n" + (body ?? "");
}

/** Encodes `parts` as a chunked body (with the terminating last-chunk and empty trailer section). */
export function chunked(...parts: string[]): string {
  return parts.map((p) => `${Buffer.byteLength(p, "latin1").toString(16)}\r\n${p}\r\n`).join("") + "0\r\n\r\n";
}
