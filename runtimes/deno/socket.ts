/**
 * Deno listener: `Deno.listen` (`Deno.listenTls` with TLS options) accept
 * loop, and each `Deno.Conn` wrapped as a core {@link Socket} with a read
 * loop (paused through a gate) and a write queue drained by a single writer
 * loop (`conn.write` may write partially).
 */
import { clearStaleUnixSocket, listenerUrl } from "../../core/bind.ts";
import { LINGER_MS, READ_CHUNK_SIZE, READ_COPY_THRESHOLD, WRITE_HIGH_WATER_MARK } from "../../core/runtime.ts";
import type { ListenFn } from "../../core/runtime.ts";
import type { ConnectionAcceptor, Socket, SocketHandlers } from "../../core/types.ts";

/** Queued chunks are merged into one `conn.write` up to this many bytes. */
const COALESCE_LIMIT = 64 * 1024;

/** One accepted connection. */
class DenoSocket implements Socket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly encrypted: boolean;
  private handlers!: SocketHandlers;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private writing = false;
  private needDrain = false;
  private paused = false;
  private gate: PromiseWithResolvers<void> | null = null;
  private ending = false;
  private readEnded = false;
  private closed = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly conn: Deno.Conn, encrypted: boolean) {
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
    this.handlers = acceptor(this);
    void this.readLoop();
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.ending) return true; // connection is over for core; drop
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.writing) void this.writeLoop();
    if (this.queued <= WRITE_HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
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
    if (!this.writing) this.finishEnd();
  }

  destroy(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.queue = [];
    this.resume();
    try {
      this.conn.close();
    } catch {
      // already closed by the peer side
    }
    // Deliver asynchronously, as Node does, so core never sees close() inside its own destroy().
    queueMicrotask(() => this.handlers.close(error));
  }

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
    let buffer = new Uint8Array(READ_CHUNK_SIZE);
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
          chunk = buffer.slice(0, n); // copy small reads, reuse the big buffer
        } else {
          chunk = buffer.subarray(0, n); // hand the buffer over (core may keep views)
          buffer = new Uint8Array(READ_CHUNK_SIZE);
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
    if (this.ending && !this.writing) this.destroy();
    else if (!this.ending) this.handlers.end();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const chunk = this.takeQueued();
        for (let off = 0; off < chunk.length; ) off += await this.conn.write(chunk.subarray(off));
        this.queued -= chunk.length;
        if (this.needDrain && this.queued <= WRITE_HIGH_WATER_MARK && !this.closed) {
          this.needDrain = false;
          this.handlers.drain();
        }
      }
    } catch (error) {
      this.writing = false;
      if (!this.closed) this.destroy(isReset(error) ? undefined : error);
      return;
    }
    this.writing = false;
    if (this.ending) this.finishEnd();
  }

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

const unixProbe = {
  kind(path: string) {
    try {
      return Deno.lstatSync(path).isSocket ? ("socket" as const) : ("other" as const);
    } catch {
      return "missing" as const;
    }
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
};

/** Accept connections until the listener is closed. */
async function acceptLoop(
  listener: Deno.Listener,
  acceptor: ConnectionAcceptor,
  encrypted: boolean,
  isClosed: () => boolean,
  onError?: (error: unknown) => void,
) {
  while (!isClosed()) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (isClosed() || error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) return;
      onError?.(error); // e.g. EMFILE: back off briefly instead of spinning
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    new DenoSocket(conn, encrypted).start(acceptor);
  }
}

/** An error for a TLS feature Deno cannot provide (core reports its message as is). */
function tlsUnsupported(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_TLS_UNSUPPORTED" });
}

/**
 * Bind `bind` with Deno.listen (Deno.listenTls with `options.tls`) and serve
 * every connection through `acceptor`. `reusePort` needs `--unstable-net`;
 * fd:// binds are not supported on Deno, nor TLS on unix sockets or client
 * certificates (Deno.listenTls cannot request them).
 */
export const listen: ListenFn = async (bind, acceptor, options) => {
  let listener: Deno.Listener;
  const tls = options.tls;
  if (bind.kind === "fd") throw new Error("fd:// binds are not supported on Deno");
  if (tls !== undefined) {
    if (tls.ca !== undefined) throw tlsUnsupported("client certificates (--ca-certs) are not supported on Deno; use --cert-reqs none or another runtime");
    if (bind.kind === "unix") throw tlsUnsupported("TLS on unix sockets is not supported on Deno");
  }
  if (bind.kind === "unix") {
    await clearStaleUnixSocket(bind.path, unixProbe);
    listener = Deno.listen({ transport: "unix", path: bind.path });
  } else {
    const tcpOptions: Deno.TcpListenOptions & { tcpBacklog?: number } = {
      hostname: bind.host,
      port: bind.port,
      tcpBacklog: options.backlog,
    };
    if (options.reusePort) tcpOptions.reusePort = true;
    listener = tls === undefined ? Deno.listen(tcpOptions) : Deno.listenTls({ ...tcpOptions, cert: tls.cert, key: tls.key });
  }
  let closed = false;
  void acceptLoop(listener, acceptor, tls !== undefined, () => closed, options.onError);
  const port = bind.kind === "tcp" ? (listener.addr as Deno.NetAddr).port : undefined;
  return {
    url: listenerUrl(bind, port),
    async close() {
      if (closed) return;
      closed = true;
      listener.close();
      if (bind.kind === "unix") unixProbe.remove(bind.path);
    },
  };
};
