/**
 * Builds the gateway environ: one plain object per request with CGI/WSGI-style
 * keys (REQUEST_METHOD, PATH_INFO, HTTP_*, …) plus `tricorn.*` extension keys.
 * The full contract is in docs/gateway.md.
 */
import type { HeaderMap } from "./server.ts";
import type { IncomingRequest, RequestBody } from "./types.ts";
import type { Logger } from "../log/logger.ts";

/** Version of the gateway contract (docs/gateway.md), like `wsgi.version`. */
export const GATEWAY_VERSION: readonly [number, number] = Object.freeze([1, 0]) as readonly [number, number];

/** `SERVER_SOFTWARE` value. */
export const SERVER_SOFTWARE = "tricorn";

/** Error stream of `tricorn.errors`: each write goes to the server's error log. */
export interface ErrorStream {
  write(text: string): void;
  flush(): void;
}

/** The environ handed to gateway apps. Known keys are typed; `HTTP_*` keys are strings. */
export interface Environ {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  RAW_URI: string;
  QUERY_STRING: string;
  SERVER_PROTOCOL: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_SOFTWARE: string;
  REMOTE_ADDR: string;
  REMOTE_PORT: string;
  CONTENT_TYPE: string;
  CONTENT_LENGTH: string;
  "tricorn.version": readonly [number, number];
  "tricorn.url_scheme": string;
  "tricorn.input": RequestBody;
  "tricorn.errors": ErrorStream;
  "tricorn.multiprocess": boolean;
  "tricorn.multithread": boolean;
  "tricorn.run_once": boolean;
  "tricorn.input_terminated": boolean;
  /** `on_close(listener)`: `listener` runs once if the client goes away (FIN or reset) before the response ended. */
  "tricorn.on_close"?: (listener: () => void) => void;
  [key: string]: unknown;
}

/** Options of {@link buildEnviron}. */
export interface EnvironOptions {
  /** Where `tricorn.errors` writes. */
  logger: Logger;
  /** Header names containing `_`: "drop" (default) removes them, "dangerous" keeps them ("refuse" is enforced by the connection). */
  headerMap?: HeaderMap;
  /** Value of `tricorn.multiprocess` (true under the pre-fork arbiter with several workers). */
  multiprocess?: boolean;
}

/** Creates the `tricorn.errors` stream writing to `logger` (shareable across requests). */
export function errorStream(logger: Logger): ErrorStream {
  return {
    write(text: string): void {
      const line = text.endsWith("\n") ? text.slice(0, -1) : text;
      if (line !== "") logger.error(line);
    },
    flush(): void {},
  };
}

const errorStreams = new WeakMap<Logger, ErrorStream>();

/** Header name → environ key cache (`user-agent` → `HTTP_USER_AGENT`); bounded. */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 1024;

function environKey(name: string): string {
  let key = keyCache.get(name);
  if (key === undefined) {
    key = "HTTP_" + name.toUpperCase().replace(/-/g, "_");
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(name, key);
  }
  return key;
}

/** Percent-decodes a path as UTF-8; on a malformed escape or invalid UTF-8 returns it unchanged. */
export function decodePath(path: string): string {
  if (path.indexOf("%") === -1) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Splits a request-target into raw path and query (fragment dropped):
 * origin-form as is, absolute-form reduced to its path, `*` kept as path,
 * authority-form (CONNECT) gives an empty path.
 */
export function splitTarget(target: string): [path: string, query: string] {
  let end = target.indexOf("#");
  if (end === -1) end = target.length;
  const q = target.indexOf("?");
  const pathEnd = q !== -1 && q < end ? q : end;
  const query = q !== -1 && q < end ? target.slice(q + 1, end) : "";
  let path = target.slice(0, pathEnd);
  if (path.charCodeAt(0) !== 0x2f /* / */ && path !== "*") {
    const scheme = path.indexOf("://");
    if (scheme !== -1) {
      const slash = path.indexOf("/", scheme + 3);
      path = slash === -1 ? "/" : path.slice(slash);
    } else {
      path = ""; // authority-form
    }
  }
  return [path, query];
}

/** Splits a Host value into name and port (`[::1]:8080` → `[::1]`, `8080`); port "" when absent. */
export function splitHost(host: string): [name: string, port: string] {
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf("]");
    if (close !== -1) {
      const rest = host.slice(close + 1);
      return [host.slice(0, close + 1), rest.charCodeAt(0) === 0x3a ? rest.slice(1) : ""];
    }
    return [host, ""];
  }
  const colon = host.lastIndexOf(":");
  if (colon === -1) return [host, ""];
  return [host.slice(0, colon), host.slice(colon + 1)];
}

/** Last Host value split by {@link buildEnviron} (clients send the same Host over and over). */
let lastHost = "";
let lastHostName = "";
let lastHostPort = "";

/**
 * Builds the environ of one request (see docs/gateway.md for every key).
 * Duplicate headers are joined with ", " (Cookie with "; ").
 */
export function buildEnviron(req: IncomingRequest, options: EnvironOptions, onClose?: (listener: () => void) => void): Environ {
  const head = req.head;
  const target = head.target;
  let rawPath: string;
  let query: string;
  if (target.charCodeAt(0) === 0x2f && target.indexOf("?") === -1 && target.indexOf("#") === -1) {
    rawPath = target; // common case: a bare origin-form path
    query = "";
  } else {
    [rawPath, query] = splitTarget(target);
  }
  const scheme = req.scheme;
  let serverName: string;
  let serverPort: string;
  if (head.host !== "") {
    if (head.host !== lastHost) {
      [lastHostName, lastHostPort] = splitHost(head.host);
      lastHost = head.host;
    }
    serverName = lastHostName;
    serverPort = lastHostPort;
    if (serverPort === "") serverPort = scheme === "https" ? "443" : "80";
  } else {
    serverName = req.localAddress;
    serverPort = String(req.localPort);
  }
  let errors = errorStreams.get(options.logger);
  if (errors === undefined) {
    errors = errorStream(options.logger);
    errorStreams.set(options.logger, errors);
  }
  const environ: Environ = {
    REQUEST_METHOD: head.method,
    SCRIPT_NAME: "",
    PATH_INFO: decodePath(rawPath),
    RAW_URI: head.target,
    QUERY_STRING: query,
    SERVER_PROTOCOL: head.versionMinor === 0 ? "HTTP/1.0" : "HTTP/1.1",
    SERVER_NAME: serverName,
    SERVER_PORT: serverPort,
    SERVER_SOFTWARE,
    REMOTE_ADDR: req.remoteAddress,
    REMOTE_PORT: String(req.remotePort),
    CONTENT_TYPE: "",
    CONTENT_LENGTH: "",
    "tricorn.version": GATEWAY_VERSION,
    "tricorn.url_scheme": scheme,
    "tricorn.input": req.body,
    "tricorn.errors": errors,
    "tricorn.multiprocess": options.multiprocess === true,
    "tricorn.multithread": false,
    "tricorn.run_once": false,
    "tricorn.input_terminated": true,
    "tricorn.on_close": onClose,
  };
  const keepUnderscore = options.headerMap === "dangerous";
  const headers = head.headers;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (name === "content-type") {
      environ.CONTENT_TYPE = environ.CONTENT_TYPE === "" ? value : environ.CONTENT_TYPE + ", " + value;
      continue;
    }
    if (name === "content-length") {
      environ.CONTENT_LENGTH = value;
      continue;
    }
    if (!keepUnderscore && name.indexOf("_") !== -1) continue;
    const key = environKey(name);
    const prev = environ[key];
    if (prev === undefined) environ[key] = value;
    else environ[key] = prev + (name === "cookie" ? "; " : ", ") + value;
  }
  return environ;
}
