/** tricorn's version; keep in step with package.json (test/unit/settings.test.ts checks). */
export const VERSION = "0.1.0";
