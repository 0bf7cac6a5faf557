/**
 * Config files (core/config/config-file.ts): validation with the CLI's validators,
 * messages for bad values and unknown names, where the file is found, its
 * place in the precedence order, hooks, JSON, worker hand-over and
 * `--print-config`.
 *
 *   node_modules/.bin/vitest run test/unit/config.test.ts
 */
import { describe, expect, test } from "vitest";
import { DEFAULT_CONFIG_FILES, findConfigFile, readConfigObject, renderEffectiveSettings, resolveCommand, workerSettingsJson } from "../../core/config/config-file.ts";
import { WORKER_SETTINGS_ENV } from "../../core/config/worker-env.ts";
import { SETTING_ENTRIES, SettingError, defaultSettings } from "../../core/config/settings.ts";

/** The message of the SettingError `run` throws. */
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as Error).message;
  }
  throw new Error("expected a SettingError");
}

async function asyncErrorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingError);
    return (error as Error).message;
  }
  throw new Error("expected a SettingError");
}

/** A runtime whose files are a map: `.json` are read as text, others "imported" as namespaces. */
function fakeRuntime(options: { args: string[]; env?: Record<string, string>; files?: Record<string, unknown> }) {
  const files = options.files ?? {};
  const imports: { path: string; fresh: boolean }[] = [];
  return {
    imports,
    rt: {
      args: options.args,
      env: options.env ?? {},
      resolveFile: (file: string) => {
        const path = file.startsWith("/") ? file : `/srv/${file}`;
        return Object.hasOwn(files, path) ? path : null;
      },
      readTextFile: (path: string) => files[path] as string,
      async importModule(path: string, opts?: { fresh?: boolean }) {
        imports.push({ path, fresh: opts?.fresh ?? false });
        const value = files[path];
        if (value instanceof Error) throw value;
        return value as Record<string, unknown>;
      },
    },
  };
}

describe("readConfigObject", () => {
  test("values are validated and converted like command-line values", () => {
    const { values } = readConfigObject(
      {
        workers: 3,
        timeout: "45",
        header_timeout: 2.5,
        reuse_port: true,
        permit_bare_lf: "yes",
        bind: "127.0.0.1:9000",
        forwarded_allow_ips: ["10.0.0.0/8", "192.0.2.1,192.0.2.2"],
        loglevel: "DEBUG",
        pidfile: null,
        raw_env: ["A=1", "B=x=y"],
      },
      "conf.js",
    );
    expect(values).toEqual({
      workers: 3,
      timeout: 45,
      header_timeout: 2.5,
      reuse_port: true,
      permit_bare_lf: true,
      bind: [{ kind: "tcp", host: "127.0.0.1", port: 9000 }],
      forwarded_allow_ips: ["10.0.0.0/8", "192.0.2.1", "192.0.2.2"],
      loglevel: "debug",
      pidfile: null,
      raw_env: ["A=1", "B=x=y"],
    });
  });

  test("a bad value is one line naming the file, the setting and the value", () => {
    expect(errorOf(() => readConfigObject({ workers: "many" }, "tricorn.config.js"))).toBe(
      'tricorn.config.js: workers: expected a positive integer or "auto", got "many"',
    );
    expect(errorOf(() => readConfigObject({ workers: 2.5 }, "c.js"))).toBe('c.js: workers: expected a positive integer or "auto", got "2.5"');
    expect(errorOf(() => readConfigObject({ workers: true }, "c.js"))).toBe("c.js: workers: expected a number, got true");
    expect(errorOf(() => readConfigObject({ reuse_port: 1 }, "c.js"))).toBe("c.js: reuse_port: expected true or false, got 1");
    expect(errorOf(() => readConfigObject({ server_header: 5 }, "c.js"))).toBe("c.js: server_header: expected a string, got 5");
    expect(errorOf(() => readConfigObject({ errorlog: null }, "c.js"))).toBe("c.js: errorlog: expected a string, got null");
    expect(errorOf(() => readConfigObject({ bind: { host: "x" } }, "c.js"))).toBe(
      'c.js: bind: expected a list of strings, got {"host":"x"}',
    );
    expect(errorOf(() => readConfigObject({ bind: [8000] }, "c.js"))).toBe("c.js: bind: expected a list of strings, got 8000 in it");
    expect(errorOf(() => readConfigObject({ bind: ["x:99999"] }, "c.js"))).toBe('c.js: bind: invalid bind "x:99999": port must be 0-65535');
    expect(errorOf(() => readConfigObject({ raw_env: ["NOEQUALS"] }, "c.js"))).toBe('c.js: raw_env: expected KEY=VALUE, got "NOEQUALS"');
    expect(errorOf(() => readConfigObject({ loglevel: "loud" }, "c.js"))).toBe(
      'c.js: loglevel: expected one of debug, info, warning, error, critical, got "loud"',
    );
  });

  test("unknown names suggest the closest setting or hook; known gunicorn names say why", () => {
    expect(errorOf(() => readConfigObject({ wokers: 2 }, "c.js"))).toBe('c.js: unknown setting "wokers" (did you mean workers?)');
    expect(errorOf(() => readConfigObject({ on_startin() {} }, "c.js"))).toBe('c.js: unknown setting "on_startin" (did you mean on_starting?)');
    expect(errorOf(() => readConfigObject({ zzzzzzzz: 1 }, "c.js"))).toBe('c.js: unknown setting "zzzzzzzz"');
    expect(errorOf(() => readConfigObject({ preload_app: true }, "c.js"))).toBe(
      "c.js: preload_app is not supported: workers are spawned, not forked, so every worker loads the app itself",
    );
    expect(errorOf(() => readConfigObject({ config: "x.js" }, "c.js"))).toBe("c.js: config can only be given on the command line");
    expect(errorOf(() => readConfigObject({ check_config: true }, "c.js"))).toBe("c.js: check_config can only be given on the command line");
  });

  test("hooks must be functions, and need a JS/TS file", () => {
    const on_starting = () => {};
    expect(readConfigObject({ on_starting, workers: 2 }, "c.js").hooks).toEqual({ on_starting });
    expect(errorOf(() => readConfigObject({ when_ready: "soon" }, "c.js"))).toBe('c.js: when_ready: expected a function, got "soon"');
    expect(errorOf(() => readConfigObject({ on_exit: 1 }, "c.json", false))).toBe("c.json: on_exit: hooks need a JS or TS config file");
  });

  test("undefined values are skipped", () => {
    expect(readConfigObject({ workers: undefined }, "c.js").values).toEqual({});
  });
});

describe("findConfigFile", () => {
  test("-c must exist; otherwise the first default file present, or none", () => {
    const present = (names: string[]) => ({ resolveFile: (f: string) => (names.includes(f) ? `/srv/${f}` : null) });
    expect(errorOf(() => findConfigFile(present([]), "my.conf.js"))).toBe('cannot find config file "my.conf.js"; check the -c path');
    expect(findConfigFile(present(["my.conf.js"]), "my.conf.js")).toBe("/srv/my.conf.js");
    expect(findConfigFile(present([]), null)).toBeNull();
    expect(findConfigFile(present(["tricorn.config.json", "tricorn.config.js"]), null)).toBe("/srv/tricorn.config.js");
    expect(DEFAULT_CONFIG_FILES[0]).toBe("tricorn.config.ts");
  });
});

describe("resolveCommand", () => {
  test("precedence: defaults < env < config file < TRICORN_CMD_ARGS < command line", async () => {
    const { rt } = fakeRuntime({
      args: ["--timeout", "5", "app.js"],
      env: { WEB_CONCURRENCY: "2", TRICORN_KEEPALIVE: "9", TRICORN_BACKLOG: "64", TRICORN_CMD_ARGS: "--graceful-timeout 7 --max-requests 100" },
      files: {
        "/srv/tricorn.config.js": {
          default: { workers: 4, keepalive: 3, timeout: 60, graceful_timeout: 60, max_requests_jitter: 11 },
        },
      },
    });
    const { settings, app, configFile } = await resolveCommand(rt);
    expect(app).toBe("app.js");
    expect(configFile).toBe("/srv/tricorn.config.js");
    expect(settings).toMatchObject({
      backlog: 64, // env only
      workers: 4, // config over env
      keepalive: 3, // config over env
      max_requests_jitter: 11, // config only
      graceful_timeout: 7, // CMD_ARGS over config
      max_requests: 100, // CMD_ARGS only
      timeout: 5, // argv over config
      limit_request_line: 4094, // default
      config: "tricorn.config.js",
    });
  });

  test("-c names the file; named exports work without a default export; hooks come back", async () => {
    const when_ready = () => {};
    const { rt } = fakeRuntime({
      args: ["-c", "/etc/tricorn/site.mjs", "app.js"],
      files: { "/etc/tricorn/site.mjs": { workers: 6, when_ready } },
    });
    const command = await resolveCommand(rt);
    expect(command.settings.workers).toBe(6);
    expect(command.settings.config).toBe("/etc/tricorn/site.mjs");
    expect(command.hooks).toEqual({ when_ready });
  });

  test("errors name the file as given", async () => {
    const broken = fakeRuntime({ args: ["app.js"], files: { "/srv/tricorn.config.ts": new SyntaxError("Unexpected token '}'\n  at x") } });
    expect(await asyncErrorOf(() => resolveCommand(broken.rt))).toBe("tricorn.config.ts: cannot load config file: Unexpected token '}'");
    const notObject = fakeRuntime({ args: ["app.js"], files: { "/srv/tricorn.config.js": { default: [1] } } });
    expect(await asyncErrorOf(() => resolveCommand(notObject.rt))).toBe("tricorn.config.js: the default export must be an object of settings, got [1]");
    const missing = fakeRuntime({ args: ["--config=nope.js", "app.js"] });
    expect(await asyncErrorOf(() => resolveCommand(missing.rt))).toBe('cannot find config file "nope.js"; check the -c path');
    const bad = fakeRuntime({ args: ["-c", "x.js", "app.js"], files: { "/srv/x.js": { default: { workers: 0 } } } });
    expect(await asyncErrorOf(() => resolveCommand(bad.rt))).toBe('x.js: workers: expected a positive integer or "auto", got "0"');
  });

  test("JSON config files are read as text", async () => {
    const good = fakeRuntime({ args: ["app.js"], files: { "/srv/tricorn.config.json": '{ "workers": 3, "bind": ["unix:/tmp/t.sock"] }' } });
    const { settings } = await resolveCommand(good.rt);
    expect(settings.workers).toBe(3);
    expect(settings.bind).toEqual([{ kind: "unix", path: "/tmp/t.sock" }]);
    expect(good.imports).toEqual([]);
    const invalid = fakeRuntime({ args: ["app.js"], files: { "/srv/tricorn.config.json": "{ workers: 3 }" } });
    expect(await asyncErrorOf(() => resolveCommand(invalid.rt))).toMatch(/^tricorn\.config\.json: cannot read config file: .*JSON/);
    const list = fakeRuntime({ args: ["app.js"], files: { "/srv/tricorn.config.json": "[1]" } });
    expect(await asyncErrorOf(() => resolveCommand(list.rt))).toBe("tricorn.config.json: expected a JSON object of settings, got [1]");
  });

  test("--help and --version skip the config file, so a broken one cannot hide them", async () => {
    const { rt, imports } = fakeRuntime({ args: ["--help"], files: { "/srv/tricorn.config.js": new Error("broken") } });
    expect((await resolveCommand(rt)).settings.help).toBe(true);
    expect(imports).toEqual([]);
  });

  test("--print-config needs no APP", async () => {
    const { rt } = fakeRuntime({ args: ["--print-config"] });
    const command = await resolveCommand(rt);
    expect(command.app).toBeNull();
    expect(command.settings.print_config).toBe(true);
  });

  test("fresh re-reads (HUP) bypass the module cache", async () => {
    const { rt, imports } = fakeRuntime({ args: ["app.js"], files: { "/srv/tricorn.config.js": { default: {} } } });
    await resolveCommand(rt);
    await resolveCommand(rt, { fresh: true });
    expect(imports).toEqual([
      { path: "/srv/tricorn.config.js", fresh: false },
      { path: "/srv/tricorn.config.js", fresh: true },
    ]);
  });

  test("HUP reads the same file by its absolute path, even after --chdir moved the working directory", async () => {
    const start = fakeRuntime({ args: ["-c", "conf/site.js", "app.js"], files: { "/srv/conf/site.js": { default: { workers: 2 } } } });
    const first = await resolveCommand(start.rt);
    const moved = fakeRuntime({ args: ["-c", "conf/site.js", "app.js"], files: { "/srv/conf/site.js": { default: { workers: 5 } } } });
    moved.rt.resolveFile = () => null; // relative paths no longer resolve
    const again = await resolveCommand(moved.rt, { fresh: true, previous: first });
    expect(again.settings.workers).toBe(5);
    expect(again.settings.config).toBe("conf/site.js");
    expect(moved.imports).toEqual([{ path: "/srv/conf/site.js", fresh: true }]);
  });

  test("a worker takes its master's settings from the environment and reads no file", async () => {
    const settings = { ...defaultSettings(), workers: 5, raw_env: ["A=1"] };
    const env = { TRICORN_WORKER: "1", [WORKER_SETTINGS_ENV]: workerSettingsJson(settings, "site/app.js") };
    const { rt, imports } = fakeRuntime({ args: ["--workers", "2", "other.js"], env, files: { "/srv/tricorn.config.js": { default: {} } } });
    const command = await resolveCommand(rt);
    expect(command.settings).toEqual(settings);
    expect(command.app).toBe("site/app.js");
    expect(imports).toEqual([]);
    // Not a worker (no TRICORN_WORKER=1): the variable is ignored.
    const outsider = fakeRuntime({ args: ["x.js"], env: { [WORKER_SETTINGS_ENV]: env[WORKER_SETTINGS_ENV] } });
    expect((await resolveCommand(outsider.rt)).app).toBe("x.js");
  });
});

describe("renderEffectiveSettings", () => {
  test("one `name = value` line per setting in table order, without actions, then hooks", () => {
    const settings = { ...defaultSettings(), workers: 3 };
    const text = renderEffectiveSettings(settings, { on_exit() {} });
    const lines = text.trimEnd().split("\n");
    const names = lines.map((l) => l.split(" = ")[0]);
    const expected = SETTING_ENTRIES.filter(([, def]) => !(def.type === "bool" && def.negatable === false)).map(([name]) => name);
    expect(names).toEqual([...expected, "on_exit"]);
    expect(lines).toContain("workers = 3");
    expect(lines).toContain("bind = 127.0.0.1:8000");
    expect(lines).toContain("pidfile = (none)");
    expect(lines).toContain("on_exit = <function>");
    expect(names).not.toContain("help");
    expect(names).not.toContain("print_config");
  });
});
