/**
 * The listening contract between core and a runtime's socket layer
 * (runtimes/<rt>/socket.ts implements {@link ListenFn}).
 */
import type { ConnectionAcceptor, Listener } from "../runtime/socket.ts";
import type { BindAddress } from "./bind.ts";
import type { TlsOptions } from "./tls.ts";

/** Options for {@link Runtime.listen}. */
export interface ListenOptions {
  /** Kernel accept-queue length (ignored where the runtime cannot set it). */
  backlog: number;
  /** Set SO_REUSEPORT (ignored where the runtime cannot set it). */
  reusePort: boolean;
  /**
   * Serve TLS with these PEM texts (core/net/tls.ts read and checked them);
   * sockets then report `encrypted`. A runtime throws an error with a `code`
   * starting `ERR_TLS` for a TLS feature it cannot provide.
   */
  tls?: TlsOptions;
  /** Errors of an already listening socket (e.g. EMFILE on accept); the listener keeps going. */
  onError?(error: unknown): void;
}

/** Binds one address and hands every accepted connection to `acceptor`. Rejects when binding fails. */
export type ListenFn = (bind: BindAddress, acceptor: ConnectionAcceptor, options: ListenOptions) => Promise<Listener>;
