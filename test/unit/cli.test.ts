import { describe, expect, test } from "vitest";
import { parseCommandLine, splitShellWords } from "../../core/config/cli.ts";
import { SettingError } from "../../core/config/settings.ts";

const parse = (argv: string[], env: Record<string, string> = {}) => parseCommandLine(argv, env);

function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parse(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be rejected`);
}

describe("option syntax", () => {
  test("--flag value, --flag=value, -f value, -fvalue", () => {
    for (const argv of [["--workers", "3"], ["--workers=3"], ["-w", "3"], ["-w3"], ["-w=3"]]) {
      expect(parse([...argv, "app.js"]).settings.workers, argv.join(" ")).toBe(3);
    }
  });

  test("options and APP in any order", () => {
    const { settings, app } = parse(["-w", "2", "app.js", "--timeout", "5"]);
    expect(app).toBe("app.js");
    expect(settings).toMatchObject({ workers: 2, timeout: 5 });
  });

  test("booleans: --flag, --no-flag, --flag=value; last one wins", () => {
    expect(parse(["--reuse-port", "a.js"]).settings.reuse_port).toBe(true);
    expect(parse(["--reuse-port", "--no-reuse-port", "a.js"]).settings.reuse_port).toBe(false);
    expect(parse(["--reuse-port=false", "a.js"]).settings.reuse_port).toBe(false);
    expect(parse(["--permit-bare-lf", "a.js"]).settings.permit_bare_lf).toBe(true);
  });

  test("a boolean flag does not swallow the next word", () => {
    expect(parse(["--reuse-port", "app.js"]).app).toBe("app.js");
  });

  test("repeated list flags accumulate and replace the default", () => {
    const { settings } = parse(["-b", "127.0.0.1:1", "--bind", "[::1]:2", "--bind=unix:/tmp/s", "a.js"]);
    expect(settings.bind).toEqual([
      { kind: "tcp", host: "127.0.0.1", port: 1 },
      { kind: "tcp", host: "::1", port: 2 },
      { kind: "unix", path: "/tmp/s" },
    ]);
  });

  test("comma lists split within one value and accumulate across flags", () => {
    const { settings } = parse(["--forwarded-allow-ips", "10.0.0.1, 10.0.0.2", "--forwarded-allow-ips", "::1", "a.js"]);
    expect(settings.forwarded_allow_ips).toEqual(["10.0.0.1", "10.0.0.2", "::1"]);
  });

  test("-- ends options", () => {
    expect(parse(["-w", "2", "--", "--weird-name.js"]).app).toBe("--weird-name.js");
  });

  test("values starting with a dash: numbers and '-' are values", () => {
    expect(errorOf(["-w", "-1", "a.js"])).toBe('--workers: expected a positive integer or "auto", got "-1"');
    expect(parse(["--error-logfile", "-", "a.js"]).settings.errorlog).toBe("-");
  });

  test("gunicorn's underscore spelling of --limit-request-field_size is accepted", () => {
    expect(parse(["--limit-request-field_size", "100", "a.js"]).settings.limit_request_field_size).toBe(100);
  });
});

describe("errors", () => {
  test.each([
    [["--foo", "a.js"], "unknown option --foo (see tricorn --help)"],
    [["--foo=1", "a.js"], "unknown option --foo (see tricorn --help)"],
    [["--worker", "2", "a.js"], "unknown option --worker (did you mean --workers?)"],
    [["--timout", "2", "a.js"], "unknown option --timout (did you mean --timeout?)"],
    [["-x", "a.js"], "unknown option -x (see tricorn --help)"],
    [["-hv", "a.js"], "unknown option -hv (see tricorn --help)"],
    [["--no-workers", "a.js"], "unknown option --no-workers (see tricorn --help)"],
    [["--no-help", "a.js"], "unknown option --no-help (see tricorn --help)"],
    [["a.js", "--workers"], "--workers: missing value (usage: --workers INT|auto)"],
    [["--workers", "--timeout", "3", "a.js"], "--workers: missing value (usage: --workers INT|auto)"],
    [["-b", "-w", "2", "a.js"], "--bind: missing value (usage: --bind ADDRESS)"],
    [["a.js", "--log-level"], "--log-level: missing value (usage: --log-level debug|info|warning|error|critical)"],
    [["--no-reuse-port=1", "a.js"], "--no-reuse-port: takes no value"],
    [["--help=yes"], "--help: takes no value"],
    [["a.js", "b.js"], 'unexpected argument "b.js" (only one APP may be given)'],
    [[], "missing APP argument (usage: tricorn [OPTIONS] APP; see --help)"],
    [["-w", "2"], "missing APP argument (usage: tricorn [OPTIONS] APP; see --help)"],
  ])("%j", (argv, message) => {
    expect(errorOf(argv)).toBe(message);
  });

  test("TRICORN_CMD_ARGS errors say where they come from", () => {
    expect(errorOf(["a.js"], { TRICORN_CMD_ARGS: "--nope" })).toBe("unknown option --nope (in TRICORN_CMD_ARGS; see tricorn --help)");
    expect(errorOf(["a.js"], { TRICORN_CMD_ARGS: "--worker 2" })).toBe("unknown option --worker (in TRICORN_CMD_ARGS; did you mean --workers?)");
    expect(errorOf(["a.js"], { TRICORN_CMD_ARGS: "-b" })).toBe("--bind (in TRICORN_CMD_ARGS): missing value (usage: --bind ADDRESS)");
    expect(errorOf(["a.js"], { TRICORN_CMD_ARGS: "other.js" })).toBe(
      'TRICORN_CMD_ARGS: unexpected argument "other.js" (give APP on the command line)',
    );
    expect(errorOf(["a.js"], { TRICORN_CMD_ARGS: "--bind 'x" })).toBe("TRICORN_CMD_ARGS: unterminated ' quote");
  });

  test("messages are one line", () => {
    expect(errorOf(["--bind", "x:99999", "a.js"])).not.toContain("\n");
  });
});

describe("--help and --version need no APP", () => {
  test.each([[["--help"]], [["-h"]], [["--version"]], [["-v"]], [["-w", "2", "--help"]]])("%j", (argv) => {
    expect(parse(argv).app).toBeNull();
  });

  test("flags are still validated", () => {
    expect(errorOf(["--help", "-w", "x"])).toBe('--workers: expected a positive integer or "auto", got "x"');
  });
});

describe("splitShellWords", () => {
  test.each([
    ["", []],
    ["  -w 4  --timeout=5 ", ["-w", "4", "--timeout=5"]],
    [`--server-header 'my server' -b "127.0.0.1:1"`, ["--server-header", "my server", "-b", "127.0.0.1:1"]],
    [`a"b c"d`, ["ab cd"]],
    [`"say \\"hi\\"" 'it''s'`, ['say "hi"', "its"]],
    [`a\\ b ''`, ["a b", ""]],
    ["x\ty\nz", ["x", "y", "z"]],
  ])("%j", (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  test("unterminated quotes are errors", () => {
    expect(() => splitShellWords(`"abc`)).toThrow('TRICORN_CMD_ARGS: unterminated " quote');
  });
});
