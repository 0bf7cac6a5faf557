/**
 * Incremental UTF-8 validation (RFC 3629 well-formedness: no overlongs, no
 * surrogates, nothing above U+10FFFF), so a text message split across frames
 * or TCP reads is rejected as soon as its first bad byte arrives (RFC 6455
 * §8.1: fail the connection with 1007).
 */

/** Validator state across chunks: feed bytes, then {@link Utf8Validator.complete}. */
export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  private needed = 0;
  /** Allowed range of the next continuation byte (narrowed after some lead bytes). */
  private lower = 0x80;
  private upper = 0xbf;

  /** Feeds `bytes`; false once the input can no longer be valid UTF-8. */
  feed(bytes: Uint8Array): boolean {
    let needed = this.needed;
    if (needed < 0) return false;
    let lower = this.lower;
    let upper = this.upper;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (needed === 0) {
        if (b < 0x80) continue;
        if (b >= 0xc2 && b <= 0xdf) needed = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          needed = 2;
          if (b === 0xe0) lower = 0xa0; // no overlongs
          else if (b === 0xed) upper = 0x9f; // no surrogates
        } else if (b >= 0xf0 && b <= 0xf4) {
          needed = 3;
          if (b === 0xf0) lower = 0x90; // no overlongs
          else if (b === 0xf4) upper = 0x8f; // nothing above U+10FFFF
        } else return this.fail();
        continue;
      }
      if (b < lower || b > upper) return this.fail();
      lower = 0x80;
      upper = 0xbf;
      needed--;
    }
    this.needed = needed;
    this.lower = lower;
    this.upper = upper;
    return true;
  }

  /** True when the bytes fed so far end on a code point boundary; resets for the next message. */
  complete(): boolean {
    const ok = this.needed === 0;
    this.reset();
    return ok;
  }

  /** Forget everything (start of a new message). */
  reset(): void {
    this.needed = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }

  private fail(): false {
    this.needed = -1;
    return false;
  }
}

/** Whether `bytes` is one complete, valid UTF-8 string. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const validator = new Utf8Validator();
  return validator.feed(bytes) && validator.complete();
}
