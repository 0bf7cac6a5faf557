/**
 * Incremental WebSocket frame parser (RFC 6455 §5). Bytes go in as they
 * arrive, split anywhere; out come frame starts, unmasked payload pieces (views
 * of the input, unmasked in place) and frame ends. Every structural rule of
 * the framing layer is checked here and raises a {@link WebSocketError} with
 * 1002: reserved bits, unknown opcodes, control frames that are fragmented or
 * longer than 125 bytes, unmasked client frames, a continuation without a
 * message, a new message inside a fragmented one, a 64-bit length with its
 * top bit set. Message-level rules (size, UTF-8, compression) belong to the
 * session.
 */
import { applyMask } from "./mask.ts";
import {
  CLOSE_PROTOCOL_ERROR, MAX_CONTROL_PAYLOAD, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT,
  WebSocketError,
} from "./protocol.ts";

/** Receives what {@link FrameParser} finds. */
export interface FrameEvents {
  /** A frame header was read. `rsv1` is only ever true on the first frame of a data message. */
  onFrameStart(opcode: number, fin: boolean, rsv1: boolean, length: number): void;
  /** Unmasked payload bytes of the current frame (a view of the input: copy to keep past the call). */
  onFramePayload(chunk: Uint8Array): void;
  /** The current frame's payload is complete. */
  onFrameEnd(): void;
}

/** Options of {@link FrameParser}. */
export interface FrameParserOptions {
  /** Frames must be masked (server side, RFC 6455 §5.1); else they must not be (client side). */
  masked: boolean;
  /** RSV1 may be set on the first frame of a data message (permessage-deflate negotiated). */
  allowRsv1: boolean;
}

const STATE_HEADER = 0;
const STATE_PAYLOAD = 1;

function protocolError(message: string): never {
  throw new WebSocketError(CLOSE_PROTOCOL_ERROR, message);
}

/** See the module comment. */
export class FrameParser {
  /** RSV1 may be set on the first frame of a data message (set once permessage-deflate is agreed). */
  allowRsv1: boolean;
  private readonly masked: boolean;
  private readonly events: FrameEvents;
  private state = STATE_HEADER;
  /** Header bytes collected so far (at most 14). */
  private readonly header = new Uint8Array(14);
  private headerLength = 0;
  private readonly mask = new Uint8Array(4);
  private maskOffset = 0;
  /** The current frame's key is not all zero bytes (XOR with a zero key changes nothing: skipped). */
  private maskNonZero = false;
  private remaining = 0;
  /** A fragmented data message is in progress (its first frame had FIN clear). */
  private inMessage = false;
  /** Set by {@link stop}: the rest of the input is ignored. */
  private stopped = false;

  constructor(options: FrameParserOptions, events: FrameEvents) {
    this.masked = options.masked;
    this.allowRsv1 = options.allowRsv1;
    this.events = events;
  }

  /**
   * Parses `data` (may be mutated: payloads are unmasked in place).
   * @throws WebSocketError (1002) on a framing violation; the parser is then unusable.
   */
  execute(data: Uint8Array): void {
    let at = 0;
    const end = data.length;
    while (at < end && !this.stopped) {
      if (this.state === STATE_HEADER) {
        at = this.readHeader(data, at);
        continue;
      }
      const take = Math.min(this.remaining, end - at);
      const chunk = data.subarray(at, at + take);
      if (this.maskNonZero) this.maskOffset = applyMask(chunk, this.mask, this.maskOffset);
      at += take;
      this.remaining -= take;
      this.events.onFramePayload(chunk);
      if (this.remaining === 0) this.finishFrame();
    }
  }

  /** Ignore all further input (a Close frame arrived, or the connection failed). */
  stop(): void {
    this.stopped = true;
  }

  /** Collects header bytes from `data` at `at`; returns the new position. */
  private readHeader(data: Uint8Array, at: number): number {
    const header = this.header;
    // The first two bytes say how long the header is.
    while (this.headerLength < 2 && at < data.length) header[this.headerLength++] = data[at++];
    if (this.headerLength < 2) return at;
    const lengthCode = header[1] & 0x7f;
    const needed = 2 + (lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0) + (header[1] & 0x80 ? 4 : 0);
    if (this.headerLength === 2) this.checkFirstBytes();
    while (this.headerLength < needed && at < data.length) header[this.headerLength++] = data[at++];
    if (this.headerLength < needed) return at;
    this.startFrame(lengthCode);
    return at;
  }

  /** Validates the first two header bytes as soon as they are in. */
  private checkFirstBytes(): void {
    const b0 = this.header[0];
    const b1 = this.header[1];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x30) !== 0) protocolError("reserved bits RSV2/RSV3 set");
    const control = opcode >= 0x8;
    if (opcode !== OP_CONTINUATION && opcode !== OP_TEXT && opcode !== OP_BINARY &&
      opcode !== OP_CLOSE && opcode !== OP_PING && opcode !== OP_PONG) {
      protocolError(`unknown opcode 0x${opcode.toString(16)}`);
    }
    if ((b0 & 0x40) !== 0 && (!this.allowRsv1 || control || opcode === OP_CONTINUATION)) {
      protocolError("reserved bit RSV1 set without a negotiated extension that uses it");
    }
    if (control) {
      if (!fin) protocolError("fragmented control frame");
      if ((b1 & 0x7f) > MAX_CONTROL_PAYLOAD) protocolError("control frame payload longer than 125 bytes");
    } else if (opcode === OP_CONTINUATION) {
      if (!this.inMessage) protocolError("continuation frame without a message to continue");
    } else if (this.inMessage) {
      protocolError("new data frame inside a fragmented message");
    }
    if (((b1 & 0x80) !== 0) !== this.masked) protocolError(this.masked ? "unmasked client frame" : "masked server frame");
  }

  private startFrame(lengthCode: number): void {
    const header = this.header;
    let at = 2;
    let length = lengthCode;
    if (lengthCode === 126) {
      length = (header[2] << 8) | header[3];
      at = 4;
    } else if (lengthCode === 127) {
      if (header[2] & 0x80) protocolError("64-bit payload length with the most significant bit set");
      // Exact up to 2^53; anything that large is over every message limit anyway.
      length = (header[2] * 0x1000000 + (header[3] << 16) + (header[4] << 8) + header[5]) * 0x100000000 +
        header[6] * 0x1000000 + (header[7] << 16) + (header[8] << 8) + header[9];
      at = 10;
    }
    if (this.masked) {
      this.mask[0] = header[at];
      this.mask[1] = header[at + 1];
      this.mask[2] = header[at + 2];
      this.mask[3] = header[at + 3];
      this.maskOffset = 0;
      this.maskNonZero = (header[at] | header[at + 1] | header[at + 2] | header[at + 3]) !== 0;
    }
    const b0 = header[0];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (opcode < 0x8) this.inMessage = !fin;
    this.headerLength = 0;
    this.remaining = length;
    this.state = STATE_PAYLOAD;
    this.events.onFrameStart(opcode, fin, (b0 & 0x40) !== 0, length);
    if (length === 0) this.finishFrame();
  }

  private finishFrame(): void {
    this.state = STATE_HEADER;
    this.events.onFrameEnd();
  }
}
