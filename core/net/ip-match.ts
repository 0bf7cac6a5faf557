/**
 * IP addresses and allow-lists of peers (`forwarded_allow_ips`,
 * `proxy_allow_ips`): parsing IPv4/IPv6 text into numbers, and matching an
 * address against a list of addresses and CIDR networks compiled once.
 *
 * Every address is handled as 128 bits (four unsigned 32-bit words); an IPv4
 * address is its IPv4-mapped IPv6 form `::ffff:a.b.c.d`. So `127.0.0.1`,
 * `::ffff:127.0.0.1` (how Node reports IPv4 peers on a dual-stack socket)
 * and `::ffff:7f00:1` are one address, and `10.0.0.0/8` is `::ffff:a00:0/104`.
 *
 * ```ts
 * const trusted = compileAllowList(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
 * trusted.matches("::ffff:10.1.2.3"); // true
 * ```
 */

/** Scratch words for parsing on the hot path (parsing is synchronous, so one buffer suffices). */
const scratch = new Uint32Array(4);

/** Parses a dotted-quad IPv4 address (no leading zeros, each part 0-255); returns its 32-bit value or -1. */
export function parseIpv4(text: string, start = 0, end = text.length): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const first = i;
    let part = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      part = part * 10 + (c - 0x30);
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 3 || part > 255) return -1;
    if (digits > 1 && text.charCodeAt(first) === 0x30) return -1; // "01": octal in some parsers
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= end || text.charCodeAt(i) !== 0x2e /* . */) return -1;
      i++;
    }
  }
  return i === end ? value : -1;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * Parses an IPv6 address (RFC 4291 text forms: `::` compression, trailing
 * dotted IPv4, a `%zone` suffix which is ignored) into `out` as four 32-bit
 * words. Returns false when the text is not an IPv6 address.
 */
function parseIpv6Into(text: string, start: number, end: number, out: Uint32Array): boolean {
  const percent = text.indexOf("%", start);
  if (percent !== -1 && percent < end) {
    if (percent === end - 1) return false; // empty zone
    end = percent;
  }
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  let gap = -1; // index in `groups` where `::` stands
  let i = start;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === 0x3a /* : */) {
    if (text.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      out.fill(0);
      return true; // "::"
    }
  }
  for (;;) {
    if (count === 8) return false;
    // A dotted IPv4 tail takes the last two groups.
    let j = i;
    let hex = 0;
    let digits = 0;
    while (j < end) {
      const d = hexDigit(text.charCodeAt(j));
      if (d < 0) break;
      hex = hex * 16 + d;
      digits++;
      j++;
    }
    if (j < end && text.charCodeAt(j) === 0x2e /* . */) {
      if (count > 6) return false;
      const v4 = parseIpv4(text, i, end);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = hex;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (text.charCodeAt(i) === 0x3a) {
      if (gap !== -1) return false; // a second "::"
      gap = count;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single ":"
    }
  }
  if (gap === -1) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false; // "::" must stand for at least one group
    const tail = count - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w] << 16) | groups[2 * w + 1]) >>> 0;
  return true;
}

/**
 * Parses an IPv4 or IPv6 address into `out` (four 32-bit words, IPv4 as
 * `::ffff:a.b.c.d`). Returns false when `text` is not an IP address.
 */
export function parseIpInto(text: string, out: Uint32Array): boolean {
  if (text.indexOf(":") === -1) {
    const v4 = parseIpv4(text);
    if (v4 < 0) return false;
    out[0] = 0;
    out[1] = 0;
    out[2] = 0xffff;
    out[3] = v4;
    return true;
  }
  return parseIpv6Into(text, 0, text.length, out);
}

/** True when `text` is an IPv4 or IPv6 address. */
export function isIpAddress(text: string): boolean {
  return parseIpInto(text, scratch);
}

/** True when `text` is an IPv4 address in dotted-quad form. */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) >= 0;
}

/** True when `text` is an IPv6 address (including IPv4-mapped forms such as `::ffff:1.2.3.4`). */
export function isIpv6(text: string): boolean {
  return text.indexOf(":") !== -1 && parseIpv6Into(text, 0, text.length, scratch);
}

/** One network of an allow-list: 128-bit base address and prefix length. */
export interface Network {
  /** Base address as four 32-bit words (host bits cleared). */
  readonly words: Uint32Array;
  /** Prefix length over the 128-bit form (an IPv4 `/8` is 104). */
  readonly prefix: number;
}

/**
 * Parses an allow-list item: an IP address (a /32 or /128 network) or a CIDR
 * network (`10.0.0.0/8`, `2001:db8::/32`). Host bits after the prefix are
 * allowed and ignored (`10.1.2.3/8` is `10.0.0.0/8`). Returns null when the
 * item is neither.
 */
export function parseNetwork(item: string): Network | null {
  const slash = item.indexOf("/");
  const addressText = slash === -1 ? item : item.slice(0, slash);
  const words = new Uint32Array(4);
  if (addressText.indexOf("%") !== -1 || !parseIpInto(addressText, words)) return null;
  const v4 = addressText.indexOf(":") === -1;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const text = item.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text) || (text.length > 1 && text[0] === "0")) return null;
    bits = Number(text);
    if (bits > max) return null;
  }
  const prefix = v4 ? 96 + bits : bits;
  for (let w = 0; w < 4; w++) words[w] = (words[w] & wordMask(prefix, w)) >>> 0;
  return { words, prefix };
}

/** Mask of word `w` (0-3) for a 128-bit prefix of `prefix` bits. */
function wordMask(prefix: number, w: number): number {
  const bits = prefix - 32 * w;
  if (bits >= 32) return 0xffffffff;
  if (bits <= 0) return 0;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** A compiled allow-list of peers. */
export interface AddressMatcher {
  /** True when the list holds `*` (every peer matches). */
  readonly any: boolean;
  /** Whether `address` (an IPv4/IPv6 address as a runtime reports it) is in the list. Non-addresses never match. */
  matches(address: string): boolean;
}

/**
 * Compiles allow-list items (`*`, IP addresses, CIDR networks, as validated
 * by the settings) into an {@link AddressMatcher}. Throws a RangeError naming
 * an item that is none of these.
 */
export function compileAllowList(items: readonly string[]): AddressMatcher {
  if (items.includes("*")) return { any: true, matches: () => true };
  const count = items.length;
  // Per network: 4 base words then 4 mask words, in one flat array.
  const table = new Uint32Array(count * 8);
  const exact = new Set<string>();
  for (let n = 0; n < count; n++) {
    const network = parseNetwork(items[n]);
    if (network === null) throw new RangeError(`not an IP address or network: ${JSON.stringify(items[n])}`);
    if (items[n].indexOf("/") === -1) exact.add(items[n].toLowerCase());
    for (let w = 0; w < 4; w++) {
      table[n * 8 + w] = network.words[w];
      table[n * 8 + 4 + w] = wordMask(network.prefix, w);
    }
  }
  return {
    any: false,
    matches(address: string): boolean {
      if (count === 0) return false;
      if (exact.has(address)) return true; // common case: the peer is spelled as configured
      if (!parseIpInto(address, scratch)) return false;
      for (let base = 0; base < table.length; base += 8) {
        if (
          ((scratch[0] & table[base + 4]) >>> 0) === table[base] &&
          ((scratch[1] & table[base + 5]) >>> 0) === table[base + 1] &&
          ((scratch[2] & table[base + 6]) >>> 0) === table[base + 2] &&
          ((scratch[3] & table[base + 7]) >>> 0) === table[base + 3]
        ) {
          return true;
        }
      }
      return false;
    },
  };
}

/**
 * Whether a connection's peer is trusted by `matcher`. A Unix-socket peer
 * (address `""`) is a local process and always trusted, as in gunicorn.
 */
export function isTrustedPeer(matcher: AddressMatcher, address: string): boolean {
  return address === "" || matcher.matches(address);
}
