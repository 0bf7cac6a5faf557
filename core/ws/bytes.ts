/**
 * Byte helpers of the WebSocket layer. `copyBytes` exists because Node hands
 * out Buffers, whose `slice()` is a view, not a copy.
 */

const EMPTY = new Uint8Array(0);

/** A fresh copy of `bytes` with its own ArrayBuffer of exactly its length. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/** The chunks as one array (no copy for a single chunk). */
export function joinBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
