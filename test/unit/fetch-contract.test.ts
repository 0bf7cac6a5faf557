/** The fetch contract (test/neutral/fetch-contract-cases.ts) on Node: light classes vs undici's. */
import { it } from "vitest";
import { CONTRACT_CASES } from "../neutral/fetch-contract-cases.ts";

for (const check of CONTRACT_CASES) it(check.name, () => check.run(), 30_000);
