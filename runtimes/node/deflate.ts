/**
 * Raw DEFLATE streams for WebSocket permessage-deflate (core/ws/deflate.ts's
 * DeflateCodec) on node:zlib: each message is written and then flushed with
 * Z_SYNC_FLUSH, so the stream keeps its window between messages (context
 * takeover) and every message ends on a byte boundary. Deno and Bun reuse
 * this file: their node:zlib supports the same calls (test/unit/ws-deflate.test.ts
 * and the compression e2e tests run it on all three).
 */
import zlib from "node:zlib";
import { InflateLimitError, type DeflateCodec, type RawDeflater, type RawInflater } from "../../core/ws/deflate.ts";

type ZlibStream = zlib.DeflateRaw | zlib.InflateRaw;

/**
 * Writes `data` to `stream`, flushes, and resolves with everything it
 * produced; calls are serialized by the caller's promise chain.
 */
function pushThrough(stream: ZlibStream, data: Uint8Array, limit: number): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let failed = false;
    const onData = (chunk: Uint8Array): void => {
      total += chunk.length;
      if (limit > 0 && total > limit && !failed) {
        failed = true;
        cleanup();
        reject(new InflateLimitError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onError = (error: Error): void => {
      if (failed) return;
      failed = true;
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      stream.off("data", onData);
      stream.off("error", onError);
    };
    stream.on("data", onData);
    stream.on("error", onError);
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      if (failed) return;
      // Deno's node:zlib emits 'error' only after this callback; the stream already knows.
      const errored = (stream as { errored?: Error | null }).errored;
      if (errored) {
        onError(errored);
        return;
      }
      cleanup();
      const out = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      resolve(out);
    });
  });
}

/** One zlib stream with its calls queued, so messages never interleave inside it. */
class QueuedStream implements RawDeflater, RawInflater {
  private readonly stream: ZlibStream;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(stream: ZlibStream) {
    this.stream = stream;
    // Errors are reported to the pending call; this keeps a late one from becoming uncaught.
    stream.on("error", () => {});
  }

  deflate(data: Uint8Array): Promise<Uint8Array> {
    return this.run(data, 0);
  }

  inflate(data: Uint8Array, limit: number): Promise<Uint8Array> {
    return this.run(data, limit);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }

  private run(data: Uint8Array, limit: number): Promise<Uint8Array> {
    const result = this.queue.then(() => {
      if (this.closed) throw new Error("compression stream closed");
      return pushThrough(this.stream, data, limit);
    });
    this.queue = result.catch(() => {});
    return result;
  }
}

/** node:zlib raw deflate/inflate for permessage-deflate. */
export const deflateCodec: DeflateCodec = {
  createDeflater(windowBits: number, level: number): RawDeflater {
    return new QueuedStream(zlib.createDeflateRaw({ windowBits, level, memLevel: 8 }));
  },
  createInflater(_windowBits: number): RawInflater {
    // The largest window inflates a stream made with any smaller one.
    return new QueuedStream(zlib.createInflateRaw({ windowBits: 15 }));
  },
};
