#!/usr/bin/env node
/**
 * Builds the entry points the npm package runs, by bundling each runtime's
 * main.ts with esbuild:
 *
 *   dist/node.js  `node dist/node.js APP` (bin/tricorn.js on Node)
 *   dist/deno.js  `deno run -A dist/deno.js APP` (bin/tricorn.js on Deno, `deno run -A npm:tricorn`)
 *   dist/bun.js   `bun dist/bun.js APP` (bin/tricorn.js on Bun)
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
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** esbuild options per bundle; Deno and Bun run modern JavaScript, so only Node's target is pinned. */
const BUNDLES = {
  "node.js": { entry: "runtimes/node/main.ts", platform: "node", target: "node20", external: ["esbuild"], banner: "#!/usr/bin/env node" },
  "deno.js": { entry: "runtimes/deno/main.ts", platform: "neutral", target: "esnext", external: ["node:*"] },
  "bun.js": { entry: "runtimes/bun/main.ts", platform: "neutral", target: "esnext", external: ["node:*", "bun", "bun:*"] },
};

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
 * Build every bundle into `outdir` (default dist/); resolves with the path
 * of dist/node.js, the one `node` runs.
 */
export async function build({ outdir = path.join(root, "dist") } = {}) {
  fs.mkdirSync(outdir, { recursive: true });
  await Promise.all(Object.entries(BUNDLES).map(([name, options]) => bundle(options, path.join(outdir, name))));
  return path.join(outdir, "node.js");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outdir = path.join(root, "dist");
  await build({ outdir });
  console.log(`built ${Object.keys(BUNDLES).map((name) => path.relative(process.cwd(), path.join(outdir, name))).join(", ")}`);
}
