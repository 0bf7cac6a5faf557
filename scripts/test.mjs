#!/usr/bin/env node
// Runs every test suite (the README's `npm test`): builds dist, runs the vitest suites
// (unit + end-to-end against Node, Deno and Bun), then the Deno- and Bun-native unit
// suites, and prints one closing line `N passed, M failed` that CI reads.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const extraArgs = process.argv.slice(2);
let passed = 0;
let failed = 0;

/** Runs a command inheriting stdio, returns its exit code. */
function run(cmd, args, capture = false) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    env: capture ? { ...process.env, NO_COLOR: "1" } : process.env,
  });
  if (capture) process.stdout.write(r.stdout ?? "");
  return { code: r.status ?? 1, out: r.stdout ?? "" };
}

const build = run(process.execPath, [join(root, "scripts/build.mjs")]);
if (build.code !== 0) {
  console.log("build failed");
  failed += 1;
}

// Static checks: tsc over core, adapters, the Node runtime and the tests; deno check over the Deno
// runtime; dependency-cruiser for the layer directions and import cycles (.dependency-cruiser.cjs).
if (extraArgs.length === 0) {
  for (const [name, cmd, args] of [
    ["tsc", bin("tsc"), ["-p", "."]],
    ["deno check", bin("deno"), ["check", "runtimes/deno/main.ts", "test/deno/core.test.ts", "test/deno/fetch-contract.test.ts", "test/deno/permissions.test.ts", "test/deno/ws-cleanup.test.ts"]],
    ["dependency rules", bin("depcruise"), ["--config", ".dependency-cruiser.cjs", "core", "adapters", "runtimes"]],
  ]) {
    const check = run(cmd, args);
    console.log(`check (${name}): ${check.code === 0 ? "ok" : "FAILED"}`);
    if (check.code === 0) passed += 1;
    else failed += 1;
  }
}

// vitest: Node-side unit and end-to-end suites.
const dir = mkdtempSync(join(tmpdir(), "tricorn-test-"));
const report = join(dir, "vitest.json");
const vitest = run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...extraArgs]);
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  // A suite that fails to load has no failed test but must still fail the run.
  if (json.numFailedTestSuites > 0 && json.numFailedTests === 0) failed += json.numFailedTestSuites;
} else if (vitest.code !== 0) {
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });

// Deno-native suite (node:assert/strict, since JSR is unreachable).
if (extraArgs.length === 0 && existsSync(join(root, "test/deno"))) {
  const deno = run(bin("deno"), ["test", "-A", "--no-check", "test/deno/"], true);
  const m = deno.out.match(/(\d+) passed[^|\n]*\| (\d+) failed/);
  if (m) { passed += Number(m[1]); failed += Number(m[2]); } else if (deno.code !== 0) failed += 1;
}

// Bun-native suite.
if (extraArgs.length === 0 && existsSync(join(root, "test/bun"))) {
  const r = spawnSync(bin("bun"), ["test", "./test/bun/"], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const text = (r.stdout ?? "") + (r.stderr ?? "");
  process.stdout.write(text);
  const p = text.match(/^\s*(\d+) pass/m);
  const f = text.match(/^\s*(\d+) fail/m);
  if (p) { passed += Number(p[1]); failed += f ? Number(f[1]) : 0; } else if (r.status !== 0) failed += 1;
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
