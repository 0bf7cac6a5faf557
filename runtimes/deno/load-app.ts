/** Deno app loading: Deno runs JavaScript, TypeScript and .cjs natively, so this only resolves and imports. */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AppLoader } from "../../core/runtime/platform.ts";

/** Counter for cache-busting query strings of `fresh` imports. */
let freshImports = 0;

/** Resolves and imports app modules on Deno. */
export const appLoader: AppLoader = {
  resolveFile(file) {
    const absolute = isAbsolute(file) ? file : resolve(Deno.cwd(), file);
    try {
      return Deno.statSync(absolute).isFile ? absolute : null;
    } catch {
      return null;
    }
  },
  async importModule(absolute, options) {
    // A query string makes a new module record, so a re-read config file is evaluated again.
    const url = pathToFileURL(absolute).href + (options?.fresh ? `?tricorn-fresh=${++freshImports}` : "");
    return (await import(url)) as Record<string, unknown>;
  },
};
