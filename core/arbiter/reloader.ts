/**
 * `--reload`: watch the app's directory tree (skipping node_modules, .git
 * and other dot-directories) for changes to source files, plus any
 * `--reload-extra-file`, and call back once things have been quiet for
 * {@link RELOAD_DEBOUNCE_MS} (an editor's save is often several events).
 * The master turns the callback into a graceful reload (as on HUP).
 *
 * Only single directories are watched through the runtime (one watch per
 * directory, added as directories appear), so huge dependency trees never
 * cost a watch, on every runtime alike.
 */
import type { Platform } from "../runtime/platform.ts";
import type { Logger } from "../log/logger.ts";
import type { TimerHandle, Timers } from "../runtime/timers.ts";

/** Quiet time after the last change before reloading. */
export const RELOAD_DEBOUNCE_MS = 200;

/** Upper bound on watched directories (a mistaken root such as `/` must not exhaust inotify). */
export const MAX_WATCHED_DIRECTORIES = 2000;

/** Files whose change triggers a reload inside the watched tree. */
const SOURCE_FILE = /\.(js|mjs|cjs|jsx|ts|mts|cts|tsx|json)$/;

/** Directory names never descended into. */
function skipDirectory(name: string): boolean {
  return name === "node_modules" || name.startsWith(".");
}

/** Options of {@link startReloader}. */
export interface ReloaderOptions {
  rt: Pick<Platform, "listDirectory" | "watchDirectory" | "isDirectory" | "cwd"> & { readonly timers: Timers };
  /** Directory trees whose source files are watched (the app's directory). */
  roots: readonly string[];
  /** Files (any change) or directories (any change inside) also watched. */
  extra: readonly string[];
  logger: Logger;
  /** Called with the path that changed last, after the debounce. */
  onChange(path: string): void;
  debounceMs?: number;
}

/** A running reloader. */
export interface Reloader {
  /** Number of directories being watched. */
  readonly watched: number;
  close(): void;
}

const dirname = (path: string) => path.slice(0, Math.max(path.lastIndexOf("/"), 0)) || "/";
const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);
const join = (dir: string, name: string) => (dir.endsWith("/") ? dir + name : `${dir}/${name}`);

/** Start watching; see the module comment. */
export function startReloader(options: ReloaderOptions): Reloader {
  const { rt, logger } = options;
  const watches = new Map<string, { close(): void }>();
  let timer: TimerHandle | null = null;
  let changed = "";
  let warned = false;
  let closed = false;

  const schedule = (path: string) => {
    if (closed) return;
    changed = path;
    if (timer !== null) rt.timers.clearTimeout(timer);
    timer = rt.timers.setTimeout(() => {
      timer = null;
      if (!closed) options.onChange(changed);
    }, options.debounceMs ?? RELOAD_DEBOUNCE_MS);
  };

  const watch = (dir: string, onName: (name: string) => void): boolean => {
    if (watches.has(dir)) return false;
    if (watches.size >= MAX_WATCHED_DIRECTORIES) {
      if (!warned) logger.warning(`--reload watches at most ${MAX_WATCHED_DIRECTORIES} directories; ignoring the rest`);
      warned = true;
      return false;
    }
    try {
      watches.set(dir, rt.watchDirectory(dir, (name) => name !== null && onName(name)));
      return true;
    } catch (error) {
      logger.debug(`Cannot watch ${dir}: ${String(error)}`);
      return false;
    }
  };

  /** Extra files by directory: any change to these names counts. */
  const extraNames = new Map<string, Set<string>>();
  const extraTrees: string[] = [];
  for (const given of options.extra) {
    const path = given.startsWith("/") ? given : join(rt.cwd(), given);
    if (rt.isDirectory(path)) {
      extraTrees.push(path);
    } else {
      const dir = dirname(path);
      if (!extraNames.has(dir)) extraNames.set(dir, new Set());
      extraNames.get(dir)!.add(basename(path));
    }
  }
  const isExtra = (dir: string, name: string) => extraNames.get(dir)?.has(name) === true;

  /** Watch `dir` and its subdirectories; `any` = every file counts, not only sources. */
  const watchTree = (dir: string, any: boolean) => {
    const added = watch(dir, (name) => {
      const path = join(dir, name);
      if (!skipDirectory(name) && !watches.has(path) && rt.isDirectory(path)) {
        watchTree(path, any); // a new directory: its files count from now on
        return;
      }
      if (any || SOURCE_FILE.test(name) || isExtra(dir, name)) schedule(path);
    });
    if (!added) return;
    let entries;
    try {
      entries = rt.listDirectory(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.directory && !skipDirectory(entry.name)) watchTree(join(dir, entry.name), any);
    }
  };

  for (const root of options.roots) watchTree(root, false);
  for (const tree of extraTrees) watchTree(tree, true);
  // Extra files outside the trees: watch their directory, not the file, since
  // editors replace a file by renaming a new one over it.
  for (const dir of extraNames.keys()) watch(dir, (name) => isExtra(dir, name) && schedule(join(dir, name)));

  return {
    get watched() {
      return watches.size;
    },
    close() {
      closed = true;
      if (timer !== null) rt.timers.clearTimeout(timer);
      for (const watch of watches.values()) watch.close();
      watches.clear();
    },
  };
}
