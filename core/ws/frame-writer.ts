/**
 * WebSocket frame serializer (RFC 6455 §5.2): the header for a payload of a
 * given length (7-, 16- or 64-bit length field), with or without a masking
 * key; and whole frames in one array when copying is cheaper than a second
 * socket write.
 */
import { frameBytes } from "./frame-buffers.ts";
import { applyMask } from "./mask.ts";

/** Payloads up to this size are copied behind their header (one write); larger ones go as header + payload. */
export const COPY_LIMIT = 16 * 1024;

/** Header length for a payload of `length` bytes. */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a frame header into `out` at `at`; returns the position after it.
 * @param maskKey 4 bytes to mask with (client frames), or null (server frames)
 */
export function writeHeader(
  out: Uint8Array, at: number, opcode: number, fin: boolean, rsv1: boolean, length: number, maskKey: Uint8Array | null,
): number {
  out[at++] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = maskKey !== null ? 0x80 : 0;
  if (length < 126) {
    out[at++] = maskBit | length;
  } else if (length < 0x10000) {
    out[at++] = maskBit | 126;
    out[at++] = length >>> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    out[at++] = 0;
    out[at++] = 0;
    out[at++] = (high >>> 8) & 0xff;
    out[at++] = high & 0xff;
    out[at++] = length >>> 24;
    out[at++] = (length >>> 16) & 0xff;
    out[at++] = (length >>> 8) & 0xff;
    out[at++] = length & 0xff;
  }
  if (maskKey !== null) {
    out.set(maskKey.subarray(0, 4), at);
    at += 4;
  }
  return at;
}

/**
 * One complete frame (header and payload copied into fresh bytes of their own, see frame-buffers.ts).
 * @param maskKey 4 bytes to mask the payload with (client side), or null
 */
export function encodeFrame(
  opcode: number, payload: Uint8Array, fin = true, rsv1 = false, maskKey: Uint8Array | null = null,
): Uint8Array {
  const start = headerLength(payload.length, maskKey !== null);
  const out = frameBytes(start + payload.length);
  writeHeader(out, 0, opcode, fin, rsv1, payload.length, maskKey);
  out.set(payload, start);
  if (maskKey !== null) applyMask(out.subarray(start), maskKey, 0);
  return out;
}

/** Just the header of a frame whose payload is written separately (unmasked, server side). */
export function encodeHeader(opcode: number, fin: boolean, rsv1: boolean, length: number): Uint8Array {
  const out = new Uint8Array(headerLength(length, false));
  writeHeader(out, 0, opcode, fin, rsv1, length, null);
  return out;
}

const encoder = new TextEncoder();

/** Payload of a Close frame: 2-byte code and UTF-8 reason (no payload when `code` is 0). */
export function closePayload(code: number, reason: string): Uint8Array {
  if (code === 0) return new Uint8Array(0);
  const text = encoder.encode(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
