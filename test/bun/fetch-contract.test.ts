/** The fetch contract (test/neutral/fetch-contract-cases.ts) on Bun: light classes vs Bun's own. */
import { test } from "bun:test";
import { CONTRACT_CASES } from "../neutral/fetch-contract-cases.ts";

for (const check of CONTRACT_CASES) test(check.name, () => check.run(), 30_000);
