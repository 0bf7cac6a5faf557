/**
 * Command line → settings, derived entirely from the table in
 * core/config/settings.ts. Layers, later wins:
 *   defaults < per-setting environment variables < config file
 *   < $TRICORN_CMD_ARGS < command line.
 * Supports `--flag value`, `--flag=value`, `-w 4`, `-w4`, `--flag`/`--no-flag`
 * for booleans, repeated list flags (`-b a -b b`), `--` and one positional APP.
 */
import { SETTING_ENTRIES, SECTIONS, SettingError, defaultSettings } from "./settings.ts";
import type { SettingDef, SettingName, Settings } from "./settings.ts";
import { InvalidValue } from "./settings-types.ts";

/** Environment variable holding extra command-line options (like `GUNICORN_CMD_ARGS`). */
export const CMD_ARGS_ENV = "TRICORN_CMD_ARGS";

/** Result of {@link parseCommandLine}. */
export interface CommandLine {
  settings: Settings;
  /** The APP argument; null only when `--help` or `--version` was given without one. */
  app: string | null;
  /** Settings some layer set (environment, config file, $TRICORN_CMD_ARGS, command line); the rest are defaults. */
  given: ReadonlySet<SettingName>;
}

/** Environment as a plain lookup (the runtime's environment variables). */
export type Environment = Readonly<Record<string, string | undefined>>;

interface FlagTarget {
  name: SettingName;
  def: SettingDef<unknown>;
  /** `--no-FLAG` form of a boolean. */
  negated: boolean;
}

const FLAGS = new Map<string, FlagTarget>();
for (const [name, def] of SETTING_ENTRIES) {
  for (const flag of def.flags) {
    FLAGS.set(flag, { name, def, negated: false });
    if (def.type === "bool" && def.negatable && flag.startsWith("--")) {
      FLAGS.set(`--no-${flag.slice(2)}`, { name, def, negated: true });
    }
  }
}

/** The `--long-form` used to name a setting in messages. */
function longFlag(def: SettingDef<unknown>): string {
  return def.flags.find((flag) => flag.startsWith("--")) ?? def.flags[0];
}

function withSource<T>(label: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof InvalidValue) throw new SettingError(`${label}: ${error.message}`);
    throw error;
  }
}

/** Levenshtein distance, for "did you mean" hints. */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** `unknown option --x (did you mean --y?)`, or pointing at `--help`; `source` says where it came from. */
function unknownOption(flag: string, source: string | null): SettingError {
  let best = "";
  let bestDistance = 3;
  if (flag.startsWith("--")) {
    for (const known of FLAGS.keys()) {
      const d = distance(flag, known);
      if (known.startsWith("--") && d < bestDistance) [best, bestDistance] = [known, d];
    }
  }
  const notes = [source === null ? "" : `in ${source}`, best ? `did you mean ${best}?` : "see tricorn --help"];
  return new SettingError(`unknown option ${flag} (${notes.filter(Boolean).join("; ")})`);
}

/** True when a token looks like an option rather than a value (`-1` and `-` are values). */
function looksLikeOption(token: string): boolean {
  return token.startsWith("--") ? token.length > 2 : /^-[A-Za-z]/.test(token);
}

interface ParsedArgs {
  values: Map<SettingName, unknown>;
  positionals: string[];
}

/**
 * Parse one token list (argv or $TRICORN_CMD_ARGS). `source` (null for the
 * command line) is named in error messages to say where the tokens came from.
 */
function parseTokens(tokens: readonly string[], source: string | null): ParsedArgs {
  const suffix = source === null ? "" : ` (in ${source})`;
  const values = new Map<SettingName, unknown>();
  const positionals: string[] = [];
  const assign = (target: FlagTarget, raw: string | null) => {
    const { name, def, negated } = target;
    const label = (negated ? `--no-${longFlag(def).slice(2)}` : longFlag(def)) + suffix;
    if (def.type === "bool") {
      if (negated && raw !== null) throw new SettingError(`${label}: takes no value`);
      if (!def.negatable && raw !== null) throw new SettingError(`${label}: takes no value`);
      values.set(name, raw === null ? !negated : withSource(label, () => def.parse(raw)));
      return;
    }
    if (raw === null) throw new SettingError(`${label}: missing value (usage: ${longFlag(def)} ${def.metavar || "VALUE"})`);
    const value = withSource(label, () => def.parse(raw));
    if (def.type === "list") {
      const previous = (values.get(name) as unknown[] | undefined) ?? [];
      values.set(name, [...previous, ...(value as unknown[])]);
    } else {
      values.set(name, value);
    }
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === "--") {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    if (token.startsWith("--")) {
      const eq = token.indexOf("=");
      const flag = eq < 0 ? token : token.slice(0, eq);
      const target = FLAGS.get(flag);
      if (!target) throw unknownOption(flag, source);
      if (eq >= 0) {
        assign(target, token.slice(eq + 1));
      } else if (target.def.type === "bool") {
        assign(target, null);
      } else {
        const next = tokens[i + 1];
        if (next === undefined || looksLikeOption(next)) assign(target, null);
        else assign(target, tokens[++i]);
      }
      continue;
    }
    if (token.length > 1 && token.startsWith("-") && !/^-\d/.test(token)) {
      const flag = token.slice(0, 2);
      const target = FLAGS.get(flag);
      if (!target) throw unknownOption(token, source);
      const attached = token.slice(2);
      if (target.def.type === "bool") {
        if (attached !== "") throw unknownOption(token, source);
        assign(target, null);
      } else if (attached !== "") {
        assign(target, attached.startsWith("=") ? attached.slice(1) : attached);
      } else {
        const next = tokens[i + 1];
        if (next === undefined || looksLikeOption(next)) assign(target, null);
        else assign(target, tokens[++i]);
      }
      continue;
    }
    positionals.push(token);
  }
  return { values, positionals };
}

/** Values from the per-setting environment variables (first one set wins; empty = unset). */
function parseEnvironment(env: Environment): Map<SettingName, unknown> {
  const values = new Map<SettingName, unknown>();
  for (const [name, def] of SETTING_ENTRIES) {
    const variable = def.env.find((key) => (env[key] ?? "") !== "");
    if (variable === undefined) continue;
    const raw = env[variable] as string;
    withSource(variable, () => {
      if (def.type === "list") {
        // Lists in variables are comma-separated (`TRICORN_BIND=127.0.0.1:80,unix:/x`).
        values.set(name, raw.split(",").flatMap((item) => (def.parse(item.trim()) as unknown[])));
      } else {
        values.set(name, def.parse(raw));
      }
    });
  }
  return values;
}

/**
 * Split a string into words like a POSIX shell would (for $TRICORN_CMD_ARGS):
 * whitespace separates, single quotes are literal, double quotes allow `\"`
 * and `\\`, a backslash outside quotes escapes the next character.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new SettingError(`${CMD_ARGS_ENV}: unterminated ' quote`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= text.length) throw new SettingError(`${CMD_ARGS_ENV}: unterminated " quote`);
        if (text[i] === '"') break;
        if (text[i] === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) i++;
        word += text[i];
      }
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * Resolve settings and the APP argument from the command line and the
 * environment. Throws {@link SettingError} with a one-line message naming the
 * offending option and value. `config` holds already-validated values from a
 * config file (layered between the environment and $TRICORN_CMD_ARGS).
 */
export function parseCommandLine(argv: readonly string[], env: Environment, config: Partial<Settings> = {}): CommandLine {
  const settings = defaultSettings() as Record<string, unknown>;
  const given = new Set<SettingName>();
  const fromCmdArgs = env[CMD_ARGS_ENV] ? parseTokens(splitShellWords(env[CMD_ARGS_ENV] as string), CMD_ARGS_ENV) : null;
  const fromArgv = parseTokens(argv, null);
  for (const layer of [parseEnvironment(env), new Map(Object.entries(config)), fromCmdArgs?.values, fromArgv.values]) {
    for (const [name, value] of layer ?? []) {
      settings[name] = value;
      given.add(name as SettingName);
    }
  }
  if (fromCmdArgs && fromCmdArgs.positionals.length > 0) {
    throw new SettingError(`${CMD_ARGS_ENV}: unexpected argument ${JSON.stringify(fromCmdArgs.positionals[0])} (give APP on the command line)`);
  }
  const resolved = settings as Settings;
  const [app, extra] = fromArgv.positionals;
  if (extra !== undefined) {
    throw new SettingError(`unexpected argument ${JSON.stringify(extra)} (only one APP may be given)`);
  }
  if (app === undefined) {
    if (resolved.help || resolved.version || resolved.print_config) return { settings: resolved, app: null, given };
    throw new SettingError("missing APP argument (usage: tricorn [OPTIONS] APP; see --help)");
  }
  return { settings: resolved, app, given };
}

function flagColumn(def: SettingDef<unknown>): string {
  const flags = def.flags.filter((flag, i) => i === 0 || !flag.includes("_"));
  let text = flags.join(", ");
  if (def.type === "bool" && def.negatable) text = `${longFlag(def)}, --no-${longFlag(def).slice(2)}`;
  if (def.metavar && def.type !== "bool") text += ` ${def.metavar}`;
  return text;
}

/** Default and environment notes shown after a setting's doc in `--help`. */
function notes(def: SettingDef<unknown>): string {
  const parts: string[] = [];
  if (def.type !== "bool" || def.negatable) parts.push(`default: ${def.showDefault(def.default)}`);
  if (def.env.length > 0) parts.push(`env: ${def.env.join(", ")}`);
  return parts.length ? ` [${parts.join("; ")}]` : "";
}

/** Total width `--help` wraps to. */
const HELP_WIDTH = 100;

/** Greedy word wrap; a word longer than `width` gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

/** `--help` text: usage, APP syntax, then every setting with its default, by section. */
export function renderHelp(): string {
  const lines = [
    "usage: tricorn [OPTIONS] APP",
    "       tricorn ctl [--control-socket PATH] [--json] status|stats|reload|stop|workers add|remove N",
    "       (ask a running server; see tricorn ctl --help)",
    "",
    "Serve APP over HTTP/1.1 with a gunicorn-style server.",
    "",
    "APP is path/to/app.(js|mjs|cjs|ts|mts)[:EXPORT]: a module exporting a fetch app",
    "(Hono, or any object with fetch(request)) or a gateway app (environ, startResponse).",
    "Without :EXPORT the `default` export is used, then one named `app`.",
    "",
    `Options also come from a config file (-c), ${CMD_ARGS_ENV} (same syntax) and the`,
    "listed environment variables. Later wins: defaults < environment variables <",
    `config file < ${CMD_ARGS_ENV} < command line.`,
  ];
  const width = Math.min(32, Math.max(...SETTING_ENTRIES.map(([, def]) => flagColumn(def).length)) + 2);
  for (const section of SECTIONS) {
    lines.push("", `${section}:`);
    for (const [, def] of SETTING_ENTRIES) {
      if (def.section !== section) continue;
      const column = flagColumn(def);
      const [first, ...rest] = wrap(`${def.doc}${notes(def)}`, HELP_WIDTH - width - 2);
      const indent = " ".repeat(width + 2);
      if (column.length + 2 > width) lines.push(`  ${column}`, indent + first);
      else lines.push(`  ${column.padEnd(width)}${first}`);
      for (const line of rest) lines.push(indent + line);
    }
  }
  return lines.join("\n") + "\n";
}
