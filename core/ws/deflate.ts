/**
 * permessage-deflate (RFC 7692): negotiating the extension and its
 * parameters from a client's `Sec-WebSocket-Extensions` offers, and
 * compressing/decompressing whole messages through raw-deflate streams that
 * the runtime provides ({@link DeflateCodec}), so this module stays free of
 * runtime APIs.
 */
import { CLOSE_INVALID_PAYLOAD, CLOSE_TOO_BIG, WebSocketError } from "./protocol.ts";

/** A raw DEFLATE stream (no zlib header) that keeps its window across calls. */
export interface RawDeflater {
  /** Compresses `data` and ends with a sync flush (output ends in `00 00 ff ff`). */
  deflate(data: Uint8Array): Promise<Uint8Array>;
  /** Frees the stream. */
  close(): void;
}

/** A raw INFLATE stream that keeps its window across calls. */
export interface RawInflater {
  /**
   * Decompresses `data` (a complete sync-flushed block sequence).
   * Rejects with {@link InflateLimitError} once the output would exceed `limit` bytes (0 = no limit).
   */
  inflate(data: Uint8Array, limit: number): Promise<Uint8Array>;
  /** Frees the stream. */
  close(): void;
}

/** Raised by a {@link RawInflater} when the output exceeds its limit. */
export class InflateLimitError extends Error {
  constructor(limit: number) {
    super(`decompressed message exceeds ${limit} bytes`);
    this.name = "InflateLimitError";
  }
}

/** Creates raw deflate/inflate streams (implemented by each runtime, e.g. with node:zlib). */
export interface DeflateCodec {
  /** @param windowBits 9–15 */
  createDeflater(windowBits: number, level: number): RawDeflater;
  /** @param windowBits 8–15 */
  createInflater(windowBits: number): RawInflater;
}

/** Agreed parameters of one connection. */
export interface DeflateParams {
  /** The server starts every message with a fresh compressor. */
  serverNoContextTakeover: boolean;
  /** The client starts every message with a fresh compressor (so we reset our inflater too). */
  clientNoContextTakeover: boolean;
  /** LZ77 window of the server's compressor. */
  serverMaxWindowBits: number;
  /** LZ77 window of the client's compressor (size of our inflater's window). */
  clientMaxWindowBits: number;
}

/** Server policy for the extension. */
export interface DeflatePolicy {
  /** Ask the client for no context takeover too? (never forced; kept when the client offers it) */
  serverNoContextTakeover: boolean;
  /** Messages smaller than this are sent uncompressed (compression does not pay for them). */
  threshold: number;
  /** zlib level 0–9. */
  level: number;
}

/** One parsed extension offer: a name and its parameters (`null` = parameter without a value). */
export interface ExtensionOffer {
  name: string;
  params: [string, string | null][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits `s` at `sep` outside quoted strings. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) i++;
    else if (c === sep && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1). Returns null when
 * it is malformed (then no extension is used).
 */
export function parseExtensions(value: string): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  if (value.trim() === "") return offers;
  for (const item of splitOutsideQuotes(value, ",")) {
    const parts = splitOutsideQuotes(item, ";").map((p) => p.trim());
    const name = parts[0];
    if (!TOKEN.test(name)) return null;
    const params: [string, string | null][] = [];
    for (const part of parts.slice(1)) {
      const eq = part.indexOf("=");
      if (eq < 0) {
        if (!TOKEN.test(part)) return null;
        params.push([part.toLowerCase(), null]);
        continue;
      }
      const key = part.slice(0, eq).trim();
      let val = part.slice(eq + 1).trim();
      if (val.length >= 2 && val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, "$1");
      if (!TOKEN.test(key) || !TOKEN.test(val)) return null;
      params.push([key.toLowerCase(), val]);
    }
    offers.push({ name: name.toLowerCase(), params });
  }
  return offers;
}

function windowBits(value: string | null): number {
  if (value === null || !/^[0-9]{1,2}$/.test(value)) return -1;
  const bits = Number(value);
  return bits >= 8 && bits <= 15 ? bits : -1;
}

/** Parameters for one acceptable permessage-deflate offer, or null to decline it. */
function acceptOffer(offer: ExtensionOffer, policy: DeflatePolicy): DeflateParams | null {
  const params: DeflateParams = {
    serverNoContextTakeover: policy.serverNoContextTakeover,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  let clientBitsOffered = false;
  const seen = new Set<string>();
  for (const [key, value] of offer.params) {
    if (seen.has(key)) return null; // RFC 7692 §7: a repeated parameter declines the offer
    seen.add(key);
    switch (key) {
      case "server_no_context_takeover":
        if (value !== null) return null;
        params.serverNoContextTakeover = true;
        break;
      case "client_no_context_takeover":
        if (value !== null) return null;
        params.clientNoContextTakeover = true;
        break;
      case "server_max_window_bits": {
        const bits = windowBits(value);
        // zlib cannot produce a raw stream with an 8-bit window; decline rather than lie.
        if (bits < 9) return null;
        params.serverMaxWindowBits = bits;
        break;
      }
      case "client_max_window_bits":
        if (value !== null) {
          const bits = windowBits(value);
          if (bits < 0) return null;
          params.clientMaxWindowBits = bits;
        }
        clientBitsOffered = true;
        break;
      default:
        return null; // unknown parameter
    }
  }
  if (!clientBitsOffered) params.clientMaxWindowBits = 15;
  return params;
}

/** The outcome of negotiation: the agreed parameters and the response header value. */
export interface DeflateAgreement {
  params: DeflateParams;
  /** `Sec-WebSocket-Extensions` response value. */
  header: string;
}

/**
 * Picks the first acceptable permessage-deflate offer from a
 * `Sec-WebSocket-Extensions` request value (RFC 7692 §5, §7.1); null when
 * none is acceptable (the connection then runs without compression).
 */
export function negotiateDeflate(extensions: string, policy: DeflatePolicy): DeflateAgreement | null {
  const offers = parseExtensions(extensions);
  if (offers === null) return null;
  for (const offer of offers) {
    if (offer.name !== "permessage-deflate") continue;
    const params = acceptOffer(offer, policy);
    if (params === null) continue;
    let header = "permessage-deflate";
    if (params.serverNoContextTakeover) header += "; server_no_context_takeover";
    if (params.clientNoContextTakeover) header += "; client_no_context_takeover";
    if (offer.params.some(([key]) => key === "server_max_window_bits")) header += `; server_max_window_bits=${params.serverMaxWindowBits}`;
    if (offer.params.some(([key, value]) => key === "client_max_window_bits" && value !== null)) {
      header += `; client_max_window_bits=${params.clientMaxWindowBits}`;
    }
    return { params, header };
  }
  return null;
}

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const EMPTY_BLOCK = new Uint8Array([0x00]);

/** Compresses and decompresses the messages of one connection with the agreed parameters. */
export class PerMessageDeflate {
  readonly params: DeflateParams;
  readonly threshold: number;
  private readonly codec: DeflateCodec;
  private readonly level: number;
  private deflater: RawDeflater | null = null;
  private inflater: RawInflater | null = null;

  constructor(codec: DeflateCodec, params: DeflateParams, policy: DeflatePolicy) {
    this.codec = codec;
    this.params = params;
    this.threshold = policy.threshold;
    this.level = policy.level;
  }

  /** The payload of one compressed message (RFC 7692 §7.2.1: the sync-flush tail removed). */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const deflater = (this.deflater ??= this.codec.createDeflater(this.params.serverMaxWindowBits, this.level));
    let out = await deflater.deflate(data);
    if (this.params.serverNoContextTakeover) this.resetDeflater();
    if (out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 && out[out.length - 2] === 0xff && out[out.length - 1] === 0xff) {
      out = out.subarray(0, out.length - 4);
    }
    return out.length === 0 ? EMPTY_BLOCK : out;
  }

  /**
   * The message of one compressed payload (RFC 7692 §7.2.2).
   * @throws WebSocketError 1009 when it inflates beyond `limit` bytes, 1007 when it is not valid DEFLATE data
   */
  async decompress(payload: Uint8Array, limit: number): Promise<Uint8Array> {
    const inflater = (this.inflater ??= this.codec.createInflater(this.params.clientMaxWindowBits));
    const input = new Uint8Array(payload.length + 4);
    input.set(payload);
    input.set(TAIL, payload.length);
    let out: Uint8Array;
    try {
      out = await inflater.inflate(input, limit);
    } catch (error) {
      this.resetInflater();
      if (error instanceof InflateLimitError) throw new WebSocketError(CLOSE_TOO_BIG, error.message);
      throw new WebSocketError(CLOSE_INVALID_PAYLOAD, `invalid compressed message: ${(error as Error).message}`);
    }
    if (this.params.clientNoContextTakeover) this.resetInflater();
    return out;
  }

  /** Frees both streams (connection closed). */
  close(): void {
    this.resetDeflater();
    this.resetInflater();
  }

  private resetDeflater(): void {
    const d = this.deflater;
    this.deflater = null;
    if (d !== null) d.close();
  }

  private resetInflater(): void {
    const i = this.inflater;
    this.inflater = null;
    if (i !== null) i.close();
  }
}
