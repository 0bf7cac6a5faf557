/**
 * Directory listing and watching for `--reload` on Deno (`Deno.watchFs`,
 * non-recursive: core/arbiter/reloader.ts walks the tree itself so node_modules and
 * .git are never watched).
 */
import { basename } from "node:path";
import type { DirectoryEntry, DirectoryWatch } from "../../core/runtime/platform.ts";

/** Entries of `dir` (symbolic links are not followed). */
export function listDirectory(dir: string): DirectoryEntry[] {
  return [...Deno.readDirSync(dir)].map((entry) => ({ name: entry.name, directory: entry.isDirectory }));
}

/** True when `path` is a directory. */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Watch one directory; events carry absolute paths, reduced to entry names here. */
export function watchDirectory(dir: string, onChange: (name: string | null) => void): DirectoryWatch {
  const watcher = Deno.watchFs(dir, { recursive: false });
  void (async () => {
    try {
      for await (const event of watcher) for (const path of event.paths) onChange(basename(path));
    } catch {
      // the directory went away or the watch was closed
    }
  })();
  return {
    close() {
      try {
        watcher.close();
      } catch {
        // already closed
      }
    },
  };
}
