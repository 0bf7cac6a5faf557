/**
 * `tricorn ctl` against a fake unix client: argument parsing, what it sends,
 * human and JSON output, and one-line errors with their exit codes.
 */
import { describe, expect, it } from "vitest";
import { runCtl, type CtlHost } from "../../core/command/ctl.ts";
import { UNIX_REQUEST_TIMEOUT, type UnixRequestFn } from "../../core/runtime/unix-request.ts";

function host(answer: UnixRequestFn, env: Record<string, string> = {}) {
  const out = { stdout: "", stderr: "", sent: [] as { path: string; request: unknown; timeoutMs: number }[] };
  const h: CtlHost = {
    args: [],
    env,
    writeStdout: (text) => void (out.stdout += text),
    writeStderr: (text) => void (out.stderr += text),
    unixRequest: (path, request, timeoutMs) => {
      out.sent.push({ path, request: JSON.parse(new TextDecoder().decode(request)), timeoutMs });
      return answer(path, request, timeoutMs);
    },
  };
  return { h, out };
}

const reply = (value: unknown): UnixRequestFn => async () => new TextEncoder().encode(JSON.stringify(value) + "\n");

describe("tricorn ctl", () => {
  it("sends one request to the chosen socket and prints the answer for people or as JSON", async () => {
    const { h, out } = host(reply({ ok: true, result: { previous: 2, total: 4 } }), { TRICORN_CONTROL_SOCKET: "/env.ctl" });
    expect(await runCtl(h, ["workers", "add", "2"])).toBe(0);
    expect(out.stdout).toBe("workers: 2 -> 4\n");
    expect(out.sent[0]).toEqual({ path: "/env.ctl", request: { command: "workers", action: "add", count: 2 }, timeoutMs: 10_000 });
    expect(await runCtl(h, ["--control-socket=/x.ctl", "--json", "--timeout", "2.5", "workers", "remove", "1"])).toBe(0);
    expect(out.sent[1]).toMatchObject({ path: "/x.ctl", timeoutMs: 2500 });
    expect(out.stdout.split("\n")[1]).toBe('{"previous":2,"total":4}');
  });

  it("formats status as a table", async () => {
    const status = {
      pid: 10, state: "running", ready: true, targetWorkers: 1, generation: 0,
      workers: [{ id: 1, pid: 11, generation: 0, state: "serving", age: 75, lastHeartbeat: 0.25, startedBecause: "start", requests: 3, inFlight: null, connections: 1, rss: 50 * 1024 * 1024 }],
    };
    const { h, out } = host(reply({ ok: true, result: status }));
    expect(await runCtl(h, ["status"])).toBe(0);
    expect(out.stdout).toBe(
      "master 10: running, ready, generation 0, 1 worker(s) (target 1)\n" +
        "ID  PID  STATE    AGE    REQUESTS  IN-FLIGHT  CONNS  RSS       LAST-BEAT  STARTED\n" +
        "1   11   serving  1m15s  3         -          1      50.0 MiB  0.3s ago   start\n",
    );
  });

  it("bad usage is one line and exit 2; --help prints the commands", async () => {
    const { h, out } = host(reply({ ok: true, result: {} }));
    expect(await runCtl(h, ["--timeout", "0", "status"])).toBe(2);
    expect(await runCtl(h, ["--frob", "status"])).toBe(2);
    expect(await runCtl(h, ["--control-socket"])).toBe(2);
    expect(out.stderr).toBe(
      'tricorn: ctl: --timeout expects a positive number of seconds, got "0"\n' +
        'tricorn: ctl: unknown option "--frob"; see tricorn ctl --help\n' +
        "tricorn: ctl: --control-socket needs a value\n",
    );
    expect(out.sent).toEqual([]);
    expect(await runCtl(h, ["--help"])).toBe(0);
    expect(out.stdout).toContain("workers remove N");
  });

  it("unreachable, refused, timed out or refusing masters are one line and exit 1", async () => {
    const fail = (code: string, message = "x"): UnixRequestFn => async () => {
      throw Object.assign(new Error(message), { code });
    };
    const cases: [UnixRequestFn, string][] = [
      [fail("ECONNREFUSED"), "tricorn: nothing answers on tricorn.ctl (a stale socket: the server is not running)\n"],
      [fail("EACCES"), "tricorn: permission denied on tricorn.ctl: the control socket is for the server's user only (mode 0600)\n"],
      [fail(UNIX_REQUEST_TIMEOUT, "no answer within 10000 ms"), "tricorn: no answer from the control socket tricorn.ctl: no answer within 10000 ms\n"],
      [reply({ ok: false, error: "the server is stopping" }), "tricorn: the server refused: the server is stopping\n"],
      [async () => new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"), "tricorn: tricorn.ctl did not answer like a tricorn control socket\n"],
    ];
    for (const [answer, line] of cases) {
      const { h, out } = host(answer);
      expect(await runCtl(h, ["stats"])).toBe(1);
      expect(out.stderr).toBe(line);
    }
  });
});
