/**
 * Request-target form rules (RFC 9112 §3.2): which of origin-, absolute-,
 * authority- and asterisk-form a request may use depends on its method.
 */
import { SCHEME_CHAR } from "./chars.ts";
import { HttpError } from "./errors.ts";
import { isValidAuthority } from "./parse-fields.ts";

const SLASH = 0x2f;
const STAR = 0x2a;
const COLON = 0x3a;

function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * Checks that the request-target `buf[start, end)` (already known to be
 * non-empty visible ASCII) has a form allowed for `method`:
 * - CONNECT: authority-form only, `host:port` with a non-empty host and a 1-5 digit port;
 * - `*`: only with OPTIONS, and only alone;
 * - otherwise origin-form (`/…`) or absolute-form (`scheme://…`, scheme = ALPHA *(ALPHA/DIGIT/+/-/.)).
 * @throws HttpError 400 when the form does not fit.
 */
export function checkTargetForm(method: string, buf: Uint8Array, start: number, end: number): void {
  const first = buf[start];
  if (method === "CONNECT") {
    if (!isValidAuthority(buf, start, end, true)) throw new HttpError(400, "invalid CONNECT target");
    return;
  }
  if (first === SLASH) return;
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
}
