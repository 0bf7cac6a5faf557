/**
 * `req.socket` / `res.socket` for Node-style apps: an EventEmitter with the
 * peer and local addresses of the request (after trusted proxy headers, as
 * the other interfaces see them), `encrypted` for https, and the methods
 * middleware calls on a net.Socket. It is not the connection's byte stream:
 * core owns the connection (framing, keep-alive, timeouts), so one such
 * object exists per request and emits `'close'` when that request's
 * response is over or its connection went away. `destroy()` aborts the
 * connection.
 */
import type { IncomingRequest, ResponseWriter } from "../../core/server/types.ts";
import { addIgnoredSocketMethods, familyOf, localAddressInfo, peerOf, type IgnoredSocketMethods, type Peer } from "./peer.ts";
import type { EmitterClass, EmitterLike } from "./streams.ts";

/** The socket-like object of one request (see the module comment). */
export interface NodeSocket extends EmitterLike, Peer, IgnoredSocketMethods {
  readonly remoteFamily: string | undefined;
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly readable: boolean;
  /** Aborts the connection. */
  destroy(error?: unknown): this;
  /** Accepted and ignored (core owns the connection's timeouts); `callback` listens for `'timeout'`. */
  setTimeout(ms: number, callback?: () => void): this;
  /** Marks the socket closed and emits `'close'` once (called by the response). */
  closed(hadError: boolean): void;
}

/** Constructor of {@link NodeSocket} bound to one runtime's EventEmitter. */
export type NodeSocketClass = new (incoming: IncomingRequest, writer: ResponseWriter) => NodeSocket;

/** Builds the {@link NodeSocket} class on the runtime's EventEmitter. */
export function defineSocketClass(EventEmitter: EmitterClass): NodeSocketClass {
  class RequestSocket extends EventEmitter implements NodeSocket {
    readonly remoteAddress: string | undefined;
    readonly remotePort: number | undefined;
    readonly localAddress: string | undefined;
    readonly localPort: number | undefined;
    readonly encrypted: true | undefined;
    destroyed = false;
    /** Fastify and others park per-request data here. */
    _meta: unknown = null;
    private readonly writer: ResponseWriter;

    constructor(incoming: IncomingRequest, writer: ResponseWriter) {
      super();
      this.writer = writer;
      const peer = peerOf(incoming);
      this.remoteAddress = peer.remoteAddress;
      this.remotePort = peer.remotePort;
      this.localAddress = peer.localAddress;
      this.localPort = peer.localPort;
      this.encrypted = peer.encrypted;
    }

    get remoteFamily(): string | undefined {
      return familyOf(this.remoteAddress);
    }
    get writable(): boolean {
      return !this.destroyed && !this.writer.closed;
    }
    get readable(): boolean {
      return this.writable;
    }
    get connecting(): boolean {
      return false;
    }

    address(): ReturnType<typeof localAddressInfo> {
      return localAddressInfo(this);
    }

    destroy(error?: unknown): this {
      if (!this.destroyed) this.writer.abort(error);
      return this;
    }
    end(): this {
      return this.destroy();
    }

    closed(hadError: boolean): void {
      if (this.destroyed) return;
      this.destroyed = true;
      this.emit("close", hadError);
    }

    // Core owns the connection's timeouts: accepted and ignored (so are Nagle and keep-alive, peer.ts).
    setTimeout(_ms: number, callback?: () => void): this {
      if (typeof callback === "function") this.once("timeout", callback);
      return this;
    }
    cork(): void {}
    uncork(): void {}
  }
  interface RequestSocket extends IgnoredSocketMethods {}
  addIgnoredSocketMethods(RequestSocket.prototype);
  return RequestSocket;
}
