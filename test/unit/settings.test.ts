import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseCommandLine, renderHelp } from "../../core/config/cli.ts";
import { DEFAULT_ACCESS_LOG_FORMAT, SETTINGS, SETTING_ENTRIES, SettingError, defaultSettings } from "../../core/config/settings.ts";
import { VERSION } from "../../core/config/version.ts";

/** Parse argv + APP and return the SettingError message (fails the test when nothing is thrown). */
function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine([...argv, "app.js"], env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be rejected`);
}

const settingsOf = (argv: string[], env: Record<string, string> = {}) => parseCommandLine([...argv, "app.js"], env).settings;

describe("defaults", () => {
  test("match gunicorn and the brief", () => {
    const d = defaultSettings();
    expect(d.bind).toEqual([{ kind: "tcp", host: "127.0.0.1", port: 8000 }]);
    expect(d).toMatchObject({
      workers: 1, timeout: 30, graceful_timeout: 30, keepalive: 2, max_requests: 0, max_requests_jitter: 0,
      limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190, limit_request_body: 0,
      header_map: "drop", permit_bare_lf: false, backlog: 2048, worker_connections: 1000, interface: "auto",
      server_header: "tricorn", pidfile: null, errorlog: "-", loglevel: "info", accesslog: null,
      access_log_format: DEFAULT_ACCESS_LOG_FORMAT, header_timeout: 10, reuse_port: false, help: false, version: false,
    });
    expect(d.forwarded_allow_ips).toEqual(["127.0.0.1", "::1"]);
    expect(d.proxy_allow_ips).toEqual(["127.0.0.1", "::1"]);
  });

  test("every setting has flags, a doc line and a section; flags are unique", () => {
    const seen = new Set<string>();
    for (const [name, def] of SETTING_ENTRIES) {
      expect(def.flags.length, name).toBeGreaterThan(0);
      expect(def.doc, name).toMatch(/\S/);
      expect(def.doc.includes("\n"), name).toBe(false);
      expect(def.section, name).toMatch(/\S/);
      for (const flag of def.flags) {
        expect(seen.has(flag), flag).toBe(false);
        seen.add(flag);
      }
    }
  });

  test("defaultSettings returns fresh lists", () => {
    const a = defaultSettings();
    (a.bind as unknown[]).length = 0;
    expect(defaultSettings().bind).toHaveLength(1);
  });

  test("VERSION matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(VERSION).toBe(pkg.version);
  });
});

describe("validators", () => {
  test.each([
    [["--workers", "abc"], '--workers: expected a positive integer or "auto", got "abc"'],
    [["-w", "0"], '--workers: expected a positive integer or "auto", got "0"'],
    [["-w", "2.5"], '--workers: expected a positive integer or "auto", got "2.5"'],
    [["-w", "1e3"], '--workers: expected a positive integer or "auto", got "1e3"'],
    [["--workers="], '--workers: expected a positive integer or "auto", got ""'],
    [["--worker-connections", "0"], '--worker-connections: expected a positive integer, got "0"'],
    [["--backlog", "-5"], '--backlog: expected a positive integer, got "-5"'],
    [["--timeout", "-1"], '--timeout: expected a non-negative integer, got "-1"'],
    [["--graceful-timeout", "soon"], '--graceful-timeout: expected a non-negative integer, got "soon"'],
    [["--keep-alive", "x"], '--keep-alive: expected a non-negative integer, got "x"'],
    [["--max-requests", "-1"], '--max-requests: expected a non-negative integer, got "-1"'],
    [["--max-requests-jitter", "1.5"], '--max-requests-jitter: expected a non-negative integer, got "1.5"'],
    [["--limit-request-line", "8191"], '--limit-request-line: expected an integer 0-8190, got "8191"'],
    [["--limit-request-fields", "32769"], '--limit-request-fields: expected an integer 0-32768, got "32769"'],
    [["--limit-request-field-size", "big"], '--limit-request-field-size: expected a non-negative integer, got "big"'],
    [["--limit-request-body", "99999999999999999999"], '--limit-request-body: expected a non-negative integer, got "99999999999999999999"'],
    [["--header-timeout", "-1"], '--header-timeout: expected a non-negative number, got "-1"'],
    [["--header-timeout", "NaN"], '--header-timeout: expected a non-negative number, got "NaN"'],
    [["--header-map", "keep"], '--header-map: expected one of drop, refuse, dangerous, got "keep"'],
    [["--interface", "wsgi"], '--interface: expected one of auto, fetch, gateway, node, got "wsgi"'],
    [["--log-level", "loud"], '--log-level: expected one of debug, info, warning, error, critical, got "loud"'],
    [["--reuse-port=maybe"], '--reuse-port: expected true or false, got "maybe"'],
    [["--permit-bare-lf=2"], '--permit-bare-lf: expected true or false, got "2"'],
    [["-b", "x:99999"], '--bind: invalid bind "x:99999": port must be 0-65535'],
    [["--forwarded-allow-ips", "10.0.0.1,nope"], '--forwarded-allow-ips: expected IP addresses or networks separated by commas, or "*", got "nope"'],
    [["--forwarded-allow-ips", "10.0.0.0/33"], '--forwarded-allow-ips: expected IP addresses or networks separated by commas, or "*", got "10.0.0.0/33"'],
    [["--forwarded-allow-ips", "1.2.3.4,"], '--forwarded-allow-ips: empty item in "1.2.3.4,"'],
    [["--proxy-allow-from", "999.1.1.1"], '--proxy-allow-from: expected IP addresses or networks separated by commas, or "*", got "999.1.1.1"'],
    [["--error-logfile="], "--error-logfile: expected a non-empty value"],
    [["--pid="], "--pid: expected a non-empty value"],
    [["--access-logfile="], "--access-logfile: expected a non-empty value"],
    [["--access-logformat="], "--access-logformat: expected a non-empty value"],
  ])("%j", (argv, message) => {
    expect(errorOf(argv)).toBe(message);
  });

  test("every typed setting rejects garbage, naming its long flag", () => {
    for (const [name, def] of SETTING_ENTRIES) {
      // Free text, and lists of file names (any name is valid until it is used).
      if (def.type === "string" || name === "reload_extra_files") continue;
      const long = def.flags.find((f) => f.startsWith("--")) as string;
      if (def.type === "bool" && !def.negatable) continue;
      expect(errorOf([`${long}=%garbage%`])).toMatch(new RegExp(`^${long}: .*"%garbage%"`));
    }
  });

  test("accepted values are parsed", () => {
    const s = settingsOf([
      "-w", "4", "--timeout", "0", "--header-timeout", "2.5", "--limit-request-line", "0",
      "--limit-request-fields", "32768", "--header-map", "REFUSE", "--log-level", "DEBUG",
      "--forwarded-allow-ips", "*", "--proxy-allow-from", "10.0.0.0/8, 2001:db8::/32",
      "--server-header=", "--access-logfile", "-", "--pid", "/tmp/t.pid", "--reuse-port", "--permit-bare-lf=yes",
    ]);
    expect(s).toMatchObject({
      workers: 4, timeout: 0, header_timeout: 2.5, limit_request_line: 0, limit_request_fields: 32768,
      header_map: "refuse", loglevel: "debug", server_header: "", accesslog: "-", pidfile: "/tmp/t.pid",
      reuse_port: true, permit_bare_lf: true,
    });
    expect(s.forwarded_allow_ips).toEqual(["*"]);
    expect(s.proxy_allow_ips).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
  });
});

describe("precedence: defaults < env < TRICORN_CMD_ARGS < argv", () => {
  test("per-setting environment variables", () => {
    expect(settingsOf([], { WEB_CONCURRENCY: "3" }).workers).toBe(3);
    expect(settingsOf([], { WEB_CONCURRENCY: "3", TRICORN_WORKERS: "5" }).workers).toBe(5);
    expect(settingsOf([], { WEB_CONCURRENCY: "" }).workers).toBe(1);
    expect(settingsOf([], { TRICORN_BIND: "127.0.0.1:1, unix:/tmp/x.sock" }).bind).toEqual([
      { kind: "tcp", host: "127.0.0.1", port: 1 },
      { kind: "unix", path: "/tmp/x.sock" },
    ]);
    expect(settingsOf([], { TRICORN_REUSE_PORT: "on", TRICORN_LOGLEVEL: "warning" })).toMatchObject({ reuse_port: true, loglevel: "warning" });
  });

  test("argv beats env", () => {
    expect(settingsOf(["-w", "7"], { WEB_CONCURRENCY: "3" }).workers).toBe(7);
    expect(settingsOf(["--no-reuse-port"], { TRICORN_REUSE_PORT: "1" }).reuse_port).toBe(false);
    expect(settingsOf(["-b", ":1"], { TRICORN_BIND: "127.0.0.1:2" }).bind).toEqual([{ kind: "tcp", host: "0.0.0.0", port: 1 }]);
  });

  test("TRICORN_CMD_ARGS sits between env and argv", () => {
    const env = { WEB_CONCURRENCY: "3", TRICORN_CMD_ARGS: "-w 5 --timeout 9" };
    expect(settingsOf([], env)).toMatchObject({ workers: 5, timeout: 9 });
    expect(settingsOf(["-w", "8"], env)).toMatchObject({ workers: 8, timeout: 9 });
  });

  test("config values sit between env and TRICORN_CMD_ARGS", () => {
    const parsed = parseCommandLine(["app.js"], { WEB_CONCURRENCY: "3", TRICORN_CMD_ARGS: "--timeout 9" }, { workers: 4, timeout: 1 });
    expect(parsed.settings).toMatchObject({ workers: 4, timeout: 9 });
  });

  test("bad environment values name the variable", () => {
    expect(errorOf([], { WEB_CONCURRENCY: "lots" })).toBe('WEB_CONCURRENCY: expected a positive integer or "auto", got "lots"');
    expect(errorOf([], { TRICORN_BIND: "127.0.0.1:1,x:99999" })).toBe('TRICORN_BIND: invalid bind "x:99999": port must be 0-65535');
    expect(errorOf([], { TRICORN_CMD_ARGS: "--workers nope" })).toBe('--workers (in TRICORN_CMD_ARGS): expected a positive integer or "auto", got "nope"');
  });
});

describe("--help", () => {
  const help = renderHelp();

  test("lists every setting with its flags and default", () => {
    for (const [name, def] of SETTING_ENTRIES) {
      for (const flag of def.flags.filter((f) => !f.includes("_"))) expect(help, `${name} ${flag}`).toContain(flag);
      if (def.type === "bool" && !def.negatable) continue;
      const shown = def.showDefault(def.default as never);
      // The default note may wrap onto the next line; compare with whitespace collapsed.
      expect(help.replace(/\s+/g, " "), name).toContain(`default: ${shown}`.replace(/\s+/g, " "));
    }
  });

  test("shows usage, environment variables and fits 100 columns", () => {
    expect(help.startsWith("usage: tricorn [OPTIONS] APP\n       tricorn ctl ")).toBe(true);
    expect(help).toContain("WEB_CONCURRENCY");
    expect(help).toContain("TRICORN_CMD_ARGS");
    for (const line of help.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  test("documents the declared settings only once each", () => {
    expect(Object.keys(SETTINGS)).toHaveLength(SETTING_ENTRIES.length);
    for (const [, def] of SETTING_ENTRIES) expect(help.split(def.doc.slice(0, 30)).length - 1).toBe(1);
  });
});

describe("settings reference (Markdown)", () => {
  test("has a heading, flags and default for every setting", async () => {
    const { renderSettingsMarkdown } = await import("../../core/config/settings-docs.ts");
    const md = renderSettingsMarkdown();
    for (const [name, def] of SETTING_ENTRIES) {
      expect(md).toContain(`### ${name}\n\n${def.doc}\n`);
      if (def.type !== "bool" || def.negatable) expect(md).toContain(`- default: \`${def.showDefault(def.default as never)}\``);
    }
    expect(md).toContain("- flags: `-w INT|auto`, `--workers INT|auto`");
    expect(md).toContain("`--reuse-port`, `--no-reuse-port`");
  });
});
