/** Bun app loading: Bun runs JavaScript, TypeScript and CommonJS natively, so this only resolves and imports. */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { AppLoader } from "../../core/runtime.ts";

/** Resolves and imports app modules on Bun. */
export const appLoader: AppLoader = {
  resolveFile(file) {
    const absolute = path.resolve(file);
    try {
      return fs.statSync(absolute).isFile() ? absolute : null;
    } catch {
      return null;
    }
  },
  async importModule(absolute) {
    return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  },
};
