/**
 * The master's operations endpoint on `--metrics-bind`: Prometheus metrics
 * and health answers, served by the master itself with tricorn's own HTTP
 * core (core/server/server.ts), so they never reach the app and stay up while
 * workers restart.
 *
 * - `GET /metrics`: core/arbiter/prometheus.ts over the master's totals.
 * - `GET /healthz`: 200 while the master runs (liveness).
 * - `GET /readyz`: 200 once the first workers listen; 503 before, and from
 *   the moment a stop begins (before `drain_delay` and the listeners closing).
 *
 * Anything else is 404; methods other than GET and HEAD are 405.
 */
import type { HeaderList } from "../http/types.ts";
import { errorMessage, type Logger } from "../log/logger.ts";
import type { BindAddress } from "../net/bind.ts";
import type { ListenFn } from "../net/listen-types.ts";
import type { Listener } from "../runtime/socket.ts";
import type { Timers } from "../runtime/timers.ts";
import { ServerCore } from "../server/server.ts";
import type { IncomingRequest, ResponseWriter } from "../server/types.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./prometheus.ts";
import type { ServerTotals } from "./registry.ts";

/** What the endpoint needs. */
export interface HealthServerDeps {
  listen: ListenFn;
  timers: Timers;
  logger: Logger;
  /** The master's totals now. */
  totals(): ServerTotals;
}

const TEXT: HeaderList = ["Content-Type", "text/plain; charset=utf-8", "Cache-Control", "no-store"];
const METRICS: HeaderList = ["Content-Type", METRICS_CONTENT_TYPE, "Cache-Control", "no-store"];

/** The path of a request target, without its query. */
function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** Answers one request to the endpoint. */
export function answerOperations(req: IncomingRequest, res: ResponseWriter, totals: () => ServerTotals): void {
  const method = req.head.method;
  const path = pathOf(req.head.target);
  if (path !== "/metrics" && path !== "/healthz" && path !== "/readyz") {
    res.send(404, undefined, TEXT, "not found: try /metrics, /healthz or /readyz\n");
    return;
  }
  if (method !== "GET" && method !== "HEAD") {
    res.send(405, undefined, ["Allow", "GET, HEAD", ...TEXT], "method not allowed\n");
    return;
  }
  if (path === "/healthz") {
    res.send(200, undefined, TEXT, "ok\n");
    return;
  }
  const now = totals();
  if (path === "/readyz") {
    if (now.ready) res.send(200, undefined, TEXT, "ready\n");
    else res.send(503, undefined, TEXT, "not ready\n");
    return;
  }
  res.send(200, undefined, METRICS, renderMetrics(now));
}

/** Serve the endpoint on `bind` (a TCP address); resolves once it listens. */
export async function startHealthServer(bind: BindAddress, deps: HealthServerDeps): Promise<{ listener: Listener; server: ServerCore }> {
  const server = new ServerCore({
    handler: (req, res) => answerOperations(req, res, deps.totals),
    timers: deps.timers,
    logger: deps.logger,
    options: { keepalive: 5, headerTimeout: 10, limits: { limitRequestBody: 1024 } },
  });
  const listener = await deps.listen(bind, server.accept, {
    backlog: 64,
    reusePort: false,
    onError: (error) => deps.logger.error(`error on metrics bind: ${errorMessage(error)}`),
  });
  return { listener, server };
}
