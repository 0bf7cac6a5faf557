/**
 * Deno process layer: workers are `deno run <the master's permission flags> <main> <args>` children
 * started with `Deno.Command`; each binds its ports itself with
 * `reusePort` (Linux). IPC is newline-delimited JSON over one Unix socket
 * per master, abstract on Linux (a worker connects, says hello with its id,
 * then both sides exchange frames), leaving the workers' stdout and stderr
 * to the app.
 */
import { FrameDecoder, encodeFrame, isMasterMessage, isWorkerMessage } from "../../core/arbiter/ipc.ts";
import { SpawnedWorker, reusePortSharing, reusePortWarnings } from "../../core/arbiter/process.ts";
import type { MasterMessage, WorkerMessage } from "../../core/arbiter/ipc.ts";
import type { KillSignal, ListenSharing, MasterSignal, ProcessLayer, ProcessManager, WorkerCredentials, WorkerHost, WorkerSignal } from "../../core/arbiter/process.ts";
import { parentDirectory, type BindAddress } from "../../core/net/bind.ts";
import { inheritedPermissions, queriedPermissionFlags, type InheritedPermissions } from "./permissions.ts";

/** Environment variable giving a worker the name of the master's IPC socket (`@name`: abstract namespace). */
export const IPC_ENV = "TRICORN_IPC";

/** Socket path for an IPC name: a leading `@` means the abstract namespace (Linux), which env values cannot spell with NUL. */
function socketPath(name: string): string {
  return name.startsWith("@") ? `\0${name.slice(1)}` : name;
}

/**
 * Environment variable with the master's random IPC token. Abstract sockets
 * have no file permissions, so a worker proves it was spawned by this master
 * (only same-user processes can read another's environment).
 */
export const IPC_TOKEN_ENV = "TRICORN_IPC_TOKEN";

/** First frame a worker sends on its connection. */
interface Hello {
  type: "hello";
  id: number;
  token: string;
}

/** Ordered writer over a Deno stream (`write` may be partial). */
class FrameWriter {
  private queue: Uint8Array[] = [];
  private writing = false;
  private idle: (() => void)[] = [];
  closed = false;

  constructor(private readonly conn: Deno.Conn) {}

  write(frame: Uint8Array): void {
    if (this.closed) return;
    this.queue.push(frame);
    if (!this.writing) void this.loop();
  }

  /** Resolves when everything queued so far was written (or writing failed). */
  flushed(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async loop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        let chunk = this.queue.shift()!;
        while (chunk.length > 0) chunk = chunk.subarray(await this.conn.write(chunk));
      }
    } catch {
      this.closed = true;
      this.queue = [];
    }
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

/** Read frames from `conn` until EOF or error. */
async function readFrames(conn: Deno.Conn, onFrame: (frame: unknown) => void): Promise<void> {
  const decoder = new FrameDecoder(onFrame);
  const buffer = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return;
      decoder.push(buffer.subarray(0, n));
    }
  } catch {
    // connection reset: same as EOF
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class DenoWorker extends SpawnedWorker {
  readonly pid: number;
  private writer: FrameWriter | null = null;
  private pending: MasterMessage[] = [];
  private exited = false;
  attached = false;
  private detached = Promise.withResolvers<void>();

  constructor(
    private readonly child: Deno.ChildProcess,
    onGone: () => void,
  ) {
    super();
    this.pid = child.pid;
    void child.status.then(async (status) => {
      // Deliver every message the worker wrote before it died: its socket reaches EOF with it.
      // A worker that died right after connecting may not have been accepted yet.
      if (!this.attached) await sleep(100);
      if (this.attached) await Promise.race([this.detached.promise, sleep(1000)]);
      this.exited = true;
      this.writer = null;
      onGone();
      this.exitFn(status.signal !== null ? null : status.code, status.signal);
    });
  }

  /** The worker connected to the IPC socket and said hello. */
  attach(conn: Deno.Conn): void {
    this.attached = true;
    this.writer = new FrameWriter(conn);
    for (const message of this.pending.splice(0)) this.writer.write(encodeFrame(message));
  }

  /** A frame from the worker. */
  receive(frame: unknown): void {
    if (!this.exited && isWorkerMessage(frame)) this.messageFn(frame);
  }

  /** The connection reached EOF. */
  detach(): void {
    if (this.writer) this.writer.closed = true;
    this.detached.resolve();
  }

  send(message: MasterMessage): void {
    if (this.exited) return;
    if (this.writer === null) this.pending.push(message);
    else this.writer.write(encodeFrame(message));
  }

  kill(signal: KillSignal): void {
    if (this.exited) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Options of {@link createProcessManager}. */
export interface DenoProcessOptions {
  /** The `--bind` addresses: Unix-socket and fd binds cannot be shared with reusePort. */
  binds?: readonly BindAddress[];
  /** Script the workers run (default: `Deno.mainModule`). */
  script?: string;
  /** Arguments after the script (default: `Deno.args`). */
  args?: readonly string[];
  /** Deno flags placed before the script (default: the master's permissions, runtimes/deno/permissions.ts, and `--unstable-net`, as reusePort is unstable in Deno 2). */
  denoFlags?: readonly string[];
  /** Run the workers as this user and group. */
  credentials?: WorkerCredentials;
  /** The master's permissions for the workers ({@link inheritedPermissions}; default: the ones granted without a scope). */
  permissions?: InheritedPermissions;
}

/**
 * How workers can share the binds here: SO_REUSEPORT for TCP (Linux only);
 * unix sockets are handed over by rename (core/net/unix-handover.ts), which
 * needs read and write access to each socket's directory — without both
 * permissions the old worker stops before its successor binds, as before.
 */
export function listenSharing(binds: readonly BindAddress[] = []): ListenSharing {
  const sharing = reusePortSharing(Deno.build.os, binds);
  if (sharing !== "handover") return sharing;
  return binds.every((bind) => bind.kind === "unix" && mayReadAndWrite(parentDirectory(bind.path))) ? sharing : "none";
}

function mayReadAndWrite(path: string): boolean {
  return (["read", "write"] as const).every((name) => Deno.permissions.querySync({ name, path }).state === "granted");
}

/** The master's process layer on Deno. */
export function createProcessManager(options: DenoProcessOptions = {}): ProcessManager {
  const script = options.script ?? Deno.mainModule;
  const args = options.args ?? Deno.args;
  const inherited = options.denoFlags === undefined ? (options.permissions ?? { flags: queriedPermissionFlags(), warning: null }) : null;
  const flags = options.denoFlags ?? [...inherited!.flags, "--unstable-net"];
  const sharing = listenSharing(options.binds);
  const token = crypto.randomUUID();
  const byId = new Map<number, DenoWorker>();
  const signals: [Deno.Signal, () => void][] = [];
  let ipc: { dir: string | null; name: string; listener: Deno.Listener } | null = null;

  const startIpc = () => {
    if (ipc !== null) return ipc;
    // Linux: an abstract socket (no file to clean up, even after kill -9). Elsewhere: a file in a private temp dir.
    const dir = Deno.build.os === "linux" ? null : Deno.makeTempDirSync({ prefix: "tricorn-" });
    const name = dir === null ? `@tricorn-${Deno.pid}-${crypto.randomUUID()}` : `${dir}/ipc.sock`;
    const listener = Deno.listen({ transport: "unix", path: socketPath(name) });
    ipc = { dir, name, listener };
    void (async () => {
      for await (const conn of listener) void serveConnection(conn);
    })().catch(() => {
      // listener closed
    });
    return ipc;
  };

  // A worker's first frame names it (hello); the rest are its messages.
  const serveConnection = async (conn: Deno.Conn) => {
    let worker: DenoWorker | undefined;
    let stranger = false;
    const buffer = new Uint8Array(16 * 1024);
    const decoder = new FrameDecoder((frame) => {
      if (worker !== undefined) return worker.receive(frame);
      const hello = frame as Partial<Hello> | null;
      const claimed = hello?.type === "hello" && hello.token === token && typeof hello.id === "number" ? byId.get(hello.id) : undefined;
      if (claimed === undefined || claimed.attached) stranger = true;
      else (worker = claimed).attach(conn);
    });
    try {
      while (!stranger) {
        const n = await conn.read(buffer);
        if (n === null) break;
        decoder.push(buffer.subarray(0, n));
      }
    } catch {
      // reset: same as EOF
    }
    worker?.detach();
    try {
      conn.close();
    } catch {
      // already closed
    }
  };

  return {
    pid: Deno.pid,
    sharing,
    spawnWorker(opts) {
      const { name } = startIpc();
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, script, ...args],
        env: { ...opts.env, [IPC_ENV]: name, [IPC_TOKEN_ENV]: token },
        uid: options.credentials?.uid,
        gid: options.credentials?.gid,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      const worker = new DenoWorker(child, () => byId.delete(opts.id));
      byId.set(opts.id, worker);
      return worker;
    },
    onSignal(signal: MasterSignal, fn: () => void) {
      Deno.addSignalListener(signal, fn);
      signals.push([signal, fn]);
    },
    close() {
      for (const [signal, fn] of signals.splice(0)) Deno.removeSignalListener(signal, fn);
      if (ipc !== null) {
        try {
          ipc.listener.close();
        } catch {
          // already closed
        }
        try {
          if (ipc.dir !== null) Deno.removeSync(ipc.dir, { recursive: true });
        } catch {
          // already gone
        }
        ipc = null;
      }
    },
    warnings: () => [...(inherited?.warning ? [inherited.warning] : []), ...reusePortWarnings(sharing, (path) => Deno.readTextFileSync(path))],
    keepAlive() {
      const handle = setInterval(() => {}, 1 << 30);
      return () => clearInterval(handle);
    },
    writePidfile: (path, pid) => Deno.writeTextFileSync(path, `${pid}\n`),
    removePidfile(path) {
      try {
        Deno.removeSync(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    },
  };
}

/** True when this process was started by a Deno master as a worker. */
export function ipcPath(): string | undefined {
  return Deno.env.get(IPC_ENV);
}

/** The worker's process layer on Deno: connects to the master's IPC socket. */
export async function createWorkerHost(id: number): Promise<WorkerHost> {
  const path = ipcPath();
  if (path === undefined) throw new Error(`${IPC_ENV} is not set: not started by a tricorn master`);
  const conn = await Deno.connect({ transport: "unix", path: socketPath(path) });
  const writer = new FrameWriter(conn);
  const hello: Hello = { type: "hello", id, token: Deno.env.get(IPC_TOKEN_ENV) ?? "" };
  writer.write(new TextEncoder().encode(JSON.stringify(hello) + "\n"));
  const signals: [Deno.Signal, () => void][] = [];
  let messageFn: (message: MasterMessage) => void = () => {};
  let goneFn: () => void = () => {};
  let closing = false;
  void readFrames(conn, (frame) => {
    if (isMasterMessage(frame)) messageFn(frame);
  }).then(() => {
    writer.closed = true;
    if (!closing) goneFn();
  });
  return {
    pid: Deno.pid,
    parentPid: () => Deno.ppid,
    send: (message: WorkerMessage) => writer.write(encodeFrame(message)),
    onMessage: (fn) => void (messageFn = fn),
    onMasterGone: (fn) => void (goneFn = fn),
    onSignal(signal: WorkerSignal, fn: () => void) {
      Deno.addSignalListener(signal, fn);
      signals.push([signal, fn]);
    },
    // preventDefault keeps Deno from ending the process; stays installed until it exits.
    onFault(fn) {
      globalThis.addEventListener("error", (event) => {
        event.preventDefault();
        fn(event.error, "exception");
      });
      globalThis.addEventListener("unhandledrejection", (event) => {
        event.preventDefault();
        fn(event.reason, "rejection");
      });
    },
    async close() {
      closing = true;
      for (const [signal, fn] of signals.splice(0)) Deno.removeSignalListener(signal, fn);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([writer.flushed(), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}

/** Deno's process layer for core/arbiter/master.ts. */
export const processLayer: ProcessLayer = {
  sharing: listenSharing,
  createProcessManager: async (binds, credentials) => createProcessManager({ binds, credentials, permissions: await inheritedPermissions() }),
  createWorkerHost,
};
