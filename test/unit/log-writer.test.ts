/**
 * Buffered log writing (core/log/log-writer.ts) and a process's logs
 * (core/log/log-files.ts): nothing is written per line, flushes happen on the
 * timer, past the size threshold, on flush/close and at exit; reopen moves
 * to a new file; colour only on a terminal.
 *
 *   node_modules/.bin/vitest run test/unit/log-writer.test.ts
 */
import { describe, expect, test } from "vitest";
import { LOG_FLUSH_MS, BufferedLogWriter } from "../../core/log/log-writer.ts";
import { LogOpenError, openLogs } from "../../core/log/log-files.ts";
import { defaultSettings } from "../../core/config/settings.ts";
import type { Settings } from "../../core/config/settings.ts";
import { FakeTimers } from "./fake-socket.ts";

/** A sink recording each write call (one entry per write). */
function recordingSink() {
  const writes: string[] = [];
  let closed = false;
  return {
    writes,
    get closed() {
      return closed;
    },
    sink: { write: (text: string) => void writes.push(text), close: () => void (closed = true) },
  };
}

describe("BufferedLogWriter", () => {
  test("lines wait for the timer and leave in one write", () => {
    const timers = new FakeTimers();
    const { writes, sink } = recordingSink();
    const writer = new BufferedLogWriter({ open: () => sink, timers });
    writer.write("a\n");
    writer.write("b\n");
    expect(writes).toEqual([]);
    expect(writer.buffered).toBe(4);
    timers.advance(LOG_FLUSH_MS - 1);
    expect(writes).toEqual([]);
    timers.advance(1);
    expect(writes).toEqual(["a\nb\n"]);
    expect(timers.pending).toBe(0);
  });

  test("a full buffer is written at once", () => {
    const timers = new FakeTimers();
    const { writes, sink } = recordingSink();
    const writer = new BufferedLogWriter({ open: () => sink, timers, maxBuffered: 10 });
    writer.write("12345\n");
    expect(writes).toEqual([]);
    writer.write("67890\n");
    expect(writes).toEqual(["12345\n67890\n"]);
    expect(timers.pending).toBe(0);
  });

  test("flush writes synchronously; close flushes, closes and drops later lines", () => {
    const timers = new FakeTimers();
    const rec = recordingSink();
    const writer = new BufferedLogWriter({ open: () => rec.sink, timers });
    writer.flush();
    expect(rec.writes).toEqual([]);
    writer.write("x\n");
    writer.flush();
    expect(rec.writes).toEqual(["x\n"]);
    writer.write("y\n");
    writer.close();
    expect(rec.writes).toEqual(["x\n", "y\n"]);
    expect(rec.closed).toBe(true);
    writer.write("late\n");
    writer.flush();
    expect(rec.writes).toEqual(["x\n", "y\n"]);
  });

  test("reopen: buffered lines go to the old file, later ones to the new", () => {
    const timers = new FakeTimers();
    const first = recordingSink();
    const second = recordingSink();
    const sinks = [first.sink, second.sink];
    const writer = new BufferedLogWriter({ open: () => sinks.shift()!, timers });
    writer.write("old\n");
    writer.reopen();
    writer.write("new\n");
    writer.flush();
    expect(first.writes).toEqual(["old\n"]);
    expect(first.closed).toBe(true);
    expect(second.writes).toEqual(["new\n"]);
  });

  test("a failed reopen throws and keeps the old destination", () => {
    const timers = new FakeTimers();
    const rec = recordingSink();
    let opened = 0;
    const writer = new BufferedLogWriter({
      open: () => {
        if (opened++ > 0) throw new Error("EACCES");
        return rec.sink;
      },
      timers,
    });
    expect(() => writer.reopen()).toThrow("EACCES");
    writer.write("still here\n");
    writer.flush();
    expect(rec.writes).toEqual(["still here\n"]);
    expect(rec.closed).toBe(false);
  });

  test("write errors are reported and the writer goes on", () => {
    const timers = new FakeTimers();
    const errors: unknown[] = [];
    let fail = true;
    const writes: string[] = [];
    const writer = new BufferedLogWriter({
      open: () => ({
        write(text) {
          if (fail) throw new Error("ENOSPC");
          writes.push(text);
        },
      }),
      timers,
      onError: (error) => void errors.push(error),
    });
    writer.write("lost\n");
    writer.flush();
    fail = false;
    writer.write("kept\n");
    writer.flush();
    expect(errors).toHaveLength(1);
    expect(writes).toEqual(["kept\n"]);
  });
});

/** A fake runtime for openLogs: files are arrays, stdio is recorded. */
function fakeRuntime(options: { tty?: boolean; env?: Record<string, string>; failOpen?: string } = {}) {
  const timers = new FakeTimers();
  const files = new Map<string, string[]>();
  const exitHandlers: (() => void)[] = [];
  const stderr: string[] = [];
  const stdout: string[] = [];
  const rt = {
    timers,
    pid: 77,
    env: options.env ?? {},
    writeStderr: (text: string) => void stderr.push(text),
    writeStdout: (text: string) => void stdout.push(text),
    isTerminal: () => options.tty ?? false,
    onExit: (fn: () => void) => void exitHandlers.push(fn),
    openAppend(path: string) {
      if (path === options.failOpen) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
      const lines = files.get(path) ?? [];
      files.set(path, lines);
      return { write: (text: string) => void lines.push(text), close() {} };
    },
  };
  return { rt, timers, files, stderr, stdout, exit: () => exitHandlers.forEach((fn) => fn()) };
}

const settingsWith = (overrides: Partial<Settings>): Settings => ({ ...defaultSettings(), ...overrides });

describe("openLogs", () => {
  test("info lines wait for the end of the tick, errors are written at once, access lines are batched", () => {
    const f = fakeRuntime();
    const logs = openLogs(f.rt, settingsWith({ errorlog: "/var/log/e.log", accesslog: "/var/log/a.log" }), { access: true });
    logs.logger.info("hello");
    expect(f.files.get("/var/log/e.log")).toEqual([]);
    f.timers.advance(0);
    expect(f.files.get("/var/log/e.log")).toEqual([expect.stringMatching(/\[77\] \[INFO\] hello\n$/)]);
    logs.logger.error("bad");
    expect(f.files.get("/var/log/e.log")).toHaveLength(2);
    expect(logs.accessLog).not.toBeNull();
    logs.accessLog!.log({
      head: { method: "GET", target: "/", versionMinor: 1, headers: [], contentLength: -1, chunked: false, keepAlive: true, expectContinue: false, host: "" },
      remoteAddress: "127.0.0.1",
      status: 200,
      responseHeaders: [],
      bodyBytes: 2,
      startTime: f.timers.now(),
    });
    expect(f.files.get("/var/log/a.log")).toEqual([]);
    f.exit();
    expect(f.files.get("/var/log/a.log")).toEqual([expect.stringMatching(/^127\.0\.0\.1 - - \[.*\] "GET \/ HTTP\/1\.1" 200 2 "-" "-"\n$/)]);
  });

  test("no access log unless asked for and configured; - means stdout", () => {
    const f = fakeRuntime();
    expect(openLogs(f.rt, settingsWith({ accesslog: "-" }), { access: false }).accessLog).toBeNull();
    expect(openLogs(f.rt, settingsWith({ accesslog: null }), { access: true }).accessLog).toBeNull();
    const logs = openLogs(f.rt, settingsWith({ accesslog: "-", access_log_format: "%(s)s" }), { access: true });
    logs.accessLog!.log({
      head: { method: "GET", target: "/", versionMinor: 1, headers: [], contentLength: -1, chunked: false, keepAlive: true, expectContinue: false, host: "" },
      remoteAddress: "",
      status: 404,
      responseHeaders: null,
      bodyBytes: 0,
      startTime: 0,
    });
    logs.flush();
    expect(f.stdout).toEqual(["404\n"]);
  });

  test("level tags are coloured only on a terminal, never in files or with NO_COLOR", () => {
    const tty = fakeRuntime({ tty: true });
    const logs = openLogs(tty.rt, settingsWith({}), { access: false });
    logs.logger.warning("w");
    logs.flush();
    expect(tty.stderr.join("")).toContain("\x1b[33m[WARNING]\x1b[0m w\n");

    const noColor = fakeRuntime({ tty: true, env: { NO_COLOR: "1" } });
    const plain = openLogs(noColor.rt, settingsWith({}), { access: false });
    plain.logger.warning("w");
    plain.flush();
    expect(noColor.stderr.join("")).toContain("[WARNING] w\n");
    expect(noColor.stderr.join("")).not.toContain("\x1b");

    const file = fakeRuntime({ tty: true });
    const toFile = openLogs(file.rt, settingsWith({ errorlog: "/e.log" }), { access: false });
    toFile.logger.error("e");
    expect(file.files.get("/e.log")!.join("")).not.toContain("\x1b");
  });

  test("a file that cannot be opened is one line naming it", () => {
    const f = fakeRuntime({ failOpen: "/root/a.log" });
    expect(() => openLogs(f.rt, settingsWith({ accesslog: "/root/a.log" }), { access: true })).toThrow(LogOpenError);
    expect(() => openLogs(f.rt, settingsWith({ accesslog: "/root/a.log" }), { access: true })).toThrow(
      new LogOpenError('cannot open access log "/root/a.log": permission denied; choose a path this user may write'),
    );
  });

  test("reopen failures are logged, not thrown", () => {
    const f = fakeRuntime();
    const logs = openLogs(f.rt, settingsWith({ accesslog: "/a.log" }), { access: true });
    f.rt.openAppend = () => {
      throw new Error("EACCES");
    };
    expect(() => logs.reopen()).not.toThrow();
    logs.flush();
    expect(f.stderr.join("")).toContain(`[ERROR] Reopening logs failed: cannot open access log "/a.log": permission denied; choose a path this user may write\n`);
  });
});
