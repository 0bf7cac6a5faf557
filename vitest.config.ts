import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Run natively by `deno test` and `bun test` (scripts/test.mjs), not by vitest.
    exclude: ["test/deno/**", "test/bun/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
