/**
 * Bun process services (stdio, files, signals, exit) for the command (core/runtime/platform.ts):
 * Bun implements node:fs, node:tty and `process` like Node, so this is
 * Node's platform (runtimes/node/platform.ts) except for writing.
 */
import fs from "node:fs";
import type { Platform } from "../../core/runtime/platform.ts";
import { platform as nodePlatform } from "../node/platform.ts";

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
  ...nodePlatform,
  name: "bun",
  writeStderr: (text) => writeAll(2, text),
  writeStdout: (text) => writeAll(1, text),
  openAppend(path) {
    const fd = fs.openSync(path, "a");
    return { write: (text) => writeAll(fd, text), close: () => fs.closeSync(fd) };
  },
};
