/**
 * String chunks written with a Node encoding name, as bytes, without
 * Buffer (not a global on every runtime). utf8 is the common case; latin1,
 * ascii, hex and base64 are what middleware actually passes.
 */

const encoder = new TextEncoder();

/** Bytes of `text` in `encoding` (default utf8); unknown names throw like node's ERR_UNKNOWN_ENCODING. */
export function encodeString(text: string, encoding?: string): Uint8Array {
  if (encoding === undefined || encoding === "utf8" || encoding === "utf-8") return encoder.encode(text);
  switch (encoding.toLowerCase()) {
    case "utf8":
    case "utf-8":
      return encoder.encode(text);
    case "latin1":
    case "binary":
    case "ascii": {
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return bytes;
    }
    case "hex": {
      const bytes = new Uint8Array(text.length >> 1);
      for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
      return bytes;
    }
    case "base64": {
      const binary = atob(text.replace(/[^A-Za-z0-9+/=]/g, ""));
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return bytes;
    }
  }
  const error = new TypeError(`Unknown encoding: ${encoding}`);
  (error as TypeError & { code: string }).code = "ERR_UNKNOWN_ENCODING";
  throw error;
}

/** A write/end chunk as bytes or a utf8 string (strings go to core as they are); throws node's ERR_INVALID_ARG_TYPE. */
export function chunkFor(chunk: unknown, encoding: string | undefined): Uint8Array | string {
  if (typeof chunk === "string") {
    return encoding === undefined || encoding === "utf8" || encoding === "utf-8" ? chunk : encodeString(chunk, encoding);
  }
  if (chunk instanceof Uint8Array) return chunk;
  const error = new TypeError(
    `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === null ? "null" : typeof chunk}`,
  );
  (error as TypeError & { code: string }).code = "ERR_INVALID_ARG_TYPE";
  throw error;
}
