/**
 * Process-level services a runtime provides (implemented by
 * runtimes/<rt>/platform.ts and load-app.ts): arguments, environment,
 * files, signals, exit, module import. Types only.
 */

/** Signals a serving process reacts to. */
export type SignalName = "SIGTERM" | "SIGINT" | "SIGQUIT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "SIGTTIN" | "SIGTTOU" | "SIGCHLD";

/** A file opened for appending (log files). */
export interface AppendFile {
  /** Append `text` completely, synchronously. */
  write(text: string): void;
  /** Close the file; later writes throw. */
  close(): void;
}

/** One entry of {@link Platform.listDirectory}. */
export interface DirectoryEntry {
  readonly name: string;
  /** A real directory (symbolic links are not followed). */
  readonly directory: boolean;
}

/** A running {@link Platform.watchDirectory} watch. */
export interface DirectoryWatch {
  close(): void;
}

/**
 * Sends one systemd notification (`READY=1`, `STATUS=…` fields) to
 * `$NOTIFY_SOCKET`; resolves once it was delivered or failed (never
 * rejects: `onError` gets a one-line reason).
 */
export type NotifyFn = (fields: readonly string[], onError: (reason: string) => void) => Promise<void>;

/** Process-level services of one runtime. */
export interface Platform {
  /** `"node"`, `"deno"` or `"bun"`. */
  readonly name: string;
  readonly pid: number;
  /** The parent's pid, read anew on every call (it changes when the parent exits). */
  parentPid(): number;
  /** This process's user and group ids (`--user`/`--group` need root to switch). */
  ids(): { uid: number; gid: number };
  /** Change a file's permission bits (unix sockets, `--umask`). Throws when it cannot. */
  chmod(path: string, mode: number): void;
  /** Change a file's owner and group (unix sockets, `--user`/`--group`). Throws when it cannot. */
  chown(path: string, uid: number, gid: number): void;
  /** CPUs this process may run on (`--workers auto`; core applies cgroup quotas itself). */
  cpuCount(): number;
  /** Command-line arguments after the script (what follows the script name). */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Write text to stderr, synchronously enough that it is not lost on exit. */
  writeStderr(text: string): void;
  /** Write text to stdout. */
  writeStdout(text: string): void;
  /** Open `path` for appending (log files), creating it if needed. Throws when it cannot. */
  openAppend(path: string): AppendFile;
  /** Whole file as UTF-8 text (config files). Throws when it cannot. */
  readTextFile(path: string): string;
  /** True when `path` is a directory. */
  isDirectory(path: string): boolean;
  /** Entries of a directory. Throws when it cannot be read. */
  listDirectory(path: string): DirectoryEntry[];
  /**
   * Watch one directory (not its subdirectories): `onChange` gets the name of
   * the entry that changed (null when the runtime cannot tell). Close it
   * when done (on Deno it keeps the process alive); it ends silently if the
   * directory goes away.
   */
  watchDirectory(path: string, onChange: (name: string | null) => void): DirectoryWatch;
  /** Whether stdout/stderr is a terminal (colour in the error log). */
  isTerminal(stream: "stdout" | "stderr"): boolean;
  /** Current working directory. */
  cwd(): string;
  /** Change the working directory (`--chdir`). Throws when it cannot. */
  chdir(path: string): void;
  /** Set an environment variable of this process (inherited by workers spawned later). */
  setEnv(name: string, value: string): void;
  /** Run `handler` synchronously when the process exits (last flush of buffered logs). */
  onExit(handler: () => void): void;
  /** Create or replace a small file (pidfile). */
  writeFile(path: string, text: string): void;
  /** Remove a file; missing files are fine. */
  removeFile(path: string): void;
  /** Resident set size of this process in bytes (-1 when the runtime cannot tell). */
  residentMemory(): number;
  /** Call `handler` on every delivery of `signal`. */
  onSignal(signal: SignalName, handler: () => void): void;
  /** End the process. */
  exit(code: number): never;
  /** systemd notifications (core/arbiter/service-notify.ts). */
  notifyServiceManager: NotifyFn;
}

/** Imports an app module by path (relative to the working directory or absolute). */
export interface AppLoader {
  /** Absolute path of `file` if it exists and is a regular file, else null. */
  resolveFile(file: string): string | null;
  /**
   * Throw an AppLoadError (core/config/app-spec.ts) when the runtime cannot import
   * the file at `path` at all (TypeScript on Node without esbuild), so the
   * master reports it before any worker starts. Absent: always importable.
   */
  checkLoadable?(path: string): void;
  /**
   * For a SyntaxError that names no place (Node's ESM loader keeps it to
   * itself): `path:line:column` of the error in the file at `path`, or null.
   * Absent where errors carry their location (Deno, Bun).
   */
  locateSyntaxError?(path: string, error: unknown): string | null;
  /**
   * Import the module at an absolute path; returns its namespace. `fresh`
   * bypasses the module cache for that one file (a config file re-read on HUP).
   */
  importModule(path: string, options?: { fresh?: boolean }): Promise<Record<string, unknown>>;
}
