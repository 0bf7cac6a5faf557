/**
 * Deno's scoped permissions (docs/deploy.md, "Deno permissions"): the
 * minimal set the docs give is run exactly as written, from a project
 * directory holding the app and node_modules/tricorn/dist/deno.js; a worker
 * answers, and every worker got the master's flags with their scopes (a
 * relative path made absolute), never `-A`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, ensureBuilt, startServersPerTest } from "./harness.ts";
import { request } from "./http-client.ts";

const DEPLOY_DOC = fs.readFileSync(path.join(ROOT, "docs/deploy.md"), "utf8");
const BLOCK = /<!-- deno-minimal-permissions:begin -->\n```sh\n([\s\S]*?)```\n<!-- deno-minimal-permissions:end -->/.exec(DEPLOY_DOC);
/** The documented command line: `deno run FLAGS SCRIPT ARGS`. */
const COMMAND = (BLOCK?.[1] ?? "").split("\n").find((line) => line.startsWith("deno run ")) ?? "";
const WORDS = COMMAND.split(/\s+/).filter((word) => word !== "");
const SCRIPT_AT = WORDS.findIndex((word, i) => i > 1 && !word.startsWith("-"));
const FLAGS = WORDS.slice(2, SCRIPT_AT);
const SCRIPT = WORDS[SCRIPT_AT] ?? "";
const ARGS = WORDS.slice(SCRIPT_AT + 1);

const start = startServersPerTest("SIGTERM", 10_000);
const project = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-deno-scoped-"));
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

describe.runIf(TESTED_RUNTIMES.includes("deno"))("deno", () => {
  test("docs/deploy.md has the minimal set as one `deno run` line, scoped, without -A", () => {
    expect(BLOCK, "the deno-minimal-permissions block in docs/deploy.md").not.toBeNull();
    expect(SCRIPT).toBe("node_modules/tricorn/dist/deno.js");
    expect(FLAGS).not.toContain("-A");
    expect(FLAGS.some((flag) => /^--allow-read=/.test(flag))).toBe(true);
  });

  test(`the documented set (${FLAGS.join(" ")}) serves from a worker, and the workers get the same scoped grants`, async () => {
    await ensureBuilt();
    fs.mkdirSync(path.join(project, "node_modules/tricorn/dist"), { recursive: true });
    fs.copyFileSync(path.join(ROOT, "dist/deno.js"), path.join(project, SCRIPT));
    fs.copyFileSync(path.join(ROOT, "examples/hello/app.js"), path.join(project, "app.js"));
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ type: "module" }));
    const server = await start({ runtime: "deno", denoScript: SCRIPT, denoFlags: FLAGS, cwd: project, app: ARGS.at(-1)!, args: ARGS.slice(0, -1) });
    expect(await request(server.port, "/?name=scoped")).toMatchObject({ status: 200, body: "Hello, scoped!\n" });
    const workers = [...server.stderr().matchAll(/Booting worker with pid: (\d+)/g)].map((match) => Number(match[1]));
    expect(workers.length).toBeGreaterThanOrEqual(2);
    // Deno resolved `.` in the project directory; the workers get that directory by name.
    const expected = FLAGS.map((flag) => flag.replace(/^(--allow-(?:read|write)=)(.*)$/, (_all, name: string, list: string) => name + list.split(",").map((item) => (item.startsWith("/") ? item : path.join(project, item))).join(",")));
    for (const pid of workers) {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(argv).not.toContain("-A");
      expect(argv.slice(2, 2 + expected.length)).toEqual(expected);
    }
    expect(server.stderr()).not.toMatch(/cannot read this process's command line/);
    await server.stop();
  }, 60_000);
});
