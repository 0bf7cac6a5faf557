/**
 * Joining byte chunks, shared by the request body (core/server/body.ts) and the
 * adapters' single-write responses (adapters/bytes.ts).
 */

/** The chunks as one array; a single chunk is returned without copying. `total` is their summed length if known. */
export function concatBytes(chunks: readonly Uint8Array[], total = -1): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  if (total < 0) {
    total = 0;
    for (let i = 0; i < chunks.length; i++) total += chunks[i].length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i], at);
    at += chunks[i].length;
  }
  return out;
}
