#!/usr/bin/env node
// `tricorn` from npm: runs the esbuild bundle in dist/ for the runtime running
// this file (built by `npm run build`, and automatically by `npm pack`/
// `npm publish` through the prepack script), so `deno run -A npm:tricorn` and
// `bun node_modules/.bin/tricorn` run natively rather than under Node compatibility.
const entry = globalThis.Deno ? "deno.js" : globalThis.process?.versions?.bun ? "bun.js" : "node.js";

import(`../dist/${entry}`).catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes(`dist/${entry}`)) {
    const message = `tricorn: dist/${entry} is missing; run \`npm run build\` first\n`;
    if (globalThis.Deno) {
      Deno.stderr.writeSync(new TextEncoder().encode(message));
      Deno.exit(1);
    }
    process.stderr.write(message);
    process.exit(1);
  }
  throw error;
});
