/**
 * Test driver for core/http/parser.ts: feeds input in given pieces, records the
 * event sequence in a split-independent form (adjacent body chunks merged),
 * and checks the execute() contract on every call.
 */
import { HttpError } from "../../core/http/errors.ts";
import { RequestParser } from "../../core/http/parser.ts";
import type { HeaderList, ParserLimits, RequestHead } from "../../core/http/types.ts";

/** gunicorn's defaults. */
export const DEFAULT_LIMITS: ParserLimits = {
  limitRequestLine: 4094,
  limitRequestFields: 100,
  limitRequestFieldSize: 8190,
  limitRequestBody: 0,
};

/** One recorded event; bodies are latin1 strings so they compare and print well. */
export type ParserEvent =
  | { type: "head"; head: RequestHead }
  | { type: "body"; data: string }
  | { type: "trailers"; trailers: HeaderList }
  | { type: "complete"; consumedTotal: number }
  | { type: "error"; status: number; message: string };

/** Encodes a string byte-per-char (latin1), so tests can write any byte as `\xNN`. */
export function bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Splits `input` at the given sorted offsets. */
export function splitAt(input: Uint8Array, offsets: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const o of offsets) {
    if (o <= prev || o >= input.length) continue;
    parts.push(input.slice(prev, o)); // a copy, like a fresh socket read
    prev = o;
  }
  parts.push(input.slice(prev));
  return parts;
}

/**
 * Runs a fresh parser over `chunks` and returns the events. Asserts the
 * execute() contract: each call consumes 1..n bytes (0 only for empty input),
 * stops right at each message end, body chunks are views into the input, and
 * HttpError is the only exception (after which the parser stays dead).
 */
export function runParser(chunks: Uint8Array[] | Uint8Array | string, limits: Partial<ParserLimits> = {}): ParserEvent[] {
  const list = typeof chunks === "string" ? [bytes(chunks)] : chunks instanceof Uint8Array ? [chunks] : chunks;
  const events: ParserEvent[] = [];
  let consumed = 0;
  let current: Uint8Array = new Uint8Array(0);
  let completedInCall = false;
  const parser = new RequestParser({ ...DEFAULT_LIMITS, ...limits }, {
    onHead(head) {
      if (parser.idle) throw new Error("idle during onHead");
      events.push({ type: "head", head });
    },
    onBody(chunk) {
      if (chunk.length === 0) throw new Error("empty body chunk");
      if (chunk.buffer !== current.buffer) throw new Error("body chunk is not a view into the input");
      if (!parser.inBody) throw new Error("onBody outside body");
      const last = events[events.length - 1];
      if (last && last.type === "body") last.data += latin1(chunk);
      else events.push({ type: "body", data: latin1(chunk) });
    },
    onTrailers(trailers) {
      if (trailers.length === 0) throw new Error("empty trailers");
      events.push({ type: "trailers", trailers });
    },
    onComplete() {
      if (completedInCall) throw new Error("two messages completed in one execute call");
      completedInCall = true;
      events.push({ type: "complete", consumedTotal: -1 });
    },
  });
  outer: for (const chunk of list) {
    let off = 0;
    while (off < chunk.length) {
      current = chunk.subarray(off);
      completedInCall = false;
      let n: number;
      try {
        n = parser.execute(current);
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        events.push({ type: "error", status: e.status, message: e.message });
        let again: unknown;
        try {
          parser.execute(bytes("GET / HTTP/1.1\r\n"));
        } catch (e2) {
          again = e2;
        }
        if (again !== e) throw new Error("parser not dead after error");
        break outer;
      }
      if (!Number.isInteger(n) || n < 1 || n > current.length) throw new Error(`execute returned ${n} for ${current.length} bytes`);
      consumed += n;
      off += n;
      if (completedInCall) {
        (events[events.length - 1] as { consumedTotal: number }).consumedTotal = consumed;
        if (!parser.idle || parser.inBody) throw new Error("not idle after complete");
      } else if (n !== current.length) {
        throw new Error("execute stopped early without completing a message");
      }
    }
  }
  return events;
}

/** Runs `input` whole, then split at every single byte boundary, and 1 byte at a time; asserts identical events. */
export function runAllSplits(input: Uint8Array | string, limits: Partial<ParserLimits> = {}): ParserEvent[] {
  const data = typeof input === "string" ? bytes(input) : input;
  const whole = runParser([data], limits);
  const expected = JSON.stringify(whole);
  for (let i = 1; i < data.length; i++) {
    const got = JSON.stringify(runParser(splitAt(data, [i]), limits));
    if (got !== expected) throw new Error(`split at ${i} differs:\n${got}\nvs whole:\n${expected}`);
  }
  const single = Array.from({ length: data.length }, (_, i) => data.slice(i, i + 1));
  const got = JSON.stringify(runParser(single, limits));
  if (got !== expected) throw new Error(`byte-at-a-time differs:\n${got}\nvs whole:\n${expected}`);
  return whole;
}

/** The error status of the first error event, or 0 when the input parsed without error. */
export function errorStatus(events: ParserEvent[]): number {
  const e = events.find((x) => x.type === "error");
  return e && e.type === "error" ? e.status : 0;
}

/** The heads among `events`. */
export function heads(events: ParserEvent[]): RequestHead[] {
  return events.flatMap((e) => (e.type === "head" ? [e.head] : []));
}
