/**
 * `--bind` values: parsing (`HOST:PORT`, `[::1]:PORT`, `unix:PATH`, `fd://N`),
 * formatting for logs, and turning runtime bind failures into one readable
 * reason. Pure: no runtime APIs.
 */
/** Parsed form of one `--bind` value. */
export type BindAddress =
  | { kind: "tcp"; host: string; port: number }
  /**
   * `replace`: bind beside the path and rename the new socket over it (set by
   * the worker where one worker serves a unix socket at a time, so a
   * successor takes the path from its predecessor without a gap:
   * core/net/unix-handover.ts).
   */
  | { kind: "unix"; path: string; replace?: boolean }
  | { kind: "fd"; fd: number };


/** Port used when a bind value names only a host (gunicorn's default). */
export const DEFAULT_PORT = 8000;

/** A `--bind` value that cannot be parsed. The message names the value. */
export class BindError extends Error {
  override name = "BindError";
}

const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9a-f:.]+(%[\w.-]+)?$/i;

/** The accepted forms, appended to a parse error that does not already say what to write instead. */
const BIND_FORMS = "(expected HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N)";

/** Throw a {@link BindError} for `value`; `named` means `why` already names the fix. */
function fail(value: string, why: string, named = false): never {
  throw new BindError(`invalid bind ${JSON.stringify(value)}: ${why}${named ? "" : ` ${BIND_FORMS}`}`);
}

function parsePort(value: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) fail(value, text === "" ? "missing port after ':'" : `port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port > 65535) fail(value, "port must be 0-65535", true);
  return port;
}

function checkHost(value: string, host: string): void {
  const v4 = IPV4.exec(host);
  if (v4) {
    if (v4.slice(1).some((octet) => Number(octet) > 255)) fail(value, `${host} is not a valid IPv4 address`);
    return;
  }
  if (!HOSTNAME.test(host)) fail(value, `${JSON.stringify(host)} is not a valid host name`);
}

function checkIpv6(value: string, host: string): void {
  if (host === "" || !host.includes(":") || !IPV6.test(host)) {
    fail(value, `${JSON.stringify(host)} is not a valid IPv6 address`);
  }
}

/**
 * Parse one `--bind` value (gunicorn syntax):
 * `HOST:PORT`, `HOST` (port 8000), `:PORT` (all interfaces), `[IPv6]:PORT`,
 * `[IPv6]`, `tcp://HOST:PORT`, `unix:PATH` / `unix://PATH`, `fd://N`.
 * Port 0 asks the OS for a free port. Throws {@link BindError} naming the value.
 */
export function parseBind(value: string): BindAddress {
  const raw = value.trim();
  if (raw === "") fail(value, "empty address");
  if (raw.startsWith("unix:")) {
    const path = raw.startsWith("unix://") ? raw.slice(7) : raw.slice(5);
    if (path === "") fail(value, "missing socket path after 'unix:'");
    if (path.includes("\0")) fail(value, "socket path contains a NUL byte");
    return { kind: "unix", path };
  }
  if (raw.startsWith("fd://")) {
    const text = raw.slice(5);
    if (!/^\d{1,9}$/.test(text)) fail(value, `${JSON.stringify(text)} is not a file descriptor number`);
    return { kind: "fd", fd: Number(text) };
  }
  const netloc = raw.startsWith("tcp://") ? raw.slice(6) : raw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(netloc)) {
    fail(value, "unsupported scheme (use HOST:PORT, unix:PATH or fd://N)", true);
  }
  if (netloc.startsWith("[")) {
    const close = netloc.indexOf("]");
    if (close < 0) fail(value, "missing ']' after IPv6 address");
    const host = netloc.slice(1, close);
    checkIpv6(value, host);
    const rest = netloc.slice(close + 1);
    if (rest === "") return { kind: "tcp", host: host.toLowerCase(), port: DEFAULT_PORT };
    if (!rest.startsWith(":")) fail(value, `unexpected ${JSON.stringify(rest)} after ']'`);
    return { kind: "tcp", host: host.toLowerCase(), port: parsePort(value, rest.slice(1)) };
  }
  const colon = netloc.indexOf(":");
  if (colon >= 0 && netloc.indexOf(":", colon + 1) >= 0) {
    fail(value, "IPv6 addresses need brackets, e.g. [::1]:8000", true);
  }
  if (colon < 0) {
    checkHost(value, netloc);
    return { kind: "tcp", host: netloc.toLowerCase(), port: DEFAULT_PORT };
  }
  const hostText = netloc.slice(0, colon);
  const port = parsePort(value, netloc.slice(colon + 1));
  if (hostText === "") return { kind: "tcp", host: "0.0.0.0", port };
  checkHost(value, hostText);
  return { kind: "tcp", host: hostText.toLowerCase(), port };
}

/** Host as it appears in a URL or `HOST:PORT` string (IPv6 in brackets). */
export function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** Canonical `--bind` spelling of an address (`127.0.0.1:8000`, `[::1]:80`, `unix:/x`, `fd://3`). */
export function formatBind(bind: BindAddress): string {
  switch (bind.kind) {
    case "tcp":
      return `${formatHost(bind.host)}:${bind.port}`;
    case "unix":
      return `unix:${bind.path}`;
    case "fd":
      return `fd://${bind.fd}`;
  }
}

/**
 * URL for the `Listening at:` log line. `actualPort` is the TCP port the OS
 * assigned (differs from `bind.port` when that was 0).
 */
export function listenerUrl(bind: BindAddress, actualPort?: number): string {
  switch (bind.kind) {
    case "tcp":
      return `http://${formatHost(bind.host)}:${actualPort ?? bind.port}`;
    case "unix":
      return `unix:${bind.path}`;
    case "fd":
      return `fd://${bind.fd}`;
  }
}

const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  AddrInUse: "address already in use",
  EACCES: "permission denied",
  EPERM: "permission denied",
  PermissionDenied: "permission denied",
  EADDRNOTAVAIL: "address not available on this machine",
  AddrNotAvailable: "address not available on this machine",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ENOENT: "no such file or directory",
  NotFound: "no such file or directory",
  EBADF: "not an open file descriptor",
  ENOTSOCK: "not a socket",
  EINVAL: "invalid argument",
  EISDIR: "is a directory",
  IsADirectory: "is a directory",
  ENOTDIR: "not a directory",
  NotADirectory: "not a directory",
};

/**
 * One-line reason for a failed bind, from whatever a runtime threw:
 * Node/Bun errors carry `code` (`EADDRINUSE`), Deno errors a class name
 * (`AddrInUse`). Falls back to the first line of the message.
 */
export function bindErrorReason(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { code?: unknown; name?: unknown; message?: unknown };
    for (const key of [e.code, e.name]) {
      if (typeof key === "string" && REASONS[key]) return REASONS[key];
    }
    const message = typeof e.message === "string" ? e.message : "";
    for (const code of Object.keys(REASONS)) {
      if (/^E[A-Z_]+$/.test(code) && message.includes(code)) return REASONS[code];
    }
    if (/address already in use/i.test(message)) return REASONS.EADDRINUSE;
    if (message) return message.split("\n")[0];
  }
  return String(error).split("\n")[0];
}

/**
 * What the user can do about a failed bind, by its reason (from
 * {@link bindErrorReason}); null when the reason already says it.
 */
function bindHint(bind: BindAddress, reason: string): string | null {
  switch (reason) {
    case REASONS.EADDRINUSE:
      return "is another server running there? choose another address with -b";
    case REASONS.EACCES:
      return bind.kind === "unix"
        ? "choose a socket path in a directory this user may write"
        : "choose a port this user may bind (ports below 1024 need privileges)";
    case REASONS.EADDRNOTAVAIL:
      return "bind 0.0.0.0 or one of this host's addresses";
    case REASONS.ENOTFOUND:
    case REASONS.EAI_AGAIN:
      return "check the host name, or bind an IP address";
    case REASONS.EBADF:
    case REASONS.ENOTSOCK:
      return "fd://N must name a listening socket this process inherited";
    default:
      return null;
  }
}

/**
 * One line for a failed bind: the reason and, where there is one, the fix
 * (`address already in use; is another server running there? …`).
 */
export function describeBindFailure(bind: BindAddress, error: unknown): string {
  const reason = bindErrorReason(error);
  const hint = bindHint(bind, reason);
  return hint === null ? reason : `${reason}; ${hint}`;
}

/**
 * One line for a file tricorn could not create or open for writing (pidfile,
 * log files): the reason, as {@link bindErrorReason} words it, and the fix.
 */
export function describeFileFailure(path: string, error: unknown): string {
  const reason = bindErrorReason(error);
  switch (reason) {
    case REASONS.ENOENT:
      return `${reason}; create ${parentDirectory(path)} first or choose another path`;
    case REASONS.EACCES:
      return `${reason}; choose a path this user may write`;
    case REASONS.EISDIR:
      return `${reason}; name a file, not a directory`;
    default:
      return reason;
  }
}

/** File-system probes {@link clearStaleUnixSocket} needs, supplied by the runtime. */
export interface UnixSocketProbe {
  /** What is at `path`. */
  kind(path: string): "missing" | "socket" | "other";
  /** Whether something accepts connections on the socket at `path`. */
  accepting(path: string): Promise<boolean>;
  remove(path: string): void;
}

/** Directory part of a path (`/run/app.sock` → `/run`, `app.sock` → `.`). */
export function parentDirectory(path: string): string {
  const slash = path.replace(/\/+$/, "").lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Before binding a unix socket: remove a leftover socket file from a dead
 * server (a socket nobody accepts on). A live socket is left alone, so the
 * bind then fails with "address already in use"; a non-socket file, or a
 * directory that does not exist, is an error naming the fix (checked here
 * because Node reports a missing directory as "permission denied").
 */
export async function clearStaleUnixSocket(path: string, probe: UnixSocketProbe): Promise<void> {
  const kind = probe.kind(path);
  if (kind === "missing") {
    const dir = parentDirectory(path);
    if (probe.kind(dir) === "missing") throw new BindError(`directory ${dir} does not exist; create it or choose another socket path`);
    return;
  }
  if (kind === "other") throw new BindError(`${path} exists and is not a socket; remove it or choose another path`);
  if (!(await probe.accepting(path))) probe.remove(path);
}
