/** Deno process services (stdio, files, signals, exit) for core/serve.ts. */
import type { Platform } from "../../core/runtime.ts";

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

/** The running Deno process. */
export const platform: Platform = {
  name: "deno",
  pid: Deno.pid,
  args: Deno.args,
  env: Deno.env.toObject(),
  writeStderr: (text) => writeAll(Deno.stderr, text),
  writeStdout: (text) => writeAll(Deno.stdout, text),
  openAppend(path) {
    const file = Deno.openSync(path, { append: true, create: true });
    return (text) => writeAll(file, text);
  },
  writeFile: (path, text) => Deno.writeTextFileSync(path, text),
  removeFile(path) {
    try {
      Deno.removeSync(path);
    } catch {
      // missing is fine
    }
  },
  onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
  exit: (code) => Deno.exit(code),
};
