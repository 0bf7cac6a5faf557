/**
 * Building blocks of the settings table (core/config/settings.ts): the shape of one
 * setting and typed constructors (`int`, `list`, `choice`, …) that attach the
 * right validator. Each validator returns the parsed value or throws an
 * {@link InvalidValue} whose message the caller prefixes with where the value
 * came from (`--workers`, `WEB_CONCURRENCY`), giving a {@link SettingError}.
 */

/** A bad option, option value or argument. Message is one line, ready for `tricorn: <message>`. */
export class SettingError extends Error {
  override name = "SettingError";
}

/** Thrown by validators; the message lacks the source, which the caller adds. */
export class InvalidValue extends Error {
  override name = "InvalidValue";
}

/** How a setting's value is written and parsed. */
export type SettingType = "string" | "int" | "float" | "bool" | "list" | "choice";

/** One declared setting. `T` is the parsed value type. */
export interface SettingDef<T> {
  readonly type: SettingType;
  /** Command-line spellings, short first (`["-w", "--workers"]`). */
  readonly flags: readonly string[];
  /** Environment variables read for it, first one set wins (`[]` for none). */
  readonly env: readonly string[];
  readonly default: T;
  /** Placeholder in `--help` (`INT`, `ADDRESS`). */
  readonly metavar: string;
  readonly doc: string;
  readonly section: string;
  /** For `choice`: the allowed values. */
  readonly choices?: readonly string[];
  /** For `bool`: whether `--no-FLAG` exists (false for actions like `--help`). */
  readonly negatable?: boolean;
  /**
   * Parse one textual occurrence. For `list` settings this yields the items
   * of one occurrence; repeated flags concatenate.
   */
  parse(raw: string): T;
  /** How the default is shown in `--help` and docs. */
  showDefault(value: T): string;
}

/** Value type of a setting definition. */
export type ValueOf<D> = D extends SettingDef<infer T> ? T : never;

interface Common {
  flags: readonly string[];
  env?: readonly string[];
  doc: string;
  section: string;
  metavar?: string;
}

const quote = (raw: string) => JSON.stringify(raw);
const showPlain = (value: unknown) => (value === null ? "(none)" : String(value));

/** Integer setting; `min`/`max` inclusive. Rejects `4.5`, `1e3`, ``. */
export function int(o: Common & { default: number; min?: number; max?: number }): SettingDef<number> {
  const min = o.min ?? 0;
  const expected =
    o.max !== undefined
      ? `an integer ${min}-${o.max}`
      : min === 1
        ? "a positive integer"
        : min === 0
          ? "a non-negative integer"
          : `an integer >= ${min}`;
  return {
    type: "int",
    flags: o.flags,
    env: o.env ?? [],
    default: o.default,
    metavar: o.metavar ?? "INT",
    doc: o.doc,
    section: o.section,
    parse(raw) {
      const text = raw.trim();
      const value = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value) || value < min || (o.max !== undefined && value > o.max)) {
        throw new InvalidValue(`expected ${expected}, got ${quote(raw)}`);
      }
      return value;
    },
    showDefault: showPlain,
  };
}

/** Non-negative decimal number (seconds and the like). */
export function float(o: Common & { default: number }): SettingDef<number> {
  return {
    type: "float",
    flags: o.flags,
    env: o.env ?? [],
    default: o.default,
    metavar: o.metavar ?? "SECONDS",
    doc: o.doc,
    section: o.section,
    parse(raw) {
      const text = raw.trim();
      const value = /^\+?(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(value)) throw new InvalidValue(`expected a non-negative number, got ${quote(raw)}`);
      return value;
    },
    showDefault: showPlain,
  };
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/** Boolean switch: `--flag` / `--no-flag`, or `--flag=yes|no|true|false|1|0|on|off`. */
export function bool(o: Common & { default: boolean; negatable?: boolean }): SettingDef<boolean> {
  return {
    type: "bool",
    flags: o.flags,
    env: o.env ?? [],
    default: o.default,
    metavar: "",
    doc: o.doc,
    section: o.section,
    negatable: o.negatable ?? true,
    parse(raw) {
      const text = raw.trim().toLowerCase();
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      throw new InvalidValue(`expected true or false, got ${quote(raw)}`);
    },
    showDefault: (value) => (value ? "on" : "off"),
  };
}

/** Free text; `nullable` settings default to null ("not set"). */
export function string<T extends string | null>(o: Common & { default: T; allowEmpty?: boolean }): SettingDef<string | T> {
  return {
    type: "string",
    flags: o.flags,
    env: o.env ?? [],
    default: o.default,
    metavar: o.metavar ?? "STRING",
    doc: o.doc,
    section: o.section,
    parse(raw) {
      if (!o.allowEmpty && raw === "") throw new InvalidValue("expected a non-empty value");
      if (raw.includes("\0")) throw new InvalidValue(`value contains a NUL byte: ${quote(raw)}`);
      return raw;
    },
    showDefault: (value) => (value === null ? "(none)" : value === "" ? '""' : value),
  };
}

/** One of a fixed set of words (matched case-insensitively, stored lower-case). */
export function choice<const C extends string>(o: Common & { default: C; choices: readonly C[] }): SettingDef<C> {
  return {
    type: "choice",
    flags: o.flags,
    env: o.env ?? [],
    default: o.default,
    metavar: o.metavar ?? o.choices.join("|"),
    doc: o.doc,
    section: o.section,
    choices: o.choices,
    parse(raw) {
      const text = raw.trim().toLowerCase() as C;
      if (!o.choices.includes(text)) throw new InvalidValue(`expected one of ${o.choices.join(", ")}, got ${quote(raw)}`);
      return text;
    },
    showDefault: showPlain,
  };
}

/**
 * List setting. Repeating the flag adds items; with `splitCommas` one value
 * may also hold several comma-separated items (always so in environment
 * variables). `parseItem` validates one item.
 */
export function list<I>(
  o: Common & {
    default: readonly I[];
    parseItem(item: string): I;
    showItem(item: I): string;
    splitCommas?: boolean;
  },
): SettingDef<readonly I[]> {
  return {
    type: "list",
    flags: o.flags,
    env: o.env ?? [],
    default: o.default,
    metavar: o.metavar ?? "VALUE",
    doc: o.doc,
    section: o.section,
    parse(raw) {
      const items = o.splitCommas ? raw.split(",").map((item) => item.trim()) : [raw];
      if (o.splitCommas && items.some((item) => item === "")) {
        throw new InvalidValue(`empty item in ${quote(raw)}`);
      }
      return items.map((item) => o.parseItem(item));
    },
    showDefault: (value) => (value.length === 0 ? "(none)" : value.map((item) => o.showItem(item)).join(",")),
  };
}
