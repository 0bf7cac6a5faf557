/** Bun process services (stdio, files, signals, exit) for core/serve.ts. */
import fs from "node:fs";
import tty from "node:tty";
import type { Platform } from "../../core/runtime.ts";
import { isDirectory, listDirectory, watchDirectory } from "./watch.ts";

const encoder = new TextEncoder();

/**
 * Write all of `text` to a file descriptor synchronously. Bun's
 * process.stderr.write is asynchronous and loses output on process.exit.
 */
function writeAll(fd: number, text: string): void {
  const bytes = encoder.encode(text);
  try {
    for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off);
  } catch {
    // closed pipe (`tricorn --help | head`): nothing useful left to do
  }
}

/** The running Bun process. */
export const platform: Platform = {
  name: "bun",
  pid: process.pid,
  args: process.argv.slice(2),
  env: process.env,
  writeStderr: (text) => writeAll(2, text),
  writeStdout: (text) => writeAll(1, text),
  openAppend(path) {
    const fd = fs.openSync(path, "a");
    return { write: (text) => writeAll(fd, text), close: () => fs.closeSync(fd) };
  },
  readTextFile: (path) => fs.readFileSync(path, "utf8"),
  isDirectory,
  listDirectory,
  watchDirectory,
  isTerminal: (stream) => tty.isatty(stream === "stdout" ? 1 : 2),
  cwd: () => process.cwd(),
  chdir: (path) => process.chdir(path),
  setEnv: (name, value) => void (process.env[name] = value),
  onExit: (handler) => void process.on("exit", handler),
  writeFile: (path, text) => fs.writeFileSync(path, text),
  removeFile: (path) => fs.rmSync(path, { force: true }),
  onSignal: (signal, handler) => void process.on(signal, handler),
  exit: (code) => process.exit(code),
};
