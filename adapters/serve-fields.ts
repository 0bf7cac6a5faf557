/**
 * Fields of a `Bun.serve` / `Deno.serve` options object that an app module
 * may export next to `fetch` (`export default { port: 3000, fetch, error }`).
 * `error(err)` is honoured: it answers a request whose `fetch` threw or
 * rejected, as in Bun. `port` and `hostname` are the bind when none was
 * given (core/net/app-bind.ts; the worker boot decides, core/worker/boot.ts).
 * The others configure a server tricorn does not create, so each is named
 * once in a warning with the tricorn setting that does the job.
 */
import { isServeOptionsObject } from "../core/net/app-bind.ts";

/** Runtime-server options tricorn does not take from the app, and what to use instead. */
const NOT_HONOURED: Readonly<Record<string, string>> = {
  unix: "listen with -b unix:PATH",
  routes: "route inside fetch() (for example with Hono)",
  static: "route inside fetch() (for example with Hono)",
  tls: "serve HTTPS with --certfile/--keyfile",
  cert: "serve HTTPS with --certfile/--keyfile",
  key: "serve HTTPS with --certfile/--keyfile",
  maxRequestBodySize: "limit bodies with --limit-request-body",
  idleTimeout: "time idle connections out with --keep-alive",
  reusePort: "tricorn shares ports between workers itself",
  development: "tricorn has no development mode; see --reload",
  onListen: "use the when_ready hook of a config file",
  onError: "export error(err) instead",
};

/**
 * One warning per field of `app` that tricorn does not honour (empty for
 * functions and plain fetch apps); `label` names the app in them (`export default`).
 */
export function serveFieldWarnings(app: unknown, label: string): string[] {
  // Only object literals are Bun.serve/Deno.serve options; a framework's app (Hono has `routes`) is not.
  if (!isServeOptionsObject(app)) return [];
  const warnings: string[] = [];
  for (const [field, instead] of Object.entries(NOT_HONOURED)) {
    if (field in app && (app as Record<string, unknown>)[field] !== undefined) {
      warnings.push(`${label}: \`${field}\` is a Bun.serve/Deno.serve option that tricorn does not use; ${instead}`);
    }
  }
  return warnings;
}

/** The app's `error(err)` method, when it has one. */
export function errorHandlerOf(app: unknown): ((error: unknown) => Response | Promise<Response>) | null {
  if (app === null || typeof app !== "object") return null;
  const method = (app as { error?: unknown }).error;
  return typeof method === "function" ? (error) => method.call(app, error) as Response | Promise<Response> : null;
}

/**
 * `fetchFn` answering its throws and rejections with `onError(err)` (Bun's
 * `error` handler). A throw from `onError` itself is left to the server,
 * which answers 500 and logs it.
 */
export function withErrorHandler<A extends unknown[]>(
  fetchFn: (...args: A) => Response | Promise<Response>,
  onError: (error: unknown) => Response | Promise<Response>,
): (...args: A) => Response | Promise<Response> {
  return (...args) => {
    let result: Response | Promise<Response>;
    try {
      result = fetchFn(...args);
    } catch (error) {
      return onError(error);
    }
    if (result !== null && typeof result === "object" && typeof (result as Promise<Response>).then === "function") {
      return (result as Promise<Response>).then(undefined, onError);
    }
    return result;
  };
}
