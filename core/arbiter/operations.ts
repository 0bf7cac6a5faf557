/**
 * The master's operator-facing endpoints, started before the first worker
 * and closed after the last one is gone: the control socket
 * (core/arbiter/control-server.ts, `tricorn ctl`) and, with
 * `--metrics-bind`, metrics and health (core/arbiter/health-server.ts).
 */
import type { Arbiter } from "./arbiter.ts";
import type { Logger } from "../log/logger.ts";
import { bindErrorReason, formatBind, parseBind } from "../net/bind.ts";
import type { ListenFn } from "../net/listen-types.ts";
import type { Listener } from "../runtime/socket.ts";
import type { Timers } from "../runtime/timers.ts";
import { parseControlCommand, runControlCommand } from "./control.ts";
import { startControlServer } from "./control-server.ts";
import { startHealthServer } from "./health-server.ts";
import type { MasterRegistry } from "./registry.ts";

/** What {@link startOperations} needs from the runtime and settings. */
export interface OperationsOptions {
  listen: ListenFn;
  chmod(path: string, mode: number): void;
  timers: Timers;
  logger: Logger;
  /** Control socket path; "" = none. */
  controlSocket: string;
  /** True when `controlSocket` is the built-in default: failing to use it is a warning, not an error. */
  controlSocketIsDefault: boolean;
  /** `HOST:PORT` for metrics and health, or null. */
  metricsBind: string | null;
}

/** A start-up failure of an endpoint the user asked for; the message is one line. */
export class OperationsError extends Error {
  override name = "OperationsError";
}

/** The running endpoints. */
export interface Operations {
  /** `http://HOST:PORT` of the metrics bind, or null. */
  readonly metricsUrl: string | null;
  /** Stop listening (the control socket file is removed). */
  close(): Promise<void>;
}

/** Start the endpoints; throws {@link OperationsError} when one the user chose cannot be bound. */
export async function startOperations(arbiter: Arbiter, registry: MasterRegistry, o: OperationsOptions): Promise<Operations> {
  arbiter.ctl = async (command) => {
    const words = typeof command === "string" ? command.trim().split(/\s+/) : command;
    const reply = runControlCommand(parseControlCommand(words), { arbiter, registry }, (fn) => void o.timers.setTimeout(fn, 0));
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  };
  const listeners: Listener[] = [];
  let closeServer = () => {};
  const close = async () => {
    closeServer();
    await Promise.allSettled(listeners.map((listener) => listener.close()));
  };
  if (o.controlSocket !== "") {
    const path = o.controlSocket;
    try {
      listeners.push(await startControlServer(path, { arbiter, registry }, o));
      o.logger.debug(`Control socket: ${path}`);
    } catch (error) {
      // The bind hints name -b; these name the control socket's own setting.
      const reason = bindErrorReason(error);
      if (!o.controlSocketIsDefault) {
        await close();
        throw new OperationsError(`cannot open control socket ${path}: ${reason}`);
      }
      const busy = reason === bindErrorReason({ code: "EADDRINUSE" }) ? " (another tricorn runs in this directory?)" : "";
      o.logger.warning(`No control socket (tricorn ctl): cannot use ${path}: ${reason}${busy}; choose one with --control-socket PATH`);
    }
  }
  let metricsUrl: string | null = null;
  if (o.metricsBind !== null) {
    const bind = parseBind(o.metricsBind);
    try {
      const { listener, server } = await startHealthServer(bind, {
        ...o,
        totals: () => registry.totals(arbiter.liveStats(), arbiter.status().ready),
      });
      listeners.push(listener);
      closeServer = () => {
        server.closeIdle();
        server.stopTimers();
      };
      metricsUrl = listener.url;
    } catch (error) {
      await close();
      throw new OperationsError(`cannot bind --metrics-bind ${formatBind(bind)}: ${bindErrorReason(error)}; choose another address`);
    }
  }
  return { metricsUrl, close };
}
