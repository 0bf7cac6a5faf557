/**
 * Command-line options of `npm run bench`. Bad values produce a one-line
 * message naming the value (the caller exits 2).
 */

/** Thrown for a bad command-line value. */
export class UsageError extends Error {}

/** The `--help` text. */
export const USAGE = `usage: npm run bench -- [options]

  --quick             hello apps only, single worker, 3 rounds x 2 s (under 2 minutes)
  --only LIST         comma list; keeps servers matching every given kind of token:
                        runtimes  node,deno,bun,python,nginx
                        kinds     tricorn,native,peer
                        apps      gateway,fetch,hono,express,fastify,listener,wsgi,static
                        or exact server ids (see --list)
  --rounds N          interleaved rounds per server (default 3, minimum 3)
  --duration S        seconds per measured wrk run (default 5; quick: 2)
  --warmup S          seconds of warm-up per server and scenario before round 1 (default 1)
  --connections N     wrk connections (default 64)
  --no-pipeline       skip the pipelined scenario
  --no-json           skip the /json scenario (Hono, Express, Fastify)
  --no-workers        skip the 2-worker runs
  --out DIR           where benchmarks.{md,json,svg} go (default docs)
  --no-build          do not run scripts/build.mjs before benchmarking tricorn on Node
  --websocket         WebSocket echo instead: tricorn vs ws / Deno.serve / Bun.serve,
                      32 B and 64 KiB messages (writes benchmarks-websocket.md/.json)
  --list              print the server matrix and what is available, then exit
  --from-json FILE    re-render benchmarks.md/.svg (and .json) into --out from a saved
                      benchmarks.json, without measuring
  -h, --help          this text`;

const FILTER_GROUPS = {
  runtime: ["node", "deno", "bun", "python", "nginx"],
  kind: ["tricorn", "native", "peer"],
  app: ["gateway", "fetch", "hono", "express", "fastify", "listener", "wsgi", "static"],
};

/** Parses argv (without node and script). */
export function parseOptions(argv) {
  const o = {
    quick: false,
    only: null,
    rounds: 3,
    duration: null,
    warmup: 1,
    connections: 64,
    pipeline: true,
    json: true,
    workers: true,
    out: "docs",
    build: true,
    list: false,
    fromJson: null,
    websocket: false,
    help: false,
  };
  const intArg = (name, value, min) => {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) {
      throw new UsageError(`${name} needs an integer >= ${min}, got ${JSON.stringify(value ?? "")}`);
    }
    return Number(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--quick": o.quick = true; break;
      case "--only": o.only = parseOnly(value()); break;
      case "--rounds": o.rounds = intArg("--rounds", value(), 3); break;
      case "--duration": o.duration = intArg("--duration", value(), 1); break;
      case "--warmup": o.warmup = intArg("--warmup", value(), 0); break;
      case "--connections": o.connections = intArg("--connections", value(), 1); break;
      case "--no-pipeline": o.pipeline = false; break;
      case "--no-json": o.json = false; break;
      case "--no-workers": o.workers = false; break;
      case "--out": {
        const v = value();
        if (!v) throw new UsageError("--out needs a directory");
        o.out = v;
        break;
      }
      case "--no-build": o.build = false; break;
      case "--list": o.list = true; break;
      case "--websocket": o.websocket = true; break;
      case "--from-json": {
        const v = value();
        if (!v) throw new UsageError("--from-json needs a file");
        o.fromJson = v;
        break;
      }
      case "-h": case "--help": o.help = true; break;
      default: throw new UsageError(`unknown option ${JSON.stringify(raw)} (see --help)`);
    }
  }
  if (o.duration === null) o.duration = o.quick ? 2 : 5;
  if (o.quick) {
    o.pipeline = false;
    o.json = false;
    o.workers = false;
  }
  return o;
}

function parseOnly(value) {
  if (!value) throw new UsageError("--only needs a comma list, e.g. --only node,deno");
  const tokens = value.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
  const filter = { runtime: [], kind: [], app: [], id: [] };
  for (const t of tokens) {
    const group = Object.keys(FILTER_GROUPS).find((g) => FILTER_GROUPS[g].includes(t));
    (group ? filter[group] : filter.id).push(t);
  }
  return filter;
}

/**
 * Applies --only: a server stays when, for every token group given, it
 * matches one token of that group; ids listed explicitly are always kept.
 * Unknown ids are reported as a usage error.
 */
export function applyOnly(defs, only) {
  if (!only) return defs;
  const ids = new Set(defs.map((d) => d.id));
  const unknown = only.id.filter((id) => !ids.has(id));
  if (unknown.length) throw new UsageError(`--only: unknown token ${JSON.stringify(unknown[0])} (see --list)`);
  const grouped = only.runtime.length + only.kind.length + only.app.length > 0;
  return defs.filter((d) => {
    if (only.id.includes(d.id)) return true;
    if (!grouped) return false;
    return (
      (only.runtime.length === 0 || only.runtime.includes(d.runtime)) &&
      (only.kind.length === 0 || only.kind.includes(d.kind)) &&
      (only.app.length === 0 || only.app.includes(d.app))
    );
  });
}
