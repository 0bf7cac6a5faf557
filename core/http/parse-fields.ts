/**
 * Byte-level interpretation of the few field values that change how a request
 * is framed or handled: Content-Length, Transfer-Encoding, Connection, Expect
 * and Host. Values arrive already validated as field-value bytes and trimmed
 * of surrounding whitespace.
 */
import { COLON, COMMA, HEX_VALUE, HTAB, IP_LITERAL_CHAR, LOWER, REG_NAME_CHAR, SP, TCHAR } from "./chars.ts";
import { HttpError } from "./errors.ts";

/** Most list elements accepted in one field value (more is a malformed request). */
const MAX_ELEMENTS = 64;
/** Scratch `[start0, end0, start1, end1, …]` for {@link splitTokens}; reused, never escapes. */
const spans = new Int32Array(MAX_ELEMENTS * 2);

/**
 * Splits a comma-separated token list (`#token`, RFC 9110 §5.6.1) into {@link spans}.
 * Empty elements are kept as zero-length spans. Returns the element count, or
 * -1 when an element is not a token or there are too many elements.
 */
function splitTokens(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  let i = start;
  for (;;) {
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    const ts = i;
    while (i < end && TCHAR[buf[i]] === 1) i++;
    const te = i;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (n === MAX_ELEMENTS) return -1;
    spans[2 * n] = ts;
    spans[2 * n + 1] = te;
    n++;
    if (i === end) return n;
    if (buf[i] !== COMMA) return -1;
    i++;
  }
}

/** True when `buf[start, end)` equals the lower-case ASCII `word`, ignoring ASCII case. */
function equalsIgnoreCase(buf: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (LOWER[buf[start + i]] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Parses a Content-Length value: `1*DIGIT`, or a comma list of identical
 * values (RFC 9110 §8.6). At most 16 digits and Number.MAX_SAFE_INTEGER.
 * @throws HttpError 400 on anything else.
 */
export function parseContentLength(buf: Uint8Array, start: number, end: number): number {
  const n = splitTokens(buf, start, end);
  if (n < 0) throw new HttpError(400, "invalid Content-Length");
  let value = -1;
  for (let e = 0; e < n; e++) {
    const s = spans[2 * e];
    const t = spans[2 * e + 1];
    if (t === s || t - s > 16) throw new HttpError(400, "invalid Content-Length");
    let v = 0;
    for (let i = s; i < t; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) throw new HttpError(400, "invalid Content-Length");
      v = v * 10 + d;
    }
    if (v > Number.MAX_SAFE_INTEGER) throw new HttpError(400, "Content-Length too large");
    if (value !== -1 && v !== value) throw new HttpError(400, "conflicting Content-Length values");
    value = v;
  }
  return value;
}

/** Bit in {@link scanTransferCodings}' result: the last coding of this field value is `chunked`. */
export const TE_LAST_CHUNKED = 4;
/** Bit in {@link scanTransferCodings}' result: a coding other than `chunked` occurs. */
export const TE_OTHER = 8;
/** Mask of the `chunked` occurrence count (0-2, saturating) in {@link scanTransferCodings}' result. */
export const TE_CHUNKED_COUNT = 3;

/**
 * Scans one Transfer-Encoding field value. Returns `count | TE_LAST_CHUNKED? | TE_OTHER?`
 * where `count` is how often `chunked` occurs (saturating at 2). Empty list
 * elements are ignored as RFC 9110 §5.6.1 requires (`, chunked` is chunked).
 * @throws HttpError 400 when no coding is named or a coding is not a token
 * (parameters are not supported by any coding we implement).
 */
export function scanTransferCodings(buf: Uint8Array, start: number, end: number): number {
  const n = splitTokens(buf, start, end);
  if (n < 0) throw new HttpError(400, "invalid Transfer-Encoding");
  let count = 0;
  let other = 0;
  let last = -1;
  for (let e = 0; e < n; e++) {
    const s = spans[2 * e];
    const t = spans[2 * e + 1];
    if (t === s) continue;
    if (equalsIgnoreCase(buf, s, t, "chunked")) {
      if (count < 2) count++;
      last = TE_LAST_CHUNKED;
    } else {
      other = TE_OTHER;
      last = 0;
    }
  }
  if (last < 0) throw new HttpError(400, "invalid Transfer-Encoding");
  return count | last | other;
}

/** Bit in {@link scanConnection}' result: the `close` option. */
export const CONN_CLOSE = 1;
/** Bit in {@link scanConnection}' result: the `keep-alive` option. */
export const CONN_KEEP_ALIVE = 2;

/**
 * Scans a Connection field value (`#connection-option`, case-insensitive tokens;
 * empty elements ignored). Returns a mask of {@link CONN_CLOSE} / {@link CONN_KEEP_ALIVE}.
 * @throws HttpError 400 when an element is not a token.
 */
export function scanConnection(buf: Uint8Array, start: number, end: number): number {
  const n = splitTokens(buf, start, end);
  if (n < 0) throw new HttpError(400, "invalid Connection header");
  let mask = 0;
  for (let e = 0; e < n; e++) {
    const s = spans[2 * e];
    const t = spans[2 * e + 1];
    if (equalsIgnoreCase(buf, s, t, "close")) mask |= CONN_CLOSE;
    else if (equalsIgnoreCase(buf, s, t, "keep-alive")) mask |= CONN_KEEP_ALIVE;
  }
  return mask;
}

/** {@link scanExpect} result: no expectation (empty value). */
export const EXPECT_NONE = 0;
/** {@link scanExpect} result: `100-continue` only. */
export const EXPECT_CONTINUE = 1;
/** {@link scanExpect} result: some expectation other than `100-continue` (answer 417). */
export const EXPECT_UNSUPPORTED = 2;

/** Classifies an Expect field value (case-insensitive; empty list elements ignored). */
export function scanExpect(buf: Uint8Array, start: number, end: number): number {
  const n = splitTokens(buf, start, end);
  if (n < 0) return EXPECT_UNSUPPORTED;
  let result = EXPECT_NONE;
  for (let e = 0; e < n; e++) {
    const s = spans[2 * e];
    const t = spans[2 * e + 1];
    if (s === t) continue;
    if (!equalsIgnoreCase(buf, s, t, "100-continue")) return EXPECT_UNSUPPORTED;
    result = EXPECT_CONTINUE;
  }
  return result;
}

/** `dec-octet "." dec-octet "." dec-octet "." dec-octet` (RFC 3986 §3.2.2: 0-255, no leading zeros). */
function isIpv4(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= end || buf[i] !== 0x2e) return false;
      i++;
    }
    const first = i;
    let value = 0;
    while (i < end && i - first < 3 && buf[i] >= 0x30 && buf[i] <= 0x39) value = value * 10 + buf[i++] - 0x30;
    if (i === first || value > 255 || (buf[first] === 0x30 && i - first > 1)) return false;
  }
  return i === end;
}

/** RFC 3986 `IPv6address` (eight 16-bit groups, one `::` for a run of zeros, an IPv4 tail allowed). */
function isIpv6(buf: Uint8Array, start: number, end: number): boolean {
  let i = start;
  let groups = 0;
  let elided = false;
  if (i + 1 < end && buf[i] === COLON && buf[i + 1] === COLON) {
    elided = true;
    i += 2;
    if (i === end) return true;
  }
  for (;;) {
    let j = i;
    while (j < end && j - i < 5 && HEX_VALUE[buf[j]] !== 0xff) j++;
    if (j < end && buf[j] === 0x2e) {
      if (!isIpv4(buf, i, end)) return false;
      groups += 2;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups++;
    i = j;
    if (i === end) break;
    if (buf[i] !== COLON || ++i === end) return false;
    if (buf[i] === COLON) {
      if (elided) return false;
      elided = true;
      if (++i === end) break;
    }
  }
  return elided ? groups <= 7 : groups === 8;
}

/** RFC 3986 `IP-literal` content: `IPv6address`, or `IPvFuture` (`v` 1*HEXDIG "." 1*(unreserved / sub-delims / ":")). */
function isIpLiteral(buf: Uint8Array, start: number, end: number): boolean {
  if ((buf[start] | 0x20) !== 0x76) return isIpv6(buf, start, end);
  let i = start + 1;
  while (i < end && HEX_VALUE[buf[i]] !== 0xff) i++;
  if (i === start + 1 || i + 1 >= end || buf[i] !== 0x2e) return false;
  for (i++; i < end; i++) if (IP_LITERAL_CHAR[buf[i]] !== 1) return false;
  return true;
}

/**
 * True when `buf[start, end)` is `uri-host [":" port]` (RFC 9110 §7.2,
 * RFC 3986 §3.2.2-3.2.3): an IP-literal in brackets or a reg-name (with valid
 * pct-encoding), then optionally `:` and a port of at most 65535. With
 * `authorityForm` the host must be non-empty and the port present (CONNECT's `host:port`).
 */
export function isValidAuthority(buf: Uint8Array, start: number, end: number, authorityForm: boolean): boolean {
  let i = start;
  if (i < end && buf[i] === 0x5b) {
    i++;
    const inner = i;
    while (i < end && buf[i] !== 0x5d) i++;
    if (i === end || !isIpLiteral(buf, inner, i)) return false;
    i++;
  } else {
    while (i < end) {
      const b = buf[i];
      if (b === 0x25) {
        if (i + 2 >= end || HEX_VALUE[buf[i + 1]] === 0xff || HEX_VALUE[buf[i + 2]] === 0xff) return false;
        i += 3;
      } else if (REG_NAME_CHAR[b] === 1) {
        i++;
      } else {
        break;
      }
    }
  }
  const hostEnd = i;
  if (i === end) return !authorityForm;
  if (buf[i] !== COLON) return false;
  const portStart = ++i;
  let port = 0;
  while (i < end && buf[i] >= 0x30 && buf[i] <= 0x39) port = port * 10 + buf[i++] - 0x30;
  if (i !== end || end - portStart > 5 || port > 65535) return false;
  return !authorityForm || (hostEnd > start && end > portStart);
}

/** True when `buf[start, end)` is a valid Host field value (empty is valid: RFC 9112 §3.2). */
export function isValidHost(buf: Uint8Array, start: number, end: number): boolean {
  return isValidAuthority(buf, start, end, false);
}
