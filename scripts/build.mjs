#!/usr/bin/env node
/**
 * Builds dist/node.js, the Node entry point (`node dist/node.js APP`), by
 * bundling runtimes/node/main.ts with esbuild. esbuild itself stays external:
 * it is only imported (lazily, by URL) when a TypeScript app is loaded.
 *
 * The file is written to a temporary name and renamed into place, so a
 * concurrent build (parallel test files) never exposes a half-written file.
 *
 *   node scripts/build.mjs          (npm run build)
 */
import { build as esbuild } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Bundle runtimes/node/main.ts into `outfile` (default dist/node.js); resolves with its path. */
export async function build({ outfile = path.join(root, "dist", "node.js") } = {}) {
  const result = await esbuild({
    entryPoints: [path.join(root, "runtimes", "node", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["esbuild"],
    banner: { js: "#!/usr/bin/env node" },
    write: false,
    logLevel: "warning",
  });
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const temp = `${outfile}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temp, result.outputFiles[0].contents, { mode: 0o755 });
  fs.renameSync(temp, outfile);
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outfile = await build();
  console.log(`built ${path.relative(process.cwd(), outfile)}`);
}
