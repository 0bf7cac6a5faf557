/**
 * A fetch app prepared for a runtime's own HTTP server (`--engine native`,
 * see core/server/native-engine.ts): the {@link NativeApp} that `runtimes/<rt>/native.ts`
 * serves. It keeps the promises tricorn makes whatever parses the HTTP:
 *
 * - the app's throw or rejection, or a non-Response result, is logged and
 *   answered 500 (413 for a body over `limit_request_body`);
 * - every response counts towards `max_requests`;
 * - with the access log on, each response gets gunicorn's line, formatted by
 *   core/log/access-log.ts from a small {@link AccessRecord} built per request.
 *   A body without Content-Length is read for a few microtask ticks (as the
 *   core engine does): a complete one is sent whole with its length known,
 *   a stream is passed on chunk by chunk and counted, and logged at its end.
 *
 * With the access log off and no body limit, a request costs calling the
 * app, checking what it returned and counting it (method, status, declared
 * length). `response.body` is never read then: on Deno that getter turns a
 * string body into a stream and `Deno.serve` sends it through its slow
 * streaming path (it was read here once, and cost 2.5× the CPU per request).
 */
import type { AccessLogger, AccessRecord } from "../core/log/access-log.ts";
import type { NativeApp, NativeRequestInfo } from "../core/server/native-engine.ts";
import { HttpError } from "../core/http/errors.ts";
import { isNullBodyStatus, reasonPhrase } from "../core/http/status.ts";
import type { HeaderList, RequestHead } from "../core/http/types.ts";
import type { Logger } from "../core/log/logger.ts";
import type { ServerStats } from "../core/server/stats.ts";
import { concat, toBytes } from "./bytes.ts";
import { errorHandlerOf, serveFieldWarnings, withErrorHandler } from "./serve-fields.ts";
import { IMPLIED_TEXT_TYPE, NOT_READY, PROBE_READS, executionContext, fetchHandler, headerList, settleSoon, type ExecutionContext, type FetchApp, type FetchFunction, type ServeInfo } from "./fetch.ts";

/** Options of {@link createNativeApp}. */
export interface NativeAppOptions {
  logger: Logger;
  /** The access log, or null when it is off. */
  accessLog: AccessLogger | null;
  /** Called once per response (max_requests accounting). */
  requestDone(): void;
  /** Largest request body in bytes (0 = unlimited): larger declared bodies get 413, longer streamed ones fail to read. */
  limitRequestBody: number;
  /**
   * Request counters (metrics, `tricorn ctl`): responses by method and status
   * class, durations to the Response object, bodies of known length.
   */
  stats?: ServerStats;
}


/** The request target (`/path?query`) of an absolute request URL. */
function targetOf(url: string): string {
  const scheme = url.indexOf("://");
  if (scheme < 0) return url || "/"; // Bun gives a bare target when HTTP/1.0 came without Host
  const slash = url.indexOf("/", scheme + 3);
  return slash < 0 ? "/" : url.slice(slash);
}

function errorResponse(status: number): Response {
  return new Response(reasonPhrase(status), { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** The app's fetch function, answering its failures through the app's `error(err)` when it has one (adapters/serve-fields.ts). */
function fetchFunction(app: FetchApp): FetchFunction {
  if (typeof app === "function") return app;
  const method = app.fetch;
  const fetchFn: FetchFunction = (request, info, ctx) => method.call(app, request, info, ctx);
  const onError = errorHandlerOf(app);
  return onError === null ? fetchFn : withErrorHandler(fetchFn, onError);
}

/**
 * `request` with its body bounded by `limit` bytes: a declared length over
 * it is answered 413 at once; a body without Content-Length (chunked) is
 * counted as the app reads it, and the read fails with a 413 HttpError.
 */
function limitBody(request: Request, limit: number): Request | Response {
  const declared = request.headers.get("content-length");
  if (declared !== null) return Number(declared) > limit ? errorResponse(413) : request;
  const body = request.body;
  if (body === null) return request;
  let received = 0;
  const counted = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > limit) controller.error(new HttpError(413, "request body is larger than limit_request_body"));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Request(request, { body: counted, duplex: "half" } as RequestInit);
}

/** The {@link RequestHead} of a fetch Request, for the access log (headers listed on first use). */
class FetchHead implements RequestHead {
  readonly method: string;
  readonly target: string;
  /** Runtimes do not tell the request's HTTP version; logged as HTTP/1.1. */
  readonly versionMinor = 1;
  readonly contentLength = -1;
  readonly chunked = false;
  readonly keepAlive = true;
  readonly expectContinue = false;
  private list: HeaderList | null = null;

  constructor(private readonly request: Request) {
    this.method = request.method;
    this.target = targetOf(request.url);
  }

  get headers(): HeaderList {
    return (this.list ??= headerList(this.request.headers));
  }

  get host(): string {
    return this.request.headers.get("host") ?? "";
  }
}

/** One request's access log record (see the module comment). */
class FetchRecord implements AccessRecord {
  readonly head: FetchHead;
  readonly remoteAddress: string;
  status = 0;
  bodyBytes = 0;
  response: Response | null = null;
  private headerCache: HeaderList | null = null;

  constructor(request: Request, info: NativeRequestInfo, readonly startTime: number) {
    this.head = new FetchHead(request);
    this.remoteAddress = info.remoteAddr.hostname;
  }

  get responseHeaders(): HeaderList | null {
    if (this.response === null) return null;
    return (this.headerCache ??= headerList(this.response.headers));
  }
}


/**
 * `response` with its body counted for the access log: a body complete
 * within a few ticks is re-sent whole (logged now), a stream is passed
 * through and logged when it ends or is cancelled.
 */
async function countedResponse(response: Response, body: ReadableStream<unknown>, record: FetchRecord, log: AccessLogger): Promise<Response> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let pending: Promise<ReadableStreamReadResult<unknown>> | null = null;
  for (let i = 0; i < PROBE_READS; i++) {
    pending ??= reader.read();
    const result = await settleSoon(pending);
    if (result === NOT_READY) break;
    pending = null;
    if (result.done) {
      record.bodyBytes = bytes;
      log.log(record);
      let headers = response.headers;
      if (IMPLIED_TEXT_TYPE && bytes > 0 && !headers.has("content-type")) {
        headers = new Headers(headers);
        headers.set("content-type", "text/plain;charset=utf-8");
      }
      const whole = chunks.length === 0 ? null : (concat(chunks) as Uint8Array<ArrayBuffer>);
      return new Response(whole, { status: response.status, statusText: response.statusText, headers });
    }
    const chunk = toBytes(result.value);
    chunks.push(chunk);
    bytes += chunk.length;
  }
  let logged = false;
  const finish = () => {
    if (logged) return;
    logged = true;
    record.bodyBytes = bytes;
    log.log(record);
  };
  let next = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (next < chunks.length) {
          controller.enqueue(chunks[next]);
          chunks[next++] = EMPTY;
          return;
        }
        try {
          const result = await (pending ?? reader.read());
          pending = null;
          if (result.done) {
            controller.close();
            finish();
            return;
          }
          const chunk = toBytes(result.value);
          bytes += chunk.length;
          controller.enqueue(chunk);
        } catch (error) {
          finish();
          controller.error(error);
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const EMPTY = new Uint8Array(0);

/** See the module comment. */
class NativeFetchApp implements NativeApp {
  readonly handler;
  readonly accessLog: AccessLogger | null;
  readonly logger: Logger;
  readonly requestDone: () => void;
  private readonly fetchFn: FetchFunction;
  private readonly ctx: ExecutionContext;
  private readonly limit: number;
  readonly stats: ServerStats | null;
  /** Requests whose handler has not produced its Response yet (or, on Node, whose response is not finished). */
  inFlight = 0;

  constructor(app: FetchApp, options: NativeAppOptions) {
    this.fetchFn = fetchFunction(app);
    this.handler = fetchHandler(app, { logger: options.logger });
    this.accessLog = options.accessLog;
    this.logger = options.logger;
    this.requestDone = options.requestDone;
    this.ctx = executionContext(options.logger);
    this.limit = options.limitRequestBody;
    this.stats = options.stats ?? null;
  }

  fetch(request: Request, info: NativeRequestInfo): Response | Promise<Response> {
    const record = this.accessLog === null ? null : new FetchRecord(request, info, this.accessLog.now());
    const started = record !== null ? record.startTime : this.stats?.timed ? this.stats.now() : 0;
    this.inFlight++;
    let result: Response | Promise<Response>;
    try {
      if (this.limit > 0) {
        const limited = limitBody(request, this.limit);
        if (limited instanceof Response) return this.respond(limited, record, request, started);
        request = limited;
      }
      result = this.fetchFn(request, info as unknown as ServeInfo, this.ctx);
    } catch (error) {
      return this.respond(this.failure(request, error), record, request, started);
    }
    if (result !== null && typeof result === "object" && typeof (result as Promise<Response>).then === "function") {
      return (result as Promise<Response>).then(
        (response) => this.respond(response, record, request, started),
        (error: unknown) => this.respond(this.failure(request, error), record, request, started),
      );
    }
    return this.respond(result as Response, record, request, started);
  }

  /** Check what the app returned, count it, log it. */
  private respond(response: Response, record: FetchRecord | null, request: Request, started: number): Response | Promise<Response> {
    if (!(response instanceof Response)) {
      const got = response === null ? "null" : typeof response;
      this.logger.error(`Error handling request ${request.method} ${targetOf(request.url)}: the fetch handler must return a Response, got ${got}`);
      response = errorResponse(500);
    }
    this.requestDone();
    this.inFlight--;
    // HEAD responses and null-body statuses send nothing, whatever the Response holds; otherwise
    // the declared Content-Length counts (`response.body` is not read: see the module comment).
    const noBody = request.method === "HEAD" || isNullBodyStatus(response.status);
    const declared = noBody ? null : response.headers.get("content-length");
    const length = declared === null ? 0 : Number(declared) || 0;
    if (this.stats !== null) this.stats.responded(request.method, response.status, length, started);
    if (record === null) return response;
    record.status = response.status;
    record.response = response;
    // The body is looked at only when its length is not declared.
    const body = noBody || declared !== null ? null : response.body;
    if (body === null) {
      record.bodyBytes = length;
      this.accessLog!.log(record);
      return response;
    }
    return countedResponse(response, body, record, this.accessLog!).catch((error: unknown) => {
      this.logger.error(`Error handling request ${request.method} ${targetOf(request.url)}`, error);
      return errorResponse(500);
    });
  }

  private failure(request: Request, error: unknown): Response {
    const label = `${request.method} ${targetOf(request.url)}`;
    const status = error instanceof HttpError ? error.status : 500;
    if (status >= 500) this.logger.error(`Error handling request ${label}`, error);
    else this.logger.debug(`Request ${label} failed: ${String(error)}`);
    return errorResponse(status);
  }
}

/** Wrap a fetch app (a function or an object with `fetch`) for a runtime's native server. */
export function createNativeApp(app: FetchApp, options: NativeAppOptions): NativeApp {
  for (const warning of serveFieldWarnings(app, "the app")) options.logger.warning(warning);
  return new NativeFetchApp(app, options);
}
