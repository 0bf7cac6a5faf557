/**
 * Ctrl-C in a terminal: the shell sends SIGINT to the whole process group —
 * the master and every worker. The workers ignore it and the master drains
 * them (graceful stop), so a request in flight still gets its answer and
 * the server exits 0. A second Ctrl-C stops at once.
 *
 * The server is started as its own process-group leader (`detached`), and
 * the test signals the group (`kill(-pgid, "SIGINT")`), exactly what a
 * terminal does.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, TESTED_RUNTIMES, signalProcess, startServersPerTest } from "./harness.ts";
import { request } from "./http-client.ts";

const APP = path.join(ROOT, "test/fixtures/drain-app.js");
const start = startServersPerTest();

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  test("SIGINT to the process group drains in-flight requests through the master", async () => {
    const server = await start({ runtime, app: APP, args: ["-w", "2", "--graceful-timeout", "20"], detached: true });
    const slow = request(server.port, "/slow?ms=1500", { timeoutMs: 20_000 });
    await server.waitForStderr(/slow request started/, 20_000);
    signalProcess(-server.pid, "SIGINT");
    const answer = await slow;
    expect(answer).toMatchObject({ status: 200, body: "done\n" });
    const status = await server.exited;
    expect(status).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("Handling signal: int");
    // Workers ignored the group's INT: each stopped once, at the master's request, and none was killed.
    expect(server.stderr()).not.toMatch(/SIGKILL|killed by/);
  }, 60_000);
});
