/**
 * Memory for outgoing frames. Small whole frames are carved out of shared
 * 64 KiB slabs, like the HTTP serializer's responses: one backing-store
 * allocation per hundreds of frames instead of one per frame, and — on
 * Node — no per-write cost of turning a small on-heap Uint8Array into a
 * Buffer (its `.buffer` has to be moved off the heap first; a slab view's
 * already is): 32 B echoes on Node −15 % CPU per message. A region is handed
 * out once and never written again, so a socket may keep it until it is
 * sent. (The 10-byte header written in front of a large payload measured
 * slower from a slab than as its own array on Node, so it is not taken
 * from here.)
 */

const SLAB_SIZE = 64 * 1024;
/** Frames above this get an array of their own (a slab holds at least four). */
const SLAB_MAX_FRAME = SLAB_SIZE / 4;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/** `length` zeroed bytes no one else holds, for one frame (see the module comment). */
export function frameBytes(length: number): Uint8Array {
  if (length > SLAB_MAX_FRAME) return new Uint8Array(length);
  if (used + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  const out = slab.subarray(used, used + length);
  used += length;
  return out;
}
