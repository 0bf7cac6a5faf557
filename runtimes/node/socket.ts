/**
 * Node listener: node:net server per bind (node:tls with TLS options), each
 * net.Socket / TLSSocket wrapped as a core {@link Socket}. Node buffers
 * writes itself, so `write` maps 1:1.
 */
import cluster from "node:cluster";
import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { clearStaleUnixSocket, listenerUrl } from "../../core/net/bind.ts";
import { LINGER_MS } from "../../core/runtime/socket.ts";
import type { ListenFn } from "../../core/net/listen-types.ts";
import type { TlsOptions } from "../../core/net/tls.ts";
import type { BindAddress } from "../../core/net/bind.ts";
import type { ConnectionAcceptor, Socket, SocketHandlers } from "../../core/runtime/socket.ts";

/** The wrapper of a net.Socket, stored on it so one set of listener functions serves every socket. */
const WRAPPER = Symbol("tricorn.socket");
type WrappedSocket = net.Socket & { [WRAPPER]: NodeSocket };

/**
 * One accepted net.Socket (or TLSSocket) as a core {@link Socket}. A class
 * with shared listeners rather than closures per connection: an idle
 * keep-alive connection then costs only its fields.
 */
class NodeSocket implements Socket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly encrypted: boolean;
  handlers!: SocketHandlers;
  /** end() or destroy() was called: the connection is over for core. */
  ending = false;
  lastError: unknown = undefined;
  lingerTimer: NodeJS.Timeout | undefined = undefined;

  constructor(readonly sock: net.Socket, encrypted: boolean) {
    this.remoteAddress = sock.remoteAddress ?? "";
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = sock.localAddress ?? "";
    this.localPort = sock.localPort ?? 0;
    this.encrypted = encrypted;
  }

  // After end/destroy the connection is gone for core's purposes: drop silently.
  write(chunk: Uint8Array): boolean {
    return this.ending || this.sock.destroyed ? true : this.sock.write(chunk);
  }

  /** The chunks in one `writev` (corked), none of them copied. */
  writev(chunks: readonly Uint8Array[]): boolean {
    const sock = this.sock;
    if (this.ending || sock.destroyed) return true;
    sock.cork();
    let ok = true;
    for (const chunk of chunks) ok = sock.write(chunk);
    sock.uncork();
    return ok;
  }

  get unsentBytes(): number {
    // The stream's own count drops only when a whole (possibly huge, merged)
    // write completes; the handle knows what it dispatched and what of that
    // libuv still holds, so what the kernel took moves with every partial write.
    const sock = this.sock;
    const handle = (sock as unknown as { _handle?: { bytesWritten?: number; writeQueueSize?: number } | null })._handle;
    if (typeof handle?.bytesWritten !== "number" || typeof handle.writeQueueSize !== "number") return sock.writableLength;
    return sock.bytesWritten - (handle.bytesWritten - handle.writeQueueSize);
  }

  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    if (!this.ending) this.sock.resume();
  }

  end(): void {
    const sock = this.sock;
    if (this.ending || sock.destroyed) return;
    this.ending = true;
    sock.end();
    if (sock.readableEnded) return; // both sides done: Node destroys after flushing
    // Lingering close: read (and drop) until the peer's FIN, bounded, so unread
    // request bytes do not turn our close into an RST that loses the response.
    sock.resume();
    sock.once("finish", onFinish);
  }

  destroy(): void {
    this.sock.destroy();
  }
}

function onData(this: WrappedSocket, chunk: Buffer): void {
  const wrapper = this[WRAPPER];
  if (wrapper.ending) return;
  // Responses written while this chunk is handled (pipelined requests answered
  // synchronously) leave in one writev instead of one syscall each.
  this.cork();
  try {
    wrapper.handlers.data(chunk);
  } finally {
    this.uncork();
  }
}

function onDrain(this: WrappedSocket): void {
  this[WRAPPER].handlers.drain();
}

function onEnd(this: WrappedSocket): void {
  const wrapper = this[WRAPPER];
  if (!wrapper.ending) wrapper.handlers.end();
}

function onError(this: WrappedSocket, error: unknown): void {
  this[WRAPPER].lastError = error;
}

function onClose(this: WrappedSocket): void {
  const wrapper = this[WRAPPER];
  if (wrapper.lingerTimer) clearTimeout(wrapper.lingerTimer);
  wrapper.handlers.close(wrapper.lastError);
}

function onFinish(this: WrappedSocket): void {
  const timer = setTimeout(() => this.destroy(), LINGER_MS);
  timer.unref();
  this[WRAPPER].lingerTimer = timer;
}

/** Wrap one accepted net.Socket (or TLSSocket, `encrypted`) and connect it to core's handlers. */
function attach(sock: net.Socket, acceptor: ConnectionAcceptor, encrypted: boolean): void {
  const wrapper = new NodeSocket(sock, encrypted);
  (sock as WrappedSocket)[WRAPPER] = wrapper;
  wrapper.handlers = acceptor(wrapper);
  sock.on("data", onData);
  sock.on("drain", onDrain);
  sock.on("end", onEnd);
  sock.on("error", onError);
  sock.on("close", onClose);
}

const unixProbe = {
  kind(path: string) {
    try {
      return fs.lstatSync(path).isSocket() ? ("socket" as const) : ("other" as const);
    } catch {
      return "missing" as const;
    }
  },
  accepting: (path: string) =>
    new Promise<boolean>((resolve) => {
      const probe = net.connect(path);
      probe.once("connect", () => {
        probe.destroy();
        resolve(true);
      });
      // Only a refused connection proves nobody listens: EACCES (a socket the master created for a
      // --user worker) must not make a worker delete a live socket.
      probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code !== "ECONNREFUSED"));
    }),
  remove: (path: string) => fs.rmSync(path, { force: true }),
};

function listenOptions(bind: BindAddress, backlog: number, reusePort: boolean): net.ListenOptions {
  switch (bind.kind) {
    case "tcp":
      // `reusePort` needs Node >= 22.12; older versions ignore the option.
      return { host: bind.host, port: bind.port, backlog, reusePort } as net.ListenOptions;
    case "unix":
      return { path: bind.path, backlog };
    case "fd":
      return { fd: bind.fd, backlog } as net.ListenOptions;
  }
}

/**
 * A node:net server whose connections speak TLS (throws on a certificate/key
 * the TLS library rejects). Each TCP connection is wrapped in a TLSSocket and
 * handed to core at once, not after its handshake as node:tls's server does:
 * a handshake then counts toward `worker_connections` and within core's head
 * timeout, and closing the connection ends a stalled handshake.
 */
function tlsServer(options: TlsOptions, acceptor: ConnectionAcceptor): net.Server {
  const verify = options.ca !== undefined;
  const required = options.clientCert === "required";
  const secureContext = tls.createSecureContext({ cert: options.cert, key: options.key, ca: options.ca });
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  server.on("connection", (raw: net.Socket) => {
    const sock = new tls.TLSSocket(raw, { isServer: true, secureContext, requestCert: verify, rejectUnauthorized: false });
    if (verify) sock.once("secure", required ? onSecureRequired : onSecureOptional);
    attach(sock, acceptor, true);
  });
  return server;
}

/**
 * Whether the client's certificate verified against `--ca-certs`. A TLSSocket
 * made outside a node:tls server does not set `authorized`; this is the check
 * node:tls's server makes for it.
 */
function clientVerified(sock: tls.TLSSocket): boolean {
  const handle = (sock as unknown as { _handle?: { verifyError?(): unknown } | null })._handle;
  return typeof handle?.verifyError === "function" && handle.verifyError() == null;
}

/** Handshake done with `--cert-reqs required`: no valid client certificate, no connection. */
function onSecureRequired(this: tls.TLSSocket): void {
  if (!clientVerified(this)) this.destroy();
}

/** Handshake done with `--cert-reqs optional`: no certificate is fine, an unverifiable one is not. */
function onSecureOptional(this: tls.TLSSocket): void {
  if (Object.keys(this.getPeerCertificate()).length > 0 && !clientVerified(this)) this.destroy();
}

/** libuv's listening handle of a net.Server, as far as pausing it goes (see {@link acceptSwitch}). */
interface ListeningHandle {
  readStart?(): number;
  readStop?(): number;
}

/**
 * Pause and resume accepting on a listening node:net server, its socket left
 * open. Node has no public call for this. libuv watches a listening socket
 * with the I/O watcher a stream reads with, and `uv_read_stop` stops that
 * watcher while the accept callback stays: so `readStart()` + `readStop()` on
 * the listening handle stop accepting and `readStart()` starts again. libuv
 * allows this on a handle it opened from a descriptor — a cluster worker's
 * shared listening socket (the default scheduling), fd:// binds. Elsewhere
 * `readStart` fails (a socket this process bound itself) or is missing (the
 * round-robin cluster master accepts for the worker): accepting goes on, and
 * core holds what arrives over the cap unread.
 */
export function acceptSwitch(server: net.Server): { pause(): boolean; resume(): void } {
  const handle = () => (server as unknown as { _handle?: ListeningHandle | null })._handle;
  /** libuv's "reading" flag is set (readStart succeeded, no readStop since). */
  let reading = false;
  let paused = false;
  return {
    /** Stop accepting; false where this listener cannot pause. */
    pause() {
      const h = handle();
      if (paused) return true;
      if (typeof h?.readStart !== "function" || typeof h.readStop !== "function") return false;
      if (!reading && h.readStart() !== 0) return false;
      reading = true;
      if (h.readStop() !== 0) return false;
      reading = false;
      paused = true;
      return true;
    },
    resume() {
      const h = handle();
      if (!paused || typeof h?.readStart !== "function") return;
      paused = false;
      reading = h.readStart() === 0;
    },
  };
}

/** Bind `bind` with node:net (node:tls with `options.tls`) and serve every connection through `acceptor`. */
export const listen: ListenFn = async (bind, acceptor, options) => {
  // A cluster worker's listen goes through the master, which cleared the path in its probe bind.
  // Probing here would race the other workers: the master binds the shared socket before the
  // first worker's listen() call, and a connect in between is refused, so a worker took that
  // live socket for a stale one and unlinked it (nginx then got ENOENT, 502).
  if (bind.kind === "unix" && !cluster.isWorker) await clearStaleUnixSocket(bind.path, unixProbe);
  let server: net.Server;
  if (options.tls !== undefined) {
    server = tlsServer(options.tls, acceptor);
  } else {
    server = net.createServer({ allowHalfOpen: true, noDelay: true });
    server.on("connection", (sock) => attach(sock, acceptor, false));
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenOptions(bind, options.backlog, options.reusePort), () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => options.onError?.(error));
  const address = server.address();
  // An fd:// socket is named by its address when it is TCP (Bun's node:net also gives an object,
  // without an address, for a unix socket).
  const url =
    bind.kind === "fd" && address && typeof address === "object" && typeof address.address === "string"
      ? listenerUrl({ kind: "tcp", host: address.address, port: address.port })
      : listenerUrl(bind, address && typeof address === "object" ? address.port : undefined);
  const accepting = acceptSwitch(server);
  return {
    url,
    // server.close() releases the listening handle at once; its callback would
    // wait for every accepted connection, which a Listener leaves alone.
    close: async () => {
      if (server.listening) server.close();
    },
    pauseAccepting: () => {
      if (server.listening) accepting.pause();
    },
    resumeAccepting: () => {
      if (server.listening) accepting.resume();
    },
  };
};
