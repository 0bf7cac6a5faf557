/**
 * Trusted proxy headers: the client address and URL scheme a reverse proxy
 * reports in `Forwarded` (RFC 7239) or `X-Forwarded-For` /
 * `X-Forwarded-Proto` (plus gunicorn's `X-Forwarded-Protocol: ssl` and
 * `X-Forwarded-Ssl: on`). The connection applies them only when its peer is
 * in `forwarded_allow_ips` (decided once per connection); from other peers
 * these are ordinary headers.
 *
 * Rules (docs/proxy-and-tls.md):
 * - A `Forwarded` header, when present, is the only source; `X-Forwarded-*`
 *   are then not consulted.
 * - The client is the right-most address of the list that is not itself a
 *   trusted proxy (walking from the right past trusted hops; if every hop is
 *   trusted, the left-most). With one proxy this is the last entry, which is
 *   what gunicorn < 19 took; the left-most entry is whatever the client
 *   claimed, so it is never trusted blindly.
 * - The scheme comes from the same hop (`proto=` of that `Forwarded`
 *   element; the `X-Forwarded-Proto` entry at the same position when it has
 *   as many entries as `X-Forwarded-For`, else its last entry).
 * - Values that are not IP addresses (`unknown`, `_hidden`, garbage) and
 *   schemes other than http/https (ws/wss count as such) change nothing.
 * - The X- scheme headers must agree (gunicorn's rule): one saying https
 *   and another http is a 400.
 */
import { parseIpInto, type AddressMatcher } from "./ip-match.ts";
import type { HeaderList } from "../http/types.ts";

/** Where the result goes: the request's effective peer and scheme (an Exchange). */
export interface ForwardedTarget {
  remoteAddress: string;
  remotePort: number;
  scheme: string;
}

const words = new Uint32Array(4);

/** A client address taken from a header: address text without brackets, and port (0 when absent). */
export interface NodeAddress {
  address: string;
  port: number;
}

const OBFUSCATED_PORT = /^_[A-Za-z0-9._-]+$/;

/** A node's port: 0-65535, 0 for an obfuscated `_port` (RFC 7239 §6.3), -1 when invalid. */
function parsePort(text: string): number {
  if (OBFUSCATED_PORT.test(text)) return 0;
  if (!/^\d{1,5}$/.test(text)) return -1;
  const port = Number(text);
  return port <= 65535 ? port : -1;
}

/**
 * Parses a node as proxies write it: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`,
 * `[2001:db8::1]`, `[2001:db8::1]:4711`. Returns null for anything else
 * (`unknown`, obfuscated `_names`, garbage, a bad port). An obfuscated `_port` gives port 0.
 */
export function parseNode(text: string): NodeAddress | null {
  if (text.charCodeAt(0) === 0x5b /* [ */) {
    const close = text.indexOf("]");
    if (close === -1) return null;
    const address = text.slice(1, close);
    if (address.indexOf(":") === -1 || !parseIpInto(address, words)) return null;
    const rest = text.slice(close + 1);
    if (rest === "") return { address, port: 0 };
    if (rest.charCodeAt(0) !== 0x3a) return null;
    const port = parsePort(rest.slice(1));
    return port < 0 ? null : { address, port };
  }
  const colon = text.indexOf(":");
  if (colon !== -1 && text.indexOf(":", colon + 1) === -1) {
    // IPv4 with a port
    const address = text.slice(0, colon);
    if (address.indexOf(".") === -1 || !parseIpInto(address, words)) return null;
    const port = parsePort(text.slice(colon + 1));
    return port < 0 ? null : { address, port };
  }
  return parseIpInto(text, words) ? { address: text, port: 0 } : null;
}

/** `http`/`https` for a forwarded protocol value, or null when it is neither (ws/wss map to them). */
export function parseProto(value: string): string | null {
  const text = value.trim().toLowerCase();
  if (text === "https" || text === "wss") return "https";
  if (text === "http" || text === "ws") return "http";
  return null;
}

/**
 * Index of the client in a list of hop addresses: walking from the right,
 * the first entry that is not a trusted proxy; the left-most when all are.
 * An entry that is not an address stops the walk (it cannot be a trusted proxy).
 */
function clientIndex(nodes: readonly (NodeAddress | null)[], trusted: AddressMatcher): number {
  let i = nodes.length - 1;
  while (i > 0) {
    const node = nodes[i];
    if (node === null || !trusted.matches(node.address)) break;
    i--;
  }
  return i;
}

/** One `Forwarded` element: its `for` node text and `proto` value, as given. */
export interface ForwardedElement {
  for?: string;
  proto?: string;
  by?: string;
  host?: string;
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a `Forwarded` field value (RFC 7239 §4) into its elements. Returns
 * null on a syntax error: a pair without `=`, an unterminated quoted string,
 * a parameter twice in one element, a bad parameter name. Unquoted values
 * are accepted up to `;`, `,` or whitespace, so `for=[::1]:80` written
 * without the required quotes still parses.
 */
export function parseForwarded(value: string): ForwardedElement[] | null {
  const elements: ForwardedElement[] = [];
  let element: Record<string, string> = {};
  let pairs = 0;
  const n = value.length;
  let i = 0;
  const skipSpace = () => {
    while (i < n && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
  };
  for (;;) {
    skipSpace();
    if (i < n && value.charCodeAt(i) !== 0x2c /* , */ && value.charCodeAt(i) !== 0x3b /* ; */) {
      const eq = value.indexOf("=", i);
      if (eq === -1) return null;
      const name = value.slice(i, eq).trim().toLowerCase();
      if (!TCHAR.test(name) || Object.prototype.hasOwnProperty.call(element, name)) return null;
      i = eq + 1;
      let text: string;
      if (value.charCodeAt(i) === 0x22 /* " */) {
        text = "";
        i++;
        for (;;) {
          if (i >= n) return null;
          const c = value.charCodeAt(i);
          if (c === 0x22) break;
          if (c === 0x5c /* \ */) {
            i++;
            if (i >= n) return null;
          }
          text += value[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n) {
          const c = value.charCodeAt(i);
          if (c === 0x3b || c === 0x2c || c === 0x20 || c === 0x09 || c === 0x22) break;
          i++;
        }
        text = value.slice(start, i);
        if (text === "") return null;
      }
      element[name] = text;
      pairs++;
      skipSpace();
    }
    if (i >= n) break;
    const c = value.charCodeAt(i);
    if (c === 0x3b) {
      i++;
      continue;
    }
    if (c !== 0x2c) return null;
    i++;
    if (pairs > 0) elements.push(element);
    element = {};
    pairs = 0;
  }
  if (pairs > 0) elements.push(element);
  return elements;
}

/** Comma-separated list items, trimmed, empty ones dropped. */
function listItems(value: string): string[] {
  const items: string[] = [];
  for (const part of value.split(",")) {
    const item = part.trim();
    if (item !== "") items.push(item);
  }
  return items;
}

function appendList(prev: string | null, value: string): string {
  return prev === null ? value : prev + "," + value;
}

/** Applies a `Forwarded` value; a malformed one changes nothing. */
function applyStandard(value: string, trusted: AddressMatcher, target: ForwardedTarget): void {
  const elements = parseForwarded(value);
  if (elements === null || elements.length === 0) return;
  const nodes = elements.map((element) => (element.for === undefined ? null : parseNode(element.for)));
  const index = clientIndex(nodes, trusted);
  const node = nodes[index];
  if (node !== null) {
    target.remoteAddress = node.address;
    target.remotePort = node.port;
  }
  const proto = elements[index].proto;
  const scheme = proto === undefined ? null : parseProto(proto);
  if (scheme !== null) target.scheme = scheme;
}

/**
 * Applies the proxy headers in `headers` (lower-cased names, as parsed) to
 * `target`, whose fields start as the connection's own peer and scheme.
 * `trusted` tells trusted proxy hops apart when walking address lists.
 * Returns false when the X- scheme headers contradict each other (the
 * request is then answered 400); `target` is left as it was.
 */
export function applyForwarded(headers: HeaderList, trusted: AddressMatcher, target: ForwardedTarget): boolean {
  let standard: string | null = null;
  let forFor: string | null = null;
  let forProto: string | null = null;
  let protocol: string | null = null;
  let ssl: string | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const first = name.charCodeAt(0);
    if (first === 0x78 /* x */) {
      if (name.length < 13 || !name.startsWith("x-forwarded-")) continue;
      switch (name) {
        case "x-forwarded-for":
          forFor = appendList(forFor, headers[i + 1]);
          break;
        case "x-forwarded-proto":
          forProto = appendList(forProto, headers[i + 1]);
          break;
        case "x-forwarded-protocol":
          protocol = appendList(protocol, headers[i + 1]);
          break;
        case "x-forwarded-ssl":
          ssl = appendList(ssl, headers[i + 1]);
          break;
      }
    } else if (first === 0x66 /* f */ && name === "forwarded") {
      standard = appendList(standard, headers[i + 1]);
    }
  }
  if (standard !== null) {
    applyStandard(standard, trusted, target);
    return true;
  }
  if (forFor === null && forProto === null && protocol === null && ssl === null) return true;

  let index = -1;
  let count = 0;
  let node: NodeAddress | null = null;
  if (forFor !== null) {
    const items = listItems(forFor);
    count = items.length;
    if (count > 0) {
      const nodes = items.map(parseNode);
      index = clientIndex(nodes, trusted);
      node = nodes[index];
    }
  }
  let scheme: string | null = null;
  if (forProto !== null) {
    const items = listItems(forProto);
    if (items.length > 0) scheme = parseProto(items.length === count && index >= 0 ? items[index] : items[items.length - 1]);
  }
  // gunicorn's secure_scheme_headers: each present header votes https or http; they must agree.
  if (protocol !== null) {
    const vote = protocol.trim().toLowerCase() === "ssl" ? "https" : "http";
    if (scheme !== null && scheme !== vote) return false;
    scheme = vote;
  }
  if (ssl !== null) {
    const vote = ssl.trim().toLowerCase() === "on" ? "https" : "http";
    if (scheme !== null && scheme !== vote) return false;
    scheme = vote;
  }
  if (node !== null) {
    target.remoteAddress = node.address;
    target.remotePort = node.port;
  }
  if (scheme !== null) target.scheme = scheme;
  return true;
}
