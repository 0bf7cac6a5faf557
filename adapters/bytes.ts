/**
 * Byte helpers shared by the adapters: turning body chunks into bytes and
 * joining them into one array for a single-write response.
 */
import { concatBytes } from "../core/http/bytes.ts";

const encoder = new TextEncoder();

/** A response body chunk as bytes (strings UTF-8 encoded); anything else is a TypeError. */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`response body chunks must be Uint8Arrays, got ${typeof value}`);
}

/** The chunks joined into one array (no copy for a single chunk); null when there are none. */
export function concat(chunks: Uint8Array[]): Uint8Array | null {
  return chunks.length === 0 ? null : concatBytes(chunks);
}
