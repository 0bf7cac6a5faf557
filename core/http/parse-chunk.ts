/**
 * Chunk-extension syntax (RFC 9112 §7.1.1), validated and skipped: no
 * extension is understood, but a malformed one is a framing error.
 */
import { BACKSLASH, CR, DQUOTE, EQUALS, HTAB, LF, QDTEXT, QUOTED_PAIR_CHAR, SEMI, SP, TCHAR } from "./chars.ts";

function skipBws(buf: Uint8Array, i: number, stop: number): number {
  while (i < stop && (buf[i] === SP || buf[i] === HTAB)) i++;
  return i;
}

/**
 * Scans `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`
 * starting right after the chunk size. Returns the position of the line
 * terminator (or `stop` when the input ends first), or `-(p + 1)` when the
 * byte at `p` breaks the grammar (this includes whitespace before the CRLF).
 */
export function scanChunkExtensions(buf: Uint8Array, i: number, stop: number): number {
  for (;;) {
    if (i === stop) return stop;
    let c = buf[i];
    if (c === CR || c === LF) return i;
    const j = skipBws(buf, i, stop);
    if (j === stop) return stop;
    if (buf[j] !== SEMI) return -(j + 1);
    i = skipBws(buf, j + 1, stop);
    const nameStart = i;
    while (i < stop && TCHAR[buf[i]] === 1) i++;
    if (i === stop) return stop;
    if (i === nameStart) return -(i + 1);
    const k = skipBws(buf, i, stop);
    if (k === stop) return stop;
    if (buf[k] !== EQUALS) continue;
    i = skipBws(buf, k + 1, stop);
    if (i === stop) return stop;
    if (buf[i] === DQUOTE) {
      i++;
      for (;;) {
        if (i === stop) return stop;
        c = buf[i];
        if (c === DQUOTE) break;
        if (c === BACKSLASH) {
          if (i + 1 === stop) return stop;
          if (QUOTED_PAIR_CHAR[buf[i + 1]] !== 1) return -(i + 2);
          i += 2;
        } else if (QDTEXT[c] === 1) {
          i++;
        } else {
          return -(i + 1);
        }
      }
      i++;
    } else {
      const valueStart = i;
      while (i < stop && TCHAR[buf[i]] === 1) i++;
      if (i === stop) return stop;
      if (i === valueStart) return -(i + 1);
    }
  }
}
