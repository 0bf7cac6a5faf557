/**
 * Incremental, RFC 9112-strict HTTP/1.1 request parser.
 *
 * Works on bytes: each line is scanned once, with byte-class tables for short
 * runs and four bytes at a time (parse-scan.ts) for long ones. Strings are made
 * only for what is handed out (method, target, field names and values), and
 * common names, repeated values and repeated targets are reused instead of
 * decoded again. When a whole head arrives in one chunk nothing is copied;
 * only a line cut by a chunk boundary is buffered, and body chunks are views
 * into the caller's input.
 *
 * Line terminators: CRLF; a bare LF only with `permitBareLf`, and then only in
 * the request line, header and trailer sections (never in chunk framing).
 *
 * Error determinism: a line's fate depends on the complete line, never on how
 * the input was split. A line longer than its limit is refused with the limit's
 * status (414/431) whatever it contains; otherwise its first content error wins.
 */
import type { HeaderList, ParserEvents, ParserLimits } from "./types.ts";
import { COLON, CR, FIELD_VALUE_CHAR, HEX_VALUE, HTAB, LF, SP, TARGET_CHAR, TCHAR, latin1, tokenLower } from "./chars.ts";
import { HttpError } from "./errors.ts";
import { scanChunkExtensions } from "./parse-chunk.ts";
import { HeadBuilder, TargetCache, parseVersion } from "./parse-head.ts";
import { FIELD_CONTENT_LENGTH, FIELD_OTHER, FIELD_TRANSFER_ENCODING, type KnownField, lookupField, methodString } from "./parse-names.ts";
import { equalWords, skipFieldValueWords, skipTargetWords, wordBits } from "./parse-scan.ts";
import { checkTargetForm } from "./parse-target.ts";

/** Ceiling for a line or header section whose configured limit is 0 ("unlimited"). */
export const UNLIMITED_HEAD_BYTES = 1 << 20;
/** Most chunk-extension bytes (from the end of the size to the CRLF) accepted on one chunk line. */
export const MAX_CHUNK_EXTENSIONS = 4096;
/** Most empty lines skipped before a request line (RFC 9112 §2.2 asks for at least one). */
export const MAX_LEADING_EMPTY_LINES = 8;
/** Longest chunk-size line: 16 hex digits plus extensions. */
const MAX_CHUNK_LINE = 16 + MAX_CHUNK_EXTENSIONS;
/** Runs shorter than this are scanned byte by byte; longer ones switch to word-at-a-time. */
const WORD_MIN = 16;

/** Shared zero-length buffer: an idle connection's parser holds no buffer of its own. */
const NO_BYTES = new Uint8Array(0);
/**
 * One target cache for every parser of the process (JS runs one parse at a
 * time): clients repeat targets across connections as much as within one,
 * and an idle connection then carries no cache of its own.
 */
const targets = new TargetCache();

const S_IDLE = 0;
const S_REQUEST_LINE = 1;
const S_HEADER = 2;
const S_BODY = 3;
const S_CHUNK_SIZE = 4;
const S_CHUNK_DATA = 5;
const S_CHUNK_CR = 6;
const S_CHUNK_LF = 7;
const S_TRAILER = 8;

/** Incremental request parser; one per connection, reused for every pipelined request on it. */
export class RequestParser {
  private readonly events: ParserEvents;
  private readonly maxRequestLine: number;
  private readonly maxFieldSize: number;
  private readonly maxFields: number;
  private readonly maxSection: number;
  private readonly maxBody: number;
  private readonly permitBareLf: boolean;

  private state = S_IDLE;
  private dead: unknown = null;
  private hasDied = false;
  /** Holds the start of a line cut by a chunk boundary (only that remainder is copied); allocated on first use. */
  private pending = NO_BYTES;
  private pendingLen = 0;
  /** In S_IDLE: a CR of an empty line was seen, its LF has not arrived yet. */
  private idleCr = false;
  private emptyLines = 0;
  /** DataView over the array being scanned word-at-a-time ({@link viewOf}), made lazily within one execute(). */
  private dataView: DataView | null = null;
  private viewOf: Uint8Array | null = null;

  // Per-message state: the head being collected, then framing; reset by complete().
  private readonly head = new HeadBuilder();
  private trailers: HeaderList | null = null;
  /** Field lines in the current header or trailer section. */
  private fieldCount = 0;
  /** Bytes of the current header or trailer section so far. */
  private sectionBytes = 0;
  /** Bytes left in the body (Content-Length) or the current chunk. */
  private remaining = 0;
  /** Chunk data bytes announced so far. */
  private bodyBytes = 0;

  constructor(limits: ParserLimits, events: ParserEvents) {
    this.events = events;
    const line = limits.limitRequestLine;
    const size = limits.limitRequestFieldSize;
    const fields = limits.limitRequestFields;
    this.maxRequestLine = line > 0 ? line : UNLIMITED_HEAD_BYTES;
    this.maxFieldSize = size > 0 ? size : UNLIMITED_HEAD_BYTES;
    this.maxFields = fields > 0 ? fields : Infinity;
    this.maxSection = fields > 0 && size > 0 ? fields * (size + 2) + 4096 : UNLIMITED_HEAD_BYTES;
    this.maxBody = limits.limitRequestBody > 0 ? limits.limitRequestBody : Infinity;
    this.permitBareLf = limits.permitBareLf === true;
  }

  /** True when no byte of a next message has been seen yet (between messages / fresh). Skipped empty lines do not count. */
  get idle(): boolean {
    return this.state === S_IDLE;
  }

  /** True while inside a message body (after onHead, before onComplete), chunked trailers included. */
  get inBody(): boolean {
    return this.state >= S_BODY;
  }

  /**
   * Feed bytes. Returns how many bytes of `data` were consumed. Parsing stops
   * right after a message completes (after events.onComplete()), returning the
   * count up to the end of that message; calling execute again starts the next
   * message. Throws HttpError on bad input; after a throw the parser is dead
   * (every later execute throws the same error). An exception thrown by an
   * event handler also kills the parser and is rethrown unchanged.
   * Must not be called from inside an event handler.
   */
  execute(data: Uint8Array): number {
    if (this.hasDied) throw this.dead;
    // Subclasses (Node's Buffer) make every access polymorphic and their subarray()
    // slow; a plain view of the same memory costs one small allocation.
    const input = data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    try {
      return this.run(input);
    } catch (e) {
      this.hasDied = true;
      this.dead = e;
      throw e;
    } finally {
      // A DataView lives for one call only: never retains the caller's chunk,
      // never outlives a detach or resize of its buffer.
      this.viewOf = null;
      this.dataView = null;
    }
  }

  private run(data: Uint8Array): number {
    const end = data.length;
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case S_IDLE: {
          const c = data[pos];
          if (this.idleCr) {
            if (c !== LF) throw new HttpError(400, "bare CR");
            this.idleCr = false;
            pos++;
            continue;
          }
          if (c === CR) {
            this.countEmptyLine();
            if (pos + 1 === end) {
              this.idleCr = true;
              return end;
            }
            if (data[pos + 1] !== LF) throw new HttpError(400, "bare CR");
            pos += 2;
            continue;
          }
          if (c === LF) {
            if (!this.permitBareLf) throw new HttpError(400, "bare LF");
            this.countEmptyLine();
            pos++;
            continue;
          }
          this.emptyLines = 0;
          this.state = S_REQUEST_LINE;
          continue;
        }
        case S_BODY: {
          const n = end - pos < this.remaining ? end - pos : this.remaining;
          const chunk = data.subarray(pos, pos + n);
          pos += n;
          this.remaining -= n;
          this.events.onBody(chunk);
          if (this.remaining === 0) {
            this.complete();
            return pos;
          }
          continue;
        }
        case S_CHUNK_DATA: {
          const n = end - pos < this.remaining ? end - pos : this.remaining;
          const chunk = data.subarray(pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = S_CHUNK_CR;
          this.events.onBody(chunk);
          continue;
        }
        case S_CHUNK_CR:
          if (data[pos] !== CR) throw new HttpError(400, "chunk data not followed by CRLF");
          this.state = S_CHUNK_LF;
          pos++;
          continue;
        case S_CHUNK_LF:
          if (data[pos] !== LF) throw new HttpError(400, "chunk data not followed by CRLF");
          this.state = S_CHUNK_SIZE;
          pos++;
          continue;
        default: {
          // Line states: request line, header field, chunk size, trailer field.
          const max = this.lineMax();
          if (this.pendingLen === 0) {
            const next = this.parseLine(data, pos, end, max);
            if (next < 0) {
              this.hold(data, pos, end, max);
              return end;
            }
            pos = next;
          } else {
            const lf = data.indexOf(LF, pos);
            const stop = lf < 0 ? end : lf + 1;
            const total = this.pendingLen + stop - pos;
            if (total > max + 2 || (lf < 0 && total >= max + 2)) throw this.limitError();
            this.append(data, pos, stop);
            if (lf < 0) {
              // Still incomplete: look again so an error (a bare CR) fails now, not at the line's end.
              this.parseLine(this.pending, 0, this.pendingLen, max);
              return end;
            }
            this.parseLine(this.pending, 0, this.pendingLen, max);
            this.pendingLen = 0;
            pos = stop;
          }
          if (this.state === S_IDLE) return pos; // the line completed a message
        }
      }
    }
    return pos;
  }

  private countEmptyLine(): void {
    if (++this.emptyLines > MAX_LEADING_EMPTY_LINES) throw new HttpError(400, "too many empty lines before request line");
  }

  /** Longest allowed content (without terminator) of the current line. */
  private lineMax(): number {
    if (this.state === S_REQUEST_LINE) return this.maxRequestLine;
    if (this.state === S_CHUNK_SIZE) return MAX_CHUNK_LINE;
    const left = this.maxSection - this.sectionBytes - 2;
    return left < this.maxFieldSize ? (left > 0 ? left : 0) : this.maxFieldSize;
  }

  /** The error for a line that outgrew {@link lineMax}. */
  private limitError(): HttpError {
    if (this.state === S_REQUEST_LINE) return new HttpError(414, "request line too long");
    if (this.state === S_CHUNK_SIZE) return new HttpError(400, "chunk size line too long");
    if (this.maxSection - this.sectionBytes - 2 < this.maxFieldSize) return new HttpError(431, "header section too large");
    return new HttpError(431, "header field too long");
  }

  /** Buffers the incomplete line `data[pos, end)` (its extent was already checked against `max`). */
  private hold(data: Uint8Array, pos: number, end: number, max: number): void {
    if (this.pendingLen + end - pos >= max + 2) throw this.limitError();
    this.append(data, pos, end);
  }

  private append(data: Uint8Array, from: number, to: number): void {
    const need = this.pendingLen + to - from;
    if (need > this.pending.length) {
      const grown = new Uint8Array(Math.max(need, this.pending.length * 2, 256));
      grown.set(this.pending.subarray(0, this.pendingLen));
      this.pending = grown;
    }
    this.pending.set(data.subarray(from, to), this.pendingLen);
    this.pendingLen = need;
  }

  /**
   * Parses the line starting at `start`. Returns the position after its
   * terminator, or -1 when `buf` ends before the line does (within limits).
   */
  private parseLine(buf: Uint8Array, start: number, end: number, max: number): number {
    switch (this.state) {
      case S_REQUEST_LINE:
        return this.parseRequestLine(buf, start, end, max);
      case S_CHUNK_SIZE:
        return this.parseChunkSize(buf, start, end, max);
      default:
        return this.parseFieldLine(buf, start, end, max);
    }
  }

  /**
   * Called with `i` just past a line's content. Returns the position after the
   * line terminator, -1 if it has not fully arrived, or throws.
   */
  private endOfLine(buf: Uint8Array, start: number, i: number, end: number, max: number, lfOk: boolean): number {
    if (i - start > max) throw this.limitError();
    if (i >= end) return -1;
    const c = buf[i];
    if (c === CR) {
      if (i + 1 >= end) return -1;
      if (buf[i + 1] === LF) return i + 2;
      // Rejected at once, not at the end of its line: a CR that ends nothing is never valid.
      throw new HttpError(400, "bare CR");
    }
    if (c === LF) {
      if (lfOk) return i + 1;
      throw new HttpError(400, "bare LF");
    }
    return this.lineError(buf, start, i, end, max, "invalid character");
  }

  /**
   * A content error at `i`. Thrown only once the line's extent is known to be
   * within limits (else the limit error wins); returns -1 while the line is incomplete.
   */
  private lineError(buf: Uint8Array, start: number, i: number, end: number, max: number, message: string): number {
    // A bare CR fails at once (the line need not end first), unless the line already outgrew its limit.
    if (buf[i] === CR && i + 1 < end && buf[i + 1] !== LF && i - start <= max) throw new HttpError(400, "bare CR");
    const lim = end < start + max + 2 ? end : start + max + 2;
    let j = i;
    while (j < lim && buf[j] !== LF) j++;
    if (j < lim) {
      const len = j > start && buf[j - 1] === CR ? j - 1 - start : j - start;
      if (len > max) throw this.limitError();
      throw new HttpError(400, message);
    }
    if (lim - start >= max + 2) throw this.limitError();
    return -1;
  }

  private parseRequestLine(buf: Uint8Array, start: number, end: number, max: number): number {
    const stop = end < start + max + 1 ? end : start + max + 1;
    let i = start;
    while (i < stop && TCHAR[buf[i]] === 1) i++;
    if (i === stop) return this.endOfLine(buf, start, i, end, max, this.permitBareLf);
    if (buf[i] !== SP || i === start) return this.lineError(buf, start, i, end, max, "invalid method");
    const methodEnd = i++;
    const targetStart = i;
    let j = stop - i > WORD_MIN ? i + WORD_MIN : stop;
    for (;;) {
      while (i < j && TARGET_CHAR[buf[i]] === 1) i++;
      if (i !== j || j === stop) break;
      i = skipTargetWords(this.view(buf), i, stop);
      j = stop - i > 4 ? i + 4 : stop;
    }
    if (i === stop) return this.endOfLine(buf, start, i, end, max, this.permitBareLf);
    if (buf[i] !== SP || i === targetStart) return this.lineError(buf, start, i, end, max, "invalid request target");
    const targetEnd = i++;
    const versionStart = i;
    while (i < stop && TARGET_CHAR[buf[i]] === 1) i++;
    const next = this.endOfLine(buf, start, i, end, max, this.permitBareLf);
    if (next < 0) return -1;
    const versionMinor = parseVersion(buf, versionStart, i);
    const method = methodString(buf, start, methodEnd);
    checkTargetForm(method, buf, targetStart, targetEnd);
    this.head.versionMinor = versionMinor;
    this.head.method = method;
    this.head.target = targets.string(buf, targetStart, targetEnd);
    this.state = S_HEADER;
    return next;
  }

  /** A DataView over `buf`, reused while the same array is being parsed in this execute() call. */
  private view(buf: Uint8Array): DataView {
    if (buf !== this.viewOf || this.dataView === null) {
      this.dataView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    return this.dataView;
  }

  private parseFieldLine(buf: Uint8Array, start: number, end: number, max: number): number {
    const first = buf[start];
    if (first === CR || first === LF) {
      const next = this.endOfLine(buf, start, start, end, max, this.permitBareLf);
      if (next < 0) return -1;
      if (this.state === S_HEADER) this.finishHead();
      else this.finishTrailers();
      return next;
    }
    if (first === SP || first === HTAB) return this.lineError(buf, start, start, end, max, "obsolete line folding");
    const stop = end < start + max + 1 ? end : start + max + 1;
    let i = start;
    // Four table checks per branch: names are short, so loop exits dominate.
    while (i + 4 <= stop && (TCHAR[buf[i]] & TCHAR[buf[i + 1]] & TCHAR[buf[i + 2]] & TCHAR[buf[i + 3]]) === 1) i += 4;
    while (i < stop && TCHAR[buf[i]] === 1) i++;
    if (i === stop) return this.endOfLine(buf, start, i, end, max, this.permitBareLf);
    if (buf[i] !== COLON) {
      const c = buf[i];
      return this.lineError(buf, start, i, end, max, c === SP || c === HTAB ? "whitespace before colon" : "invalid header name");
    }
    if (i === start) return this.lineError(buf, start, i, end, max, "empty header name");
    const nameEnd = i++;
    while (i < stop && (buf[i] === SP || buf[i] === HTAB)) i++;
    const valueStart = i;
    const known = lookupField(buf, start, nameEnd, nameEnd - start >= 8 && (buf === this.viewOf || nameEnd - start >= 16) ? this.view(buf) : null);
    // Bytes equal to the cached (already validated) value need no class check.
    let cacheHit = false;
    let bits = 0;
    if (known !== null && known.cachedLength >= 0) {
      const cached = known.cachedBytes;
      const n = known.cachedLength < stop - i ? known.cachedLength : stop - i;
      let k = n >= WORD_MIN ? equalWords(this.view(buf), i, known.cachedView, 0, n) : 0;
      while (k < n && cached[k] === buf[i + k]) k++;
      i += k;
      cacheHit = k === known.cachedLength;
      if (!known.cachedAscii) bits = 0x80;
    }
    // A few bytes one at a time (most values are short), then word-at-a-time.
    let j = stop - i > WORD_MIN ? i + WORD_MIN : stop;
    for (;;) {
      while (i < j) {
        const c = buf[i];
        if (FIELD_VALUE_CHAR[c] !== 1) break;
        bits |= c;
        i++;
      }
      if (i !== j || j === stop) break;
      i = skipFieldValueWords(this.view(buf), i, stop);
      bits |= wordBits;
      j = stop - i > 4 ? i + 4 : stop;
    }
    const next = this.endOfLine(buf, start, i, end, max, this.permitBareLf);
    if (next < 0) return -1;
    let valueEnd = i;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    if (++this.fieldCount > this.maxFields) throw new HttpError(431, "too many header fields");
    this.sectionBytes += i - start + 2;
    const asciiOnly = (bits & 0x80808080) === 0;
    if (this.state === S_TRAILER) {
      this.addTrailer(buf, known, start, nameEnd, valueStart, valueEnd, asciiOnly);
    } else if (known === null) {
      this.head.headers.push(tokenLower(buf, start, nameEnd), latin1(buf, valueStart, valueEnd, asciiOnly));
    } else {
      let value: string;
      if (cacheHit && valueEnd - valueStart === known.cachedLength) {
        value = known.cachedValue;
        known.hit();
        if (known.id !== FIELD_OTHER) this.head.apply(known, value, buf, valueStart, valueEnd, known.cachedMeaning, true);
      } else {
        value = known.decode(buf, valueStart, valueEnd, asciiOnly);
        if (known.id !== FIELD_OTHER) this.head.apply(known, value, buf, valueStart, valueEnd, -1, known.stored);
      }
      this.head.headers.push(known.name, value);
    }
    return next;
  }

  private addTrailer(
    buf: Uint8Array, known: KnownField | null, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number,
    asciiOnly: boolean,
  ): void {
    let name: string;
    if (known !== null) {
      if (known.id === FIELD_CONTENT_LENGTH || known.id === FIELD_TRANSFER_ENCODING) {
        throw new HttpError(400, `${known.name} not allowed in trailers`);
      }
      if (known.dropInTrailer) return;
      name = known.name;
    } else {
      name = tokenLower(buf, nameStart, nameEnd);
    }
    if (this.trailers === null) this.trailers = [];
    this.trailers.push(name, latin1(buf, valueStart, valueEnd, asciiOnly));
  }

  /** End of the header section: emit the head and enter the body, or complete a message without one. */
  private finishHead(): void {
    const head = this.head.build(this.maxBody);
    if (head.chunked) {
      this.state = S_CHUNK_SIZE;
      this.events.onHead(head);
    } else if (head.contentLength > 0) {
      this.state = S_BODY;
      this.remaining = head.contentLength;
      this.events.onHead(head);
    } else {
      this.events.onHead(head);
      this.complete();
    }
  }

  private parseChunkSize(buf: Uint8Array, start: number, end: number, max: number): number {
    const stop = end < start + max + 1 ? end : start + max + 1;
    let i = start;
    let size = 0;
    while (i < stop) {
      const d = HEX_VALUE[buf[i]];
      if (d === 0xff) break;
      size = size * 16 + d;
      i++;
    }
    if (i === stop) return this.endOfLine(buf, start, i, end, max, false);
    const digitsEnd = i;
    if (digitsEnd === start) return this.lineError(buf, start, i, end, max, "invalid chunk size");
    i = scanChunkExtensions(buf, i, stop);
    if (i < 0) return this.lineError(buf, start, -i - 1, end, max, "invalid chunk extension");
    const next = this.endOfLine(buf, start, i, end, max, false);
    if (next < 0) return -1;
    if (digitsEnd - start > 16 || size > Number.MAX_SAFE_INTEGER) throw new HttpError(400, "chunk size too large");
    if (i - digitsEnd > MAX_CHUNK_EXTENSIONS) throw new HttpError(400, "chunk extensions too long");
    if (size === 0) {
      this.state = S_TRAILER;
      this.fieldCount = 0;
      this.sectionBytes = 0;
      return next;
    }
    this.bodyBytes += size;
    if (this.bodyBytes > this.maxBody) throw new HttpError(413, "request body too large");
    this.remaining = size;
    this.state = S_CHUNK_DATA;
    return next;
  }

  private finishTrailers(): void {
    const trailers = this.trailers;
    if (trailers !== null && trailers.length > 0) this.events.onTrailers(trailers);
    this.complete();
  }

  private complete(): void {
    this.state = S_IDLE;
    this.trailers = null;
    this.fieldCount = 0;
    this.sectionBytes = 0;
    this.remaining = 0;
    this.bodyBytes = 0;
    this.events.onComplete();
  }
}
