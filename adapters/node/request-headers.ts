/**
 * `req.headers` as node:http builds it from the parsed head (names are
 * already lower-cased by core's parser): duplicates of fields that may occur
 * once are dropped (the first wins), `set-cookie` is an array, `cookie`
 * values are joined with `"; "`, every other repeated field with `", "`.
 */
import type { HeaderList } from "../../core/http/types.ts";

/** Fields node:http keeps only the first occurrence of. */
const SINGLE = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host",
  "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards",
  "proxy-authorization", "referer", "retry-after", "server", "user-agent",
]);

/** Node's `IncomingMessage.headers` object. */
export type NodeHeaders = Record<string, string | string[] | undefined>;

/**
 * Builds `req.headers` from a flat, lower-cased header list.
 * @param list `[name, value, …]` as the parser produced it
 */
export function nodeHeaders(list: HeaderList): NodeHeaders {
  const headers: NodeHeaders = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i];
    const value = list[i + 1];
    const seen = headers[name];
    if (seen === undefined || !Object.hasOwn(headers, name)) {
      headers[name] = name === "set-cookie" ? [value] : value;
    } else if (name === "set-cookie") {
      (seen as string[]).push(value);
    } else if (!SINGLE.has(name)) {
      headers[name] = seen + (name === "cookie" ? "; " : ", ") + value;
    }
  }
  return headers;
}
