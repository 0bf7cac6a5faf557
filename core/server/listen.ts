/**
 * Binding the listeners of one serving process: every `--bind` address with
 * the TLS files read and checked, failures as one {@link StartupError}
 * line. Used by workers to serve (through the `worker_connections` gate,
 * core/server/accept-gate.ts) and by the master to test-bind before forking.
 */
import { describeBindFailure, formatBind } from "../net/bind.ts";
import { errorMessage } from "../log/logger.ts";
import type { Platform } from "../runtime/platform.ts";
import type { ListenFn } from "../net/listen-types.ts";
import type { Settings } from "../config/settings.ts";
import type { BindAddress } from "../net/bind.ts";
import type { ConnectionAcceptor, Listener } from "../runtime/socket.ts";
import type { Logger } from "../log/logger.ts";
import { TlsConfigError, describeTlsError, loadTlsOptions, type TlsOptions } from "../net/tls.ts";
import { EXIT_FAILURE, EXIT_USAGE, StartupError } from "../config/errors.ts";

/** What binding needs from a runtime: its listen function and a file reader for TLS files. */
export interface ListenRuntime extends Pick<Platform, "readTextFile"> {
  listen: ListenFn;
}

/**
 * The TLS files named by the settings, read and checked (undefined when TLS
 * is off). A bad combination of options is a usage error (exit 2); a
 * missing, unreadable or non-PEM file exits 1; both are one line naming it.
 */
export function loadTls(rt: ListenRuntime, settings: Settings): TlsOptions | undefined {
  try {
    return loadTlsOptions((path) => rt.readTextFile(path), settings);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new StartupError(error.message, error.usage ? EXIT_USAGE : EXIT_FAILURE);
    throw error;
  }
}

/**
 * Bind every `--bind` address. If one fails, the ones already bound are
 * closed and a {@link StartupError} names the address, the reason and
 * the fix (`cannot bind 127.0.0.1:8000: address already in use; is
 * another server running there? …`, exit 1).
 */
export async function listenAll(rt: ListenRuntime, settings: Settings, accept: ConnectionAcceptor, logger: Logger): Promise<Listener[]> {
  const tls = loadTls(rt, settings);
  const listeners: Listener[] = [];
  for (const bind of settings.bind) {
    let listener: Listener;
    try {
      listener = await rt.listen(bind, accept, {
        backlog: settings.backlog,
        reusePort: settings.reuse_port,
        tls,
        onError: (error) => logger.error(`error on ${formatBind(bind)}: ${errorMessage(error)}`),
      });
    } catch (error) {
      await Promise.allSettled(listeners.map((listener) => listener.close()));
      throw bindFailure(settings, bind, tls, error);
    }
    listeners.push(tls === undefined ? listener : httpsNamed(listener));
  }
  return listeners;
}

/** `listener` with its URL's scheme `https` (runtimes name what they bound; the scheme is core's business). */
function httpsNamed(listener: Listener): Listener {
  return {
    url: listener.url.replace(/^http:/, "https:"),
    close: () => listener.close(),
    pauseAccepting: () => listener.pauseAccepting(),
    resumeAccepting: () => listener.resumeAccepting(),
    strandedSockets: () => listener.strandedSockets?.() ?? 0,
  };
}

/** The one-line {@link StartupError} (exit 1) for a bind that failed with `error`. */
export function bindFailure(settings: Settings, bind: BindAddress, tls: TlsOptions | undefined, error: unknown): StartupError {
  const tlsReason = tls === undefined ? null : describeTlsError(error);
  if (tlsReason !== null) {
    const files = `certfile ${JSON.stringify(settings.certfile)}, keyfile ${JSON.stringify(settings.keyfile)}`;
    return new StartupError(`cannot serve TLS on ${formatBind(bind)}: ${tlsReason} (${files})`, EXIT_FAILURE);
  }
  return new StartupError(`cannot bind ${formatBind(bind)}: ${describeBindFailure(bind, error)}`, EXIT_FAILURE);
}
