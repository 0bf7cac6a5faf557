/**
 * Reads the body of a fetch `Response` built from a string or bytes without
 * going through its ReadableStream, where the runtime's Response keeps that
 * source (Deno: its lazy static body; Node: undici's body source). Reading a
 * one-chunk body through a stream reader costs a stream, two reads and their
 * promises — several microseconds per response on Node — for bytes the
 * Response already holds.
 *
 * Both are internal fields, so they are found once at start-up by probing a
 * Response whose body is known, and every use re-checks that the body was not
 * touched. When a runtime has neither (Bun, or a future version that moved
 * them), {@link staticBody} returns undefined and the stream path is used.
 */

type Peek = (response: Response) => string | Uint8Array | undefined;

const PROBE = "tricorn static body probe";

/** Own symbol-keyed property of `value` with this description, if any. */
function symbolNamed(value: object, description: string): symbol | undefined {
  for (const key of Object.getOwnPropertySymbols(value)) if (key.description === description) return key;
  return undefined;
}

interface DenoInner {
  body?: { streamOrStatic?: { body?: unknown; consumed?: boolean } | ReadableStream } | null;
}

/**
 * Deno: `[lazy static body]` holds a string body until the body or headers are
 * touched; then (and for bodies given with init headers) `[response].body`
 * holds `streamOrStatic`, a `{ body, consumed }` record until a stream is made.
 */
function denoPeek(probe: Response): Peek | null {
  const lazyKey = symbolNamed(probe, "lazy static body");
  const innerKey = symbolNamed(probe, "response");
  if (lazyKey === undefined || innerKey === undefined) return null;
  if ((probe as unknown as Record<symbol, unknown>)[lazyKey] !== PROBE) return null;
  return (response) => {
    const lazy = (response as unknown as Record<symbol, unknown>)[lazyKey];
    if (typeof lazy === "string") return lazy;
    const inner = (response as unknown as Record<symbol, DenoInner | undefined>)[innerKey];
    const held = inner?.body?.streamOrStatic;
    if (held === undefined || held instanceof ReadableStream || held.consumed !== false) return undefined;
    const body = held.body;
    return typeof body === "string" || body instanceof Uint8Array ? body : undefined;
  };
}

interface UndiciBody {
  stream?: ReadableStream | null;
  source?: unknown;
}

/** Node (undici): `[state].body.source` is the string or bytes the body was made from, its stream unread. */
function undiciPeek(probe: Response): Peek | null {
  const key = symbolNamed(probe, "state");
  if (key === undefined) return null;
  const state = (probe as unknown as Record<symbol, { body?: UndiciBody | null } | undefined>)[key];
  if (state?.body?.source !== PROBE) return null;
  return (response) => {
    const body = (response as unknown as Record<symbol, { body?: UndiciBody | null } | undefined>)[key]?.body;
    if (body === null || body === undefined) return undefined;
    const source = body.source;
    if (typeof source !== "string" && !(source instanceof Uint8Array)) return undefined;
    // A body that was read, or whose stream someone holds, is no longer all in `source`.
    if (response.bodyUsed || (body.stream != null && body.stream.locked)) return undefined;
    return source;
  };
}

const peek: Peek | null = (() => {
  try {
    const probe = new Response(PROBE);
    return denoPeek(probe) ?? undiciPeek(probe);
  } catch {
    return null;
  }
})();

/**
 * The whole body of `response` when the runtime still holds it as the string
 * or bytes it was made from and nothing has read it; undefined otherwise
 * (stream bodies, Blobs, bodies already touched, runtimes without a known field).
 */
export function staticBody(response: Response): string | Uint8Array | undefined {
  return peek === null ? undefined : peek(response);
}
