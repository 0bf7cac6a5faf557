/**
 * PROXY protocol (HAProxy's spec, versions 1 and 2): the header a proxy or
 * load balancer sends first on a new connection to pass on the original
 * client's and server's addresses.
 *
 * - v1, text: `PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n`, also `TCP6`
 *   and `UNKNOWN …`; at most 107 bytes.
 * - v2, binary: 12-byte signature, version/command, family/transport, a
 *   16-bit length, addresses (AF_INET 12 bytes, AF_INET6 36, AF_UNIX 216),
 *   then TLVs (skipped). `LOCAL` (health checks) and `UNSPEC` keep the real
 *   connection endpoints. The length is bounded by {@link MAX_V2_LENGTH}.
 *
 * Parsing is strict and incremental: {@link ProxyHeaderParser.feed} takes
 * chunks split anywhere and rejects as soon as the bytes cannot be a valid
 * header, without waiting for more.
 */
import { isIpv4, isIpv6 } from "./ip-match.ts";

/** The header was malformed; the connection must be closed without an HTTP response. */
export class ProxyProtocolError extends Error {
  override name = "ProxyProtocolError";
}

/** Addresses carried by a PROXY header. */
export interface ProxyAddresses {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** Longest v1 header including CRLF (spec §2.1). */
export const MAX_V1_LENGTH = 107;
/** Largest v2 address+TLV block accepted (the 16-bit field allows 65535; real proxies send far less). */
export const MAX_V2_LENGTH = 4096;

/** v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
export const V2_SIGNATURE = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = new Uint8Array([0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]); // "PROXY "

const V2_HEADER = 16;
const FAMILY_UNSPEC = 0x0;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const FAMILY_UNIX = 0x3;

const PORT = /^(0|[1-9]\d{0,4})$/;

/** Dotted-quad IPv4 (no leading zeros). */
const v4Text = isIpv4;

/** IPv6 text (hex groups, one `::`, optional dotted tail); no zone. */
function v6Text(text: string): boolean {
  return text.indexOf("%") === -1 && isIpv6(text);
}

function fail(why: string): never {
  throw new ProxyProtocolError(`invalid PROXY protocol header: ${why}`);
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/** Parses a complete v1 line (without CRLF). Returns null for `UNKNOWN`. */
export function parseV1Line(line: string): ProxyAddresses | null {
  if (!line.startsWith("PROXY ")) fail("missing PROXY prefix");
  const rest = line.slice(6);
  if (rest === "UNKNOWN" || rest.startsWith("UNKNOWN ")) return null; // anything after UNKNOWN is ignored (spec)
  const parts = rest.split(" ");
  if (parts.length !== 5) fail("expected PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT");
  const [proto, src, dst, sport, dport] = parts;
  const valid = proto === "TCP4" ? v4Text : proto === "TCP6" ? v6Text : null;
  if (valid === null) fail(`unknown protocol ${JSON.stringify(proto)}`);
  if (!valid(src) || !valid(dst)) fail(`bad ${proto} address`);
  if (!PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535) fail("bad port");
  return { remoteAddress: src, remotePort: Number(sport), localAddress: dst, localPort: Number(dport) };
}

function v6FromBytes(bytes: Uint8Array, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]).toString(16));
  // Compress the longest run of zero groups (RFC 5952) for a familiar REMOTE_ADDR.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.join(":");
  return groups.slice(0, bestStart).join(":") + "::" + groups.slice(bestStart + bestLength).join(":");
}

/**
 * Parses a complete v2 header (`bytes` holds at least 16 + its length).
 * Returns null for LOCAL, UNSPEC and AF_UNIX (the real endpoints stay).
 */
export function parseV2(bytes: Uint8Array): ProxyAddresses | null {
  const versionCommand = bytes[12];
  if (versionCommand >> 4 !== 2) fail(`unsupported version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) fail(`unknown command ${command}`);
  const family = bytes[13] >> 4;
  const transport = bytes[13] & 0x0f;
  if (family > FAMILY_UNIX || transport > 2) fail(`unknown address family/transport 0x${bytes[13].toString(16)}`);
  const length = (bytes[14] << 8) | bytes[15];
  const needed = family === FAMILY_INET ? 12 : family === FAMILY_INET6 ? 36 : family === FAMILY_UNIX ? 216 : 0;
  if (command === 0) return null; // LOCAL: the proxy's own connection (health check); the block is ignored
  if (length < needed) fail(`address block of ${length} bytes is too short for its family`);
  if (family === FAMILY_UNSPEC || family === FAMILY_UNIX || transport !== 1) return null;
  const at = V2_HEADER;
  if (family === FAMILY_INET) {
    return {
      remoteAddress: `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`,
      localAddress: `${bytes[at + 4]}.${bytes[at + 5]}.${bytes[at + 6]}.${bytes[at + 7]}`,
      remotePort: (bytes[at + 8] << 8) | bytes[at + 9],
      localPort: (bytes[at + 10] << 8) | bytes[at + 11],
    };
  }
  return {
    remoteAddress: v6FromBytes(bytes, at),
    localAddress: v6FromBytes(bytes, at + 16),
    remotePort: (bytes[at + 32] << 8) | bytes[at + 33],
    localPort: (bytes[at + 34] << 8) | bytes[at + 35],
  };
}

const NEED_MORE = -1;

/**
 * Incremental PROXY header reader for one connection. Feed it the first
 * chunks; it buffers (bounded) until the header is complete.
 */
export class ProxyHeaderParser {
  /** The header's addresses once {@link done}; null for LOCAL / UNKNOWN / UNSPEC. */
  addresses: ProxyAddresses | null = null;
  /** True once a complete header was read. */
  done = false;
  /** Protocol version seen (1 or 2), 0 before the first byte. */
  version = 0;
  private buffer = new Uint8Array(0);

  /**
   * Takes the next chunk. Returns how many bytes of `chunk` belong to the
   * header once it is complete (the rest is HTTP), or -1 when all of
   * `chunk` was consumed and more is needed. Throws
   * {@link ProxyProtocolError} as soon as the input cannot be a header.
   */
  feed(chunk: Uint8Array): number {
    if (this.done) return 0;
    const before = this.buffer.length;
    const joined = new Uint8Array(before + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, before);
    const total = this.scan(joined);
    if (total === NEED_MORE) {
      this.buffer = joined;
      return NEED_MORE;
    }
    this.done = true;
    this.buffer = new Uint8Array(0);
    return total - before;
  }

  /** Length of the complete header at the start of `bytes`, or NEED_MORE; throws when invalid. */
  private scan(bytes: Uint8Array): number {
    if (bytes.length === 0) return NEED_MORE;
    if (this.version === 0) {
      if (bytes[0] === V1_PREFIX[0]) this.version = 1;
      else if (bytes[0] === V2_SIGNATURE[0]) this.version = 2;
      else fail("the connection does not start with a PROXY header");
    }
    return this.version === 1 ? this.scanV1(bytes) : this.scanV2(bytes);
  }

  private scanV1(bytes: Uint8Array): number {
    const limit = Math.min(bytes.length, MAX_V1_LENGTH);
    for (let i = 0; i < limit; i++) {
      const c = bytes[i];
      if (i < V1_PREFIX.length) {
        if (c !== V1_PREFIX[i]) fail("the connection does not start with a PROXY header");
        continue;
      }
      if (c === 0x0d) {
        if (i + 1 >= bytes.length) return NEED_MORE;
        if (bytes[i + 1] !== 0x0a) fail("CR not followed by LF");
        this.addresses = parseV1Line(latin1(bytes, 0, i));
        return i + 2;
      }
      // Printable ASCII only; anything else (LF alone, NUL, 8-bit) cannot be a v1 header.
      if (c < 0x20 || c > 0x7e) fail("control or non-ASCII byte in v1 header");
    }
    if (bytes.length >= MAX_V1_LENGTH) fail(`v1 header longer than ${MAX_V1_LENGTH} bytes`);
    return NEED_MORE;
  }

  private scanV2(bytes: Uint8Array): number {
    const prefix = Math.min(bytes.length, V2_SIGNATURE.length);
    for (let i = 0; i < prefix; i++) {
      if (bytes[i] !== V2_SIGNATURE[i]) fail("bad v2 signature");
    }
    if (bytes.length > 12 && bytes[12] >> 4 !== 2) fail(`unsupported version ${bytes[12] >> 4}`);
    if (bytes.length > 12 && (bytes[12] & 0x0f) > 1) fail(`unknown command ${bytes[12] & 0x0f}`);
    if (bytes.length > 13 && (bytes[13] >> 4 > FAMILY_UNIX || (bytes[13] & 0x0f) > 2)) {
      fail(`unknown address family/transport 0x${bytes[13].toString(16)}`);
    }
    if (bytes.length < V2_HEADER) return NEED_MORE;
    const length = (bytes[14] << 8) | bytes[15];
    if (length > MAX_V2_LENGTH) fail(`v2 header length ${length} exceeds ${MAX_V2_LENGTH}`);
    if (bytes.length < V2_HEADER + length) return NEED_MORE;
    this.addresses = parseV2(bytes);
    return V2_HEADER + length;
  }
}
