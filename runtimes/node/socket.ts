/**
 * Node listener: node:net server per bind, each net.Socket wrapped as a core
 * {@link Socket}. Node buffers writes itself, so `write` maps 1:1.
 */
import fs from "node:fs";
import net from "node:net";
import { clearStaleUnixSocket, listenerUrl } from "../../core/bind.ts";
import { LINGER_MS } from "../../core/runtime.ts";
import type { ListenFn } from "../../core/runtime.ts";
import type { BindAddress, ConnectionAcceptor, Socket } from "../../core/types.ts";

/** Wrap one accepted net.Socket and connect it to core's handlers. */
function attach(sock: net.Socket, acceptor: ConnectionAcceptor): void {
  let ending = false;
  let lastError: unknown;
  let lingerTimer: NodeJS.Timeout | undefined;
  const socket: Socket = {
    remoteAddress: sock.remoteAddress ?? "",
    remotePort: sock.remotePort ?? 0,
    localAddress: sock.localAddress ?? "",
    localPort: sock.localPort ?? 0,
    encrypted: false,
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

/** Bind `bind` with node:net and serve every connection through `acceptor`. */
export const listen: ListenFn = async (bind, acceptor, options) => {
  if (bind.kind === "unix") await clearStaleUnixSocket(bind.path, unixProbe);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  server.on("connection", (sock) => attach(sock, acceptor));
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
