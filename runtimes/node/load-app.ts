/**
 * Node app loading. JavaScript apps are imported as they are. TypeScript apps
 * (.ts/.mts) get module hooks (node:module `register`) that transpile every
 * TypeScript file they import with esbuild, so relative `.ts` imports,
 * `import.meta.url` and bare package imports all behave as in Deno and Bun.
 * esbuild is only looked for when a TypeScript app is loaded.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire, register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { AppLoadError } from "../../core/config/app-spec.ts";
import type { AppLoader } from "../../core/runtime/platform.ts";

/** Loader hooks, run by Node in its hooks thread; `__ESBUILD__` is replaced by esbuild's URL. */
const HOOKS = `
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import esbuild from "__ESBUILD__";
const TS = /\\.(ts|mts|tsx)(\\?[^/]*)?$/;
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    // TypeScript convention: "./x.js" in a .ts file means "./x.ts".
    if (error?.code === "ERR_MODULE_NOT_FOUND" && /^\\.\\.?\\//.test(specifier) && /\\.m?js$/.test(specifier) &&
        context.parentURL && TS.test(context.parentURL)) {
      return next(specifier.replace(/\\.(m?)js$/, ".$1ts"), context);
    }
    throw error;
  }
}
export async function load(url, context, next) {
  if (!url.startsWith("file:") || !TS.test(url)) return next(url, context);
  const file = fileURLToPath(url);
  const { code } = await esbuild.transform(await readFile(file, "utf8"), {
    loader: file.endsWith("x") ? "tsx" : "ts", format: "esm", target: "node20",
    sourcefile: file, sourcemap: "inline",
  });
  return { format: "module", source: code, shortCircuit: true };
}
`;

let hooksRegistered = false;
/** Counter for cache-busting query strings of `fresh` imports. */
let freshImports = 0;

/** Find esbuild next to the app first, then next to tricorn. */
function findEsbuild(appPath: string): string {
  for (const base of [appPath, import.meta.url]) {
    try {
      return pathToFileURL(createRequire(base).resolve("esbuild")).href;
    } catch {
      // try the next place
    }
  }
  throw new AppLoadError(`cannot load TypeScript app "${path.basename(appPath)}" on Node: esbuild is not installed (npm install -D esbuild)`);
}

/** esbuild's URL for the hooks; throws an AppLoadError naming the fix when this Node cannot load TypeScript. */
function typeScriptSupport(appPath: string): string {
  if (typeof register !== "function") {
    throw new AppLoadError(`TypeScript apps need Node >= 20.6 (this is ${process.version}); compile the app to JavaScript`);
  }
  return findEsbuild(appPath);
}

function registerTypeScriptHooks(appPath: string): void {
  if (hooksRegistered) return;
  const source = HOOKS.replace("__ESBUILD__", typeScriptSupport(appPath));
  register(`data:text/javascript,${encodeURIComponent(source)}`);
  hooksRegistered = true;
}

/** True for the TypeScript extensions Node needs esbuild for. */
const isTypeScript = (file: string) => /\.(ts|mts)$/.test(file);

/** Resolves and imports app modules on Node. */
export const appLoader: AppLoader = {
  resolveFile(file) {
    const absolute = path.resolve(file);
    try {
      return fs.statSync(absolute).isFile() ? absolute : null;
    } catch {
      return null;
    }
  },
  checkLoadable(absolute) {
    if (isTypeScript(absolute)) typeScriptSupport(absolute);
  },
  locateSyntaxError(absolute) {
    // Node prints where a module's SyntaxError is only when it is uncaught; `node --check` says it.
    if (isTypeScript(absolute)) return null;
    const result = spawnSync(process.execPath, ["--check", absolute], { encoding: "utf8", timeout: 10_000 });
    const [where, , caret] = (result.stderr ?? "").split("\n");
    const line = where?.startsWith(`${absolute}:`) ? where.slice(absolute.length + 1) : null;
    if (line === null || !/^\d+$/.test(line)) return null;
    const column = caret === undefined ? -1 : caret.indexOf("^");
    return column < 0 ? `${absolute}:${line}` : `${absolute}:${line}:${column + 1}`;
  },
  async importModule(absolute, options) {
    if (isTypeScript(absolute)) registerTypeScriptHooks(absolute);
    const url = pathToFileURL(absolute).href + (options?.fresh ? `?tricorn-fresh=${++freshImports}` : "");
    return (await import(url)) as Record<string, unknown>;
  },
};
