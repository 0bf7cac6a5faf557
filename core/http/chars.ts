/**
 * Byte-class lookup tables for the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112).
 * Each table is a `Uint8Array(256)` indexed by byte value, so a class test in a
 * scan loop is one load instead of a chain of comparisons.
 */

/** Horizontal tab. */
export const HTAB = 0x09;
/** Line feed. */
export const LF = 0x0a;
/** Carriage return. */
export const CR = 0x0d;
/** Space. */
export const SP = 0x20;
/** `"` */
export const DQUOTE = 0x22;
/** `,` */
export const COMMA = 0x2c;
/** `:` */
export const COLON = 0x3a;
/** `;` */
export const SEMI = 0x3b;
/** `=` */
export const EQUALS = 0x3d;
/** `\` */
export const BACKSLASH = 0x5c;

function table(pred: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = pred(b) ? 1 : 0;
  return t;
}

function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** `tchar` (RFC 9110 §5.6.2): the characters of a token (methods, field names, codings). */
export const TCHAR = table((b) => isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/**
 * Bytes allowed in a request-target: visible ASCII (0x21-0x7E) except `#`
 * (a fragment is never part of a request-target, RFC 9112 §3.2).
 */
export const TARGET_CHAR = table((b) => b >= 0x21 && b <= 0x7e && b !== 0x23);

/**
 * Bytes allowed inside a field value: HTAB, SP, VCHAR and obs-text (0x80-0xFF).
 * CR, LF, NUL, DEL and the other controls are excluded.
 */
export const FIELD_VALUE_CHAR = table((b) => b === HTAB || (b >= 0x20 && b <= 0x7e) || b >= 0x80);

/** `qdtext` (RFC 9110 §5.6.4): bytes allowed unescaped inside a quoted-string. */
export const QDTEXT = table((b) => b === HTAB || b === SP || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80);

/** Bytes that may follow a `\` in a quoted-pair: HTAB, SP, VCHAR, obs-text. */
export const QUOTED_PAIR_CHAR = table((b) => b === HTAB || (b >= 0x20 && b <= 0x7e) || b >= 0x80);

/** `reg-name` bytes other than pct-encoded (RFC 3986 §3.2.2): unreserved and sub-delims (covers IPv4 too). */
export const REG_NAME_CHAR = table((b) => isAlpha(b) || isDigit(b) || "-._~!$&'()*+,;=".includes(String.fromCharCode(b)));

/** Bytes inside an IP-literal's brackets: IPv6 (hex, `:`, `.`) and IPvFuture (unreserved, sub-delims, `:`). */
export const IP_LITERAL_CHAR = table((b) => isAlpha(b) || isDigit(b) || "-._~!$&'()*+,;=:".includes(String.fromCharCode(b)));

/** URI scheme characters after the first letter: ALPHA / DIGIT / "+" / "-" / ".". */
export const SCHEME_CHAR = table((b) => isAlpha(b) || isDigit(b) || b === 0x2b || b === 0x2d || b === 0x2e);

/** Hex digit value, or 0xff for a non-HEXDIG byte. */
export const HEX_VALUE = (() => {
  const t = new Uint8Array(256).fill(0xff);
  for (let b = 0x30; b <= 0x39; b++) t[b] = b - 0x30;
  for (let b = 0x41; b <= 0x46; b++) t[b] = b - 0x41 + 10;
  for (let b = 0x61; b <= 0x66; b++) t[b] = b - 0x61 + 10;
  return t;
})();

/** ASCII lower-casing table (other bytes map to themselves). */
export const LOWER = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
  return t;
})();

/** Strings longer than this are decoded in slices, to stay far below engine argument-count limits. */
const DECODE_SLICE = 4096;
/** Below this length a plain loop beats both `fromCharCode.apply` and TextDecoder (and V8 makes flat strings). */
const SHORT_STRING = 10;
/** UTF-8 decoding equals latin1 decoding for ASCII-only bytes, and TextDecoder is the fastest portable decoder. */
const asciiDecoder = new TextDecoder();

/** A native latin1 decoder: `(bytes, start, end) => string`, each byte one UTF-16 code unit. */
export type Latin1Decoder = (buf: Uint8Array, start: number, end: number) => string;

let nativeLatin1: Latin1Decoder | null = null;

/**
 * Installs a runtime's native latin1 decoder for strings of 10 bytes and more
 * (e.g. on Node: `(b, s, e) => Buffer.prototype.latin1Slice.call(b, s, e)`,
 * roughly twice as fast as TextDecoder there). Core stays free of runtime
 * APIs: only a runtime entry point calls this. `null` restores the portable paths.
 */
export function setLatin1Decoder(decoder: Latin1Decoder | null): void {
  nativeLatin1 = decoder;
}

/**
 * Decodes `buf[start, end)` as latin1 (each byte one UTF-16 code unit).
 * `asciiOnly` is the caller's promise that no byte is >= 0x80, which allows
 * the (much faster for long strings) TextDecoder path.
 */
export function latin1(buf: Uint8Array, start: number, end: number, asciiOnly = false): string {
  const n = end - start;
  if (n < SHORT_STRING) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  if (nativeLatin1 !== null) return nativeLatin1(buf, start, end);
  if (asciiOnly) return asciiDecoder.decode(buf.subarray(start, end));
  if (n <= DECODE_SLICE) {
    return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  let s = "";
  for (let i = start; i < end; i += DECODE_SLICE) {
    const j = i + DECODE_SLICE < end ? i + DECODE_SLICE : end;
    s += String.fromCharCode.apply(null, buf.subarray(i, j) as unknown as number[]);
  }
  return s;
}

/** Decodes the token `buf[start, end)` (ASCII by grammar) ASCII-lower-cased: field names outside the intern table. */
export function tokenLower(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n < SHORT_STRING) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(LOWER[buf[i]]);
    return s;
  }
  return asciiDecoder.decode(buf.subarray(start, end)).toLowerCase();
}
