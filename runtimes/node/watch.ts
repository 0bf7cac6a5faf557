/**
 * Directory listing and watching for `--reload` on Node (Bun reuses this
 * file: its node:fs implements the same calls). Only single directories are
 * watched; core/arbiter/reloader.ts walks the tree, so node_modules and .git are
 * never watched at all (Node 20's own recursive mode on Linux would watch
 * everything).
 */
import fs from "node:fs";
import type { DirectoryEntry, DirectoryWatch } from "../../core/runtime/platform.ts";

/** Entries of `dir` (symbolic links are not followed). */
export function listDirectory(dir: string): DirectoryEntry[] {
  return fs.readdirSync(dir, { withFileTypes: true }).map((entry) => ({ name: entry.name, directory: entry.isDirectory() }));
}

/** True when `path` is a directory. */
export function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Watch one directory (inotify on Linux); the watch does not keep the process alive. */
export function watchDirectory(dir: string, onChange: (name: string | null) => void): DirectoryWatch {
  const watcher = fs.watch(dir, { persistent: false }, (_event, name) => onChange(name === null ? null : String(name)));
  // The directory was removed or became unreadable: stop quietly, the parent's watch sees it.
  watcher.on("error", () => watcher.close());
  return { close: () => watcher.close() };
}
