/** The runtime-neutral core checks (test/neutral/core-cases.ts) under `bun test`. */
import { test } from "bun:test";
import { CORE_CASES } from "../neutral/core-cases.ts";

for (const check of CORE_CASES) test(check.name, () => check.run());
