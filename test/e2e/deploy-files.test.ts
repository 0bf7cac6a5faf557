/**
 * The files in deploy/ say what tricorn does, checked against tricorn itself:
 * - the tricorn arguments in the Dockerfile's CMD, the Kubernetes args and the
 *   systemd ExecStart parse with tricorn's own command-line parser (a flag
 *   that does not exist, or a bad value, fails here);
 * - the Kubernetes grace period is longer than drain delay + graceful timeout,
 *   and the probes use /readyz and /healthz on the metrics bind;
 * - the Dockerfile is multi-stage, runs as a non-root user, uses exec form;
 * - the Deno permission flags of the Dockerfile are exactly the ones the
 *   Deno entry runs with: a master started with them serves with two
 *   workers, and the workers run with the same flags, not -A;
 * - the systemd units pass `systemd-analyze verify` without a word (skipped,
 *   saying so, where systemd-analyze is missing).
 * No container engine or cluster is used: none is available here.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { parseCommandLine } from "../../core/config/cli.ts";
import { ROOT, TESTED_RUNTIMES, startServersPerTest } from "./harness.ts";
import { request } from "./http-client.ts";

const DEPLOY = path.join(ROOT, "deploy");
const read = (file: string) => fs.readFileSync(path.join(DEPLOY, file), "utf8");
const DOCKERFILE = read("Dockerfile");
const DEPLOYMENT = read("kubernetes/deployment.yaml");
const SERVICE_UNIT = read("systemd/tricorn.service");
const start = startServersPerTest();

/** The JSON array of the Dockerfile instruction `name` in the stage that starts at `stage` (or the first one). */
function execForm(name: string, after = ""): string[] {
  const from = DOCKERFILE.indexOf(after);
  const match = new RegExp(`^${name} (\\[.*\\])$`, "m").exec(DOCKERFILE.slice(from));
  if (!match) throw new Error(`no exec-form ${name} in deploy/Dockerfile`);
  return JSON.parse(match[1]!) as string[];
}

/** tricorn's arguments in the Deployment (`args:` items). */
function kubernetesArgs(): string[] {
  const block = /^\s+args:\n((?:\s+(?:- |#).*\n)+)/m.exec(DEPLOYMENT);
  if (!block) throw new Error("no args: in deploy/kubernetes/deployment.yaml");
  return block[1]!.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("- ")).map((line) => line.slice(2));
}

describe("deploy/", () => {
  test("every tricorn argument in the Dockerfile, the Deployment and the systemd unit parses", () => {
    const execStart = /^ExecStart=(.*)$/m.exec(SERVICE_UNIT)![1]!.split(/\s+/);
    const commands = {
      "Dockerfile CMD": execForm("CMD"),
      "Deployment args": kubernetesArgs(),
      "tricorn.service ExecStart": execStart.slice(execStart.findIndex((word) => word.endsWith("dist/node.js")) + 1),
    };
    for (const [where, args] of Object.entries(commands)) {
      expect(() => parseCommandLine(args, {}), where).not.toThrow();
      expect(parseCommandLine(args, {}).app, where).toBe("app.js");
    }
  });

  test("Kubernetes: the grace period outlasts drain delay plus graceful timeout; probes use the health answers; workers auto", () => {
    const { settings } = parseCommandLine(kubernetesArgs(), {});
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(DEPLOYMENT)![1]);
    expect(settings.drain_delay).toBeGreaterThan(0);
    expect(grace).toBeGreaterThan(settings.drain_delay + settings.graceful_timeout);
    expect(settings.metrics_bind).not.toBeNull();
    expect(DEPLOYMENT).toMatch(/readinessProbe:\n\s+httpGet: \{ path: \/readyz, port: metrics \}/);
    expect(DEPLOYMENT).toMatch(/livenessProbe:\n\s+httpGet: \{ path: \/healthz, port: metrics \}/);
    expect(DEPLOYMENT).toMatch(/- \{ name: metrics, containerPort: 9100 \}/);
    expect(settings.workers).toBe(0); // "auto", resolved from the CPU limit at start-up
  });

  test("Dockerfile: multi-stage, non-root, exec form", () => {
    expect(DOCKERFILE.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(3);
    const user = /^USER (\d+):(\d+)$/m.exec(DOCKERFILE);
    expect(user).not.toBeNull();
    expect(Number(user![1])).toBeGreaterThan(0);
    for (const runtime of ["node", "deno", "bun"]) expect(execForm("ENTRYPOINT", `AS runtime-${runtime}`)[0]).toBe(runtime);
  });

  const denoFlags = execForm("ENTRYPOINT", "AS runtime-deno").filter((arg) => arg.startsWith("--"));
  test.runIf(TESTED_RUNTIMES.includes("deno"))(`Deno: the Dockerfile's permission set (${denoFlags.join(" ")}) serves with 2 workers, which get the same flags`, async () => {
    expect(denoFlags).not.toContain("-A");
    const server = await start({ runtime: "deno", app: path.join(ROOT, "examples/hello/app.js"), args: ["-w", "2"], denoFlags });
    expect(await request(server.port, "/?name=deno")).toMatchObject({ status: 200, body: "Hello, deno!\n" });
    const workers = [...server.stderr().matchAll(/Booting worker with pid: (\d+)/g)].map((match) => Number(match[1]));
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(args).not.toContain("-A");
      for (const flag of denoFlags.filter((arg) => arg.startsWith("--allow-"))) expect(args).toContain(flag);
    }
  }, 60_000);

  test.runIf(TESTED_RUNTIMES.includes("deno"))("Deno: the same set serves on a unix socket (docs/deploy.md)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-deno-perms-"));
    try {
      const socket = path.join(dir, "app.sock");
      const server = await start({ runtime: "deno", app: path.join(ROOT, "examples/hello/app.js"), args: ["-b", `unix:${socket}`], denoFlags });
      expect(await request({ socketPath: socket }, "/?name=unix")).toMatchObject({ status: 200, body: "Hello, unix!\n" });
      await server.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  const analyze = spawnSync("systemd-analyze", ["--version"], { stdio: "ignore" }).status === 0;
  test.skipIf(!analyze)("systemd units (deploy/systemd and the one in docs/deploy.md) pass systemd-analyze verify with no warning (needs systemd-analyze)", () => {
    const docs = fs.readFileSync(path.join(ROOT, "docs/deploy.md"), "utf8");
    const inline = /<!-- tricorn-bind\.service:begin -->\n```ini\n([\s\S]*?)```\n<!-- tricorn-bind\.service:end -->/.exec(docs);
    expect(inline).not.toBeNull();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-units-"));
    try {
      fs.writeFileSync(path.join(dir, "tricorn.service"), inline![1]!);
      for (const units of [[path.join(DEPLOY, "systemd/tricorn.socket"), path.join(DEPLOY, "systemd/tricorn.service")], [path.join(dir, "tricorn.service")]]) {
        const result = spawnSync("systemd-analyze", ["verify", ...units], { encoding: "utf8", timeout: 30_000 });
        expect(result.stdout + result.stderr, units.join(" ")).toBe("");
        expect(result.status).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
