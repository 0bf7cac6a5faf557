/** Deno process services (stdio, files, signals, exit) for the command (core/runtime/platform.ts). */
import type { Platform } from "../../core/runtime/platform.ts";
import { notifyServiceManager } from "./notify.ts";
import { isDirectory, listDirectory, watchDirectory } from "./watch.ts";

const encoder = new TextEncoder();

/** Write all of `text` to a synchronous Deno stream (writeSync may write partially). */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let off = 0; off < bytes.length; ) off += stream.writeSync(bytes.subarray(off));
  } catch {
    // closed pipe (`tricorn --help | head`): nothing useful left to do
  }
}

const env: Record<string, string | undefined> = Deno.env.toObject();

/** The running Deno process. */
export const platform: Platform = {
  name: "deno",
  pid: Deno.pid,
  parentPid: () => Deno.ppid,
  cpuCount: () => navigator.hardwareConcurrency,
  ids: () => ({ uid: Deno.uid() ?? -1, gid: Deno.gid() ?? -1 }),
  chmod: (path, mode) => Deno.chmodSync(path, mode),
  chown: (path, uid, gid) => Deno.chownSync(path, uid, gid),
  args: Deno.args,
  env,
  writeStderr: (text) => writeAll(Deno.stderr, text),
  writeStdout: (text) => writeAll(Deno.stdout, text),
  openAppend(path) {
    const file = Deno.openSync(path, { append: true, create: true });
    return { write: (text) => writeAll(file, text), close: () => file.close() };
  },
  readTextFile: (path) => Deno.readTextFileSync(path),
  isDirectory,
  listDirectory,
  watchDirectory,
  isTerminal: (stream) => (stream === "stdout" ? Deno.stdout : Deno.stderr).isTerminal(),
  cwd: () => Deno.cwd(),
  chdir: (path) => Deno.chdir(path),
  setEnv(name, value) {
    Deno.env.set(name, value);
    env[name] = value;
  },
  // Deno dispatches `unload` on a normal end and on Deno.exit().
  onExit: (handler) => globalThis.addEventListener("unload", handler),
  writeFile: (path, text) => Deno.writeTextFileSync(path, text),
  residentMemory: () => Deno.memoryUsage().rss,
  removeFile(path) {
    try {
      Deno.removeSync(path);
    } catch {
      // missing is fine
    }
  },
  onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
  exit: (code) => Deno.exit(code),
  notifyServiceManager,
};
