/**
 * The master's control socket: a unix socket (mode 0600, owner only) on
 * which `tricorn ctl` sends one JSON-line request and reads one JSON-line
 * reply (core/arbiter/control.ts). Each connection must deliver its request
 * within {@link CONTROL_REQUEST_TIMEOUT_MS} and at most
 * {@link CONTROL_REQUEST_LIMIT} bytes, or it is closed.
 */
import { errorMessage, type Logger } from "../log/logger.ts";
import type { ListenFn } from "../net/listen-types.ts";
import type { ConnectionAcceptor, Listener, Socket, SocketHandlers } from "../runtime/socket.ts";
import type { TimerHandle, Timers } from "../runtime/timers.ts";
import { ControlUsageError, runControlCommand, toControlRequest, type ControlReply, type ControlTarget } from "./control.ts";

/** How long a control client may take to send its request line. */
export const CONTROL_REQUEST_TIMEOUT_MS = 5000;
/** Longest request line accepted (requests are a few dozen bytes). */
export const CONTROL_REQUEST_LIMIT = 4096;
/** Mode of the control socket file: read/write for the owner only. */
export const CONTROL_SOCKET_MODE = 0o600;

/** What the control server needs from the runtime. */
export interface ControlServerDeps {
  listen: ListenFn;
  /** Change a file's mode (the socket file after binding). */
  chmod(path: string, mode: number): void;
  timers: Timers;
  logger: Logger;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Serves one control connection: read one line, answer it, close. */
function controlConnection(socket: Socket, target: ControlTarget, deps: ControlServerDeps): SocketHandlers {
  let received = new Uint8Array(0);
  let answered = false;
  const timer: TimerHandle = deps.timers.setTimeout(() => {
    if (!answered) {
      answered = true;
      socket.destroy();
    }
  }, CONTROL_REQUEST_TIMEOUT_MS);
  const reply = (answer: ControlReply) => {
    answered = true;
    deps.timers.clearTimeout(timer);
    socket.write(encoder.encode(JSON.stringify(answer) + "\n"));
    socket.end();
  };
  return {
    data(chunk) {
      if (answered) return;
      const joined = new Uint8Array(received.length + chunk.length);
      joined.set(received);
      joined.set(chunk, received.length);
      received = joined;
      const newline = received.indexOf(10);
      if (newline < 0) {
        if (received.length > CONTROL_REQUEST_LIMIT) reply({ ok: false, error: `request longer than ${CONTROL_REQUEST_LIMIT} bytes` });
        return;
      }
      let request;
      try {
        request = toControlRequest(JSON.parse(decoder.decode(received.subarray(0, newline))));
      } catch (error) {
        const message = error instanceof ControlUsageError ? error.message : `bad request: ${errorMessage(error)}`;
        reply({ ok: false, error: message });
        return;
      }
      const deferred: (() => void)[] = [];
      reply(runControlCommand(request, target, (fn) => deferred.push(fn)));
      // Let the reply leave before a stop starts tearing things down.
      if (deferred.length > 0) deps.timers.setTimeout(() => deferred.forEach((fn) => fn()), 10);
    },
    drain() {},
    end() {
      if (!answered) reply({ ok: false, error: "no request received" });
    },
    close() {
      answered = true;
      deps.timers.clearTimeout(timer);
    },
  };
}

/**
 * Listen on `path` (a stale socket file from a dead master is replaced; a
 * live one makes this reject) and chmod it 0600. Resolves with the listener;
 * closing it removes the socket file.
 */
export async function startControlServer(path: string, target: ControlTarget, deps: ControlServerDeps): Promise<Listener> {
  const accept: ConnectionAcceptor = (socket) => controlConnection(socket, target, deps);
  const listener = await deps.listen({ kind: "unix", path }, accept, {
    backlog: 16,
    reusePort: false,
    onError: (error) => deps.logger.error(`error on control socket ${path}: ${errorMessage(error)}`),
  });
  try {
    deps.chmod(path, CONTROL_SOCKET_MODE);
  } catch (error) {
    await listener.close();
    throw error;
  }
  return listener;
}
