/**
 * Byte helpers of the WebSocket layer (joining chunks: core/http/bytes.ts
 * `concatBytes`). `copyBytes` exists because Node hands out Buffers, whose
 * `slice()` is a view, not a copy.
 */

/** A fresh copy of `bytes` with its own ArrayBuffer of exactly its length. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}
