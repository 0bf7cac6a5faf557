/**
 * Node listener: node:net server per bind (node:tls with TLS options), each
 * net.Socket / TLSSocket wrapped as a core {@link Socket}. Node buffers
 * writes itself, so `write` maps 1:1.
 */
import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { clearStaleUnixSocket, listenerUrl } from "../../core/bind.ts";
import { LINGER_MS } from "../../core/runtime.ts";
import type { ListenFn } from "../../core/runtime.ts";
import type { TlsOptions } from "../../core/tls.ts";
import type { BindAddress, ConnectionAcceptor, Socket } from "../../core/types.ts";

/** Wrap one accepted net.Socket (or TLSSocket, `encrypted`) and connect it to core's handlers. */
function attach(sock: net.Socket, acceptor: ConnectionAcceptor, encrypted: boolean): void {
  let ending = false;
  let lastError: unknown;
  let lingerTimer: NodeJS.Timeout | undefined;
  const socket: Socket = {
    remoteAddress: sock.remoteAddress ?? "",
    remotePort: sock.remotePort ?? 0,
    localAddress: sock.localAddress ?? "",
    localPort: sock.localPort ?? 0,
    encrypted,
    // After end/destroy the connection is gone for core's purposes: drop silently.
    write: (chunk) => (ending || sock.destroyed ? true : sock.write(chunk)),
    pause: () => void sock.pause(),
    resume: () => void (ending || sock.resume()),
    end() {
      if (ending || sock.destroyed) return;
      ending = true;
      sock.end();
      if (sock.readableEnded) return; // both sides done: Node destroys after flushing
      // Lingering close: read (and drop) until the peer's FIN, bounded, so unread
      // request bytes do not turn our close into an RST that loses the response.
      sock.resume();
      sock.once("finish", () => {
        lingerTimer = setTimeout(() => sock.destroy(), LINGER_MS);
        lingerTimer.unref();
      });
    },
    destroy: () => void sock.destroy(),
  };
  const handlers = acceptor(socket);
  sock.on("data", (chunk: Buffer) => {
    if (!ending) handlers.data(chunk);
  });
  sock.on("drain", () => handlers.drain());
  sock.on("end", () => {
    if (!ending) handlers.end();
  });
  sock.on("error", (error) => {
    lastError = error;
  });
  sock.on("close", () => {
    if (lingerTimer) clearTimeout(lingerTimer);
    handlers.close(lastError);
  });
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
      probe.once("error", () => resolve(false));
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

/** A node:tls server for `options` (throws on a certificate/key the TLS library rejects). */
function tlsServer(options: TlsOptions, acceptor: ConnectionAcceptor): tls.Server {
  const verify = options.ca !== undefined;
  const server = tls.createServer({
    allowHalfOpen: true,
    noDelay: true,
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    requestCert: verify,
    rejectUnauthorized: verify && options.clientCert === "required",
    // The connection reaches core only after the handshake: bound the handshake like a request head.
    handshakeTimeout: options.handshakeTimeoutMs || undefined,
  });
  server.on("secureConnection", (sock: tls.TLSSocket) => {
    // cert_reqs optional: no certificate is fine, an unverifiable one is not.
    if (verify && !sock.authorized && Object.keys(sock.getPeerCertificate()).length > 0) {
      sock.destroy();
      return;
    }
    attach(sock, acceptor, true);
  });
  // Failed or timed-out handshakes (scanners, plain HTTP on the TLS port) are the client's
  // problem, not worth a log line; Node leaves the socket open after a handshake timeout.
  server.on("tlsClientError", (_error, sock) => sock.destroy());
  return server;
}

/** Bind `bind` with node:net (node:tls with `options.tls`) and serve every connection through `acceptor`. */
export const listen: ListenFn = async (bind, acceptor, options) => {
  if (bind.kind === "unix") await clearStaleUnixSocket(bind.path, unixProbe);
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
  const url =
    bind.kind === "fd" && address && typeof address === "object"
      ? listenerUrl({ kind: "tcp", host: address.address, port: address.port })
      : listenerUrl(bind, address && typeof address === "object" ? address.port : undefined);
  return {
    url,
    // server.close() releases the listening handle at once; its callback would
    // wait for every accepted connection, which a Listener leaves alone.
    close: async () => {
      if (server.listening) server.close();
    },
  };
};
