/**
 * Why an app module failed to import, as one line a user can act on: the
 * runtime's reason, where it happened (`app.js:3:7`, from the error's
 * message or stack, or from the runtime's own syntax check), and for the
 * classic ESM/CommonJS mix-ups what to change.
 */

/** A location in a source file: `path:line[:column]`, `path` absolute. */
export type SourceLocation = string;

/** `file:///x/app.js:3:7`, `/x/app.js:3:7` or `/x/app.js:3` at a line start, after a space or `(`. */
const LOCATION = /(?<=^|[\s(])(?:file:\/\/)?(\/[^\s()'"`]+?):(\d+)(?::(\d+))?(?=[\s)'"`,]|$)/gm;

/**
 * The first source location an error names (message, then stack) in the
 * app's directory tree (`appDir`, ending in `/`) — not in tricorn's own
 * files, which a stack also passes through.
 */
export function locationInError(error: unknown, appDir: string): SourceLocation | null {
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
  for (const match of text.matchAll(LOCATION)) {
    const [, encoded, line, column] = match;
    const path = decodeURIComponent(encoded!);
    if (!path.startsWith(appDir) || path.includes("/node_modules/tricorn/")) continue;
    return column === undefined ? `${path}:${line}` : `${path}:${line}:${column}`;
  }
  return null;
}

/** The directory of an absolute file path, with its trailing `/`. */
const directoryOf = (path: string) => path.slice(0, path.lastIndexOf("/") + 1);

/** What to change for an ESM/CommonJS mix-up, or null. */
export function moduleKindHint(reason: string, file: string): string | null {
  if (/\b(require|module|exports|__dirname|__filename) is not defined\b/.test(reason)) {
    return `${file} is loaded as an ES module (package.json "type": "module", or .mjs): use import/export instead of require/module.exports, or rename it to .cjs`;
  }
  if (/Cannot use import statement outside a module|cannot be used outside of module code|Unexpected token 'export'/.test(reason)) {
    return `${file} is loaded as CommonJS: rename it to .mjs, or set "type": "module" in its package.json`;
  }
  return null;
}

/**
 * The reason part of `cannot load app "FILE": …`: `reason` (the error's
 * first line) plus ` (at app.js:3:7)` unless it names a place already,
 * plus the mix-up hint. `located` is the runtime's own finding for syntax
 * errors that carry no location (Node), else null.
 */
export function describeLoadFailure(reason: string, error: unknown, appPath: string, file: string, located: SourceLocation | null): string {
  let text = reason;
  const dir = directoryOf(appPath);
  const location = located ?? locationInError(error, dir);
  if (location !== null && !/:\d+(:\d+)?\)?$/.test(reason) && !reason.includes(location)) {
    text += ` (at ${location.startsWith(dir) ? location.slice(dir.length) : location})`;
  }
  const hint = moduleKindHint(reason, file);
  return hint === null ? text : `${text}; ${hint}`;
}
