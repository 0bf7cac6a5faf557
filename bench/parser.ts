/**
 * Micro-benchmark of the request parser (core/http/parser.ts) against the
 * runtime's built-in `HTTPParser` binding (llhttp on Node), on a small GET, on
 * a request with ~1 KiB of headers repeated verbatim (one keep-alive client),
 * and on 64 such requests whose values differ (no value repeats back to back).
 * The "+ latin1Slice" rows install `Buffer.prototype.latin1Slice` through
 * setLatin1Decoder, as a runtime entry point may. Runs unchanged on Node
 * (esbuild bundle), Deno and Bun:
 *   npm run bench:parser
 * Prints requests and MB per CPU second per case (CPU time, so other load on
 * the machine skews the figures less). Numbers are for comparison on one
 * machine only; nothing here asserts a speed. BENCH_MS sets the CPU time per case.
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { setLatin1Decoder } from "../core/http/chars.ts";
import { RequestParser } from "../core/http/parser.ts";
import type { RequestHead } from "../core/http/types.ts";
import { createBuiltinParser } from "./llhttp-harness.ts";

declare const Deno: { version: { deno: string } } | undefined;
declare const Bun: { version: string } | undefined;

const runtime = typeof Bun !== "undefined"
  ? `bun ${Bun.version}`
  : typeof Deno !== "undefined"
  ? `deno ${Deno.version.deno}`
  : `node ${process.version}`;

const enc = new TextEncoder();

const SMALL_TEXT = "GET /plaintext HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: wrk/4.2\r\nAccept: */*\r\n\r\n";

function largeText(n: number): string {
  const hex = (x: number, w: number) => (x >>> 0).toString(16).padStart(w, "0").slice(-w);
  return `GET /api/v1/items/${12345 + n}?include=owner,tags&sort=-created HTTP/1.1\r\n` +
    "Host: app.example.com\r\n" +
    "Connection: keep-alive\r\n" +
    'sec-ch-ua: "Chromium";v="128", "Not;A=Brand";v="24", "Google Chrome";v="128"\r\n' +
    "sec-ch-ua-mobile: ?0\r\n" +
    'sec-ch-ua-platform: "Linux"\r\n' +
    "Upgrade-Insecure-Requests: 1\r\n" +
    `User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.${n % 97}.0 Safari/537.36\r\n` +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
    "Sec-Fetch-Site: same-origin\r\n" +
    "Sec-Fetch-Mode: navigate\r\n" +
    "Sec-Fetch-User: ?1\r\n" +
    "Sec-Fetch-Dest: document\r\n" +
    `Referer: https://app.example.com/dashboard?tab=items&page=${n % 10}\r\n` +
    "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
    "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n" +
    `Cookie: session=${hex(n * 2654435761, 8)}7d6c5b4a39281706f5e4d3c2b1a0; csrftoken=Zx81kLmN0pQrStUvWxYz${hex(n, 8)}; theme=dark; ` +
    "_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000\r\n" +
    `X-Forwarded-For: 203.0.113.${n % 250}, 198.51.100.23\r\n` +
    `X-Request-Id: ${hex(n * 40503, 8)}-4d5a-4e6f-9a0b-${hex(n * 7919, 12)}\r\n` +
    "\r\n";
}

/** Socket chunks are Buffers on Node (a Uint8Array subclass), plain Uint8Arrays elsewhere. */
const NodeBuffer = typeof Bun === "undefined" && typeof Deno === "undefined"
  ? (globalThis as unknown as { Buffer?: { from(a: Uint8Array): Uint8Array } }).Buffer
  : undefined;
const input = (text: string): Uint8Array => (NodeBuffer ? NodeBuffer.from(enc.encode(text)) : enc.encode(text));

/** Identical requests, as one keep-alive client sends them. */
const SMALL = [input(SMALL_TEXT)];
const LARGE = [input(largeText(0))];
/** 64 requests whose target, user agent, cookie, addresses and ids differ: no value repeats back to back. */
const LARGE_VARIED = Array.from({ length: 64 }, (_, n) => input(largeText(n + 1)));

/** CPU milliseconds used by this process so far (user + system): stable on a shared machine, unlike wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `fn(iterations)` in growing batches for about `ms` CPU milliseconds; returns iterations per CPU second. */
function measure(fn: (n: number) => void, ms: number): number {
  let n = 1000;
  // warm-up: let the JIT settle
  const warmEnd = cpuMs() + ms / 3;
  while (cpuMs() < warmEnd) fn(n);
  let total = 0;
  const start = cpuMs();
  let now = start;
  while (now - start < ms) {
    fn(n);
    total += n;
    now = cpuMs();
    if (now - start < ms / 10) n *= 2;
  }
  return (total * 1000) / (now - start);
}

function tricornRunner(inputs: Uint8Array[]): (n: number) => void {
  let sink = 0;
  const parser = new RequestParser(
    { limitRequestLine: 4094, limitRequestFields: 100, limitRequestFieldSize: 8190, limitRequestBody: 0 },
    {
      onHead(h: RequestHead) {
        sink += h.headers.length;
      },
      onBody() {},
      onTrailers() {},
      onComplete() {
        sink++;
      },
    },
  );
  const mask = inputs.length - 1;
  return (n) => {
    for (let i = 0; i < n; i++) {
      const input = inputs[i & mask];
      if (parser.execute(input) !== input.length) throw new Error("tricorn parser did not consume the request");
    }
    if (sink < 0) throw new Error("unreachable");
  };
}

/** The tricorn parser with the runtime's `Buffer.prototype.latin1Slice` installed as its latin1 decoder. */
function tricornNativeRunner(inputs: Uint8Array[]): (n: number) => void {
  const run = tricornRunner(inputs);
  const slice = Buffer.prototype.latin1Slice as unknown as (this: Uint8Array, s: number, e: number) => string;
  return (n) => {
    setLatin1Decoder((b, s, e) => slice.call(b, s, e));
    try {
      run(n);
    } finally {
      setLatin1Decoder(null);
    }
  };
}

function builtinRunner(inputs: Uint8Array[]): ((n: number) => void) | null {
  const p = createBuiltinParser();
  if (p === null) return null;
  try {
    for (const input of inputs) p.execute(input);
  } catch {
    return null;
  }
  if (p.completed !== inputs.length) return null;
  const mask = inputs.length - 1;
  return (n) => {
    for (let i = 0; i < n; i++) p.execute(inputs[i & mask]);
  };
}

const ms = Number(process.env.BENCH_MS) || 1500;
const rows: string[][] = [];
const cases: [string, Uint8Array[]][] = [
  ["small GET", SMALL],
  ["~1 KiB headers", LARGE],
  ["~1 KiB headers, varied", LARGE_VARIED],
];
for (const [label, inputs] of cases) {
  const input = inputs[0];
  const runners: [string, ((n: number) => void) | null][] = [
    ["tricorn", tricornRunner(inputs)],
    ["tricorn + latin1Slice", tricornNativeRunner(inputs)],
    ["builtin HTTPParser", builtinRunner(inputs)],
  ];
  for (const [name, run] of runners) {
    if (run === null) {
      rows.push([runtime, `${label} (${input.length} B)`, name, "n/a", "n/a"]);
      continue;
    }
    const rps = measure(run, ms);
    rows.push([
      runtime,
      `${label} (${input.length} B)`,
      name,
      Math.round(rps).toLocaleString("en-US"),
      ((rps * inputs.reduce((a, b) => a + b.length, 0)) / inputs.length / 1e6).toFixed(1),
    ]);
  }
}
const header = ["runtime", "case", "parser", "requests/cpu-s", "MB/cpu-s"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
console.log(line(header));
for (const r of rows) console.log(line(r));
