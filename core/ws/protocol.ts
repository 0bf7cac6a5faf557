/**
 * RFC 6455 constants: opcodes, close status codes and the rules about which
 * codes may travel in a Close frame.
 */

/** Frame opcodes (RFC 6455 §5.2). */
export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close status codes (RFC 6455 §7.4.1) that tricorn sends. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** Reported (never sent) when a Close frame carried no status code. */
export const CLOSE_NO_STATUS = 1005;
/** Reported (never sent) when the connection dropped without a Close frame. */
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;

/** Largest payload of a control frame (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Largest close reason in UTF-8 bytes: 125 minus the 2-byte code. */
export const MAX_CLOSE_REASON = 123;

/** The GUID appended to `Sec-WebSocket-Key` for `Sec-WebSocket-Accept` (RFC 6455 §1.3). */
export const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Whether `code` may appear in a Close frame on the wire (received or sent). */
export function isValidWireCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true; // registered (3xxx) and private (4xxx) use
  if (code < 1000 || code > 1014) return false;
  // 1004 is reserved; 1005, 1006 and 1015 must never be sent; 1012-1014 are IANA-registered.
  return code !== 1004 && code !== 1005 && code !== 1006;
}

/** Whether an application may pass `code` to `close()`: 1000 or 3000–4999 (WHATWG WebSocket rules). */
export function isValidAppCloseCode(code: number): boolean {
  return code === CLOSE_NORMAL || (code >= 3000 && code <= 4999);
}

/** Error raised inside the protocol machinery: the connection closes with {@link code}. */
export class WebSocketError extends Error {
  /** Close status code to send. */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = "WebSocketError";
    this.code = code;
  }
}
