#!/usr/bin/env node
/**
 * Writes docs/settings.md from the settings table (core/config/settings-docs.ts), so
 * the reference cannot drift from the code; test/unit/settings-docs.test.ts
 * fails when the file is stale.
 *
 *   npm run docs:settings            (write docs/settings.md)
 *   node scripts/docs-settings.mjs --check   (exit 1 if it is stale)
 */
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const target = path.join(root, "docs", "settings.md");

// Node runs no TypeScript: bundle the generator in memory and import it from a data: URL.
const result = await build({
  entryPoints: [path.join(root, "core", "config", "settings-docs.ts")],
  bundle: true,
  platform: "neutral",
  format: "esm",
  write: false,
  logLevel: "warning",
});
const source = Buffer.from(result.outputFiles[0].contents).toString("base64");
const { renderSettingsMarkdown } = await import(`data:text/javascript;base64,${source}`);
const text = renderSettingsMarkdown();

if (process.argv.includes("--check")) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
  if (current !== text) {
    console.error("docs/settings.md is stale: run npm run docs:settings");
    process.exit(1);
  }
  console.log("docs/settings.md is up to date");
} else {
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)}`);
}
