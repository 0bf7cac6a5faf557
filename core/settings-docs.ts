/**
 * The settings reference in Markdown, derived from the settings table
 * (core/settings.ts) like `--help`, so docs cannot drift from the code.
 */
import { SECTIONS, SETTING_ENTRIES } from "./settings.ts";
import type { SettingDef } from "./settings.ts";

function flagsOf(def: SettingDef<unknown>): string {
  const flags = def.flags.map((flag) => `\`${flag}${def.type === "bool" ? "" : ` ${def.metavar}`}\``);
  if (def.type === "bool" && def.negatable) {
    const long = def.flags.find((flag) => flag.startsWith("--")) as string;
    flags.push(`\`--no-${long.slice(2)}\``);
  }
  return flags.join(", ");
}

/** Markdown reference of every setting, grouped by section, in `--help` order. */
export function renderSettingsMarkdown(): string {
  const out: string[] = ["# Settings", "", "Generated from core/settings.ts; `tricorn --help` shows the same.", ""];
  for (const section of SECTIONS) {
    out.push(`## ${section}`, "");
    for (const [name, def] of SETTING_ENTRIES) {
      if (def.section !== section) continue;
      out.push(`### ${name}`, "", def.doc, "");
      out.push(`- flags: ${flagsOf(def)}`);
      if (def.type !== "bool" || def.negatable) out.push(`- default: \`${def.showDefault(def.default)}\``);
      if (def.env.length > 0) out.push(`- environment: ${def.env.map((v) => `\`${v}\``).join(", ")}`);
      if (def.choices) out.push(`- one of: ${def.choices.map((c) => `\`${c}\``).join(", ")}`);
      out.push("");
    }
  }
  return out.join("\n");
}
