/**
 * Byte-stream sockets as core sees them, implemented by
 * runtimes/<rt>/socket.ts over the runtime's own sockets, plus constants the
 * runtime socket wrappers share. Types and constants only.
 */

/**
 * What a runtime socket delivers to core. The runtime calls these; core
 * implements them (one {@link SocketHandlers} per accepted connection).
 */
export interface SocketHandlers {
  /**
   * Bytes arrived. The chunk belongs to the receiver from now on: the runtime
   * must not reuse or mutate its memory afterwards (core may keep views of it).
   */
  data(chunk: Uint8Array): void;
  /** The write buffer drained below its high-water mark after `write` returned false. */
  drain(): void;
  /** The peer half-closed (EOF). Core decides whether to finish the response and close. */
  end(): void;
  /** The socket is gone (closed by either side or errored). Called exactly once. */
  close(error?: unknown): void;
}

/** An accepted stream connection (TCP, unix or TLS), as core sees it. */
export interface Socket {
  /** Peer address (`""` for unix sockets). */
  readonly remoteAddress: string;
  /** Peer port (0 for unix sockets). */
  readonly remotePort: number;
  /** Local address the connection arrived on (`""` for unix sockets). */
  readonly localAddress: string;
  /** Local port (0 for unix sockets). */
  readonly localPort: number;
  /** True when the stream is TLS (url scheme `https`). */
  readonly encrypted: boolean;
  /**
   * Queue bytes for sending. Never drops or partially writes: the runtime
   * buffers what the kernel does not take. Returns false when the buffered
   * amount is above the high-water mark; core then waits for `drain`.
   * The runtime may keep a reference to `chunk` until it is written; core
   * must not mutate a chunk after passing it here.
   */
  write(chunk: Uint8Array): boolean;
  /**
   * Optional: {@link write} for several chunks that leave together, without
   * copying them into one (Node: one `writev`). Only runtimes whose sockets
   * gather writes implement it; without it core joins such chunks itself
   * when that saves a write (a WebSocket frame header and its payload).
   */
  writev?(chunks: readonly Uint8Array[]): boolean;
  /**
   * Bytes handed to {@link write} that the kernel has not taken yet. It must
   * fall while the peer reads, also inside one large write: core compares
   * two readings to tell a slow reader from one that stopped (send_timeout).
   */
  readonly unsentBytes: number;
  /** Stop delivering `data` until {@link resume}. Idempotent. */
  pause(): void;
  /** Resume delivering `data`. Idempotent. */
  resume(): void;
  /** Flush queued bytes, then close the connection. Idempotent. */
  end(): void;
  /** Close now, discarding queued bytes. Idempotent. */
  destroy(): void;
}

/** Called by a runtime listener for every accepted connection; returns the handlers for it. */
export type ConnectionAcceptor = (socket: Socket) => SocketHandlers;

/** A bound listening socket. */
export interface Listener {
  /** What was bound, for logs: `http://127.0.0.1:8000`, `unix:/tmp/x.sock`. */
  readonly url: string;
  /** Stop accepting; already accepted connections are untouched. */
  close(): Promise<void>;
  /**
   * Stop taking connections off the kernel's accept queue, with the socket
   * left open (closing it would reset what is queued): new connections wait
   * in the backlog, or are taken by a sibling process that shares the socket.
   * An accept already under way may still deliver one connection. Where the
   * runtime cannot stop accepting (Bun) this does nothing and connections keep
   * arriving (core holds them unread). Idempotent; nothing after close.
   */
  pauseAccepting(): void;
  /** Take connections again after {@link pauseAccepting}. Idempotent; nothing after close. */
  resumeAccepting(): void;
  /**
   * Connections core has closed that the runtime still holds open, each a
   * socket outside `worker_connections` (Deno: a TLS handshake in progress,
   * which Deno's TLS connection cannot close before it ends). Absent: always 0. The
   * worker retires once these reach `worker_connections`, so its exit closes them.
   */
  strandedSockets?(): number;
}

/* Shared by the runtime socket wrappers. */

/** Bytes queued for writing above which `Socket.write` returns false. */
export const WRITE_HIGH_WATER_MARK = 64 * 1024;

/** Bytes requested per read where the runtime lets us choose (Deno). */
export const READ_CHUNK_SIZE = 64 * 1024;

/** Reads smaller than this are copied out so the big read buffer can be reused. */
export const READ_COPY_THRESHOLD = 16 * 1024;

/**
 * After `end()` has flushed and sent FIN, keep reading (and discarding) for
 * up to this long before closing, so unread request bytes do not make the
 * kernel send RST and destroy the response in flight ("lingering close").
 */
export const LINGER_MS = 2000;

/** The part of a {@link Socket} a protocol running on a taken-over connection uses (WebSocket sessions, node-style upgrades). */
export type ByteStream = Pick<Socket, "write" | "writev" | "pause" | "resume" | "end" | "destroy">;
