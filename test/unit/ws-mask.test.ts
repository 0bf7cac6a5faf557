import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMask } from "../../core/ws/mask.ts";

/** RFC 6455 §5.3 written out byte by byte: the reference the word-wise version must match. */
function referenceMask(data: Uint8Array, mask: Uint8Array, offset: number): number {
  for (let i = 0; i < data.length; i++) {
    data[i] ^= mask[offset];
    offset = (offset + 1) & 3;
  }
  return offset;
}

describe("applyMask", () => {
  it("matches the byte-by-byte definition for any length, alignment and key position (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (payload, shift, mask, offset) => {
          // The payload at every alignment of its ArrayBuffer.
          const backing = new Uint8Array(payload.length + 8);
          const data = backing.subarray(shift, shift + payload.length);
          data.set(payload);
          const expected = payload.slice();
          const expectedOffset = referenceMask(expected, mask, offset);
          expect(applyMask(data, mask, offset)).toBe(expectedOffset);
          expect(Array.from(data)).toEqual(Array.from(expected));
          // Bytes around the view are untouched.
          expect(Array.from(backing.subarray(0, shift))).toEqual(new Array(shift).fill(0));
          expect(Array.from(backing.subarray(shift + payload.length))).toEqual(new Array(8 - shift).fill(0));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("continues the key across a payload split at any point", () => {
    const mask = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
    const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const expected = payload.slice();
    referenceMask(expected, mask, 0);
    for (let cut = 0; cut <= payload.length; cut++) {
      const data = payload.slice();
      const offset = applyMask(data.subarray(0, cut), mask, 0);
      applyMask(data.subarray(cut), mask, offset);
      expect(data).toEqual(expected);
    }
  });
});
