/**
 * The control protocol of `tricorn ctl` (one JSON line each way over the
 * master's unix control socket) and what the master does with each command.
 *
 *   → {"command":"workers","action":"add","count":2}
 *   ← {"ok":true,"result":{"previous":2,"total":4}}
 *   ← {"ok":false,"error":"cannot go below 1 worker (1 now)"}
 */
import type { Arbiter } from "./arbiter.ts";
import type { MasterRegistry } from "./registry.ts";

/** One command to the master. */
export type ControlRequest =
  | { command: "status" | "stats" | "reload" | "stop" }
  | { command: "workers"; action: "add" | "remove"; count: number };

/** The master's answer. */
export type ControlReply = { ok: true; result: unknown } | { ok: false; error: string };

/** The command words `tricorn ctl` accepts, for usage messages. */
export const CONTROL_USAGE = "status | stats | reload | stop | workers add N | workers remove N";

/** Largest N of `workers add N` (a typo should not fork thousands of processes). */
export const MAX_WORKERS_STEP = 1024;

/** A bad command line or request; its message is one line naming the value. */
export class ControlUsageError extends Error {
  override name = "ControlUsageError";
}

/** Command words (`["workers", "add", "2"]`) → request; throws {@link ControlUsageError}. */
export function parseControlCommand(words: readonly string[]): ControlRequest {
  const [command, action, count, ...rest] = words;
  if (command === undefined) throw new ControlUsageError(`ctl: missing command; expected ${CONTROL_USAGE}`);
  if (command === "status" || command === "stats" || command === "reload" || command === "stop") {
    if (action !== undefined) throw new ControlUsageError(`ctl ${command}: unexpected argument ${JSON.stringify(action)}`);
    return { command };
  }
  if (command !== "workers") throw new ControlUsageError(`ctl: unknown command ${JSON.stringify(command)}; expected ${CONTROL_USAGE}`);
  if (action !== "add" && action !== "remove") {
    throw new ControlUsageError(`ctl workers: expected "add N" or "remove N", got ${JSON.stringify(action ?? "")}`);
  }
  const n = count !== undefined && /^[0-9]+$/.test(count) ? Number(count) : NaN;
  if (!(n >= 1 && n <= MAX_WORKERS_STEP)) {
    throw new ControlUsageError(`ctl workers ${action}: expected a number of workers 1-${MAX_WORKERS_STEP}, got ${JSON.stringify(count ?? "")}`);
  }
  if (rest.length > 0) throw new ControlUsageError(`ctl workers ${action}: unexpected argument ${JSON.stringify(rest[0])}`);
  return { command, action, count: n };
}

/** A request received as JSON → request; throws {@link ControlUsageError}. */
export function toControlRequest(value: unknown): ControlRequest {
  if (typeof value !== "object" || value === null) throw new ControlUsageError("expected a JSON object with a command");
  const v = value as Record<string, unknown>;
  const words = [v.command, v.action, v.count].filter((word) => word !== undefined).map(String);
  return parseControlCommand(words);
}

/** What the control commands act on (the master's arbiter and counters). */
export interface ControlTarget {
  arbiter: Arbiter;
  registry: MasterRegistry;
}

/**
 * Run one command. `reload` and `stop` take effect after the answer is on
 * its way (`defer`), so the client hears back before the master drains.
 */
export function runControlCommand(request: ControlRequest, target: ControlTarget, defer: (fn: () => void) => void): ControlReply {
  const { arbiter, registry } = target;
  try {
    switch (request.command) {
      case "status":
        return { ok: true, result: arbiter.status() };
      case "stats":
        return { ok: true, result: registry.totals(arbiter.liveStats(), arbiter.status().ready) };
      case "reload":
        defer(() => arbiter.signal("SIGHUP"));
        return { ok: true, result: { reloading: true } };
      case "stop":
        defer(() => arbiter.signal("SIGTERM"));
        return { ok: true, result: { stopping: true } };
      case "workers": {
        const previous = arbiter.status().targetWorkers;
        const total = arbiter.scale(request.action === "add" ? request.count : -request.count);
        return { ok: true, result: { previous, total } };
      }
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
