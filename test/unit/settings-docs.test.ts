/**
 * docs/settings.md is generated from the settings table; this fails when
 * the file is stale (fix: `npm run docs:settings`).
 *
 *   node_modules/.bin/vitest run test/unit/settings-docs.test.ts
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { renderSettingsMarkdown } from "../../core/config/settings-docs.ts";
import { SETTING_ENTRIES } from "../../core/config/settings.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("docs/settings.md", () => {
  test("matches the settings table (run `npm run docs:settings` after changing a setting)", () => {
    const file = fs.readFileSync(path.join(ROOT, "docs", "settings.md"), "utf8");
    expect(file === renderSettingsMarkdown(), "docs/settings.md is stale: run npm run docs:settings").toBe(true);
  });

  test("documents every setting, the precedence order and the access log atoms", () => {
    const md = renderSettingsMarkdown();
    for (const [name] of SETTING_ENTRIES) expect(md).toContain(`### ${name}\n`);
    expect(md).toContain("defaults < environment variables < config file < $TRICORN_CMD_ARGS < command line");
    for (const atom of ["`h`", "`{name}i`", "`L`", "`p`"]) expect(md).toContain(atom);
  });
});
