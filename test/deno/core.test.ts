/** The runtime-neutral core checks (test/neutral/core-cases.ts) under `deno test`. */
import { CORE_CASES } from "../neutral/core-cases.ts";

for (const check of CORE_CASES) Deno.test(check.name, () => check.run());
