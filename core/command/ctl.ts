/**
 * `tricorn ctl [--control-socket PATH] [--json] [--timeout SECONDS] COMMAND`:
 * ask a running master over its control socket (core/arbiter/control.ts)
 * and print the answer, for people (default) or as one JSON object
 * (`--json`). Also {@link createCtl}: the same request as a function for
 * scripts and config hooks.
 *
 * Exit codes: 0 answered, 1 the master could not be reached or refused the
 * command, 2 bad usage.
 */
import { CONTROL_USAGE, ControlUsageError, parseControlCommand, type ControlReply, type ControlRequest } from "../arbiter/control.ts";
import type { ArbiterStatus } from "../arbiter/status.ts";
import type { ServerTotals } from "../arbiter/registry.ts";
import { STATUS_CLASSES, COUNTED_METHODS } from "../server/stats.ts";
import { SETTINGS } from "../config/settings.ts";
import { UNIX_REQUEST_TIMEOUT, type UnixRequestFn } from "../runtime/unix-request.ts";

/** Default bound on waiting for the master's answer. */
export const CTL_DEFAULT_TIMEOUT_S = 10;

/** The master could not be reached, or answered with an error; the message is one line. */
export class CtlError extends Error {
  override name = "CtlError";
}

/** What `tricorn ctl` needs from the runtime. */
export interface CtlHost {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  unixRequest: UnixRequestFn;
}

/** Options of a ctl request. */
export interface CtlOptions {
  /** Control socket path (default: `$TRICORN_CONTROL_SOCKET`, else `tricorn.ctl`). */
  controlSocket?: string;
  /** Seconds to wait for the answer (default {@link CTL_DEFAULT_TIMEOUT_S}). */
  timeout?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function codeOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | null;
  return typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "";
}

/** One line saying why the control socket at `path` could not be asked, and what to do. */
function unreachable(path: string, error: unknown): CtlError {
  const code = codeOf(error);
  if (code === UNIX_REQUEST_TIMEOUT) return new CtlError(`no answer from the control socket ${path}: ${(error as Error).message}`);
  if (code === "ENOENT" || code === "NotFound") {
    return new CtlError(`no control socket at ${path}; is tricorn running here? pass the server's --control-socket PATH`);
  }
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") {
    return new CtlError(`nothing answers on ${path} (a stale socket: the server is not running)`);
  }
  if (code === "EACCES" || code === "EPERM" || code === "PermissionDenied") {
    return new CtlError(`permission denied on ${path}: the control socket is for the server's user only (mode 0600)`);
  }
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new CtlError(`cannot reach the control socket ${path}: ${message}`);
}

/** Send `request` to the master at `path`; resolves with its result or throws {@link CtlError}. */
export async function sendControlRequest(unixRequest: UnixRequestFn, path: string, request: ControlRequest, timeoutMs: number): Promise<unknown> {
  let raw: Uint8Array;
  try {
    raw = await unixRequest(path, encoder.encode(JSON.stringify(request) + "\n"), timeoutMs);
  } catch (error) {
    throw unreachable(path, error);
  }
  let reply: ControlReply;
  try {
    reply = JSON.parse(decoder.decode(raw)) as ControlReply;
  } catch {
    throw new CtlError(`${path} did not answer like a tricorn control socket`);
  }
  if (reply.ok !== true) throw new CtlError(`the server refused: ${reply.ok === false ? reply.error : "malformed reply"}`);
  return reply.result;
}

function defaultSocket(env: Readonly<Record<string, string | undefined>>): string {
  for (const name of SETTINGS.control_socket.env) if (env[name]) return env[name]!;
  return SETTINGS.control_socket.default;
}

/**
 * `ctl` for scripts and config hooks, bound to a runtime's unix client:
 * `await ctl("status")`, `await ctl(["workers", "add", "2"], { controlSocket })`.
 * Resolves with the master's answer as plain JSON (the same objects as
 * `tricorn ctl … --json` prints); throws {@link CtlError} or
 * {@link ControlUsageError} with a one-line message.
 */
export function createCtl(unixRequest: UnixRequestFn, env: () => Readonly<Record<string, string | undefined>> = () => ({})) {
  return (command: string | readonly string[], options: CtlOptions = {}): Promise<unknown> => {
    const words = typeof command === "string" ? command.trim().split(/\s+/) : command;
    const path = options.controlSocket ?? defaultSocket(env());
    return sendControlRequest(unixRequest, path, parseControlCommand(words), (options.timeout ?? CTL_DEFAULT_TIMEOUT_S) * 1000);
  };
}

/** Parsed `tricorn ctl` command line. */
interface CtlArgs {
  path: string;
  json: boolean;
  timeoutMs: number;
  request: ControlRequest;
}

const CTL_HELP = `usage: tricorn ctl [--control-socket PATH] [--json] [--timeout SECONDS] COMMAND

Ask a running tricorn master over its control socket (default ./tricorn.ctl,
or $TRICORN_CONTROL_SOCKET).

commands:
  status              master and workers: pid, id, age, state, requests, in-flight,
                      connections, memory, last heartbeat, why each was started
  stats               totals over all workers (requests by status class, bytes,
                      rejections, worker starts/exits by reason, reloads)
  reload              graceful reload (as HUP)
  stop                graceful stop (as TERM; honours --drain-delay)
  workers add N       N more workers (as N x TTIN)
  workers remove N    N fewer workers (as N x TTOU; never below 1)
`;

function parseCtlArgs(args: readonly string[], env: Readonly<Record<string, string | undefined>>): CtlArgs | "help" {
  let path = defaultSocket(env);
  let json = false;
  let timeout = CTL_DEFAULT_TIMEOUT_S;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new ControlUsageError(`ctl: ${name} needs a value`);
      return v;
    };
    if (name === "-h" || name === "--help") return "help";
    else if (name === "--json") json = true;
    else if (SETTINGS.control_socket.flags.includes(name) || name === "-s") {
      path = value();
      if (path === "") throw new ControlUsageError("ctl: --control-socket needs a path");
    } else if (name === "--timeout") {
      const raw = value();
      timeout = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
      if (!(timeout > 0)) throw new ControlUsageError(`ctl: --timeout expects a positive number of seconds, got ${JSON.stringify(raw)}`);
    } else if (arg.startsWith("-") && !/^-\d/.test(arg)) throw new ControlUsageError(`ctl: unknown option ${JSON.stringify(arg)}; see tricorn ctl --help`);
    else words.push(arg);
  }
  return { path, json, timeoutMs: timeout * 1000, request: parseControlCommand(words) };
}

/** Run `tricorn ctl …` (`args` after the word `ctl`); resolves with the exit code. */
export async function runCtl(host: CtlHost, args: readonly string[]): Promise<number> {
  let parsed: CtlArgs | "help";
  try {
    parsed = parseCtlArgs(args, host.env);
  } catch (error) {
    if (!(error instanceof ControlUsageError)) throw error;
    host.writeStderr(`tricorn: ${error.message}\n`);
    return 2;
  }
  if (parsed === "help") {
    host.writeStdout(CTL_HELP);
    return 0;
  }
  let result: unknown;
  try {
    result = await sendControlRequest(host.unixRequest, parsed.path, parsed.request, parsed.timeoutMs);
  } catch (error) {
    if (!(error instanceof CtlError)) throw error;
    host.writeStderr(`tricorn: ${error.message}\n`);
    return 1;
  }
  host.writeStdout(parsed.json ? JSON.stringify(result) + "\n" : formatResult(parsed.request, result));
  return 0;
}

/* ------------------------------ human output ------------------------------ */

function bytes(n: number | null): string {
  if (n === null) return "-";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function duration(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Rows of cells as left-aligned columns. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd() + "\n").join("");
}

/** `ctl status` for people. */
export function formatStatus(s: ArbiterStatus): string {
  const head = `master ${s.pid}: ${s.state}, ${s.ready ? "ready" : "not ready"}, generation ${s.generation}, ${s.workers.length} worker(s) (target ${s.targetWorkers})\n`;
  const rows = [["ID", "PID", "STATE", "AGE", "REQUESTS", "IN-FLIGHT", "CONNS", "RSS", "LAST-BEAT", "STARTED"]];
  for (const w of s.workers) {
    const n = (v: number | null) => (v === null ? "-" : String(v));
    rows.push([String(w.id), String(w.pid), w.state, duration(w.age), n(w.requests), n(w.inFlight), n(w.connections), bytes(w.rss), `${w.lastHeartbeat.toFixed(1)}s ago`, w.startedBecause]);
  }
  return head + table(rows);
}

function nonZero(byName: Record<string, number>): string {
  const parts = Object.entries(byName).filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

/** `ctl stats` for people. */
export function formatStats(t: ServerTotals): string {
  const byClass: Record<string, number> = {};
  STATUS_CLASSES.forEach((cls, k) => {
    byClass[cls] = COUNTED_METHODS.reduce((sum, _m, m) => sum + (t.counters.requests[m * STATUS_CLASSES.length + k] ?? 0), 0);
  });
  const timed = t.counters.latency.reduce((a, b) => a + b, 0);
  const mean = timed > 0 ? `${(t.counters.latencySumMs / timed).toFixed(2)} ms` : "- (requests are timed with --metrics-bind)";
  return table([
    ["requests", `${t.requests} completed; responses: ${nonZero(byClass)}`],
    ["mean latency", mean],
    ["in flight", String(t.inFlight)],
    ["connections", String(t.connections)],
    ["received", bytes(t.counters.receivedBytes)],
    ["response bodies", bytes(t.counters.sentBodyBytes)],
    ["rejected", nonZero(t.counters.rejections)],
    ["workers", `${t.workers} live, ${bytes(t.workersRss)} resident`],
    ["worker starts", nonZero(t.workerStarts)],
    ["worker exits", nonZero(t.workerExits)],
    ["reloads", String(t.reloads)],
    ["ready", t.ready ? "yes" : "no"],
  ]);
}

function formatResult(request: ControlRequest, result: unknown): string {
  switch (request.command) {
    case "status":
      return formatStatus(result as ArbiterStatus);
    case "stats":
      return formatStats(result as ServerTotals);
    case "reload":
      return "reloading\n";
    case "stop":
      return "stopping\n";
    case "workers": {
      const r = result as { previous: number; total: number };
      return `workers: ${r.previous} -> ${r.total}\n`;
    }
  }
}

export { CONTROL_USAGE, ControlUsageError };
