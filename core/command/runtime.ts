/**
 * Everything the `tricorn` command needs from a runtime (Node, Deno, Bun):
 * `runtimes/<name>/main.ts` assembles one {@link Runtime} from its
 * platform.ts, socket.ts, timers.ts, load-app.ts, process.ts and native.ts.
 * Lower layers declare the narrower parts they use (MasterRuntime,
 * WorkerRuntime); this is their union.
 */
import type { MasterRuntime } from "../arbiter/master.ts";
import type { ProcessLayer } from "../arbiter/process.ts";
import type { WorkerRuntime } from "../worker/serving.ts";
import type { UnixRequestFn } from "../runtime/unix-request.ts";

/** Everything the command needs from a runtime. */
export interface Runtime extends MasterRuntime, WorkerRuntime {
  /** Spawning and supervising worker processes (arbiter) and the worker side of its IPC. */
  readonly processes: ProcessLayer;
  /** One request/response over a unix socket: the `tricorn ctl` client. */
  unixRequest: UnixRequestFn;
}
