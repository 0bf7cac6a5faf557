/**
 * A Bun.serve/Deno.serve-style export's `port`/`hostname` as the bind when
 * none is given, on every runtime: the first workers load the app and
 * report them, the master binds and answers (core/arbiter/bind-from-app.ts);
 * workers started later (HUP) listen on the same address. An explicit bind
 * wins and the fields are warned about; a bad value or a busy port is one
 * line; `--check-config` names the bind it would use.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, runCli, signalProcess, startServersPerTest } from "./harness.ts";
import { request } from "./http-client.ts";

const start = startServersPerTest();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-app-bind-"));
fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write an app exporting `fields` next to `fetch` (answering its pid); returns its path. */
function appWith(name: string, fields: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `export default {\n  ${fields}\n  fetch() { return new Response(\`pid \${globalThis.Deno?.pid ?? process.pid}\`); },\n};\n`);
  return file;
}

const FROM_APP = appWith("from-app.js", 'port: 0, hostname: "127.0.0.1",');
// Would fail to bind if used (192.0.2.1 is TEST-NET-1, on no interface here).
const UNUSABLE = appWith("unusable.js", 'port: 0, hostname: "192.0.2.1",');
const PLAIN = appWith("plain.js", "");
const BAD_PORT = appWith("bad-port.js", "port: 70000,");

/** `tricorn:` lines of a run's stderr. */
const tricornLines = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("tricorn:"));

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  for (const engine of ["core", "native"]) {
    test(`no bind given: the app's port 0 and hostname are the bind, for both workers and after HUP (--engine ${engine})`, async () => {
      const server = await start({ runtime, app: FROM_APP, args: ["-w", "2", "--engine", engine], noBind: true });
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.port).toBeGreaterThan(0);
      expect(server.stderr()).toContain("Binding 127.0.0.1:0 (from the app's port and hostname export; no bind given)");
      expect(server.stderr()).not.toMatch(/`port` is not used/);
      expect(server.stderr().match(/Booting worker with pid: \d+/g)).toHaveLength(2);
      expect(await request(server.port, "/")).toMatchObject({ status: 200 });
      // Replacements get the resolved address in their environment: same port, no new report.
      signalProcess(server.pid, "SIGHUP");
      await server.waitForStderr(/Reload complete: 2 new worker\(s\) booted/, 30_000);
      expect(await request(server.port, "/")).toMatchObject({ status: 200 });
      expect(server.stderr().match(/Binding 127\.0\.0\.1:0/g)).toHaveLength(1);
    }, 90_000);
  }

  test("an explicit bind wins: the app's port and hostname are warned about", async () => {
    const server = await start({ runtime, app: UNUSABLE, args: ["-b", "127.0.0.1:0"] });
    expect(await request(server.port, "/")).toMatchObject({ status: 200 });
    expect(server.stderr()).toContain("`port` is not used: a bind was given (-b/--bind, TRICORN_BIND or the config file) and wins over the app's port and hostname");
    expect(server.stderr()).toContain("`hostname` is not used: a bind was given");
    expect(server.stderr()).not.toContain("no bind given");
  }, 60_000);

  test("a bad port export is one line naming the value", async () => {
    const result = await runCli({ runtime, args: [BAD_PORT], cwd: dir });
    expect(result.code).toBe(3);
    expect(tricornLines(result.stderr)).toEqual(["tricorn: export default: `port` 70000 is not a port: expected an integer 0-65535"]);
  }, 60_000);

  test("the app's port is taken: one line, exit 1", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const app = appWith("busy.js", `port: ${port}, hostname: "127.0.0.1",`);
      const result = await runCli({ runtime, args: ["-w", "2", app], cwd: dir });
      expect(result.code).toBe(1);
      expect(tricornLines(result.stderr)).toEqual([`tricorn: cannot bind 127.0.0.1:${port}: address already in use; is another server running there? choose another address with -b (the address is from the app's port and hostname export)`]);
    } finally {
      holder.close();
    }
  }, 60_000);

  test("--check-config names the bind it would use and why", async () => {
    const check = async (app: string, env: Record<string, string> = {}) => {
      const result = await runCli({ runtime, args: ["--check-config", app], cwd: dir, env });
      expect(result.code).toBe(0);
      return result.stdout;
    };
    expect(await check(FROM_APP)).toBe(`config OK: app ${FROM_APP}, no config file, bind 127.0.0.1:0 (from the app's port and hostname export)\n`);
    expect(await check(PLAIN)).toBe(`config OK: app ${PLAIN}, no config file, bind 127.0.0.1:8000 (the default; the app exports no port or hostname)\n`);
    expect(await check(UNUSABLE, { TRICORN_BIND: "127.0.0.1:9" })).toBe(`config OK: app ${UNUSABLE}, no config file, bind 127.0.0.1:9\n`);
    const bad = await runCli({ runtime, args: ["--check-config", BAD_PORT], cwd: dir });
    expect(bad.code).toBe(2);
    expect(tricornLines(bad.stderr)).toEqual(["tricorn: export default: `port` 70000 is not a port: expected an integer 0-65535"]);
  }, 60_000);
});
