/**
 * Word-at-a-time (SWAR) scanning: tests four bytes per step through a
 * DataView, for the long runs of a request head (field values, targets,
 * cached-value comparison). Each function stops at the first word that may
 * need a closer look; callers finish that word byte by byte, so a false
 * positive costs a little time and never changes a result.
 */

/** OR of all words accepted by the last {@link skipFieldValueWords} call (bit 7 of a byte set = obs-text seen). */
export let wordBits = 0;

/**
 * Advances over whole words made only of field-value bytes that need no
 * special handling: 0x20-0x7E and 0x80-0xFF (HTAB, CR, LF, other controls and
 * DEL stop the scan). Returns the offset of the first word not skipped.
 */
export function skipFieldValueWords(dv: DataView, i: number, stop: number): number {
  let bits = 0;
  const last = stop - 4;
  while (i <= last) {
    const w = dv.getInt32(i, true);
    // any byte < 0x20, or any byte == 0x7f (x ^ 0x7f has a zero byte)
    const d = w ^ 0x7f7f7f7f;
    if (((((w - 0x20202020) | 0) & ~w) | (((d - 0x01010101) | 0) & ~d)) & 0x80808080) break;
    bits |= w;
    i += 4;
  }
  wordBits = bits;
  return i;
}

/**
 * Advances over whole words of request-target bytes: visible ASCII
 * (0x21-0x7E) except `#`. Returns the offset of the first word not skipped.
 */
export function skipTargetWords(dv: DataView, i: number, stop: number): number {
  const last = stop - 4;
  while (i <= last) {
    const w = dv.getInt32(i, true);
    const d = w ^ 0x7f7f7f7f; // a zero byte where w has DEL
    const h = w ^ 0x23232323; // a zero byte where w has '#'
    if ((w | (((w - 0x21212121) | 0) & ~w) | (((d - 0x01010101) | 0) & ~d) | (((h - 0x01010101) | 0) & ~h)) & 0x80808080) break;
    i += 4;
  }
  return i;
}

/** Number of leading bytes (a multiple of 4, at most `n`) where `a` at `i` equals `b` at `k`. */
export function equalWords(a: DataView, i: number, b: DataView, k: number, n: number): number {
  let m = 0;
  const last = n - 4;
  while (m <= last && a.getInt32(i + m, true) === b.getInt32(k + m, true)) m += 4;
  return m;
}
