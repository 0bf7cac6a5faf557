#!/usr/bin/env node
/**
 * Builds the entry points the npm package runs, by bundling each runtime's
 * main.ts with esbuild:
 *
 *   dist/node.js  `node dist/node.js APP` (bin/tricorn.js on Node)
 *   dist/deno.js  `deno run -A dist/deno.js APP` (bin/tricorn.js on Deno, `deno run -A npm:tricorn`)
 *   dist/bun.js   `bun dist/bun.js APP` (bin/tricorn.js on Bun)
 *   dist/api-{node,deno,bun}.js  `import { serve, defineConfig } from "tricorn"`
 *                 (package.json `exports`, one per runtime condition)
 *   dist/ws.js    `import { upgradeWebSocket } from "tricorn/ws"` (runtime-neutral:
 *                 one file for every runtime)
 *   dist/types/   the declarations of both entries (tsc --emitDeclarationOnly;
 *                 with `types: true`, which `npm run build` and `npm pack` use)
 *
 * Runtime modules (`node:*`, `bun`) stay imports; esbuild itself stays
 * external: Node only imports it (lazily, by URL) when a TypeScript app is
 * loaded.
 *
 * Each file is written to a temporary name and renamed into place, so a
 * concurrent build (parallel test files) never exposes a half-written file.
 *
 *   node scripts/build.mjs          (npm run build)
 */
import { build as esbuild } from "esbuild";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** esbuild options per bundle; Deno and Bun run modern JavaScript, so only Node's target is pinned. */
const BUNDLES = {
  "node.js": { entry: "runtimes/node/main.ts", platform: "node", target: "node20", external: ["esbuild"], banner: "#!/usr/bin/env node" },
  "deno.js": { entry: "runtimes/deno/main.ts", platform: "neutral", target: "esnext", external: ["node:*"] },
  "bun.js": { entry: "runtimes/bun/main.ts", platform: "neutral", target: "esnext", external: ["node:*", "bun", "bun:*"] },
  "api-node.js": { entry: "runtimes/node/api.ts", platform: "node", target: "node20", external: ["esbuild"] },
  "api-deno.js": { entry: "runtimes/deno/api.ts", platform: "neutral", target: "esnext", external: ["node:*"] },
  "api-bun.js": { entry: "runtimes/bun/api.ts", platform: "neutral", target: "esnext", external: ["node:*", "bun", "bun:*"] },
  "ws.js": { entry: "adapters/websocket.ts", platform: "neutral", target: "es2022", external: [] },
};

/** The declarations' entry points, relative to dist/types (package.json `exports["."].types`, `exports["./ws"].types`). */
export const TYPES_ENTRIES = ["runtimes/node/api.d.ts", "adapters/websocket.d.ts"];

/**
 * Emit the declarations of both entries into `outdir/types` with tsc: written to a
 * temporary directory, `.ts` import specifiers rewritten to `.js` (what a
 * consumer's TypeScript resolves next to the .d.ts files), then swapped in.
 */
function buildTypes(outdir) {
  const temp = path.join(outdir, `types.${process.pid}.${Date.now()}.tmp`);
  const tsc = path.join(root, "node_modules", ".bin", "tsc");
  const sources = TYPES_ENTRIES.map((entry) => path.join(root, entry.replace(/\.d\.ts$/, ".ts")));
  const args = ["--ignoreConfig", ...sources, "--declaration", "--emitDeclarationOnly", "--outDir", temp, "--rootDir", root,
    "--target", "ES2022", "--module", "ESNext", "--moduleResolution", "Bundler", "--allowImportingTsExtensions", "--strict", "--skipLibCheck",
    "--types", "node", "--lib", "ES2022,DOM,DOM.Iterable"];
  const result = spawnSync(tsc, args, { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`tsc (declarations) failed:\n${result.stdout}${result.stderr}`);
  for (const file of fs.readdirSync(temp, { recursive: true })) {
    if (!String(file).endsWith(".d.ts")) continue;
    const full = path.join(temp, String(file));
    fs.writeFileSync(full, fs.readFileSync(full, "utf8").replace(/((?:from\s+|import\()["'](\.{1,2}\/[^"']*?))\.ts(["'])/g, "$1.js$3"));
  }
  const final = path.join(outdir, "types");
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(temp, final);
}

/** Bundle one runtime's main.ts into `outfile`. */
async function bundle(options, outfile) {
  const result = await esbuild({
    entryPoints: [path.join(root, options.entry)],
    bundle: true,
    platform: options.platform,
    format: "esm",
    target: options.target,
    external: options.external,
    banner: options.banner ? { js: options.banner } : undefined,
    write: false,
    logLevel: "warning",
  });
  const temp = `${outfile}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temp, result.outputFiles[0].contents, { mode: 0o755 });
  fs.renameSync(temp, outfile);
}

/**
 * Build every bundle into `outdir` (default dist/), and with `types` the
 * declarations; resolves with the path of dist/node.js, the one `node` runs.
 */
export async function build({ outdir = path.join(root, "dist"), types = false } = {}) {
  fs.mkdirSync(outdir, { recursive: true });
  await Promise.all(Object.entries(BUNDLES).map(([name, options]) => bundle(options, path.join(outdir, name))));
  if (types) buildTypes(outdir);
  return path.join(outdir, "node.js");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outdir = path.join(root, "dist");
  await build({ outdir, types: true });
  console.log(`built ${[...Object.keys(BUNDLES), "types/"].map((name) => path.relative(process.cwd(), path.join(outdir, name))).join(", ")}`);
}
