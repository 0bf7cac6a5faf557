/** Deno app loading: Deno runs JavaScript, TypeScript and .cjs natively, so this only resolves and imports. */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AppLoader } from "../../core/runtime.ts";

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
  async importModule(absolute) {
    return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  },
};
