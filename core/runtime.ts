/**
 * What core/serve.ts needs from a runtime (Node, Deno, Bun) to boot a
 * serving process, plus constants the runtime socket wrappers share.
 * `runtimes/<name>/main.ts` assembles one {@link Runtime} from its
 * socket.ts, timers.ts, load-app.ts and platform.ts.
 */
import type { ProcessLayer } from "./process.ts";
import type { BindAddress, ConnectionAcceptor, Listener, Timers } from "./types.ts";

/** Options for {@link Runtime.listen}. */
export interface ListenOptions {
  /** Kernel accept-queue length (ignored where the runtime cannot set it). */
  backlog: number;
  /** Set SO_REUSEPORT (ignored where the runtime cannot set it). */
  reusePort: boolean;
  /** Errors of an already listening socket (e.g. EMFILE on accept); the listener keeps going. */
  onError?(error: unknown): void;
}

/** Binds one address and hands every accepted connection to `acceptor`. Rejects when binding fails. */
export type ListenFn = (bind: BindAddress, acceptor: ConnectionAcceptor, options: ListenOptions) => Promise<Listener>;

/** Signals a serving process reacts to. */
export type SignalName = "SIGTERM" | "SIGINT" | "SIGQUIT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "SIGTTIN" | "SIGTTOU" | "SIGCHLD";

/** Process-level services of one runtime. */
export interface Platform {
  /** `"node"`, `"deno"` or `"bun"`. */
  readonly name: string;
  readonly pid: number;
  /** Command-line arguments after the script (`process.argv.slice(2)`, `Deno.args`). */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Write text to stderr, synchronously enough that it is not lost on exit. */
  writeStderr(text: string): void;
  /** Write text to stdout. */
  writeStdout(text: string): void;
  /** Open `path` for appending and return a writer (for log files). Throws when it cannot. */
  openAppend(path: string): (text: string) => void;
  /** Create or replace a small file (pidfile). */
  writeFile(path: string, text: string): void;
  /** Remove a file; missing files are fine. */
  removeFile(path: string): void;
  /** Call `handler` on every delivery of `signal`. */
  onSignal(signal: SignalName, handler: () => void): void;
  /** End the process. */
  exit(code: number): never;
}

/** Imports an app module by path (relative to the working directory or absolute). */
export interface AppLoader {
  /** Absolute path of `file` if it exists and is a regular file, else null. */
  resolveFile(file: string): string | null;
  /** Import the module at an absolute path; returns its namespace. */
  importModule(path: string): Promise<Record<string, unknown>>;
}

/** Everything core/serve.ts needs from a runtime. */
export interface Runtime extends Platform, AppLoader {
  readonly timers: Timers;
  listen: ListenFn;
  /** Spawning and supervising worker processes (arbiter) and the worker side of its IPC. */
  readonly processes: ProcessLayer;
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
