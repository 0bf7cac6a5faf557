/**
 * The Deno master's permissions, passed on to the workers it spawns.
 * With every permission granted: `-A`. Otherwise the exact permission flags
 * it was started with, scopes included (`--allow-read=.`,
 * `--allow-write=/run/app`): Deno exposes neither its flags
 * (`process.execArgv` is empty) nor a scope through `Deno.permissions`, and
 * reading `/proc/<pid>/cmdline` needs `--allow-all`, so a one-off
 * `deno eval` (which has all permissions, like any program `--allow-run`
 * lets the master start; it runs the same Deno executable as the workers,
 * so `--allow-run=<deno>` suffices) prints the master's command line
 * (Linux, once, bounded by {@link COMMAND_LINE_TIMEOUT_MS}). Relative paths in
 * a scope are made absolute against the directory Deno resolved them in, so
 * a worker started after `--chdir` gets the same grant. Where that fails,
 * each permission granted without a scope is passed as `--allow-NAME`, and
 * the master warns that scoped ones are not.
 */

/** Permissions a worker may inherit when only {@link queriedPermissionFlags} is possible. */
const PERMISSIONS = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;

/** Deno's one-letter permission flags (`-R` = `--allow-read`, …; `-A` all, `-P` a config permission set). */
const SHORT_PERMISSION_FLAGS = /^-[ARWNESIP]+$|^-[ARWNESIP]=/;

/** Long permission flags, with an optional `=scope`. */
const LONG_PERMISSION_FLAG = /^--(?:allow-all|(?:allow|deny)-(?:read|write|net|env|run|sys|ffi|import)|permission-set|no-prompt)(?:=|$)/;

/** Flags whose scope is a list of paths, which Deno resolves against its working directory. */
const PATH_SCOPED = /^(--(?:allow|deny)-(?:read|write|ffi)|-[RW])=(.*)$/;

/** Where Deno resolved relative scopes: the working directory at start-up, before `--chdir`. */
const LAUNCH_DIRECTORY = (() => {
  try {
    return Deno.cwd();
  } catch {
    return null;
  }
})();

/** `path` made absolute against `base` (`.` → base, `./x`, `x`, `../x`). */
function absolute(path: string, base: string): string {
  if (path.startsWith("/") || path === "") return path;
  const parts = base.split("/");
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/") || "/";
}

/**
 * The permission flags in a Deno command line (`argv`: executable, then
 * `run` and flags, the script, then `scriptArgs` arguments of its own),
 * with relative path scopes made absolute against `cwd` (null: left as
 * they are). Other flags (`--unstable-*`, `--config`, `--watch`, …) are
 * not permissions and are left out.
 */
export function permissionFlagsFrom(argv: readonly string[], scriptArgs: number, cwd: string | null): string[] {
  const end = argv.length - scriptArgs - 1;
  const flags: string[] = [];
  for (const arg of argv.slice(1, Math.max(1, end))) {
    if (!SHORT_PERMISSION_FLAGS.test(arg) && !LONG_PERMISSION_FLAG.test(arg)) continue;
    const scoped = cwd === null ? null : PATH_SCOPED.exec(arg);
    flags.push(scoped === null ? arg : `${scoped[1]}=${scoped[2]!.split(",").map((path) => absolute(path, cwd!)).join(",")}`);
  }
  return flags;
}

/** Each permission granted without a scope, as `--allow-NAME` (`-A` when all are). */
export function queriedPermissionFlags(): string[] {
  const granted = PERMISSIONS.filter((name) => {
    try {
      return Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted";
    } catch {
      return false;
    }
  });
  return granted.length === PERMISSIONS.length ? ["-A"] : granted.map((name) => `--allow-${name}`);
}

/** Bound on the `deno eval` that reads the master's command line. */
export const COMMAND_LINE_TIMEOUT_MS = 5000;

/** This process's command line (read by a `deno eval` child, see the module comment), or why not. */
async function ownCommandLine(): Promise<string[] | string> {
  if (Deno.build.os !== "linux") return `no /proc on ${Deno.build.os}`;
  const script = `console.log(JSON.stringify(Deno.readTextFileSync("/proc/${Deno.pid}/cmdline").split("\\0")))`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), COMMAND_LINE_TIMEOUT_MS);
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script],
      env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    if (!output.success) return `deno eval exited with ${output.signal ?? output.code}: ${new TextDecoder().decode(output.stderr).trim().split("\n")[0]}`;
    const argv = JSON.parse(new TextDecoder().decode(output.stdout)) as string[];
    if (argv.at(-1) === "") argv.pop();
    return argv;
  } catch (error) {
    return error instanceof Error ? error.message.split("\n")[0]! : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** The flags for the workers, and a warning when scoped grants could not be passed on (null: none). */
export interface InheritedPermissions {
  flags: string[];
  warning: string | null;
}

/** Where {@link inheritedPermissions} gets its facts (tests replace them). */
export interface PermissionSources {
  /** The permissions granted without a scope ({@link queriedPermissionFlags}). */
  queried?: string[];
  /** This process's command line, or why it cannot be read. */
  readCommandLine?: () => Promise<string[] | string>;
}

/** The master's own permissions as flags for its workers (see the module comment). */
export async function inheritedPermissions(sources: PermissionSources = {}): Promise<InheritedPermissions> {
  const queried = sources.queried ?? queriedPermissionFlags();
  if (queried.includes("-A")) return { flags: queried, warning: null };
  const argv = await (sources.readCommandLine ?? ownCommandLine)();
  if (typeof argv !== "string") return { flags: permissionFlagsFrom(argv, Deno.args.length, LAUNCH_DIRECTORY), warning: null };
  return {
    flags: queried,
    warning:
      `cannot read the master's Deno flags (${argv}), so workers get only the permissions granted without a scope (${queried.join(" ") || "none"}); ` +
      "a scoped grant such as --allow-read=DIR is not passed on: give such flags unscoped",
  };
}
