/** The fetch contract (test/neutral/fetch-contract-cases.ts) on Deno: light classes vs Deno's own. */
import { CONTRACT_CASES } from "../neutral/fetch-contract-cases.ts";

for (const check of CONTRACT_CASES) Deno.test(check.name, () => check.run());
