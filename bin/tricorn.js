#!/usr/bin/env node
// `tricorn` on Node: runs the esbuild bundle in dist/ (built by `npm run build`,
// and automatically by `npm pack`/`npm publish` through the prepack script).
import("../dist/node.js").catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/node.js")) {
    process.stderr.write("tricorn: dist/node.js is missing; run `npm run build` first\n");
    process.exit(1);
  }
  throw error;
});
