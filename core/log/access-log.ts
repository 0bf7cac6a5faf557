/**
 * The access log: one line per completed request, in gunicorn's
 * `access_log_format` language (`%(h)s %(l)s %(u)s %(t)s "%(r)s" …`), or one
 * JSON object per line with the same fields under readable names.
 *
 * The format string is compiled once into a list of literal pieces and atom
 * getters; a request only runs the getters its format uses. The connection
 * calls {@link AccessLogger.log} when a response has been handed to the
 * socket, and nothing at all when the access log is off.
 *
 * Atoms (gunicorn's): h remote address, l `-`, u user (HTTP Basic), t time
 * `[10/Oct/2000:13:55:36 -0700]`, r request line, s status, m method, U path,
 * q query, H protocol, b body bytes (text), B body bytes (number), f referer,
 * a user agent, T/M/D request time in s/ms/µs, L request time in decimal
 * seconds, p `<pid>`, `{name}i` request header, `{name}o` response header.
 * Unknown atoms (and `{var}e`, which needs an environ the server never
 * builds) print `-`. In text lines `"`, `\` and control characters of
 * client-supplied values are escaped (`\"`, `\\`, `\xHH`) so a request
 * cannot forge log lines.
 */
import type { HeaderList, RequestHead } from "../http/types.ts";
import type { Timers } from "../runtime/timers.ts";

/** What the access log needs of a finished exchange (core/server/exchange.ts implements it). */
export interface AccessRecord {
  readonly head: RequestHead;
  readonly remoteAddress: string;
  /** Response status (0 when no response was started). */
  readonly status: number;
  /** Response headers as the app gave them (null when none were sent). */
  readonly responseHeaders: HeaderList | null;
  /** Response body bytes handed to the socket (0 for HEAD, 204, 304). */
  readonly bodyBytes: number;
  /** {@link Timers.now} when the request head was parsed. */
  readonly startTime: number;
}

/** Receives finished exchanges; see {@link createAccessLogger}. */
export interface AccessLogger {
  /** Monotonic clock for {@link AccessRecord.startTime}. */
  now(): number;
  /** Log one finished exchange. */
  log(record: AccessRecord): void;
}

/** Per-line facts computed once at log time. */
interface LineContext {
  /** Request duration in ms. */
  ms: number;
  /** Wall clock of the log line in ms since the epoch. */
  wall: number;
}

/** An atom's value: a string, a number, or null for `-`. */
type AtomValue = string | number | null;
type Getter = (r: AccessRecord, c: LineContext) => AtomValue;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `[10/Oct/2000:13:55:36 -0700]` (local time), like gunicorn's `%(t)s`. */
export function formatAccessTime(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return (
    `[${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ` +
    `${offset < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${two(abs % 60)}]`
  );
}

/** True when header name `name` equals the lower-case `lower`, ignoring ASCII case. */
function sameName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Value of the last header named `lower` (gunicorn keeps the last one too), or null. */
function headerValue(headers: HeaderList | null, lower: string): string | null {
  if (headers === null) return null;
  for (let i = headers.length - 2; i >= 0; i -= 2) if (sameName(headers[i], lower)) return headers[i + 1];
  return null;
}

/** User name of an `Authorization: Basic` header, or null. */
function basicUser(head: RequestHead): string | null {
  const auth = headerValue(head.headers, "authorization");
  if (auth === null || auth.length < 6 || !sameName(auth.slice(0, 6), "basic ")) return null;
  try {
    const decoded = atob(auth.slice(6).trim());
    const colon = decoded.indexOf(":");
    return colon < 0 ? null : decoded.slice(0, colon);
  } catch {
    return null;
  }
}

/** Path part of a request target (origin- or absolute-form). */
function targetPath(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    const scheme = target.indexOf("://");
    if (scheme < 0) return target; // `*` or authority-form
    const slash = target.indexOf("/", scheme + 3);
    if (slash < 0) return "/";
    start = slash;
  }
  const query = target.indexOf("?", start);
  return query < 0 ? target.slice(start) : target.slice(start, query);
}

function targetQuery(target: string): string {
  const query = target.indexOf("?");
  return query < 0 ? "" : target.slice(query + 1);
}

const protocol = (r: AccessRecord) => (r.head.versionMinor === 0 ? "HTTP/1.0" : "HTTP/1.1");

/** Getters of the single-letter atoms. `t` and `p` are bound per logger (cache, pid). */
function letterAtoms(pid: number, time: (ms: number) => string): Record<string, Getter> {
  const pidText = `<${pid}>`;
  return {
    h: (r) => r.remoteAddress || null,
    l: () => null,
    u: (r) => basicUser(r.head),
    t: (_r, c) => time(c.wall),
    r: (r) => `${r.head.method} ${r.head.target} ${protocol(r)}`,
    s: (r) => r.status,
    m: (r) => r.head.method,
    U: (r) => targetPath(r.head.target),
    q: (r) => targetQuery(r.head.target),
    H: protocol,
    b: (r) => String(r.bodyBytes),
    B: (r) => r.bodyBytes,
    f: (r) => headerValue(r.head.headers, "referer"),
    a: (r) => headerValue(r.head.headers, "user-agent"),
    T: (_r, c) => Math.floor(c.ms / 1000),
    M: (_r, c) => Math.floor(c.ms),
    D: (_r, c) => Math.floor(c.ms * 1000),
    L: (_r, c) => (c.ms / 1000).toFixed(6),
    p: () => pidText,
  };
}

/** Field names of the JSON form, per atom. */
const JSON_NAMES: Record<string, string> = {
  h: "remote_addr",
  l: "ident",
  u: "user",
  t: "time",
  r: "request",
  s: "status",
  m: "method",
  U: "path",
  q: "query",
  H: "protocol",
  b: "bytes",
  B: "bytes",
  f: "referer",
  a: "user_agent",
  T: "request_time_s",
  M: "request_time_ms",
  D: "request_time_us",
  L: "request_time",
  p: "pid",
};

/** One piece of a compiled format: literal text or an atom. */
type Piece = string | { atom: string; get: Getter };

const ATOM = /%\((\{[^}]*\}[ioe]|[^)]*)\)[sdr]|%%/g;

function atomGetter(atom: string, letters: Record<string, Getter>): Getter {
  const braced = /^\{([^}]*)\}([ioe])$/.exec(atom);
  if (braced) {
    const name = braced[1].toLowerCase();
    if (braced[2] === "i") return (r) => headerValue(r.head.headers, name);
    if (braced[2] === "o") return (r) => headerValue(r.responseHeaders, name);
    return () => null;
  }
  return Object.hasOwn(letters, atom) ? letters[atom] : () => null;
}

function parseFormat(format: string, letters: Record<string, Getter>): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of format.matchAll(ATOM)) {
    const at = match.index!;
    if (at > last) pieces.push(format.slice(last, at));
    if (match[0] === "%%") pieces.push("%");
    else pieces.push({ atom: match[1], get: atomGetter(match[1], letters) });
    last = at + match[0].length;
  }
  if (last < format.length) pieces.push(format.slice(last));
  return pieces;
}

/** True when `c` must be escaped in a text log line. */
function needsEscape(c: number): boolean {
  return c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f;
}

/** Escape `"`, `\` and control characters (Apache's rules), so values cannot end a quoted field or a line. */
export function escapeLogValue(value: string): string {
  let i = 0;
  while (i < value.length && !needsEscape(value.charCodeAt(i))) i++;
  if (i === value.length) return value;
  let out = value.slice(0, i);
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!needsEscape(c)) out += value[i];
    else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else out += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** Formats one finished exchange as a log line (with its trailing `\n`). */
export type AccessFormatter = (record: AccessRecord, durationMs: number, wallMs: number) => string;

/**
 * Compile `format` once. `json` selects the JSON-lines form: an object with
 * one readable field per atom of the format (`{"remote_addr": …, "status":
 * 200, …}`; `{name}i`/`{name}o` go under `request_headers`/`response_headers`;
 * `-` becomes null; `t` is an ISO 8601 UTC time).
 */
export function compileAccessFormat(format: string, options: { json?: boolean; pid: number }): AccessFormatter {
  let second = -1;
  let stamp = "";
  const time = (ms: number) => {
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      stamp = formatAccessTime(ms);
    }
    return stamp;
  };
  const letters = letterAtoms(options.pid, time);
  const pieces = parseFormat(format, letters);
  const context: LineContext = { ms: 0, wall: 0 };
  if (options.json) return compileJson(pieces, context, options.pid);
  const count = pieces.length;
  return (record, ms, wall) => {
    context.ms = ms;
    context.wall = wall;
    let line = "";
    for (let i = 0; i < count; i++) {
      const piece = pieces[i];
      if (typeof piece === "string") {
        line += piece;
        continue;
      }
      const value = piece.get(record, context);
      line += value === null ? "-" : typeof value === "number" ? String(value) : escapeLogValue(value);
    }
    return line + "\n";
  };
}

function compileJson(pieces: Piece[], context: LineContext, pid: number): AccessFormatter {
  type Field = { kind: "top" | "in" | "out"; name: string; get: Getter };
  const fields: Field[] = [];
  const seen = new Set<string>();
  for (const piece of pieces) {
    if (typeof piece === "string") continue;
    const braced = /^\{([^}]*)\}([io])$/.exec(piece.atom);
    const field: Field = braced
      ? { kind: braced[2] === "i" ? "in" : "out", name: braced[1].toLowerCase(), get: piece.get }
      : { kind: "top", name: JSON_NAMES[piece.atom] ?? piece.atom, get: piece.get };
    // b and B share a name; the numeric form wins.
    if (piece.atom === "b") field.get = (r) => r.bodyBytes;
    if (piece.atom === "L") field.get = (_r, c) => Math.round(c.ms * 1000) / 1e6;
    if (piece.atom === "p") field.get = () => pid;
    if (piece.atom === "t") field.get = (_r, c) => new Date(c.wall).toISOString();
    const key = `${field.kind}:${field.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fields.push(field);
  }
  return (record, ms, wall) => {
    context.ms = ms;
    context.wall = wall;
    const line: Record<string, unknown> = {};
    for (const field of fields) {
      const value = field.get(record, context);
      if (field.kind === "top") line[field.name] = value;
      else ((line[field.kind === "in" ? "request_headers" : "response_headers"] ??= {}) as Record<string, unknown>)[field.name] = value;
    }
    return JSON.stringify(line) + "\n";
  };
}

/** Options of {@link createAccessLogger}. */
export interface AccessLoggerOptions {
  /** gunicorn-style format (`access_log_format`). */
  format: string;
  /** Write JSON lines instead (`access_log_json`). */
  json: boolean;
  /** Receives whole lines (a buffered writer, core/log/log-writer.ts). */
  write(text: string): void;
  timers: Timers;
  /** Process id for `%(p)s`. */
  pid: number;
}

/** An {@link AccessLogger} writing one formatted line per finished exchange. */
export function createAccessLogger(options: AccessLoggerOptions): AccessLogger {
  const format = compileAccessFormat(options.format, { json: options.json, pid: options.pid });
  const { timers, write } = options;
  return {
    now: () => timers.now(),
    log(record) {
      write(format(record, timers.now() - record.startTime, timers.wallNow()));
    },
  };
}
