/**
 * Bun listener: `Bun.listen` with one shared handler object; each Bun socket
 * is wrapped as a core {@link Socket}. Bun's `write` returns how many bytes
 * the kernel took and buffers nothing, so the rest is queued here and
 * flushed from the `drain` callback. Bun hands every `data` callback a fresh
 * Buffer, so chunks go to core without copying.
 */
import fs from "node:fs";
import { listenerUrl } from "../../core/net/bind.ts";
import { bindUnixSocket, closeUnixSocket } from "../../core/net/unix-handover.ts";
import { LINGER_MS, WRITE_HIGH_WATER_MARK } from "../../core/runtime/socket.ts";
import type { ListenFn } from "../../core/net/listen-types.ts";
import { listen as listenWithNodeNet } from "../node/socket.ts";
import type { TlsOptions } from "../../core/net/tls.ts";
import type { ConnectionAcceptor, Socket, SocketHandlers } from "../../core/runtime/socket.ts";

/** The parts of Bun's TCP socket used here. */
interface BunSocket {
  data: BunConnection;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  write(data: Uint8Array): number;
  pause(): void;
  resume(): void;
  /** No argument: send FIN, keep reading. */
  shutdown(halfClose?: boolean): void;
  end(): void;
  terminate(): void;
  setNoDelay(on: boolean): boolean;
  /** TLS sockets: whether the client certificate verified. */
  readonly authorized?: boolean;
  /** TLS sockets: the client certificate (empty object or undefined when none was sent). */
  getPeerCertificate?(): Record<string, unknown> | undefined;
}

interface BunListener {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}

interface BunApi {
  listen(options: Record<string, unknown>): BunListener;
  connect(options: Record<string, unknown>): Promise<{ end(): void }>;
}

const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;

/** One accepted connection. */
class BunConnection implements Socket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly encrypted: boolean;
  handlers!: SocketHandlers;
  lastError: unknown;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private needDrain = false;
  private ending = false;
  private readEnded = false;
  private closed = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sock: BunSocket, encrypted: boolean) {
    this.encrypted = encrypted;
    this.remoteAddress = sock.remoteAddress ?? "";
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = sock.localAddress ?? "";
    this.localPort = sock.localPort ?? 0;
  }

  write(chunk: Uint8Array): boolean {
    if (this.closed || this.ending) return true; // connection is over for core; drop
    if (this.queue.length === 0) {
      const written = this.sock.write(chunk);
      if (written < 0 || written >= chunk.length) return true;
      chunk = chunk.subarray(written);
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued <= WRITE_HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  get unsentBytes(): number {
    return this.queued;
  }

  pause(): void {
    if (!this.closed) this.sock.pause();
  }

  resume(): void {
    if (!this.closed) this.sock.resume();
  }

  end(): void {
    if (this.ending || this.closed) return;
    this.ending = true;
    this.sock.resume(); // keep reading so the peer's FIN is seen while lingering
    if (this.queue.length === 0) this.finishEnd();
  }

  destroy(): void {
    if (this.closed) return;
    this.queue = [];
    this.sock.terminate();
    this.onClose(undefined);
  }

  onData(chunk: Uint8Array): void {
    if (this.ending || this.closed) return;
    // Bun hands over a Buffer; as a plain Uint8Array core neither needs
    // `chunk.buffer` (costly on a fresh Buffer) to make a view nor sees a subclass.
    Object.setPrototypeOf(chunk, Uint8Array.prototype);
    this.handlers.data(chunk);
  }

  onDrain(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0];
      const written = this.sock.write(head);
      if (written < 0) return;
      this.queued -= written;
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        break;
      }
      this.queue.shift();
    }
    if (this.closed) return;
    if (this.queue.length === 0 && this.ending) return this.finishEnd();
    if (this.needDrain && this.queued <= WRITE_HIGH_WATER_MARK) {
      this.needDrain = false;
      this.handlers.drain();
    }
  }

  onEnd(): void {
    this.readEnded = true;
    if (!this.ending) this.handlers.end();
    else if (this.queue.length === 0) this.sock.end();
  }

  onClose(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    const reported = error ?? this.lastError;
    // Deliver asynchronously, as Node does, so core never sees close() inside its own destroy().
    queueMicrotask(() => this.handlers.close(reported));
  }

  /** All queued bytes are out: send FIN, then linger until the peer's FIN (bounded). */
  private finishEnd(): void {
    if (this.readEnded) return this.sock.end();
    this.sock.shutdown();
    this.lingerTimer = setTimeout(() => this.sock.terminate(), LINGER_MS);
    this.lingerTimer.unref?.();
  }
}

/** Bun socket callbacks, shared by every connection of a listener. */
function socketHandlers(acceptor: ConnectionAcceptor, tls: TlsOptions | undefined) {
  const encrypted = tls !== undefined;
  const optionalClientCert = tls?.ca !== undefined && tls.clientCert === "optional";
  return {
    open(sock: BunSocket) {
      sock.setNoDelay(true);
      const connection = new BunConnection(sock, encrypted);
      sock.data = connection;
      connection.handlers = acceptor(connection);
    },
    data: (sock: BunSocket, chunk: Uint8Array) => sock.data.onData(chunk),
    drain: (sock: BunSocket) => sock.data?.onDrain(),
    end: (sock: BunSocket) => sock.data.onEnd(),
    close: (sock: BunSocket, error?: unknown) => sock.data?.onClose(error),
    error(sock: BunSocket, error: unknown) {
      if (sock.data) sock.data.lastError = error;
    },
    handshake(sock: BunSocket) {
      // cert_reqs optional: no certificate is fine, an unverifiable one is not.
      if (optionalClientCert && !sock.authorized && Object.keys(sock.getPeerCertificate?.() ?? {}).length > 0) sock.terminate();
    },
  };
}

/** Bun.listen's `tls` option for `options` (undefined without TLS). */
function bunTls(options: TlsOptions | undefined): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  const verify = options.ca !== undefined;
  return {
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    requestCert: verify,
    rejectUnauthorized: verify && options.clientCert === "required",
  };
}

/** lstat, or null when nothing can be seen at `path`. */
function lstat(path: string): fs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch {
    return null;
  }
}

const unixProbe = {
  kind(path: string) {
    const stats = lstat(path);
    return stats === null ? ("missing" as const) : stats.isSocket() ? ("socket" as const) : ("other" as const);
  },
  async accepting(path: string) {
    try {
      (await Bun.connect({ unix: path, socket: { data() {} } })).end();
      return true;
    } catch {
      return false;
    }
  },
  remove: (path: string) => fs.rmSync(path, { force: true }),
  inode: (path: string) => lstat(path)?.ino ?? null,
  rename: (from: string, to: string) => fs.renameSync(from, to),
};

/**
 * Bind `bind` with Bun.listen (with its `tls` option when `options.tls` is
 * set) and serve every connection through `acceptor`. `backlog` is not
 * settable on Bun. fd:// binds (systemd socket activation) go through Bun's
 * node:net, which can adopt an inherited socket (runtimes/node/socket.ts).
 */
export const listen: ListenFn = async (bind, acceptor, options) => {
  if (bind.kind === "fd") return listenWithNodeNet(bind, acceptor, options);
  const socket = socketHandlers(acceptor, options.tls);
  const tls = bunTls(options.tls);
  let listener: BunListener;
  let inode: number | null = null;
  if (bind.kind === "unix") {
    const bindAt = (path: string) => Bun.listen({ unix: path, allowHalfOpen: true, tls, socket });
    ({ listener, inode } = await bindUnixSocket(bind, String(process.pid), unixProbe, bindAt, (l) => l.stop(true)));
  } else {
    listener = Bun.listen({ hostname: bind.host, port: bind.port, reusePort: options.reusePort, allowHalfOpen: true, tls, socket });
  }
  const close = () => listener.stop(false);
  let closing: Promise<void> | null = null;
  return {
    url: listenerUrl(bind, bind.kind === "tcp" ? listener.port : undefined),
    close: () =>
      (closing ??= bind.kind === "unix" ? closeUnixSocket(bind.path, inode, unixProbe, close, (ms) => new Promise((r) => setTimeout(r, ms))) : Promise.resolve(close())),
    // Bun.listen cannot stop accepting without closing the socket (which would reset its
    // queue): every connection keeps arriving, and core holds the ones over the cap unread.
    pauseAccepting() {},
    resumeAccepting() {},
  };
};
