/**
 * A lightweight fetch `Response` class that a worker entry may install as the
 * global `Response` (runtimes/*: `installLightResponse`, setting
 * `light_response`) so that the app's `new Response("…")` costs a few field
 * stores instead of the runtime's constructor (on Node 20, undici builds a
 * ReadableStream and makes it transferable for every Response: ~20 µs with its
 * garbage, more than the rest of a request). This module only defines the
 * class; it patches nothing.
 *
 * Indistinguishable to apps (test/neutral/fetch-contract-cases.ts runs one
 * contract against this class and the runtime's own, on Node, Deno and Bun):
 * - Only the common shapes stay light: a body that is absent, null, a string,
 *   a Uint8Array or an ArrayBuffer (bytes copied, as the runtime does), with
 *   an init whose status is an integer 200–599, whose statusText is a plain
 *   reason phrase and whose headers are absent, a `Headers` or a record/array
 *   the runtime's `Headers` accepts. Anything else constructs the runtime's
 *   Response at once (same errors, same behaviour), wrapped.
 * - status, statusText, ok, type, url, redirected are answered from fields.
 *   Everything else — headers, body, bodyUsed, text()/json()/…, clone() —
 *   first builds the real Response from the same body and init ("materializes")
 *   and forwards to it from then on, so header guards, stream and body-used
 *   rules are the runtime's own.
 * - `instanceof Response` holds for light and real responses alike (the
 *   prototype chain runs through the runtime's `Response.prototype`, and the
 *   class answers `Symbol.hasInstance` for real ones); `Response.json` stays
 *   light for plain data, `Response.error()`/`redirect()` wrap real ones.
 *
 * The fetch adapter reads an unmaterialized response's fields directly
 * ({@link lightParts}): no Headers, no stream, no copy of the body.
 */
import { isNullBodyStatus } from "../core/http/status.ts";
import type { HeaderList } from "../core/http/types.ts";
import { forwardMembers } from "./forward.ts";

/** The runtime's own Response class (captured before anything is installed). */
const RealResponse: typeof Response = globalThis.Response;
const RealHeaders: typeof Headers = globalThis.Headers;

const REAL = Symbol("tricorn.real");
const PARTS = Symbol("tricorn.parts");
const SOURCE = Symbol("tricorn.source");

/** What the runtime's Response puts in `headers` for a string body without a Content-Type (Bun: nothing). */
const STRING_TYPE: string | null = new RealResponse("x").headers.get("content-type");
/** What `Response.json()` sets as Content-Type on this runtime. */
const JSON_TYPE: string | null = RealResponse.json(0).headers.get("content-type");

/** A reason phrase the fetch spec accepts as is (HTTP `reason-phrase`). */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Collects `headers.forEach` output (set-cookie separately, below). */
function pushHeader(this: HeaderList, value: string, name: string): void {
  if (name !== "set-cookie") this.push(name, value);
}

/** Flat, lower-cased header list of a fetch `Headers` in its iteration order, every Set-Cookie kept separate. */
export function headerList(headers: Headers): HeaderList {
  const list: HeaderList = [];
  headers.forEach(pushHeader, list);
  if (typeof headers.getSetCookie === "function") {
    const cookies = headers.getSetCookie();
    for (let i = 0; i < cookies.length; i++) list.push("set-cookie", cookies[i]);
  } else {
    const cookie = headers.get("set-cookie");
    if (cookie !== null) list.push("set-cookie", cookie);
  }
  return list;
}

function hasName(list: HeaderList, name: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
  return false;
}

/** Body kinds kept light; undefined when the runtime must handle it. Bytes are copied like the runtime copies them. */
function lightBody(body: unknown): string | Uint8Array | null | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new Uint8Array(body); // also copies a Buffer's view into a plain array
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  return undefined;
}

/** The parts the fetch adapter sends from an unmaterialized {@link LightResponse}. */
export interface LightParts {
  status: number;
  statusText: string;
  /** Lower-cased name/value pairs as the runtime's `headers` would iterate them. */
  headers: HeaderList;
  body: string | Uint8Array | null;
}

/** See the module comment. Installed as `globalThis.Response` by a worker entry; never by library code. */
export class LightResponse {
  /** The runtime's Response once materialized (or when it had to decide from the start). */
  [REAL]: Response | undefined;
  /** What the response was made of while it is light; null once it is not. */
  [PARTS]: LightParts | null;
  /** The string/bytes body a materialized light response was made from (see {@link keptBody}). */
  [SOURCE]?: string | Uint8Array | null;

  constructor(body?: unknown, init?: unknown) {
    const parts = lightPartsOf(body, init);
    this[PARTS] = parts;
    this[REAL] = parts === null ? new RealResponse(body as BodyInit, init as ResponseInit) : undefined;
  }

  get status(): number {
    const real = this[REAL];
    return real === undefined ? this[PARTS]!.status : real.status;
  }
  get statusText(): string {
    const real = this[REAL];
    return real === undefined ? this[PARTS]!.statusText : real.statusText;
  }
  get ok(): boolean {
    const real = this[REAL];
    if (real !== undefined) return real.ok;
    const status = this[PARTS]!.status;
    return status >= 200 && status <= 299;
  }
  get type(): ResponseType {
    const real = this[REAL];
    return real === undefined ? "default" : real.type;
  }
  get url(): string {
    const real = this[REAL];
    return real === undefined ? "" : real.url;
  }
  get redirected(): boolean {
    const real = this[REAL];
    return real === undefined ? false : real.redirected;
  }
  get bodyUsed(): boolean {
    const real = this[REAL];
    return real === undefined ? false : real.bodyUsed;
  }
  get headers(): Headers {
    return materialize(this).headers;
  }
  get body(): ReadableStream<Uint8Array> | null {
    return materialize(this).body;
  }

  clone(): Response {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as LightResponse;
    initWrapped(copy, materialize(this).clone());
    return copy as unknown as Response;
  }

  /** Like the runtime's `Response.json`: light for plain data without init, else the runtime's. */
  static json(data: unknown, init?: ResponseInit): Response {
    if (init === undefined && JSON_TYPE !== null) {
      let text: string | undefined;
      try {
        text = JSON.stringify(data);
      } catch {
        text = undefined; // the runtime's Response.json below throws its own error
      }
      if (typeof text === "string") {
        const light = new LightResponse(null);
        light[PARTS] = { status: 200, statusText: "", headers: ["content-type", JSON_TYPE], body: text };
        return light as unknown as Response;
      }
    }
    return wrap(RealResponse.json(data, init));
  }

  static error(): Response {
    return wrap(RealResponse.error());
  }

  static redirect(url: string | URL, status?: number): Response {
    return wrap(RealResponse.redirect(url, status));
  }

  /** `x instanceof Response` holds for the runtime's responses too (subclasses keep the ordinary rule). */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this === LightResponse) return value instanceof RealResponse;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** A header name the Fetch standard accepts (an HTTP token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value (after trimming) that every runtime's Headers keeps as is: no NUL/CR/LF, no char above 0xFF. */
const PLAIN_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** HTTP whitespace the Fetch standard strips from both ends of a header value. */
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/**
 * The header list of a plain record with exactly one string entry, as the
 * runtime's Headers would hold it (lower-cased name, trimmed value); null when
 * the record is anything else (then `new Headers()` decides, errors included).
 */
function singleHeader(headers: unknown): HeaderList | null {
  if (typeof headers !== "object" || headers === null || Object.getPrototypeOf(headers) !== Object.prototype) return null;
  const keys = Object.keys(headers);
  if (keys.length !== 1 || Object.getOwnPropertySymbols(headers).length !== 0) return null;
  const name = keys[0];
  const value = (headers as Record<string, unknown>)[name];
  if (typeof value !== "string" || !TOKEN.test(name)) return null;
  const trimmed = value.replace(EDGE_WHITESPACE, "");
  if (!PLAIN_VALUE.test(trimmed)) return null;
  return [name.toLowerCase(), trimmed];
}

/** The light parts of `new Response(body, init)`; null when the runtime's constructor must decide (unusual input, or an error to throw). */
function lightPartsOf(body: unknown, init: unknown): LightParts | null {
  const bytes = lightBody(body);
  if (bytes === undefined) return null;
  let status = 200;
  let statusText = "";
  let list: HeaderList;
  if (init === undefined || init === null) {
    list = [];
  } else {
    if (typeof init !== "object") return null;
    // Read each member once, in the order the runtime's dictionary conversion does.
    const { headers, status: s, statusText: t } = init as ResponseInit;
    if (s !== undefined) {
      if (typeof s !== "number" || !Number.isInteger(s) || s < 200 || s > 599) return null;
      status = s;
    }
    if (t !== undefined) {
      if (typeof t !== "string" || !REASON_PHRASE.test(t)) return null;
      statusText = t;
    }
    // A null-body status with a body is an error the runtime reports.
    if (bytes !== null && isNullBodyStatus(status)) return null;
    if (headers === undefined) list = [];
    else if (headers instanceof RealHeaders) list = headerList(headers);
    else if ((list = singleHeader(headers)!) !== null) {
      // `{ "Content-Type": "…" }`, as Hono's c.json()/c.html() pass it: no Headers object needed.
    } else if (typeof headers === "object" && headers !== null) {
      let parsed: Headers;
      try {
        parsed = new RealHeaders(headers);
      } catch {
        return null; // invalid names/values: the runtime's constructor throws its own error
      }
      list = headerList(parsed);
    } else return null;
  }
  if (typeof bytes === "string" && STRING_TYPE !== null && !hasName(list, "content-type")) {
    // Where the runtime's Headers would list it: names iterate sorted (Set-Cookie entries last).
    let at = 0;
    while (at < list.length && list[at] < "content-type") at += 2;
    if (at === list.length) list.push("content-type", STRING_TYPE); // the usual case (no headers): no splice
    else list.splice(at, 0, "content-type", STRING_TYPE);
  }
  return { status, statusText, headers: list, body: bytes };
}

/** The runtime's Response for `light`, built on first need from the same body and init. */
function materialize(light: LightResponse): Response {
  let real = light[REAL];
  if (real === undefined) {
    const parts = light[PARTS]!;
    const list = parts.headers;
    const pairs: [string, string][] = [];
    for (let i = 0; i < list.length; i += 2) pairs.push([list[i], list[i + 1]]);
    real = new RealResponse(parts.body as BodyInit | null, { status: parts.status, statusText: parts.statusText, headers: pairs });
    light[REAL] = real;
    light[PARTS] = null;
    light[SOURCE] = parts.body;
  }
  return real;
}

/** Makes `target` a wrapper of the runtime's `real` response. */
function initWrapped(target: LightResponse, real: Response): void {
  target[REAL] = real;
  target[PARTS] = null;
}

/** A LightResponse forwarding everything to `real` (so its prototype is the installed class). */
function wrap(real: Response): Response {
  const light = Object.create(LightResponse.prototype) as LightResponse;
  initWrapped(light, real);
  return light as unknown as Response;
}

/**
 * The parts of `response` when it is a {@link LightResponse} that was never
 * materialized (so nothing but this module has seen its headers or body);
 * null or undefined otherwise.
 */
export function lightParts(response: object): LightParts | null | undefined {
  // Only instances made here have the PARTS key (instanceof would also accept the runtime's responses).
  return (response as LightResponse)[PARTS];
}

/**
 * The runtime's own response behind `response` when it is a materialized or
 * wrapping {@link LightResponse}; `response` itself otherwise (for probes of
 * runtime internals such as adapters/static-body.ts).
 */
export function runtimeResponse(response: Response): Response {
  return (response as unknown as LightResponse)[REAL] ?? response;
}

/**
 * The whole body of a light response that was materialized (the app looked
 * at its headers, as header-setting middleware does) but whose body nobody
 * has read: the string or bytes it was made from. Undefined otherwise.
 */
export function keptBody(response: Response): string | Uint8Array | undefined {
  const source = (response as unknown as LightResponse)[SOURCE];
  if (source === undefined || source === null) return undefined;
  const real = (response as unknown as LightResponse)[REAL];
  return real === undefined || real.bodyUsed ? undefined : source;
}

// Everything else a Response has (text, json, arrayBuffer, blob, formData, bytes, …) is forwarded
// to the materialized response.
{
  forwardMembers(LightResponse.prototype, RealResponse.prototype, materialize);
  Object.setPrototypeOf(LightResponse.prototype, RealResponse.prototype);
  // `Response.name` and `Response.length` read as the runtime's.
  Object.defineProperty(LightResponse, "name", { value: RealResponse.name, configurable: true });
  Object.defineProperty(LightResponse, "length", { value: RealResponse.length, configurable: true });
  Object.setPrototypeOf(LightResponse, RealResponse);
}
