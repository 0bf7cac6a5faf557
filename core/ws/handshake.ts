/**
 * The server side of the RFC 6455 opening handshake (§4.2): checking an
 * upgrade request, computing `Sec-WebSocket-Accept`, choosing a subprotocol,
 * and writing the `101 Switching Protocols` head.
 */
import { HANDSHAKE_GUID } from "./protocol.ts";
import { base64, base64DecodedLength, sha1 } from "./sha1.ts";

/** What the handshake needs of a parsed request (a subset of the HTTP layer's RequestHead). */
export interface UpgradeRequestHead {
  readonly method: string;
  readonly versionMinor: number;
  /** Flat `[name, value, …]` list, names lower-cased. */
  readonly headers: readonly string[];
}

/** A valid upgrade request. */
export interface UpgradeOffer {
  readonly ok: true;
  /** `Sec-WebSocket-Key` as sent. */
  readonly key: string;
  /** Subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order of preference. */
  readonly protocols: string[];
  /** Every `Sec-WebSocket-Extensions` value, joined with `, `; "" when none. */
  readonly extensions: string;
}

/** An upgrade request tricorn must refuse: answer `status` with `headers` and `message` as the body. */
export interface UpgradeRefusal {
  readonly ok: false;
  readonly status: 400 | 426;
  readonly headers: string[];
  readonly message: string;
}

/** The only protocol version tricorn speaks (RFC 6455). */
export const WEBSOCKET_VERSION = "13";

const encoder = new TextEncoder();

/** The comma-separated tokens of every `name` header, trimmed, lower-cased. */
function tokens(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== name) continue;
    for (const part of headers[i + 1].split(",")) {
      const token = part.trim().toLowerCase();
      if (token !== "") out.push(token);
    }
  }
  return out;
}

/** Every value of header `name`. */
function values(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) out.push(headers[i + 1]);
  return out;
}

/** True when the request asks for a WebSocket (`Upgrade: websocket`), valid or not. */
export function wantsWebSocket(head: UpgradeRequestHead): boolean {
  return tokens(head.headers, "upgrade").includes("websocket");
}

function refuse(status: 400 | 426, message: string): UpgradeRefusal {
  const headers = ["Content-Type", "text/plain; charset=utf-8"];
  // 426 tells the client what would work (RFC 6455 §4.2.2, RFC 9110 §15.5.22).
  if (status === 426) headers.push("Sec-WebSocket-Version", WEBSOCKET_VERSION, "Upgrade", "websocket", "Connection", "Upgrade");
  return { ok: false, status, headers, message };
}

/** Checks an opening handshake request (RFC 6455 §4.2.1). */
export function checkUpgrade(head: UpgradeRequestHead): UpgradeOffer | UpgradeRefusal {
  const headers = head.headers;
  if (!tokens(headers, "upgrade").includes("websocket")) return refuse(426, "this resource needs a WebSocket upgrade (Upgrade: websocket)");
  if (head.method !== "GET") return refuse(400, `a WebSocket handshake must be a GET request, got ${head.method}`);
  if (head.versionMinor < 1) return refuse(400, "a WebSocket handshake needs HTTP/1.1");
  if (!tokens(headers, "connection").includes("upgrade")) return refuse(400, "a WebSocket handshake needs Connection: Upgrade");
  const versions = values(headers, "sec-websocket-version");
  if (versions.length !== 1 || versions[0].trim() !== WEBSOCKET_VERSION) {
    return refuse(426, `unsupported Sec-WebSocket-Version ${JSON.stringify(versions.join(", "))}; this server speaks ${WEBSOCKET_VERSION}`);
  }
  const keys = values(headers, "sec-websocket-key");
  if (keys.length !== 1) return refuse(400, "a WebSocket handshake needs exactly one Sec-WebSocket-Key");
  const key = keys[0].trim();
  if (base64DecodedLength(key) !== 16) return refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64");
  const protocols: string[] = [];
  for (const value of values(headers, "sec-websocket-protocol")) {
    for (const part of value.split(",")) {
      const protocol = part.trim();
      if (protocol !== "") protocols.push(protocol);
    }
  }
  return { ok: true, key, protocols, extensions: values(headers, "sec-websocket-extensions").join(", ") };
}

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2 step 5.4). */
export function acceptKey(key: string): string {
  return base64(sha1(encoder.encode(key + HANDSHAKE_GUID)));
}

/**
 * The subprotocol to answer with: the first the client offered that the
 * server supports; "" when none match (then no `Sec-WebSocket-Protocol` is sent).
 */
export function selectProtocol(offered: readonly string[], supported: readonly string[]): string {
  for (const protocol of offered) if (supported.includes(protocol)) return protocol;
  return "";
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values may hold visible ASCII, spaces, tabs and obs-text; never CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the handshake writes itself; an app's own copies are dropped. */
const OWN_HEADERS = new Set([
  "upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions",
  "content-length", "transfer-encoding",
]);

/** What goes into the 101 response. */
export interface AcceptHeadOptions {
  /** The request's `Sec-WebSocket-Key`. */
  key: string;
  /** Chosen subprotocol, or "". */
  protocol: string;
  /** `Sec-WebSocket-Extensions` answer, or "". */
  extensions: string;
  /** Extra headers from the app (flat list), e.g. Set-Cookie. */
  headers: readonly string[];
  /** `Server` header value, or "" for none. */
  server: string;
}

/**
 * The `101 Switching Protocols` head as bytes.
 * @throws TypeError when an extra header has an invalid name or value (CR/LF injection)
 */
export function acceptHead(options: AcceptHeadOptions): Uint8Array {
  let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${acceptKey(options.key)}\r\n`;
  if (options.protocol !== "") head += `Sec-WebSocket-Protocol: ${options.protocol}\r\n`;
  if (options.extensions !== "") head += `Sec-WebSocket-Extensions: ${options.extensions}\r\n`;
  if (options.server !== "") head += `Server: ${options.server}\r\n`;
  const extra = options.headers;
  for (let i = 0; i + 1 < extra.length; i += 2) {
    const name = extra[i];
    const value = String(extra[i + 1]);
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)} in a WebSocket upgrade`);
    if (!FIELD_VALUE.test(value)) throw new TypeError(`invalid value for header ${name} in a WebSocket upgrade`);
    if (OWN_HEADERS.has(name.toLowerCase())) continue;
    head += `${name}: ${value}\r\n`;
  }
  head += "\r\n";
  const bytes = new Uint8Array(head.length);
  for (let i = 0; i < head.length; i++) bytes[i] = head.charCodeAt(i);
  return bytes;
}
