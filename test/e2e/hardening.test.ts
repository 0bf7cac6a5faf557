/**
 * Process hardening on every runtime: `--workers auto` (CPU count lowered to
 * the cgroup CPU quota), `--umask`, `--user`/`--group` (workers run as an
 * unprivileged user; the unix socket is usable by the proxy's group).
 *
 * The user/group tests need root (to switch users) and `useradd`; they
 * create a system user `tricorn-e2e` once and skip, saying why, elsewhere.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { autoWorkers } from "../../core/config/workers-auto.ts";
import { ROOT, TESTED_RUNTIMES, startServersPerTest, until } from "./harness.ts";
import { request } from "./http-client.ts";

const APP = path.join(ROOT, "test/fixtures/drain-app.js");
const start = startServersPerTest();

/** What `auto` must come to here, from the same files the server reads. */
function expectedAuto(): { workers: number; reason: string } {
  return autoWorkers(os.availableParallelism(), (file) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return null;
    }
  });
}

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  test("TRICORN_WORKER_ID numbers workers in spawn order; a replacement gets the next number", async () => {
    const server = await start({ runtime, app: path.join(ROOT, "test/fixtures/worker-id-app.js"), args: ["-w", "1"] });
    expect(await request(server.port, "/")).toMatchObject({ status: 200, body: "1\n" });
    process.kill(server.pid, "SIGHUP");
    await server.waitForStderr(/Reload complete/, 20_000);
    // The old worker may still be closing its listener: ask until the new one answers.
    const seen = new Set<string>();
    await until(async () => {
      const answer = await request(server.port, "/");
      seen.add(answer.body);
      return answer.body === "2\n";
    }, () => `worker 2 to answer; answers so far: ${[...seen].join(", ")}`);
    expect([...seen].every((body) => body === "1\n" || body === "2\n")).toBe(true);
  }, 60_000);

  test("--workers auto starts one worker per usable CPU", async () => {
    const { workers, reason } = expectedAuto();
    const server = await start({ runtime, app: APP, args: ["--workers", "auto"] });
    expect(server.stderr()).toContain(`--workers auto: ${workers} (${reason})`);
    expect(server.stderr().match(/Booting worker with pid/g)).toHaveLength(workers);
    expect(await request(server.port, "/")).toMatchObject({ status: 200, body: "ok\n" });
  }, 60_000);
});

/** The test user (workers) and the proxy's group (socket access). */
const USER = "tricorn-e2e";
const PROXY_GROUP = "tricorn-e2e-proxy";
const ROOT_USER = process.getuid?.() === 0;
const CAN_ADD_USERS = ROOT_USER && spawnSync("useradd", ["--help"], { stdio: "ignore" }).status === 0 && spawnSync("setpriv", ["--help"], { stdio: "ignore" }).status === 0;

/** `Uid:`/`Gid:` of a running process (real ids), from /proc. */
function idsOf(pid: number): { uid: number; gid: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), gid: Number(/^Gid:\s+(\d+)/m.exec(status)![1]) };
}

/** Exit status of a GET over `socket` made by a client running as `uid`/`gid` with no other groups (setpriv). */
function getAs(uid: number, gid: number, socket: string): string {
  const script = `require("http").get({ socketPath: ${JSON.stringify(socket)}, path: "/" }, (r) => { console.log(r.statusCode); r.resume(); }).on("error", (e) => { console.log(e.code); })`;
  return execFileSync("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", process.execPath, "-e", script], { encoding: "utf8", timeout: 10_000 }).trim();
}

describe.skipIf(!CAN_ADD_USERS)("--user, --group, --umask (needs root, useradd and setpriv)", () => {
  let uid = 0;
  let userGid = 0;
  let proxyGid = 0;
  beforeAll(() => {
    // Exit code 9: already exists (an earlier run).
    for (const [command, args] of [["groupadd", ["--system", PROXY_GROUP]], ["useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER]]] as const) {
      const result = spawnSync(command, args, { encoding: "utf8" });
      if (result.status !== 0 && result.status !== 9) throw new Error(`${command} failed: ${result.stderr}`);
    }
    uid = Number(execFileSync("id", ["-u", USER], { encoding: "utf8" }));
    userGid = Number(execFileSync("id", ["-g", USER], { encoding: "utf8" }));
    proxyGid = Number(execFileSync("getent", ["group", PROXY_GROUP], { encoding: "utf8" }).split(":")[2]);
  });

  describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
    test("workers run as --user/--group; the unix socket gets their owner and mode 0777 & ~umask; the master stays root", async () => {
      // The socket's directory belongs to the user, as systemd's RuntimeDirectory= would make it (Deno and Bun workers bind themselves).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-user-"));
      fs.chownSync(dir, uid, userGid);
      fs.chmodSync(dir, 0o755);
      const socket = path.join(dir, "app.sock");
      try {
        const server = await start({
          runtime,
          app: APP,
          // Deno and Bun workers cannot share a unix socket: -w 2 is refused there, so one worker.
          args: ["-b", `unix:${socket}`, "-w", runtime === "node" ? "2" : "1", "--user", USER, "--group", PROXY_GROUP, "--umask", "007"],
          // Deno keeps its module cache under $HOME (root's, unreadable to the user): give the workers one they can use.
          env: runtime === "deno" ? { DENO_DIR: sharedDenoDir() } : {},
        });
        expect(server.stderr()).toContain(`Workers run as ${USER} (uid ${uid}), group ${PROXY_GROUP} (gid ${proxyGid})`);
        const workers = [...server.stderr().matchAll(/Booting worker with pid: (\d+)/g)].map((match) => Number(match[1]));
        expect(workers.length).toBeGreaterThan(0);
        for (const pid of workers) expect(idsOf(pid)).toEqual({ uid, gid: proxyGid });
        expect(idsOf(server.pid)).toEqual({ uid: 0, gid: 0 });
        const stat = fs.statSync(socket);
        expect({ mode: stat.mode & 0o777, uid: stat.uid, gid: stat.gid }).toEqual({ mode: 0o770, uid, gid: proxyGid });
        // A proxy in the group connects; anybody else is refused by the file mode.
        expect(getAs(65534, proxyGid, socket)).toBe("200");
        expect(getAs(65534, 65534, socket)).toBe("EACCES");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });

  test("an unknown user is one line, exit 2", async () => {
    const { runCli } = await import("./harness.ts");
    for (const runtime of TESTED_RUNTIMES) {
      const result = await runCli({ runtime, args: ["--user", "no-such-user-x", APP] });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('tricorn: --user: no user "no-such-user-x" in /etc/passwd; create it (useradd --system no-such-user-x) or give a numeric id\n');
    }
  }, 60_000);
});

let denoDir: string | null = null;
/** A Deno cache directory every user may read and write (removed with the temp dir by the OS). */
function sharedDenoDir(): string {
  if (denoDir === null) {
    denoDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-denodir-"));
    fs.chmodSync(denoDir, 0o1777);
  }
  return denoDir;
}
