/**
 * The socket an `'upgrade'` listener gets: a `stream.Duplex` (the runtime's
 * own class, see streams.ts) shaped like the net.Socket node:http passes,
 * over the connection core handed over ({@link RawTakeover},
 * takeover.ts). Writes go to the connection's socket (`write()` returns
 * false and `'drain'` follows when the client does not keep up), reads come
 * from it (the socket pauses while the stream's buffer is full), and
 * `'end'`/`'close'` follow the connection. `ws`'s
 * `WebSocketServer.handleUpgrade()` accepts it.
 */
import type { IncomingRequest } from "../../core/server/types.ts";
import { addIgnoredSocketMethods, familyOf, localAddressInfo, peerOf, type IgnoredSocketMethods, type Peer } from "./peer.ts";
import type { DuplexClass, DuplexLike } from "./streams.ts";

/** What the socket stream drives: the taken-over connection (implemented by RawTakeover). */
export interface RawWire {
  /** Queues `chunk`; `done` runs once the connection accepted it (at once, or on drain). */
  send(chunk: Uint8Array, done: (error?: Error | null) => void): void;
  /** The app ended its side: flush, then close the connection. */
  finish(): void;
  /** The stream wants more input: resume reading if it was paused. */
  wantMore(): void;
  /** The app destroyed the stream: close the connection now. */
  discard(): void;
  /** App-level idle timer of `socket.setTimeout(ms)` (0 = off); the server's own bound stays. */
  setAppTimeout(ms: number): void;
  /** Bytes received and written so far. */
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** The socket of one `'upgrade'` (see the module comment). */
export interface UpgradeSocket extends DuplexLike, Peer, IgnoredSocketMethods {
  /** Emits `'timeout'` after `ms` without traffic (0 turns it off); the socket stays open, as on a net.Socket. */
  setTimeout(ms: number, callback?: () => void): this;
}

/** Constructor of {@link UpgradeSocket} bound to one runtime's Duplex. */
export type UpgradeSocketClass = new (wire: RawWire, incoming: IncomingRequest) => UpgradeSocket;

/** Builds the {@link UpgradeSocket} class on the runtime's Duplex. */
export function defineUpgradeSocketClass(Duplex: DuplexClass): UpgradeSocketClass {
  class NodeUpgradeSocket extends Duplex implements UpgradeSocket {
    /** Parked per-connection data some libraries set on sockets. */
    _meta: unknown = null;
    private readonly wire: RawWire;
    private readonly peer: Peer;

    constructor(wire: RawWire, incoming: IncomingRequest) {
      // A node:http server socket closes its writable side when the client ends (allowHalfOpen false).
      super({ allowHalfOpen: false });
      this.wire = wire;
      this.peer = peerOf(incoming);
    }

    get remoteAddress(): string | undefined {
      return this.peer.remoteAddress;
    }
    get remotePort(): number | undefined {
      return this.peer.remotePort;
    }
    get localAddress(): string | undefined {
      return this.peer.localAddress;
    }
    get localPort(): number | undefined {
      return this.peer.localPort;
    }
    get encrypted(): true | undefined {
      return this.peer.encrypted;
    }
    get remoteFamily(): string | undefined {
      return familyOf(this.peer.remoteAddress);
    }
    get bytesRead(): number {
      return this.wire.bytesRead;
    }
    get bytesWritten(): number {
      return this.wire.bytesWritten;
    }
    get connecting(): boolean {
      return false;
    }
    get pending(): boolean {
      return false;
    }
    get readyState(): string {
      return this.destroyed ? "closed" : "open";
    }

    address(): ReturnType<typeof localAddressInfo> {
      return localAddressInfo(this.peer);
    }

    override _write(chunk: Uint8Array, _encoding: string, callback: (error?: Error | null) => void): void {
      this.wire.send(chunk, callback);
    }
    override _final(callback: (error?: Error | null) => void): void {
      this.wire.finish();
      callback();
    }
    override _read(): void {
      this.wire.wantMore();
    }
    override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
      this.wire.discard();
      // As for net.Socket, an error reaches 'error' listeners; without one it is not thrown at the worker.
      callback(this.listenerCount("error") > 0 ? error : null);
    }

    setTimeout(ms: number, callback?: () => void): this {
      const value = Number(ms);
      this.wire.setAppTimeout(Number.isFinite(value) && value > 0 ? value : 0);
      if (typeof callback === "function") {
        if (value > 0) this.once("timeout", callback);
        else this.removeListener("timeout", callback);
      }
      return this;
    }
  }
  interface NodeUpgradeSocket extends IgnoredSocketMethods {}
  addIgnoredSocketMethods(NodeUpgradeSocket.prototype);
  return NodeUpgradeSocket;
}
