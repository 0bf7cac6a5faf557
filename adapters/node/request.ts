/**
 * `req` for Node-style apps: a Readable (the runtime's own class, see
 * streams.ts) shaped like node:http's IncomingMessage. The body is pulled
 * from core's {@link RequestBody} only when the app reads it (`'data'`,
 * `pipe`, async iteration, `read()`), so `100 Continue` and socket flow
 * control work as for the other interfaces. Header names are lower-case in
 * `rawHeaders` too: core's parser keeps only the lower-cased name.
 */
import type { HeaderList } from "../../core/http/types.ts";
import type { IncomingRequest, RequestBody, ResponseWriter } from "../../core/server/types.ts";
import { nodeHeaders, type NodeHeaders } from "./request-headers.ts";
import type { NodeSocket, NodeSocketClass } from "./socket.ts";
import type { ReadableClass, ReadableLike } from "./streams.ts";

/** The request object of one exchange (see the module comment). */
export interface NodeRequest extends ReadableLike {
  method: string;
  url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  headers: NodeHeaders;
  readonly rawHeaders: string[];
  readonly trailers: NodeHeaders;
  readonly rawTrailers: string[];
  /** Made on first access (most requests never touch it). */
  socket: NodeSocket;
  readonly connection: NodeSocket;
  aborted: boolean;
  complete: boolean;
  /** True on the request an `'upgrade'` listener gets. */
  upgrade: boolean;
  /** Called when the response is over: the unread rest of the body is dropped (core discards it). */
  dump(): void;
  /** Called when the connection went away before the response ended. */
  abort(): void;
  /** The socket object if the app ever asked for it, else null (so closing does not create one). */
  socketIfMade(): NodeSocket | null;
}

/** Constructor of {@link NodeRequest} bound to one runtime's Readable. */
export type NodeRequestClass = new (incoming: IncomingRequest, writer: ResponseWriter) => NodeRequest;

/** `trailers` of a chunked body: the exchange keeps them once the body completed. */
function trailerList(incoming: IncomingRequest): HeaderList {
  return (incoming as { trailers?: HeaderList | null }).trailers ?? [];
}

/** `ECONNRESET`-coded error given to `req.destroy()` when the client went away, as node:http does. */
function abortedError(): Error {
  const error = new Error("aborted");
  (error as Error & { code: string }).code = "ECONNRESET";
  return error;
}

/** Builds the {@link NodeRequest} class on the runtime's Readable; its sockets are `Socket`s. */
export function defineRequestClass(Readable: ReadableClass, Socket: NodeSocketClass): NodeRequestClass {
  class IncomingMessage extends Readable implements NodeRequest {
    method: string;
    url: string;
    readonly httpVersionMinor: number;
    headers: NodeHeaders;
    aborted = false;
    complete: boolean;
    upgrade = false;
    readonly statusCode = null;
    readonly statusMessage = null;
    private readonly incoming: IncomingRequest;
    private readonly body: RequestBody;
    private readonly writer: ResponseWriter;
    private socketObject: NodeSocket | null = null;
    private pulling = false;

    constructor(incoming: IncomingRequest, writer: ResponseWriter) {
      super();
      const head = incoming.head;
      this.incoming = incoming;
      this.body = incoming.body;
      this.method = head.method;
      this.url = head.target;
      this.httpVersionMinor = head.versionMinor;
      this.headers = nodeHeaders(head.headers);
      this.writer = writer;
      this.complete = incoming.body.empty;
    }

    get httpVersion(): string {
      return this.httpVersionMinor === 1 ? "1.1" : "1.0";
    }
    get httpVersionMajor(): number {
      return 1;
    }
    get socket(): NodeSocket {
      return (this.socketObject ??= new Socket(this.incoming, this.writer));
    }
    set socket(socket: NodeSocket) {
      this.socketObject = socket;
    }
    get connection(): NodeSocket {
      return this.socket;
    }
    socketIfMade(): NodeSocket | null {
      return this.socketObject;
    }
    get rawHeaders(): string[] {
      return this.incoming.head.headers.slice();
    }
    get trailers(): NodeHeaders {
      return nodeHeaders(trailerList(this.incoming));
    }
    get rawTrailers(): string[] {
      return trailerList(this.incoming).slice();
    }

    override _read(): void {
      if (this.pulling) return;
      if (this.body.empty) {
        this.push(null);
        return;
      }
      this.pulling = true;
      this.body.read().then(
        (chunk) => {
          this.pulling = false;
          if (chunk === null) {
            if (!this.aborted) this.complete = true;
            this.push(null);
          } else {
            this.push(chunk);
          }
        },
        (error: unknown) => {
          this.pulling = false;
          this.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }

    // node:http emits 'error' on a request only when someone listens for it.
    override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
      callback(this.listenerCount("error") > 0 ? error : null);
    }

    setTimeout(ms: number, callback?: () => void): this {
      this.socket.setTimeout(ms, callback);
      return this;
    }

    dump(): void {
      if (this.destroyed || this.readableEnded) return;
      // Nothing to drain and nobody waiting for 'end'/'close': skip the stream's tick-by-tick ending.
      if (this.body.empty && this.listenerCount("end") === 0 && this.listenerCount("close") === 0 && this.listenerCount("data") === 0) return;
      // The body reads as ended from now on (core discards the rest); let the stream finish and close.
      this.removeAllListeners("data");
      this.resume();
    }

    abort(): void {
      if (this.destroyed) return;
      if (!this.complete) {
        this.aborted = true;
        this.emit("aborted");
      }
      this.destroy(abortedError());
    }
  }
  return IncomingMessage;
}
