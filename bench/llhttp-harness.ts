/**
 * Drives the runtime's built-in `HTTPParser` (llhttp on Node; Bun and Deno
 * ship compatible bindings) without a socket, for comparison benchmarks.
 * Uses the deprecated `process.binding('http_parser')`; the deprecation
 * warning is silenced for the duration of the lookup.
 */
import process from "node:process";

/** A socketless request parser: `execute` parses whole buffers and counts completed messages. */
export interface BuiltinParser {
  /** Which binding this is, for reports. */
  readonly name: string;
  /** Parses `data`; returns bytes consumed (throws on a parse error). */
  execute(data: Uint8Array): number;
  /** Messages completed so far. */
  readonly completed: number;
}

interface HTTPParserCtor {
  new (): {
    initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
    execute(data: Uint8Array): number | Error;
    [k: number]: unknown;
  };
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

/**
 * Returns a built-in llhttp-style parser, or null when this runtime has none.
 * Its onHeadersComplete receives the header list, method and url as the
 * runtime's own HTTP server would, so the work compared is like for like.
 */
export function createBuiltinParser(): BuiltinParser | null {
  let HTTPParser: HTTPParserCtor;
  const p = process as unknown as { binding(name: string): { HTTPParser: HTTPParserCtor }; noDeprecation?: boolean };
  const quiet = p.noDeprecation;
  try {
    p.noDeprecation = true;
    HTTPParser = p.binding("http_parser").HTTPParser;
  } catch {
    return null;
  } finally {
    p.noDeprecation = quiet;
  }
  if (typeof HTTPParser !== "function") return null;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
  let completed = 0;
  let sink = 0;
  parser[HTTPParser.kOnHeaders | 0] = (headers: string[], url: string) => {
    sink += headers.length + url.length;
  };
  parser[HTTPParser.kOnHeadersComplete | 0] = (_maj: number, _min: number, headers: string[], _method: number, url: string) => {
    sink += (headers ? headers.length : 0) + (url ? url.length : 0);
    return 0;
  };
  parser[HTTPParser.kOnBody | 0] = (b: Uint8Array) => {
    sink += b.length;
  };
  parser[HTTPParser.kOnMessageComplete | 0] = () => {
    completed++;
  };
  parser[HTTPParser.kOnExecute | 0] = () => {};
  return {
    name: "builtin HTTPParser",
    execute(data: Uint8Array): number {
      const r = parser.execute(data);
      if (typeof r !== "number") throw r;
      return r + (sink & 0);
    },
    get completed() {
      return completed;
    },
  };
}
