/** Bun app loading: Bun runs JavaScript, TypeScript and CommonJS natively, so this only resolves and imports. */
import { pathToFileURL } from "node:url";
import type { AppLoader } from "../../core/runtime/platform.ts";
import { appLoader as nodeAppLoader } from "../node/load-app.ts";

/** Counter for cache-busting query strings of `fresh` imports. */
let freshImports = 0;

/** Resolves and imports app modules on Bun. */
export const appLoader: AppLoader = {
  // Bun's node:fs and node:path resolve files exactly like Node's.
  resolveFile: nodeAppLoader.resolveFile,
  async importModule(absolute, options) {
    // A query string makes a new module record, so a re-read config file is evaluated again.
    // Bun ignores the query of a file: URL for caching, but honours it on a plain path.
    const specifier = options?.fresh ? `${absolute}?tricorn-fresh=${++freshImports}` : pathToFileURL(absolute).href;
    return (await import(specifier)) as Record<string, unknown>;
  },
};
