/**
 * Request-target form rules (RFC 9112 §3.2): which of origin-, absolute-,
 * authority- and asterisk-form a request may use depends on its method.
 */
import { HEX_VALUE, SCHEME_CHAR } from "./chars.ts";
import { HttpError } from "./errors.ts";
import { isValidAuthority } from "./parse-fields.ts";

const SLASH = 0x2f;
const STAR = 0x2a;
const COLON = 0x3a;
const QUESTION = 0x3f;
const PERCENT = 0x25;

function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * Checks that the request-target `buf[start, end)` (already known to be
 * non-empty visible ASCII) has a form allowed for `method`:
 * - CONNECT: authority-form only, `host:port` with a non-empty host and a 1-5 digit port;
 * - `*`: only with OPTIONS, and only alone;
 * - otherwise origin-form (`/…`) or absolute-form (`scheme://…`, scheme = ALPHA *(ALPHA/DIGIT/+/-/.)),
 *   whose path has well-formed escapes ({@link checkPathEscapes}).
 * @throws HttpError 400 when the form does not fit.
 */
export function checkTargetForm(method: string, buf: Uint8Array, start: number, end: number): void {
  const first = buf[start];
  if (method === "CONNECT") {
    if (!isValidAuthority(buf, start, end, true)) throw new HttpError(400, "invalid CONNECT target");
    return;
  }
  if (first === SLASH) {
    checkPathEscapes(buf, start, end);
    return;
  }
  if (first === STAR) {
    if (end - start !== 1 || method !== "OPTIONS") throw new HttpError(400, "asterisk-form only allowed for OPTIONS");
    return;
  }
  if (!isAlpha(first)) throw new HttpError(400, "invalid request target");
  let i = start + 1;
  while (i < end && SCHEME_CHAR[buf[i]] === 1) i++;
  if (end - i < 4 || buf[i] !== COLON || buf[i + 1] !== SLASH || buf[i + 2] !== SLASH) {
    throw new HttpError(400, "invalid request target");
  }
  // The authority, up to the path or query (RFC 3986 §3.2): no userinfo (RFC 9110 §4.2.4),
  // and for http/https a host (RFC 9110 §4.2.1).
  const authority = i + 3;
  let authorityEnd = authority;
  while (authorityEnd < end && buf[authorityEnd] !== SLASH && buf[authorityEnd] !== QUESTION) authorityEnd++;
  if (!isValidAuthority(buf, authority, authorityEnd, false)) throw new HttpError(400, "invalid authority in request target");
  if ((authorityEnd === authority || buf[authority] === COLON) && isHttpScheme(buf, start, i)) {
    throw new HttpError(400, "empty host in request target");
  }
  checkPathEscapes(buf, authorityEnd, end);
}

/**
 * The path of a target (`buf[start, end)` up to its `?`): every `%` starts a
 * pct-encoded byte (`%` HEXDIG HEXDIG, RFC 3986 §2.1) other than `%00`. A
 * malformed escape cannot be decoded to a path, and a NUL in a decoded path
 * ends strings early in whatever the app hands it to; nginx refuses both
 * with 400 too. The query is passed as sent (it is the app's to decode).
 */
function checkPathEscapes(buf: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === QUESTION) return;
    if (b !== PERCENT) continue;
    const high = i + 2 < end ? HEX_VALUE[buf[i + 1]] : 0xff;
    const low = i + 2 < end ? HEX_VALUE[buf[i + 2]] : 0xff;
    if (high === 0xff || low === 0xff) throw new HttpError(400, "malformed percent-encoding in request target path");
    if (high === 0 && low === 0) throw new HttpError(400, "encoded NUL in request target path");
    i += 2;
  }
}

/** `buf[start, end)` is `http` or `https`, in any case. */
function isHttpScheme(buf: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n !== 4 && n !== 5) return false;
  if ((buf[start] | 0x20) !== 0x68 || (buf[start + 1] | 0x20) !== 0x74 || (buf[start + 2] | 0x20) !== 0x74 || (buf[start + 3] | 0x20) !== 0x70) return false;
  return n === 4 || (buf[start + 4] | 0x20) === 0x73;
}
