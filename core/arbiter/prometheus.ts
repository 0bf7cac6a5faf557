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
  type Family = [name: string, type: "counter" | "gauge" | "histogram", help: string, value: number | string | Record<string, number>];
  const families: Family[] = [
    ["tricorn_http_requests_total", "counter", "HTTP responses sent, by request method and status class (1xx..5xx).", requests],
    ["tricorn_http_request_duration_seconds", "histogram", "Time from a request's complete head to its response handed to the socket.", histogram],
    ["tricorn_http_requests_in_flight", "gauge", "Requests being handled now.", totals.inFlight],
    ["tricorn_http_open_connections", "gauge", "Open client connections.", totals.connections],
    ["tricorn_http_received_bytes_total", "counter", "Bytes read from client connections (request heads and bodies).", c.receivedBytes],
    ["tricorn_http_response_body_bytes_total", "counter", "Response body bytes written to client connections.", c.sentBodyBytes],
    ["tricorn_http_rejected_requests_total", "counter", "Requests refused by the HTTP parser before reaching the app, by reason.", c.rejections],
    ["tricorn_workers", "gauge", "Live worker processes.", totals.workers],
    ["tricorn_workers_resident_memory_bytes", "gauge", "Resident memory of the live worker processes, summed.", totals.workersRss],
    ["tricorn_worker_starts_total", "counter", "Worker processes started, by reason.", totals.workerStarts],
    ["tricorn_worker_exits_total", "counter", "Worker processes exited, by reason.", totals.workerExits],
    ["tricorn_reloads_total", "counter", "Reloads begun (HUP, ctl reload, --reload).", totals.reloads],
    ["tricorn_ready", "gauge", "1 while the server is ready for traffic (/readyz answers 200), else 0.", totals.ready ? 1 : 0],
  ];
  // A number is one unlabelled sample, a record one sample per `reason`, a string samples already rendered.
  return families
    .map(([name, type, help, value]) =>
      family(name, type, help, typeof value === "number" ? sample(name, null, value) : typeof value === "string" ? value : labelled(name, "reason", value)),
    )
    .join("");
}
