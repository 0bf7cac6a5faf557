/**
 * The two rarely used field sections of a response besides its head, as
 * wire bytes: the trailer section that ends a chunked body (RFC 9112
 * §7.1.2) and an informational `1xx` head sent before the final response
 * (`102 Processing`, `103 Early Hints`, RFC 9110 §15.2). App-given fields
 * are validated like response headers (token names; field values without
 * CR, LF, NUL or other controls but HTAB, latin1 only), so a bad one throws
 * {@link ResponseError} before a byte is written. Not on the hot path: the
 * serializer's own head writer stays as it is.
 */
import { FIELD_VALUE_CHAR, TCHAR } from "./chars.ts";
import { ResponseError } from "./serializer.ts";
import { reasonPhrase } from "./status.ts";
import type { HeaderList } from "./types.ts";

/** Checks one field line (see the module comment). */
function checkField(name: unknown, value: unknown, what: string): void {
  if (typeof name !== "string" || typeof value !== "string") {
    throw new ResponseError(`${what} ${String(name)} must be a string name with a string value`);
  }
  if (name.length === 0) throw new ResponseError(`empty ${what} name`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f || TCHAR[c] !== 1) throw new ResponseError(`invalid ${what} name ${JSON.stringify(name)}`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE_CHAR[c] !== 1 || c === 0x7f) {
      throw new ResponseError(`invalid character in ${what} ${name} value ${JSON.stringify(value)}`);
    }
  }
}

/** `name: value\r\n` lines of `fields` (validated) followed by `end`, as latin1 bytes. */
function encode(start: string, fields: HeaderList, what: string): Uint8Array {
  if ((fields.length & 1) !== 0) throw new ResponseError(`${what} list has an odd number of entries`);
  let text = start;
  for (let i = 0; i < fields.length; i += 2) {
    checkField(fields[i], fields[i + 1], what);
    text += fields[i] + ": " + fields[i + 1] + "\r\n";
  }
  text += "\r\n";
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The end of a chunked body with trailer fields: the last chunk `0\r\n`,
 * the fields, and the blank line.
 * @throws ResponseError for an invalid field
 */
export function lastChunkWithTrailers(trailers: HeaderList): Uint8Array {
  return encode("0\r\n", trailers, "trailer");
}

/**
 * An informational response head: `HTTP/1.1 <status> <reason>`, the
 * fields, the blank line. 100 is the connection's own (`Expect:
 * 100-continue`) and 101 belongs to the upgrade seam, so only 102–199.
 * @throws ResponseError for another status or an invalid field
 */
export function interimHead(status: number, fields: HeaderList): Uint8Array {
  if (!Number.isInteger(status) || status < 102 || status > 199) {
    throw new ResponseError(`informational status must be 102-199, got ${String(status)}`);
  }
  return encode(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`, fields, "header");
}
