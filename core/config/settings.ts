/**
 * The settings table. Every setting is declared exactly once here — name,
 * flags, environment variable, type, default, validator, doc and section —
 * and everything else is derived from it: the argv parser and `--help`
 * (core/config/cli.ts) and the settings reference in the docs.
 *
 * Names are gunicorn's (snake_case), so are defaults and most flags.
 */
import { formatBind, parseBind } from "../net/bind.ts";
import { InvalidValue, bool, choice, float, int, list, string, type SettingDef, type ValueOf } from "./settings-types.ts";
import { parseNetwork } from "../net/ip-match.ts";
import { LOG_LEVELS } from "../log/logger.ts";
import { WORKERS_AUTO } from "./workers-auto.ts";

export { SettingError } from "./settings-types.ts";
export type { SettingDef, SettingType } from "./settings-types.ts";

/** The `engine` setting's values: tricorn's own parser (`core`) or the runtime's server (`native`, core/server/native-engine.ts). */
export const ENGINES = ["core", "native"] as const;

/** One of {@link ENGINES}. */
export type Engine = (typeof ENGINES)[number];

/** gunicorn's default `access_log_format`. */
export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/** One entry of an allow-list of peers: `*`, an IP address, or a network in CIDR notation (core/net/ip-match.ts). */
function parseAllowedIp(item: string): string {
  if (item === "*") return item;
  if (parseNetwork(item) !== null) return item.toLowerCase();
  throw new InvalidValue(`expected IP addresses or networks separated by commas, or "*", got ${JSON.stringify(item)}`);
}

function parseBindItem(item: string) {
  try {
    return parseBind(item);
  } catch (error) {
    throw new InvalidValue((error as Error).message);
  }
}

const CONFIG = "Config file";
const SOCKET = "Server socket";
const WORKER = "Worker processes";
const SECURITY = "Security";
const MECHANICS = "Server mechanics";
const OPERATIONS = "Control, metrics and health";
const SSL = "SSL";
const LOGGING = "Logging";
const DEBUGGING = "Debugging";
const INFO = "Information";

/** One `-e KEY=VALUE` item. */
function parseRawEnv(item: string): string {
  const eq = item.indexOf("=");
  if (eq <= 0) throw new InvalidValue(`expected KEY=VALUE, got ${JSON.stringify(item)}`);
  if (item.includes("\0")) throw new InvalidValue(`value contains a NUL byte: ${JSON.stringify(item)}`);
  return item;
}

/** `--workers`: a positive integer, or `auto` (stored as {@link WORKERS_AUTO}; the command resolves it). */
function workerCount(def: SettingDef<number>): SettingDef<number> {
  return {
    ...def,
    metavar: "INT|auto",
    parse(raw) {
      if (raw.trim().toLowerCase() === "auto") return WORKERS_AUTO;
      try {
        return def.parse(raw);
      } catch {
        throw new InvalidValue(`expected a positive integer or "auto", got ${JSON.stringify(raw)}`);
      }
    },
  };
}

/** An octal permission mask (`007`, `0o027`), or null when not set. */
function octalMask(o: { flags: readonly string[]; env: readonly string[]; doc: string; section: string }): SettingDef<number | null> {
  return {
    type: "int",
    flags: o.flags,
    env: o.env,
    default: null,
    metavar: "OCTAL",
    doc: o.doc,
    section: o.section,
    parse(raw) {
      const text = raw.trim().replace(/^0o/i, "");
      if (!/^[0-7]{1,4}$/.test(text) || Number.parseInt(text, 8) > 0o777) throw new InvalidValue(`expected an octal mask 000-777 such as 007, got ${JSON.stringify(raw)}`);
      return Number.parseInt(text, 8);
    },
    showDefault: (value) => (value === null ? "(none)" : value.toString(8).padStart(3, "0")),
  };
}

/** `--metrics-bind`: a TCP address (`HOST:PORT`, `[IPv6]:PORT`). */
function parseMetricsBind(raw: string): string {
  const bind = parseBindItem(raw);
  if (bind.kind !== "tcp") throw new InvalidValue(`expected HOST:PORT (a TCP address), got ${JSON.stringify(raw)}`);
  return formatBind(bind);
}

/** A file name (non-empty, no NUL). */
function parsePath(item: string): string {
  if (item === "" || item.includes("\0")) throw new InvalidValue(`expected a file name, got ${JSON.stringify(item)}`);
  return item;
}

/**
 * All settings, keyed by name. Order is the order of `--help` within a
 * section.
 */
export const SETTINGS = {
  config: string({
    flags: ["-c", "--config"],
    env: ["TRICORN_CONFIG"],
    default: null,
    metavar: "FILE",
    doc: "Config file: a JS/TS module exporting settings and hooks, or JSON (default: ./tricorn.config.{ts,js,mjs,json} if present).",
    section: CONFIG,
  }),
  bind: list({
    flags: ["-b", "--bind"],
    env: ["TRICORN_BIND"],
    default: [parseBind("127.0.0.1:8000")],
    parseItem: parseBindItem,
    showItem: formatBind,
    metavar: "ADDRESS",
    doc: "Socket to bind: HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N (port 0 = any free port); repeat for several. Given nowhere (flag, env, config file), an app object's `port`/`hostname` export (as Bun's `serve` takes them) decides, else the default.",
    section: SOCKET,
  }),
  backlog: int({
    flags: ["--backlog"],
    env: ["TRICORN_BACKLOG"],
    default: 2048,
    min: 1,
    doc: "Maximum number of pending connections the kernel queues per socket.",
    section: SOCKET,
  }),
  reuse_port: bool({
    flags: ["--reuse-port"],
    env: ["TRICORN_REUSE_PORT"],
    default: false,
    doc: "Set SO_REUSEPORT on listening sockets (Linux) so several processes can bind the same port.",
    section: SOCKET,
  }),
  workers: workerCount(
    int({
      flags: ["-w", "--workers"],
      env: ["TRICORN_WORKERS", "WEB_CONCURRENCY"],
      default: 1,
      min: 1,
      doc: "Number of worker processes handling requests; `auto`: one per CPU this process may use (a cgroup CPU quota, e.g. a Kubernetes CPU limit, lowers it).",
      section: WORKER,
    }),
  ),
  worker_connections: int({
    flags: ["--worker-connections"],
    env: ["TRICORN_WORKER_CONNECTIONS"],
    default: 1000,
    min: 1,
    doc: "Maximum simultaneous client connections per worker. At the cap the worker stops accepting until one closes: new connections wait in the listen queue or go to a worker with room; none is reset (docs/operations.md).",
    section: WORKER,
  }),
  websocket_max_message: int({
    flags: ["--websocket-max-message"],
    env: ["TRICORN_WEBSOCKET_MAX_MESSAGE"],
    default: 16 * 1024 * 1024,
    metavar: "BYTES",
    doc: "Largest WebSocket message a client may send, in bytes after decompression (0 = unlimited); larger closes the socket with 1009.",
    section: WORKER,
  }),
  websocket_max_buffer: int({
    flags: ["--websocket-max-buffer"],
    env: ["TRICORN_WEBSOCKET_MAX_BUFFER"],
    default: 16 * 1024 * 1024,
    metavar: "BYTES",
    doc: "Unsent bytes a WebSocket may hold for a slow client before websocket_overflow applies (0 = unlimited).",
    section: WORKER,
  }),
  websocket_overflow: choice({
    flags: ["--websocket-overflow"],
    env: ["TRICORN_WEBSOCKET_OVERFLOW"],
    default: "close",
    choices: ["close", "drop"],
    doc: "What a send over websocket_max_buffer does: close the socket with 1008, or drop that message (send returns 0).",
    section: WORKER,
  }),
  websocket_ping_interval: float({
    flags: ["--websocket-ping-interval"],
    env: ["TRICORN_WEBSOCKET_PING_INTERVAL"],
    default: 30,
    doc: "Seconds a WebSocket may be silent before the server pings it (0 = no pings).",
    section: WORKER,
  }),
  websocket_ping_timeout: float({
    flags: ["--websocket-ping-timeout"],
    env: ["TRICORN_WEBSOCKET_PING_TIMEOUT"],
    default: 10,
    doc: "Seconds to wait for a pinged WebSocket client to answer, or for its Close after ours, before dropping the connection.",
    section: WORKER,
  }),
  websocket_compression: bool({
    flags: ["--websocket-compression"],
    env: ["TRICORN_WEBSOCKET_COMPRESSION"],
    default: false,
    doc: "Accept permessage-deflate (RFC 7692) when a WebSocket client offers it.",
    section: WORKER,
  }),
  max_requests: int({
    flags: ["--max-requests"],
    env: ["TRICORN_MAX_REQUESTS"],
    default: 0,
    doc: "Restart a worker after it has served this many requests (0 = never).",
    section: WORKER,
  }),
  max_requests_jitter: int({
    flags: ["--max-requests-jitter"],
    env: ["TRICORN_MAX_REQUESTS_JITTER"],
    default: 0,
    doc: "Add a random 0..N to max_requests per worker so workers do not restart together.",
    section: WORKER,
  }),
  max_worker_memory: int({
    flags: ["--max-worker-memory"],
    env: ["TRICORN_MAX_WORKER_MEMORY"],
    default: 0,
    metavar: "MiB",
    doc: "Recycle a worker whose resident memory exceeds this many MiB (0 = no limit), gracefully as after max_requests: its replacement starts first. Checked every second.",
    section: WORKER,
  }),
  timeout: int({
    flags: ["-t", "--timeout"],
    env: ["TRICORN_TIMEOUT"],
    default: 30,
    metavar: "SECONDS",
    doc: "Kill and restart a worker that has been silent (blocked) for this many seconds (0 = never).",
    section: WORKER,
  }),
  graceful_timeout: int({
    flags: ["--graceful-timeout"],
    env: ["TRICORN_GRACEFUL_TIMEOUT"],
    default: 30,
    metavar: "SECONDS",
    doc: "On shutdown, wait this many seconds for in-flight requests before closing connections.",
    section: WORKER,
  }),
  keepalive: int({
    flags: ["--keep-alive"],
    env: ["TRICORN_KEEPALIVE"],
    default: 2,
    metavar: "SECONDS",
    doc: "Seconds to wait for the next request on an idle keep-alive connection (0 = no keep-alive).",
    section: WORKER,
  }),
  header_timeout: float({
    flags: ["--header-timeout"],
    env: ["TRICORN_HEADER_TIMEOUT"],
    default: 10,
    doc: "Seconds a client may take to send a complete request head (slowloris guard; 0 = no limit). A TLS handshake and a PROXY header count within it.",
    section: WORKER,
  }),
  body_timeout: float({
    flags: ["--body-timeout"],
    env: ["TRICORN_BODY_TIMEOUT"],
    default: 60,
    doc: "Longest gap in seconds between two reads of a request body that is still expected (0 = no limit); on expiry 408 if no response has started, else the connection closes.",
    section: WORKER,
  }),
  send_timeout: float({
    flags: ["--send-timeout"],
    env: ["TRICORN_SEND_TIMEOUT"],
    default: 60,
    doc: "Longest time in seconds a response write may wait for the client to read (0 = no limit); on expiry the connection closes.",
    section: WORKER,
  }),
  limit_request_line: int({
    flags: ["--limit-request-line"],
    env: ["TRICORN_LIMIT_REQUEST_LINE"],
    default: 4094,
    max: 8190,
    metavar: "BYTES",
    doc: "Maximum size of the HTTP request line in bytes (0 = unlimited); larger gets 414.",
    section: SECURITY,
  }),
  limit_request_fields: int({
    flags: ["--limit-request-fields"],
    env: ["TRICORN_LIMIT_REQUEST_FIELDS"],
    default: 100,
    max: 32768,
    doc: "Maximum number of header fields in a request; more gets 431.",
    section: SECURITY,
  }),
  limit_request_field_size: int({
    flags: ["--limit-request-field-size", "--limit-request-field_size"],
    env: ["TRICORN_LIMIT_REQUEST_FIELD_SIZE"],
    default: 8190,
    metavar: "BYTES",
    doc: "Maximum size of one header field line in bytes (0 = unlimited); larger gets 431.",
    section: SECURITY,
  }),
  limit_request_body: int({
    flags: ["--limit-request-body"],
    env: ["TRICORN_LIMIT_REQUEST_BODY"],
    default: 0,
    metavar: "BYTES",
    doc: "Maximum request body size in bytes (0 = unlimited); larger gets 413.",
    section: SECURITY,
  }),
  header_map: choice({
    flags: ["--header-map"],
    env: ["TRICORN_HEADER_MAP"],
    default: "drop",
    choices: ["drop", "refuse", "dangerous"],
    doc: "Headers whose names contain '_' (ambiguous with '-' in the environ): drop them, refuse the request, or pass them.",
    section: SECURITY,
  }),
  permit_bare_lf: bool({
    flags: ["--permit-bare-lf"],
    env: ["TRICORN_PERMIT_BARE_LF"],
    default: false,
    doc: "Accept a bare LF as line terminator in the request head (default: reject with 400).",
    section: SECURITY,
  }),
  interface: choice({
    flags: ["--interface"],
    env: ["TRICORN_INTERFACE"],
    default: "auto",
    choices: ["auto", "fetch", "gateway", "node"],
    doc: "App interface: fetch (Hono, {fetch(request)}), gateway ((environ, startResponse)), node (Express, Koa, Fastify, http.Server, (req, res); docs/node-apps.md), or auto-detect.",
    section: MECHANICS,
  }),
  engine: choice({
    flags: ["--engine"],
    env: ["TRICORN_ENGINE"],
    default: "core",
    choices: ENGINES,
    doc: "HTTP engine of the workers: core (tricorn's own strict parser) or native (the runtime's own HTTP server — node:http, Deno's serve, Bun's serve; fetch apps only; see docs/architecture.md#engines).",
    section: MECHANICS,
  }),
  light_response: bool({
    flags: ["--light-response"],
    env: ["TRICORN_LIGHT_RESPONSE"],
    default: true,
    negatable: true,
    doc: "Fetch apps on the core engine, and on Node with --engine native (node:http sends through tricorn's fetch adapter; Deno's and Bun's own servers need the runtime's Response): workers install a lightweight global Response that builds the runtime's own only when the app looks into one (headers, body, clone…); responses made of a string, bytes or nothing go out without it. Apps cannot tell the difference (a contract suite proves it per runtime); --no-light-response keeps the runtime's Response.",
    section: MECHANICS,
  }),
  server_header: string({
    flags: ["--server-header"],
    env: ["TRICORN_SERVER_HEADER"],
    default: "tricorn",
    allowEmpty: true,
    doc: 'Value of the Server response header ("" = send none).',
    section: MECHANICS,
  }),
  forwarded_allow_ips: list({
    flags: ["--forwarded-allow-ips"],
    env: ["TRICORN_FORWARDED_ALLOW_IPS", "FORWARDED_ALLOW_IPS"],
    default: ["127.0.0.1", "::1"],
    parseItem: parseAllowedIp,
    showItem: String,
    splitCommas: true,
    metavar: "IPS",
    doc: 'Peers whose Forwarded / X-Forwarded-For / X-Forwarded-Proto headers set the client address and URL scheme (comma-separated IPs or CIDRs, "*" = any).',
    section: MECHANICS,
  }),
  proxy_protocol: bool({
    flags: ["--proxy-protocol"],
    env: ["TRICORN_PROXY_PROTOCOL"],
    default: false,
    doc: "Connections from proxy_allow_ips must start with a PROXY protocol v1/v2 header, which sets the client address (others are closed). Not with TLS.",
    section: MECHANICS,
  }),
  proxy_allow_ips: list({
    flags: ["--proxy-allow-from"],
    env: ["TRICORN_PROXY_ALLOW_IPS"],
    default: ["127.0.0.1", "::1"],
    parseItem: parseAllowedIp,
    showItem: String,
    splitCommas: true,
    metavar: "IPS",
    doc: 'Peers allowed to send a PROXY protocol header (comma-separated IPs or CIDRs, "*" = any).',
    section: MECHANICS,
  }),
  keyfile: string({
    flags: ["--keyfile"],
    env: ["TRICORN_KEYFILE"],
    default: null,
    metavar: "FILE",
    doc: "TLS private key (PEM, unencrypted). With certfile, every bind serves HTTPS.",
    section: SSL,
  }),
  certfile: string({
    flags: ["--certfile"],
    env: ["TRICORN_CERTFILE"],
    default: null,
    metavar: "FILE",
    doc: "TLS certificate chain (PEM), server certificate first. With keyfile, every bind serves HTTPS.",
    section: SSL,
  }),
  ca_certs: string({
    flags: ["--ca-certs"],
    env: ["TRICORN_CA_CERTS"],
    default: null,
    metavar: "FILE",
    doc: "CA certificates (PEM) that sign client certificates; setting it makes clients present one (see cert_reqs); not supported on Deno",
    section: SSL,
  }),
  cert_reqs: choice({
    flags: ["--cert-reqs"],
    env: ["TRICORN_CERT_REQS"],
    default: "required",
    choices: ["none", "optional", "required"],
    doc: "With ca_certs: require a valid client certificate, verify one only if sent (optional), or ask for none.",
    section: SSL,
  }),
  pidfile: string({
    flags: ["-p", "--pid"],
    env: ["TRICORN_PIDFILE"],
    default: null,
    metavar: "FILE",
    doc: "Write the server's process id to this file (removed on exit).",
    section: MECHANICS,
  }),
  user: string({
    flags: ["-u", "--user"],
    env: ["TRICORN_USER"],
    default: null,
    metavar: "USER",
    doc: "Run the workers as this user (name or numeric id; needs root). The master keeps its user to bind and to manage workers; unix sockets are handed to this user.",
    section: MECHANICS,
  }),
  group: string({
    flags: ["-g", "--group"],
    env: ["TRICORN_GROUP"],
    default: null,
    metavar: "GROUP",
    doc: "Run the workers with this group (name or numeric id; default: the --user's primary group); unix sockets get this group, e.g. the proxy's.",
    section: MECHANICS,
  }),
  umask: octalMask({
    flags: ["-m", "--umask"],
    env: ["TRICORN_UMASK"],
    doc: "Octal mask for the unix sockets tricorn creates: mode 0777 minus these bits (007: owner and group only). Default: as the process umask makes them.",
    section: MECHANICS,
  }),
  control_socket: string({
    flags: ["--control-socket"],
    env: ["TRICORN_CONTROL_SOCKET"],
    default: "tricorn.ctl",
    allowEmpty: true,
    metavar: "PATH",
    doc: 'Unix socket (mode 0600) on which the master answers `tricorn ctl` (relative to the working directory; "" = none). A default path that cannot be used is a warning; a path you chose is an error.',
    section: OPERATIONS,
  }),
  metrics_bind: {
    ...string({
      flags: ["--metrics-bind"],
      env: ["TRICORN_METRICS_BIND"],
      default: null,
      metavar: "HOST:PORT",
      doc: "Serve GET /metrics (Prometheus), /healthz and /readyz from the master on this TCP address (default: off). Never reaches the app.",
      section: OPERATIONS,
    }),
    parse: parseMetricsBind,
  },
  drain_delay: float({
    flags: ["--drain-delay"],
    env: ["TRICORN_DRAIN_DELAY"],
    default: 0,
    metavar: "SECONDS",
    doc: "On TERM/INT (or `ctl stop`): answer 503 on /readyz at once, keep serving this many seconds so load balancers stop sending, then stop the workers gracefully.",
    section: OPERATIONS,
  }),
  raw_env: list({
    flags: ["-e", "--env"],
    default: [],
    parseItem: parseRawEnv,
    showItem: String,
    metavar: "KEY=VALUE",
    doc: "Set an environment variable for the app (workers see it); repeat for several.",
    section: MECHANICS,
  }),
  chdir: string({
    flags: ["--chdir"],
    env: ["TRICORN_CHDIR"],
    default: null,
    metavar: "DIR",
    doc: "Change to this directory before loading the app (APP, log files and pidfile are then relative to it).",
    section: MECHANICS,
  }),
  errorlog: string({
    flags: ["--error-logfile", "--log-file"],
    env: ["TRICORN_ERRORLOG"],
    default: "-",
    metavar: "FILE",
    doc: 'Error log file ("-" = stderr).',
    section: LOGGING,
  }),
  loglevel: choice({
    flags: ["--log-level"],
    env: ["TRICORN_LOGLEVEL"],
    default: "info",
    choices: LOG_LEVELS,
    doc: "Least severe message written to the error log.",
    section: LOGGING,
  }),
  accesslog: string({
    flags: ["--access-logfile"],
    env: ["TRICORN_ACCESSLOG"],
    default: null,
    metavar: "FILE",
    doc: 'Access log file ("-" = stdout; default: no access log).',
    section: LOGGING,
  }),
  access_log_format: string({
    flags: ["--access-logformat"],
    env: ["TRICORN_ACCESS_LOG_FORMAT"],
    default: DEFAULT_ACCESS_LOG_FORMAT,
    metavar: "FORMAT",
    doc: "Access log line format (gunicorn's %(h)s-style atoms).",
    section: LOGGING,
  }),
  access_log_json: bool({
    flags: ["--access-log-json"],
    env: ["TRICORN_ACCESS_LOG_JSON"],
    default: false,
    doc: "Write the access log as one JSON object per line, with the fields of the access log format.",
    section: LOGGING,
  }),
  reload: bool({
    flags: ["--reload"],
    env: ["TRICORN_RELOAD"],
    default: false,
    doc: "Restart the workers when a source file in the app's directory (or an extra file) changes. For development.",
    section: DEBUGGING,
  }),
  reload_extra_files: list({
    flags: ["--reload-extra-file"],
    default: [],
    parseItem: parsePath,
    showItem: String,
    metavar: "FILE",
    doc: "With --reload, also restart when this file (or anything in this directory) changes; repeat for several.",
    section: DEBUGGING,
  }),
  check_config: bool({
    flags: ["--check-config"],
    default: false,
    negatable: false,
    doc: "Check the settings, config file and TLS files, load the app, print one line and exit (0 = OK, 2 = error, 1 = unreadable file).",
    section: DEBUGGING,
  }),
  print_config: bool({
    flags: ["--print-config"],
    default: false,
    negatable: false,
    doc: "Print the effective settings (after config file, environment and command line) and exit.",
    section: DEBUGGING,
  }),
  help: bool({
    flags: ["-h", "--help"],
    default: false,
    negatable: false,
    doc: "Show this help and exit.",
    section: INFO,
  }),
  version: bool({
    flags: ["-v", "--version"],
    default: false,
    negatable: false,
    doc: "Print the version and exit.",
    section: INFO,
  }),
} satisfies Record<string, SettingDef<unknown>>;

/** Name of a setting (`"workers"`, `"limit_request_line"`, …). */
export type SettingName = keyof typeof SETTINGS;

/** Resolved settings: one typed value per declared setting. */
export type Settings = { -readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

/** Sections in `--help` order. */
export const SECTIONS: readonly string[] = [CONFIG, SOCKET, WORKER, SECURITY, MECHANICS, OPERATIONS, SSL, LOGGING, DEBUGGING, INFO];

/** All settings as `[name, definition]` pairs in declaration order. */
export const SETTING_ENTRIES = Object.entries(SETTINGS) as [SettingName, SettingDef<unknown>][];

/** A fresh settings object holding every default (lists are copied). */
export function defaultSettings(): Settings {
  const settings: Record<string, unknown> = {};
  for (const [name, def] of SETTING_ENTRIES) {
    settings[name] = Array.isArray(def.default) ? [...def.default] : def.default;
  }
  return settings as Settings;
}
