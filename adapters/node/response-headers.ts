/**
 * The outgoing header store of a Node-style response, with node:http's
 * rules: names are case-insensitive but keep the case they were set with,
 * values are strings, numbers or string arrays (one line each), invalid
 * names or values throw at `setHeader` time like node:http does.
 */
import type { HeaderList } from "../../core/http/types.ts";

/** A header value as node:http accepts it. */
export type OutgoingValue = string | number | readonly string[];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Names that passed the token check (apps reuse a handful): later checks are one lookup. */
const validNames = new Set<string>();
const VALID_NAMES_MAX = 512;

/** True when `value` has only HTAB, visible ASCII, SP or obs-text (what may follow `name: `). */
function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** node:http's `ERR_INVALID_HTTP_TOKEN` / `ERR_INVALID_CHAR` / `ERR_HTTP_INVALID_HEADER_VALUE`, as TypeErrors with a `code`. */
function headerError(code: string, message: string): TypeError {
  const error = new TypeError(message);
  (error as TypeError & { code: string }).code = code;
  return error;
}

/** Throws like node:http when `name`/`value` cannot be sent. */
export function checkHeader(name: string, value: unknown): void {
  if (!validNames.has(name)) {
    if (typeof name !== "string" || !TOKEN.test(name)) {
      throw headerError("ERR_INVALID_HTTP_TOKEN", `Header name must be a valid HTTP token ["${String(name)}"]`);
    }
    if (validNames.size < VALID_NAMES_MAX) validNames.add(name);
  }
  if (value === undefined) {
    throw headerError("ERR_HTTP_INVALID_HEADER_VALUE", `Invalid value "undefined" for header "${name}"`);
  }
  if (Array.isArray(value)) {
    for (const item of value) checkHeader(name, item);
    return;
  }
  if (!isFieldValue(typeof value === "string" ? value : String(value))) {
    throw headerError("ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
}

/** One stored header: the name as the app spelled it and its value. */
type Entry = [name: string, value: OutgoingValue];

/** Header store keyed by lower-cased name (a null-prototype record: no `__proto__` surprises). */
export class OutgoingHeaders {
  private entries: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
  /** Number of stored names (0 lets the response skip building a list). */
  size = 0;

  set(name: string, value: OutgoingValue): void {
    const key = name.toLowerCase();
    if (this.entries[key] === undefined) this.size++;
    this.entries[key] = [name, Array.isArray(value) ? [...value] : value];
  }

  get(name: string): OutgoingValue | undefined {
    return this.entries[name.toLowerCase()]?.[1];
  }

  has(name: string): boolean {
    return this.entries[name.toLowerCase()] !== undefined;
  }

  remove(name: string): void {
    const key = name.toLowerCase();
    if (this.entries[key] === undefined) return;
    delete this.entries[key];
    this.size--;
  }

  /** node:http's `appendHeader`: turns the stored value into a list and adds `value` to it. */
  append(name: string, value: OutgoingValue): void {
    const old = this.get(name);
    if (old === undefined) {
      this.set(name, value);
      return;
    }
    const list = Array.isArray(old) ? [...old] : [String(old)];
    if (Array.isArray(value)) list.push(...value.map(String));
    else list.push(String(value));
    this.entries[name.toLowerCase()][1] = list;
  }

  /** `getHeaders()`: lower-cased names → values, on a null-prototype object like node:http's. */
  record(): Record<string, OutgoingValue> {
    const out = Object.create(null) as Record<string, OutgoingValue>;
    for (const key in this.entries) out[key] = this.entries[key][1];
    return out;
  }

  /** `getHeaderNames()`: lower-cased. */
  names(): string[] {
    return Object.keys(this.entries);
  }

  /** `getRawHeaderNames()`: as the app spelled them. */
  rawNames(): string[] {
    const out: string[] = [];
    for (const key in this.entries) out.push(this.entries[key][0]);
    return out;
  }

  /** Flat list for the serializer; an array value gives one line per item. */
  list(): HeaderList {
    const out: HeaderList = [];
    for (const key in this.entries) {
      const [name, value] = this.entries[key];
      if (Array.isArray(value)) for (const item of value) out.push(name, String(item));
      else out.push(name, typeof value === "string" ? value : String(value));
    }
    return out;
  }
}
