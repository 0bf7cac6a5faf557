import { describe, expect, test } from "vitest";
import { createLogger, errorMessage, formatLogTime } from "../../core/log/logger.ts";

describe("createLogger", () => {
  const lines: string[] = [];
  const at = Date.UTC(2026, 10, 26, 20, 0, 0);
  const logger = createLogger({ write: (t) => void lines.push(t), level: "info", pid: 123, wallNow: () => at });

  test("gunicorn format, filtered by level", () => {
    lines.length = 0;
    logger.debug("hidden");
    logger.info("Listening at: http://127.0.0.1:8000 (pid 123)");
    logger.warning("w");
    logger.critical("c");
    expect(lines).toEqual([
      `[${formatLogTime(at)}] [123] [INFO] Listening at: http://127.0.0.1:8000 (pid 123)\n`,
      `[${formatLogTime(at)}] [123] [WARNING] w\n`,
      `[${formatLogTime(at)}] [123] [CRITICAL] c\n`,
    ]);
  });

  test("errors carry their stack on the following lines", () => {
    lines.length = 0;
    logger.error("request failed", new Error("boom"));
    expect(lines[0]).toMatch(/^\[.*\] \[123\] \[ERROR\] request failed\nError: boom\n\s+at /);
  });
});

describe("formatLogTime", () => {
  test("local time with its UTC offset", () => {
    expect(formatLogTime(Date.UTC(2026, 0, 2, 3, 4, 5))).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
    if (new Date(0).getTimezoneOffset() === 0) expect(formatLogTime(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe("2026-01-02 03:04:05 +0000");
  });
});

describe("errorMessage", () => {
  test("first line only; AggregateError uses its first error and position", () => {
    expect(errorMessage(new Error("one\ntwo"))).toBe("one");
    expect(errorMessage("text")).toBe("text");
    const build = Object.assign(new AggregateError([{ message: "Expected ';'", position: { file: "/a.js", line: 1, column: 2 } }], "2 errors"));
    expect(errorMessage(build)).toBe("Expected ';' (/a.js:1:2)");
  });
});
