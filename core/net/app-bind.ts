/**
 * The `port` and `hostname` of a serve-options-style app export (as Bun's and Deno's `serve` take)
 * (`export default { port: 3000, hostname: "0.0.0.0", fetch }`) as the bind
 * default: honoured only when no bind was given (no `-b`, `TRICORN_BIND`,
 * `bind` in a config file or systemd socket), where an explicit bind wins
 * and the fields are only warned about. Pure: validation, the address and
 * the words for the logs.
 */
import { BindError, DEFAULT_PORT, formatBind, parseBind, type BindAddress } from "./bind.ts";

/** The validated fields (absent ones undefined); what a worker reports to its master. */
export interface AppBindFields {
  port?: number;
  hostname?: string;
}

/** The export fields this module reads. */
const FIELDS = ["port", "hostname"] as const;

/**
 * True for an object literal (prototype Object or null): only those are
 * the option objects of Bun's and Deno's `serve`; a framework's app instance is not.
 */
export function isServeOptionsObject(app: unknown): app is Record<string, unknown> {
  return app !== null && typeof app === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(app));
}

/** Names of the bind fields `app` sets (`["port"]`), in table order; empty for anything but an object literal. */
export function appBindFieldNames(app: unknown): ("port" | "hostname")[] {
  if (!isServeOptionsObject(app)) return [];
  return FIELDS.filter((field) => app[field] !== undefined);
}

/** A value as a message shows it. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  return Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** `hostname` parsed as a bind host (lower-cased, IPv6 without brackets); throws a {@link BindError}. */
function parseHost(hostname: string): string {
  if (hostname === "" || hostname !== hostname.trim() || /[/\[\]]/.test(hostname)) throw new BindError(`not a host: ${JSON.stringify(hostname)}`);
  const bind = parseBind(`${hostname.includes(":") ? `[${hostname}]` : hostname}:0`);
  if (bind.kind !== "tcp") throw new BindError(`not a host: ${JSON.stringify(hostname)}`);
  return bind.host;
}

/**
 * The export's `port` and `hostname`, validated: `port` an integer 0–65535
 * (or a string of digits, as Bun's `serve` takes it), `hostname` a host name or
 * an IPv4/IPv6 address. `label` names the export in the error
 * (`export default`). Throws a {@link BindError} naming the value.
 */
export function appBindFields(app: unknown, label: string): AppBindFields {
  const fields: AppBindFields = {};
  if (!isServeOptionsObject(app)) return fields;
  const { port, hostname } = app;
  if (port !== undefined) {
    const text = typeof port === "number" ? String(port) : typeof port === "string" ? port : "";
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
      throw new BindError(`${label}: \`port\` ${show(port)} is not a port: expected an integer 0-65535`);
    }
    fields.port = Number(text);
  }
  if (hostname !== undefined) {
    const bad = () => new BindError(`${label}: \`hostname\` ${show(hostname)} is not a host: expected a host name or an IP address`);
    if (typeof hostname !== "string") throw bad();
    try {
      fields.hostname = parseHost(hostname);
    } catch {
      throw bad();
    }
  }
  return fields;
}

/** The address to bind: the app's fields over `fallback` (the default bind, `127.0.0.1:8000`). */
export function appBindAddress(fields: AppBindFields, fallback: BindAddress): BindAddress {
  const base = fallback.kind === "tcp" ? fallback : { kind: "tcp" as const, host: "127.0.0.1", port: DEFAULT_PORT };
  return { kind: "tcp", host: fields.hostname ?? base.host, port: fields.port ?? base.port };
}

/**
 * Where an address from {@link appBindAddress} comes from, for the logs and
 * `--check-config`: `from the app's port export`, or `the default; …`.
 */
export function appBindSource(fields: AppBindFields): string {
  const used = FIELDS.filter((field) => fields[field] !== undefined);
  return used.length === 0 ? "the default; the app exports no port or hostname" : `from the app's ${used.join(" and ")} export`;
}

/** The master's start-up log line: `Binding 127.0.0.1:3000 (from the app's port export; no bind given)`. */
export function describeAppBind(bind: BindAddress, fields: AppBindFields): string {
  return `Binding ${formatBind(bind)} (${appBindSource(fields)}; no bind given)`;
}

/**
 * The warning for an app's `port`/`hostname` when a bind was given:
 * the given bind wins. Empty when the app sets neither.
 */
export function overriddenAppBindWarnings(app: unknown, label: string): string[] {
  return appBindFieldNames(app).map(
    (field) => `${label}: \`${field}\` is not used: a bind was given (-b/--bind, TRICORN_BIND or the config file) and wins over the app's port and hostname`,
  );
}
