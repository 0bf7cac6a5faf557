/**
 * Deno listener: `Deno.listen` (`Deno.listenTls` with TLS options) accept
 * loop, and each `Deno.Conn` wrapped as a core {@link Socket} with a read
 * loop (paused through a gate). Writes go straight to `conn.write` when no
 * write is in flight (Deno sends eagerly, so a small response usually leaves
 * at once); otherwise they queue behind it, merged, and partial writes are
 * continued from the settled promise — no async function per write.
 */
import { listenerUrl } from "../../core/net/bind.ts";
import { bindUnixSocket, closeUnixSocket } from "../../core/net/unix-handover.ts";
import { LINGER_MS, READ_CHUNK_SIZE, READ_COPY_THRESHOLD, WRITE_HIGH_WATER_MARK } from "../../core/runtime/socket.ts";
import type { ListenFn } from "../../core/net/listen-types.ts";
import { listen as listenWithNodeNet } from "../node/socket.ts";
import type { ConnectionAcceptor, Socket, SocketHandlers } from "../../core/runtime/socket.ts";

/**
 * Read buffer of a connection between bulk reads: every idle keep-alive
 * connection holds one in its pending `conn.read`. 1 KiB holds a typical
 * request head (wrk's, curl's, most API clients'); a head that fills it costs
 * one more read, into a 64 KiB buffer. 10,000 idle connections: 4 KiB → 1 KiB
 * took a worker's growth from +119 to +93 MiB (bench/idle-memory.mjs).
 */
const IDLE_READ_SIZE = 1024;
/**
 * Bulk reads go into views of one slab: each read gets at least
 * {@link BULK_READ_ROOM} bytes (a 64 KiB WebSocket frame with its header, or
 * 64 KiB of a body, arrives in one read instead of two that core must join),
 * and the slab is zeroed once for several reads instead of once per read.
 * Only reads that follow a bulk read use slabs (a large request head still
 * gets one 64 KiB buffer). A chunk core keeps pins its whole slab.
 */
const READ_SLAB_SIZE = 3 * READ_CHUNK_SIZE;
/** Room a bulk read gets at least: a 64 KiB chunk plus a frame header and more. */
const BULK_READ_ROOM = READ_CHUNK_SIZE + 8 * 1024;
/** Queued chunks are merged into one `conn.write` up to this many bytes. */
const COALESCE_LIMIT = 64 * 1024;

/** A listener's count of connections destroyed while their TLS handshake was still going. */
interface StrandedCount {
  count: number;
}

/** One accepted connection. */
class DenoSocket implements Socket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly encrypted: boolean;
  private handlers!: SocketHandlers;
  /** Chunks waiting behind the write in flight. */
  private queue: Uint8Array[] = [];
  /** Bytes not yet taken by the kernel: the rest of the write in flight plus the queue. */
  private queued = 0;
  /** The bytes of the `conn.write` in flight, or null when none is. */
  private inflight: Uint8Array | null = null;
  private needDrain = false;
  private paused = false;
  private gate: PromiseWithResolvers<void> | null = null;
  private ending = false;
  private readEnded = false;
  private closed = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** A TLS connection whose handshake has not ended (Deno cannot close it before it does). */
  private handshaking = false;
  /** Destroyed while handshaking: counted in `stranded` and closed when the handshake ends. */
  private isStranded = false;

  constructor(
    private readonly conn: Deno.Conn,
    encrypted: boolean,
    private readonly stranded: StrandedCount,
  ) {
    this.encrypted = encrypted;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    this.remoteAddress = remote.hostname ?? "";
    this.remotePort = remote.port ?? 0;
    this.localAddress = local.hostname ?? "";
    this.localPort = local.port ?? 0;
  }

  /** Connect to core and start reading. */
  start(acceptor: ConnectionAcceptor): void {
    // A Deno.TlsConn has no setNoDelay (its TCP socket is not exposed).
    if (!this.encrypted && this.conn.remoteAddr.transport === "tcp") (this.conn as Deno.TcpConn).setNoDelay(true);
    if (this.encrypted) {
      this.handshaking = true;
      (this.conn as Deno.TlsConn).handshake().then(this.handshakeEnded, this.handshakeEnded);
    }
    this.handlers = acceptor(this);
    void this.readLoop();
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.ending) return true; // connection is over for core; drop
    if (chunk.length === 0) return !this.needDrain;
    this.queued += chunk.length;
    // No write in flight: hand the chunk to the kernel now (Deno tries the send
    // right away, so a small response usually leaves inside this call).
    if (this.inflight === null) this.send(chunk);
    else this.queue.push(chunk);
    if (this.queued <= WRITE_HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  get unsentBytes(): number {
    return this.queued;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.gate = Promise.withResolvers<void>();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.gate?.resolve();
    this.gate = null;
  }

  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.resume(); // keep reading so the peer's FIN is seen while lingering
    if (this.inflight === null) this.finishEnd();
  }

  destroy(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.queue = [];
    this.inflight = null;
    this.resume();
    if (this.handshaking) {
      // Deno finishes a TLS handshake before it closes the socket, and close()
      // would only drop our handle to it: keep the handle and close it when the
      // handshake ends (the listener's count lets the worker retire meanwhile).
      this.isStranded = true;
      this.stranded.count++;
    } else {
      this.closeConn();
    }
    // Deliver asynchronously, as Node does, so core never sees close() inside its own destroy().
    queueMicrotask(() => this.handlers.close(error));
  }

  private closeConn(): void {
    try {
      this.conn.close();
    } catch {
      // already closed by the peer side
    }
  }

  /** The TLS handshake succeeded or failed: a stranded connection can be closed now. */
  private readonly handshakeEnded = (): void => {
    this.handshaking = false;
    if (!this.isStranded) return;
    this.isStranded = false;
    this.stranded.count--;
    this.closeConn();
  };

  /** All queued bytes are out: send FIN, then linger until the peer's FIN (bounded). */
  private finishEnd(): void {
    if (this.closed) return;
    if (this.readEnded) return this.destroy();
    // closeWrite is asynchronous; a rejection (peer already gone) just closes.
    this.conn.closeWrite().catch((error: unknown) => this.destroy(isReset(error) ? undefined : error));
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    Deno.unrefTimer(timer);
    this.lingerTimer = timer;
  }

  private async readLoop(): Promise<void> {
    // Every connection waits in `conn.read` with a buffer of its own, so an idle
    // one holds only a small buffer; a read that fills it switches to big
    // buffers until reads get small again.
    const small = new Uint8Array(IDLE_READ_SIZE);
    let buffer = small;
    try {
      while (!this.closed) {
        if (this.gate) await this.gate.promise;
        if (this.closed) return;
        const n = await this.conn.read(buffer);
        if (n === null) break;
        if (this.closed) return;
        if (this.ending) continue; // lingering: drop what the peer still sends
        let chunk: Uint8Array;
        if (n < READ_COPY_THRESHOLD) {
          chunk = buffer.slice(0, n); // copy small reads, reuse the buffer
          buffer = n === buffer.length ? new Uint8Array(READ_CHUNK_SIZE) : small;
        } else {
          // Hand the bytes over (core may keep views) and read on into the rest of the slab.
          chunk = buffer.subarray(0, n);
          const rest = buffer.subarray(n);
          buffer = rest.length >= BULK_READ_ROOM ? rest : new Uint8Array(READ_SLAB_SIZE);
        }
        // A read that completed after pause() is held until resume().
        if (this.gate) await this.gate.promise;
        if (this.closed) return;
        this.handlers.data(chunk);
      }
    } catch (error) {
      if (!this.closed) this.destroy(isReset(error) ? undefined : error);
      return;
    }
    if (this.closed) return;
    this.readEnded = true;
    if (this.ending && this.inflight === null) this.destroy();
    else if (!this.ending) this.handlers.end();
  }

  /** Starts one `conn.write`; {@link written} continues when it settles (no async function per write). */
  private send(chunk: Uint8Array): void {
    this.inflight = chunk;
    let pending: Promise<number>;
    try {
      pending = this.conn.write(chunk);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(this.written, this.writeFailed);
  }

  /** A `conn.write` took `n` bytes (possibly fewer than asked). */
  private readonly written = (n: number): void => {
    const chunk = this.inflight;
    if (chunk === null || this.closed) return;
    this.queued -= n;
    if (n < chunk.length) {
      this.send(chunk.subarray(n));
      return;
    }
    if (this.queue.length > 0) this.send(this.takeQueued());
    else this.inflight = null;
    if (this.needDrain && this.queued <= WRITE_HIGH_WATER_MARK) {
      this.needDrain = false;
      this.handlers.drain();
    }
    if (this.inflight === null && this.ending) this.finishEnd();
  };

  private readonly writeFailed = (error: unknown): void => {
    this.inflight = null;
    if (!this.closed) this.destroy(isReset(error) ? undefined : error);
  };

  /** Next bytes to write: the head chunk, or several small ones merged into one buffer. */
  private takeQueued(): Uint8Array {
    const first = this.queue.shift() as Uint8Array;
    if (this.queue.length === 0 || first.length >= COALESCE_LIMIT) return first;
    let count = 0;
    let size = first.length;
    while (count < this.queue.length && size + this.queue[count].length <= COALESCE_LIMIT) {
      size += this.queue[count].length;
      count++;
    }
    if (count === 0) return first;
    const merged = new Uint8Array(size);
    merged.set(first, 0);
    let off = first.length;
    for (const part of this.queue.splice(0, count)) {
      merged.set(part, off);
      off += part.length;
    }
    return merged;
  }
}

/** Resets and broken pipes are how peers usually leave; not worth reporting as errors. */
function isReset(error: unknown): boolean {
  return (
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    // A TLS handshake that failed (plain HTTP on the TLS port, scanners): the client's problem.
    error instanceof Deno.errors.InvalidData
  );
}

/** lstat, or null when nothing can be seen at `path`. */
function lstat(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch {
    return null;
  }
}

const unixProbe = {
  kind(path: string) {
    const info = lstat(path);
    return info === null ? ("missing" as const) : info.isSocket ? ("socket" as const) : ("other" as const);
  },
  async accepting(path: string) {
    try {
      (await Deno.connect({ transport: "unix", path })).close();
      return true;
    } catch {
      return false;
    }
  },
  remove(path: string) {
    try {
      Deno.removeSync(path);
    } catch {
      // gone already
    }
  },
  inode: (path: string) => lstat(path)?.ino ?? null,
  rename: (from: string, to: string) => Deno.renameSync(from, to),
};

/** Whether an accept loop runs: closed for good, or paused until `resumed` settles. */
interface AcceptState {
  closed: boolean;
  resumed: PromiseWithResolvers<void> | null;
}

/**
 * Accept connections until the listener is closed. While paused no accept is
 * issued, so connections stay in the kernel's queue (the one already pending
 * still completes).
 */
async function acceptLoop(
  listener: Deno.Listener,
  acceptor: ConnectionAcceptor,
  encrypted: boolean,
  state: AcceptState,
  stranded: StrandedCount,
  onError?: (error: unknown) => void,
) {
  while (!state.closed) {
    if (state.resumed !== null) {
      await state.resumed.promise;
      continue;
    }
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (state.closed || error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) return;
      onError?.(error); // e.g. EMFILE: back off briefly instead of spinning
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    new DenoSocket(conn, encrypted, stranded).start(acceptor);
  }
}

/** An error for a TLS feature Deno cannot provide (core reports its message as is). */
function tlsUnsupported(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_TLS_UNSUPPORTED" });
}

/**
 * Bind `bind` with Deno.listen (Deno.listenTls with `options.tls`) and serve
 * every connection through `acceptor`. `reusePort` needs `--unstable-net`.
 * Deno.listen cannot adopt an inherited socket, so fd:// binds (systemd
 * socket activation) go through Deno's node:net (runtimes/node/socket.ts).
 * No TLS on unix sockets, nor client certificates (Deno.listenTls cannot
 * request them).
 */
export const listen: ListenFn = async (bind, acceptor, options) => {
  let listener: Deno.Listener;
  const tls = options.tls;
  if (bind.kind === "fd") {
    if (tls?.ca !== undefined) throw tlsUnsupported("client certificates (--ca-certs) are not supported on Deno; use --cert-reqs none or another runtime");
    return listenWithNodeNet(bind, acceptor, options);
  }
  if (tls !== undefined) {
    if (tls.ca !== undefined) throw tlsUnsupported("client certificates (--ca-certs) are not supported on Deno; use --cert-reqs none or another runtime");
    if (bind.kind === "unix") throw tlsUnsupported("TLS on unix sockets is not supported on Deno");
  }
  let inode: number | null = null;
  if (bind.kind === "unix") {
    ({ listener, inode } = await bindUnixSocket(bind, String(Deno.pid), unixProbe, (path) => Deno.listen({ transport: "unix", path }), (l) => l.close()));
  } else {
    const tcpOptions: Deno.TcpListenOptions & { tcpBacklog?: number } = {
      hostname: bind.host,
      port: bind.port,
      tcpBacklog: options.backlog,
    };
    if (options.reusePort) tcpOptions.reusePort = true;
    listener = tls === undefined ? Deno.listen(tcpOptions) : Deno.listenTls({ ...tcpOptions, cert: tls.cert, key: tls.key });
  }
  const state: AcceptState = { closed: false, resumed: null };
  const stranded: StrandedCount = { count: 0 };
  void acceptLoop(listener, acceptor, tls !== undefined, state, stranded, options.onError);
  const port = bind.kind === "tcp" ? (listener.addr as Deno.NetAddr).port : undefined;
  const resume = () => {
    state.resumed?.resolve();
    state.resumed = null;
  };
  const close = () => {
    state.closed = true;
    resume();
    listener.close();
  };
  let closing: Promise<void> | null = null;
  return {
    url: listenerUrl(bind, port),
    close: () =>
      (closing ??= bind.kind === "unix" ? closeUnixSocket(bind.path, inode, unixProbe, close, (ms) => new Promise((r) => setTimeout(r, ms))) : Promise.resolve(close())),
    // Not accepting keeps the socket and its queue (closing a SO_REUSEPORT socket would reset its queue).
    pauseAccepting() {
      if (!state.closed) state.resumed ??= Promise.withResolvers<void>();
    },
    resumeAccepting: resume,
    strandedSockets: () => stranded.count,
  };
};
