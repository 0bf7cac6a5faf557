/**
 * The APP argument: `path/to/file.(ts|js|mjs|cjs|mts)[:export]`, and picking
 * the app object out of the imported module. Pure: the runtime resolves and
 * imports the file; this module only interprets names and namespaces.
 */

/** Extensions tricorn can load an app from on every runtime. */
export const APP_EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".mts"] as const;

/** Exports tried, in order, when APP names none. */
export const DEFAULT_EXPORTS = ["default", "app"] as const;

/** A start-up problem with the app (bad spec, missing file or export, not an app). One-line message. */
export class AppLoadError extends Error {
  override name = "AppLoadError";
}

/** Parsed APP argument. */
export interface AppSpec {
  /** File path as given (relative to the working directory or absolute). */
  file: string;
  /** Export named after the last `:`, or null to try {@link DEFAULT_EXPORTS}. */
  exportName: string | null;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Split APP into file and export. Splits on the last `:` only when what
 * follows is a JavaScript identifier, so paths containing colons still work.
 */
export function parseAppSpec(spec: string): AppSpec {
  if (spec.trim() === "") throw new AppLoadError("APP is empty (expected path/to/app.js[:export])");
  const colon = spec.lastIndexOf(":");
  let file = spec;
  let exportName: string | null = null;
  if (colon >= 0 && IDENTIFIER.test(spec.slice(colon + 1))) {
    file = spec.slice(0, colon);
    exportName = spec.slice(colon + 1);
  } else if (colon === spec.length - 1) {
    throw new AppLoadError(`APP ${JSON.stringify(spec)} has an empty export name after ':'`);
  }
  if (file === "") throw new AppLoadError(`APP ${JSON.stringify(spec)} has no file before ':'`);
  if (!APP_EXTENSIONS.some((ext) => file.endsWith(ext))) {
    throw new AppLoadError(`APP file ${JSON.stringify(file)} must end in ${APP_EXTENSIONS.join(", ")}`);
  }
  return { file, exportName };
}

/** What {@link locateApp} needs from the runtime: its file lookup and working directory. */
export interface AppFileLookup {
  /** Absolute path of `file` if it exists and is a regular file, else null. */
  resolveFile(file: string): string | null;
  cwd(): string;
}

/** A parsed APP argument and the absolute path of its file. */
export interface LocatedApp {
  spec: AppSpec;
  path: string;
}

/**
 * Parse APP and find its file. Throws {@link AppLoadError} naming the file
 * (and, for a relative path, the directory it was looked for in).
 */
export function locateApp(lookup: AppFileLookup, app: string): LocatedApp {
  const spec = parseAppSpec(app);
  const path = lookup.resolveFile(spec.file);
  if (path === null) {
    const where = spec.file.startsWith("/") ? "" : ` in ${lookup.cwd()}`;
    throw new AppLoadError(`cannot find app file ${JSON.stringify(spec.file)}${where}; check the path`);
  }
  return { spec, path };
}

/**
 * The npm package an import error says is missing, or null: Node and Bun say
 * `Cannot find package 'NAME' imported from …`, Deno says `Import "NAME/sub"
 * not a dependency`. Relative and absolute imports are not packages.
 */
export function missingPackage(message: string): string | null {
  const found = /^Cannot find package '([^']+)'/.exec(message) ?? /^Import "([^"]+)" not a dependency/.exec(message);
  if (found === null) return null;
  const specifier = found[1].replace(/^npm:/, "");
  if (/^[./]|^[a-z][a-z0-9+.-]*:/i.test(specifier)) return null;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  // A version in an npm: specifier (`npm:hono@4`) is not part of the name.
  return name.replace(/(.)@.*$/, "$1");
}

/** Last path segment, for messages (`src/app.ts` → `app.ts`). */
export function baseName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1);
}

function listExports(names: string[]): string {
  return names.length === 0 ? "it exports nothing" : `exports: ${names.join(", ")}`;
}

/** The export chosen by {@link pickExport}. */
export interface PickedExport {
  name: string;
  value: unknown;
}

/**
 * Pick the app from a module namespace: the named export when given, else
 * `default`, then `app`. For CommonJS modules (namespace has only `default`)
 * a property of `module.exports` counts as a named export.
 */
export function pickExport(namespace: Record<string, unknown>, spec: AppSpec): PickedExport {
  const names = Object.keys(namespace).filter((name) => name !== "module.exports" && name !== "__esModule");
  const commonjs = namespace.default;
  const lookup = (name: string): unknown => {
    if (name in namespace && namespace[name] !== undefined) return namespace[name];
    if (name !== "default" && commonjs !== null && typeof commonjs === "object" && name in commonjs) {
      return (commonjs as Record<string, unknown>)[name];
    }
    return undefined;
  };
  const file = baseName(spec.file);
  if (spec.exportName !== null) {
    const value = lookup(spec.exportName);
    if (value === undefined) {
      throw new AppLoadError(`${file} has no export ${JSON.stringify(spec.exportName)} (${listExports(names)})`);
    }
    return { name: spec.exportName, value };
  }
  for (const name of DEFAULT_EXPORTS) {
    const value = lookup(name);
    if (value !== undefined) return { name, value };
  }
  throw new AppLoadError(
    `${file} has no default export and no export named "app" (${listExports(names)}); name one with ${spec.file}:NAME`,
  );
}
