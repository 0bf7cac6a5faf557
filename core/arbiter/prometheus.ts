/**
 * The master's totals (core/arbiter/registry.ts) in the Prometheus text
 * exposition format (version 0.0.4), served at `GET /metrics` on
 * `--metrics-bind`. Names follow Prometheus conventions: a `tricorn_`
 * prefix, base units (seconds, bytes) in the name, `_total` on counters.
 * docs/operations.md lists every metric with its meaning.
 */
import { COUNTED_METHODS, LATENCY_BOUNDS_MS, STATUS_CLASSES } from "../server/stats.ts";
import type { ServerTotals } from "./registry.ts";

/** `Content-Type` of {@link renderMetrics}' output. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;

/** A label value with `\`, `"` and newlines escaped. */
function labelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function sample(name: string, labels: Labels | null, value: number): string {
  const pairs = labels === null ? "" : Object.entries(labels).map(([key, v]) => `${key}="${labelValue(v)}"`).join(",");
  return `${name}${pairs === "" ? "" : `{${pairs}}`} ${Number.isFinite(value) ? String(value) : "NaN"}\n`;
}

function family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${samples}`;
}

/** One sample per entry of `byLabel`, labelled `label`. */
function labelled(name: string, label: string, byLabel: Record<string, number>): string {
  return Object.entries(byLabel)
    .map(([value, n]) => sample(name, { [label]: value }, n))
    .join("");
}

/** The whole exposition for `totals`. */
export function renderMetrics(totals: ServerTotals): string {
  const c = totals.counters;
  let requests = "";
  COUNTED_METHODS.forEach((method, m) => {
    STATUS_CLASSES.forEach((cls, k) => {
      const n = c.requests[m * STATUS_CLASSES.length + k] ?? 0;
      if (n > 0) requests += sample("tricorn_http_requests_total", { method, status: cls }, n);
    });
  });
  let histogram = "";
  let cumulative = 0;
  LATENCY_BOUNDS_MS.forEach((bound, i) => {
    cumulative += c.latency[i] ?? 0;
    histogram += sample("tricorn_http_request_duration_seconds_bucket", { le: String(bound / 1000) }, cumulative);
  });
  cumulative += c.latency[LATENCY_BOUNDS_MS.length] ?? 0;
  histogram += sample("tricorn_http_request_duration_seconds_bucket", { le: "+Inf" }, cumulative);
  histogram += sample("tricorn_http_request_duration_seconds_sum", null, c.latencySumMs / 1000);
  histogram += sample("tricorn_http_request_duration_seconds_count", null, cumulative);
  return [
    family("tricorn_http_requests_total", "counter", "HTTP responses sent, by request method and status class (1xx..5xx).", requests),
    family(
      "tricorn_http_request_duration_seconds",
      "histogram",
      "Time from a request's complete head to its response handed to the socket.",
      histogram,
    ),
    family("tricorn_http_requests_in_flight", "gauge", "Requests being handled now.", sample("tricorn_http_requests_in_flight", null, totals.inFlight)),
    family("tricorn_http_open_connections", "gauge", "Open client connections.", sample("tricorn_http_open_connections", null, totals.connections)),
    family(
      "tricorn_http_received_bytes_total",
      "counter",
      "Bytes read from client connections (request heads and bodies).",
      sample("tricorn_http_received_bytes_total", null, c.receivedBytes),
    ),
    family(
      "tricorn_http_response_body_bytes_total",
      "counter",
      "Response body bytes written to client connections.",
      sample("tricorn_http_response_body_bytes_total", null, c.sentBodyBytes),
    ),
    family(
      "tricorn_http_rejected_requests_total",
      "counter",
      "Requests refused by the HTTP parser before reaching the app, by reason.",
      labelled("tricorn_http_rejected_requests_total", "reason", c.rejections),
    ),
    family("tricorn_workers", "gauge", "Live worker processes.", sample("tricorn_workers", null, totals.workers)),
    family(
      "tricorn_workers_resident_memory_bytes",
      "gauge",
      "Resident memory of the live worker processes, summed.",
      sample("tricorn_workers_resident_memory_bytes", null, totals.workersRss),
    ),
    family("tricorn_worker_starts_total", "counter", "Worker processes started, by reason.", labelled("tricorn_worker_starts_total", "reason", totals.workerStarts)),
    family("tricorn_worker_exits_total", "counter", "Worker processes exited, by reason.", labelled("tricorn_worker_exits_total", "reason", totals.workerExits)),
    family("tricorn_reloads_total", "counter", "Reloads begun (HUP, ctl reload, --reload).", sample("tricorn_reloads_total", null, totals.reloads)),
    family("tricorn_ready", "gauge", "1 while the server is ready for traffic (/readyz answers 200), else 0.", sample("tricorn_ready", null, totals.ready ? 1 : 0)),
  ].join("");
}
