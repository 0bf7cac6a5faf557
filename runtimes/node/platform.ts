/** Node process services (stdio, files, signals, exit) for the command (core/runtime/platform.ts). */
import fs from "node:fs";
import os from "node:os";
import tty from "node:tty";
import type { Platform } from "../../core/runtime/platform.ts";
import { notifyServiceManager } from "./notify.ts";
import { isDirectory, listDirectory, watchDirectory } from "./watch.ts";

// A closed pipe (`tricorn --help | head`) must not crash the process.
process.stdout.on("error", () => {});

/** The running Node process. */
export const platform: Platform = {
  name: "node",
  pid: process.pid,
  parentPid: () => process.ppid,
  cpuCount: () => os.availableParallelism(),
  ids: () => ({ uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 }),
  chmod: (path, mode) => fs.chmodSync(path, mode),
  chown: (path, uid, gid) => fs.chownSync(path, uid, gid),
  args: process.argv.slice(2),
  env: process.env,
  // process.stderr is synchronous for files, TTYs and (on Linux) pipes.
  writeStderr: (text) => void process.stderr.write(text),
  writeStdout: (text) => void process.stdout.write(text),
  openAppend(path) {
    const fd = fs.openSync(path, "a");
    return { write: (text) => void fs.writeSync(fd, text), close: () => fs.closeSync(fd) };
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
  residentMemory: () => process.memoryUsage.rss(),
  onSignal: (signal, handler) => void process.on(signal, handler),
  exit: (code) => process.exit(code),
  notifyServiceManager,
};
