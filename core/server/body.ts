/**
 * Request bodies as seen by apps ({@link RequestBody}). The connection pushes
 * parsed body chunks in; the app pulls them out with `read()`, async iteration
 * or the whole-body helpers. Flow control is explicit: {@link IncomingBody.push}
 * reports when too much is buffered (the connection pauses the socket) and the
 * owner is told when the app has caught up (the connection resumes).
 */
import { concatBytes } from "../http/bytes.ts";
import type { RequestBody } from "./types.ts";

/** The connection side of a body: 100-continue and flow control hooks. */
export interface BodyOwner {
  /** The app asked for body bytes for the first time (send `100 Continue` if expected). */
  bodyWanted(): void;
  /** Buffered bytes fell back below the low-water mark after a push reported "full". */
  bodyDrained(): void;
}

/** Default number of unread body bytes buffered before the socket is paused. */
export const BODY_HIGH_WATER = 64 * 1024;

const EMPTY_BYTES = new Uint8Array(0);
const NULL_PROMISE: Promise<null> = Promise.resolve(null);
const decoder = new TextDecoder();

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

/** Shared methods of both body kinds, built on `read()`. */
abstract class BodyBase implements RequestBody {
  abstract readonly empty: boolean;
  abstract read(): Promise<Uint8Array | null>;

  /** Whole (remaining) body as one byte array; a single chunk is returned without copying. */
  async bytes(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) break;
      chunks.push(chunk);
      total += chunk.length;
    }
    return chunks.length === 0 ? EMPTY_BYTES : concatBytes(chunks, total);
  }

  /** Whole (remaining) body as an ArrayBuffer. */
  async arrayBuffer(): Promise<ArrayBuffer> {
    return toArrayBuffer(await this.bytes());
  }

  /** Whole (remaining) body decoded as UTF-8 (invalid sequences become U+FFFD). */
  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }
}

/** The body of a request without one (no Content-Length > 0, not chunked). Stateless, shared. */
class EmptyBody extends BodyBase {
  readonly empty = true;
  read(): Promise<Uint8Array | null> {
    return NULL_PROMISE;
  }
  override bytes(): Promise<Uint8Array> {
    return Promise.resolve(EMPTY_BYTES);
  }
}

/** The single shared body of every request without a body. */
export const EMPTY_BODY: RequestBody = new EmptyBody();

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(error: unknown): void;
}

/**
 * A request body that is (or was) arriving on a connection. Chunks are views
 * into socket buffers, handed over without copying.
 */
export class IncomingBody extends BodyBase {
  readonly empty = false;
  /** Bytes pushed and not yet read by the app. */
  buffered = 0;
  /** Bytes received so far (read or not, including discarded ones). */
  received = 0;
  /** All body bytes arrived (the parser completed the message). */
  complete = false;
  /** The app no longer wants the body: queued and future chunks are dropped. */
  discarding = false;
  /** The app has asked for body bytes at least once. */
  wanted = false;

  private queue: Uint8Array[] = [];
  private queueHead = 0;
  private waiters: Waiter[] = [];
  private error: unknown = null;
  private full = false;
  private owner: BodyOwner | null;
  private readonly highWater: number;

  /**
   * @param owner connection hooks (100-continue, resume)
   * @param highWater buffered bytes above which {@link push} reports "full"
   */
  constructor(owner: BodyOwner, highWater = BODY_HIGH_WATER) {
    super();
    this.owner = owner;
    this.highWater = highWater;
  }

  /**
   * Adds a chunk from the parser. Returns false when the buffer is above the
   * high-water mark and the caller should pause the socket until
   * {@link BodyOwner.bodyDrained}.
   */
  push(chunk: Uint8Array): boolean {
    this.received += chunk.length;
    if (this.discarding || this.error !== null) return true;
    if (this.waiters.length > 0) {
      this.waiters.shift()!.resolve(chunk);
      return true;
    }
    this.queue.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > this.highWater) {
      this.full = true;
      return false;
    }
    return true;
  }

  /** The body is complete: pending and future reads see the end after the queued chunks. */
  finish(): void {
    this.complete = true;
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (let i = 0; i < waiters.length; i++) waiters[i].resolve(null);
  }

  /** The body can never complete (peer gone, bad framing): reads reject with `error`. */
  fail(error: unknown): void {
    if (this.complete || this.error !== null) return;
    this.error = error;
    this.dropQueue();
    const waiters = this.waiters;
    this.waiters = [];
    for (let i = 0; i < waiters.length; i++) waiters[i].reject(error);
  }

  /**
   * The response is over: drop what is queued and everything still arriving.
   * Later reads see the end of the body. The owner is no longer called.
   */
  discard(): void {
    this.discarding = true;
    this.owner = null;
    this.dropQueue();
    const waiters = this.waiters;
    this.waiters = [];
    for (let i = 0; i < waiters.length; i++) waiters[i].resolve(null);
  }

  /** Next chunk, or null at the end. The first call triggers `100 Continue` when expected. */
  read(): Promise<Uint8Array | null> {
    if (!this.wanted) {
      this.wanted = true;
      if (this.owner !== null) this.owner.bodyWanted();
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.queueHead < this.queue.length) return Promise.resolve(this.take());
    if (this.complete || this.discarding) return NULL_PROMISE;
    return new Promise<Uint8Array | null>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  /** Whole remaining body; takes everything already queued in one step. */
  override async bytes(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) break;
      chunks.push(chunk);
      total += chunk.length;
      while (this.queueHead < this.queue.length) {
        const next = this.take();
        chunks.push(next);
        total += next.length;
      }
    }
    return chunks.length === 0 ? EMPTY_BYTES : concatBytes(chunks, total);
  }

  private take(): Uint8Array {
    const chunk = this.queue[this.queueHead];
    this.queue[this.queueHead++] = EMPTY_BYTES;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    this.buffered -= chunk.length;
    if (this.full && this.buffered <= this.highWater >> 1) {
      this.full = false;
      if (this.owner !== null) this.owner.bodyDrained();
    }
    return chunk;
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.queueHead = 0;
    this.buffered = 0;
    if (this.full) {
      this.full = false;
      if (this.owner !== null) this.owner.bodyDrained();
    }
  }
}
